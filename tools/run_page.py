"""Execute one MyST Markdown notebook quickly (without building the book).

Usage: .venv/bin/python tools/run_page.py book/part/page.md [more pages]
Exits non-zero and prints the traceback of the first failing cell.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run(path: Path) -> bool:
    nb = jupytext.read(path)
    t0 = time.perf_counter()
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as err:
        print(f"FAIL {path}\n{err}")
        return False
    print(f"ok   {path} ({time.perf_counter() - t0:.1f} s)")
    return True


if __name__ == "__main__":
    results = [run(Path(p)) for p in sys.argv[1:]]
    sys.exit(0 if results and all(results) else 1)
