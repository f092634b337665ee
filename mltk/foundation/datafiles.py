"""Reading the package's data files (the one reader of ``mltk/data``)."""

from __future__ import annotations

import csv
from pathlib import Path

# Next to this module (cheaper at import than importlib.resources; the package is never zipped).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def read_csv(filename: str) -> list[dict[str, str]]:
    """Rows of a CSV file in ``mltk/data`` as dicts of stripped strings."""
    with open(DATA_DIR / filename, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)]
    return [{k.strip(): (v or "").strip() for k, v in r.items() if k is not None} for r in rows]


def opt_float(text: str) -> float | None:
    """A float from a CSV cell, or None where the cell is empty."""
    return float(text) if text not in ("", None) else None
