"""The package layout: bands as subpackages, old flat names still importable (deprecated)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import mltk
from mltk.foundation.assumptions import DEFAULT_ASSUMPTIONS_PATH


@pytest.mark.parametrize("old,new", sorted(mltk._MOVED.items()))
def test_old_module_names_still_import_with_a_warning(old: str, new: str) -> None:
    real = importlib.import_module(f"mltk.{new}")
    sys.modules.pop(f"mltk.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"mltk.{old} moved to mltk.{new}"):
        alias = importlib.import_module(f"mltk.{old}")
    assert alias is real
    assert real.__name__ == f"mltk.{new}"  # the alias never renames the real module
    # the functions that share an old module's name survive the import
    assert callable(mltk.tco) and callable(mltk.assumptions)


def test_band_modules_are_reachable_as_attributes() -> None:
    assert mltk.handbook.drift.psi is importlib.import_module("mltk.handbook.drift").psi
    assert mltk.heuristics.memory.kv_cache_bytes is mltk.kv_cache_bytes
    with pytest.raises(AttributeError):
        mltk.heuristics.no_such_module  # noqa: B018


def test_no_module_imports_a_band_above_it() -> None:
    """Arrows point down: foundation < heuristics < evidence, handbook < faces."""
    order = {"foundation": 0, "heuristics": 1, "evidence": 2, "handbook": 2, "cli": 3}
    root = Path(mltk.__file__).parent
    for band, rank in order.items():
        for f in (root / band).glob("*.py"):
            text = f.read_text()
            for other, other_rank in order.items():
                if other_rank > rank:
                    assert f"from ..{other}" not in text, f"{f} imports the higher band {other}"


def test_using_assumptions_is_per_thread(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("currency: EUR\n")
    seen: dict[str, str] = {}

    def other() -> None:
        seen["other"] = mltk.assumptions().currency

    with mltk.using_assumptions(team) as asm:
        assert asm.currency == "EUR" == mltk.assumptions().currency
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen["other"] == mltk.assumptions().currency == "USD"
    assert mltk.assumptions().path == str(DEFAULT_ASSUMPTIONS_PATH)


def test_import_is_fast() -> None:
    """`import mltk` loads none of the heavy bands (numbers measured in bench/bench_core.py)."""
    code = ("import sys, mltk; heavy = [m for m in ('scipy', 'matplotlib', 'ipywidgets', "
            "'mltk.handbook.drift', 'mltk.cli') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
