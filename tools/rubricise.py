"""Turn the `##` headings of a page that has child pages into rubrics.

Sphinx numbers a page's own sections before the child pages of its toctree, so a
`##` heading on a parent page would shift its children's numbers (3.3.1 would become
3.3.5). Parent pages therefore use rubrics, which are not numbered but keep labels.

Usage: .venv/bin/python tools/rubricise.py book/part/index.md [...]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def rubricise(text: str) -> str:
    return re.sub(r"^##+ (.+)$", lambda m: f":::{{rubric}} {m.group(1)}\n:::", text, flags=re.M)


if __name__ == "__main__":
    for p in map(Path, sys.argv[1:]):
        p.write_text(rubricise(p.read_text()))
        print("rubricised", p)
