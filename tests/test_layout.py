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
    """Arrows point down: foundation < heuristics < evidence, handbook < faces (cli, widgets).

    Every ``import`` statement of every module, late imports inside functions included,
    is resolved to the band it reaches; evidence and handbook never import each other.
    """
    import ast

    order = {"foundation": 0, "heuristics": 1, "evidence": 2, "handbook": 2, "cli": 3, "widgets": 3}
    root = Path(mltk.__file__).parent
    for band, rank in order.items():
        for f in (root / band).rglob("*.py"):
            depth = len(f.relative_to(root).parts) - 1  # package depth below mltk
            for node in ast.walk(ast.parse(f.read_text())):
                targets: list[str] = []
                if isinstance(node, ast.ImportFrom):
                    if node.level == 0:
                        base = node.module or ""
                    else:
                        up = node.level - depth  # how far above mltk/<band>/ the import climbs
                        base = (node.module or "") if up == 1 else f"{band}.{node.module or ''}"
                        base = base if up >= 1 else band
                        base = f"mltk.{base}".rstrip(".")
                    targets = [base] if node.module else [f"{base}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    targets = [a.name for a in node.names]
                for t in targets:
                    parts = t.split(".")
                    if parts[0] != "mltk" or len(parts) < 2 or parts[1] not in order or parts[1] == band:
                        continue
                    other = parts[1]
                    assert order[other] < rank, f"{f.relative_to(root)} imports {t} (band {other})"


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
