"""Output of the command line: JSON documents and aligned human-readable text."""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..foundation.assumptions import DEFAULT_ASSUMPTIONS_PATH, Assumptions
from ..foundation.ranges import Range, to_plain
from ..foundation.units import format_range, format_si


def emit_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(to_plain(data), indent=2, allow_nan=False) + "\n")


def show_range(r: Range, fmt: Callable[..., str] = format_si, **kwargs: Any) -> str:
    """``mid (low – high)``, or just the value when the range has no spread."""
    if np.all(np.asarray(r.low) == np.asarray(r.high)):
        return fmt(r.mid, **kwargs)
    return format_range(r, fmt, **kwargs)


def show_count(x: float) -> str:
    """A count with an SI prefix and no space: 66.1k, 1.2M."""
    return format_si(x).replace(" ", "")


def assumptions_source(asm: Assumptions) -> str:
    """Where the assumptions come from, for the last line of human output."""
    if Path(asm.path).resolve() == DEFAULT_ASSUMPTIONS_PATH.resolve():
        return "the packaged defaults (mltk/data/assumptions.yaml)"
    return asm.path


def show_percent(x: float) -> str:
    return f"{100 * float(x):.3g}%"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def aligned_lines(pairs: list[tuple[str, str]], indent: str = "") -> str:
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{indent}{k.ljust(width)}  {v}" for k, v in pairs)


@contextmanager
def progress(label: str, stream: TextIO | None = None, delay: float = 0.25) -> Iterator[None]:
    """A spinner on stderr while work runs longer than ``delay`` s; only on a terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        yield
        return
    done = threading.Event()

    def spin() -> None:
        if done.wait(delay):
            return
        t0 = time.monotonic()
        for ch in itertools.cycle("|/-\\"):
            stream.write(f"\r{label} {ch} {time.monotonic() - t0 + delay:.1f} s")
            stream.flush()
            if done.wait(0.1):
                stream.write("\r\x1b[K")
                stream.flush()
                return

    worker = threading.Thread(target=spin, daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()


