"""Shared fixtures: the book, built once per test session from a clean state."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"


@dataclass
class BookBuild:
    returncode: int
    log: str
    html: Path


def build_book(source: Path, out: Path, env: dict | None = None) -> BookBuild:
    """Build ``source`` into ``out`` from scratch with warnings as errors."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(jb), "build", str(source), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, cwd=source, env=env)
    return BookBuild(proc.returncode, proc.stdout + proc.stderr, out / "_build" / "html")


@pytest.fixture(scope="session")
def built_book() -> BookBuild:
    """The whole book, built from a clean state (no execution cache) once per session."""
    result = build_book(ROOT, OUTPUT / "book")
    if result.returncode != 0 and any(s in result.log for s in _KERNEL_INFRA_FAILURES):
        # A notebook kernel that dies of a port clash or zmq fault on a busy machine is not a
        # fault of the book: build once more, and keep the first log beside the second.
        (OUTPUT / "book-build-first-try.log").write_text(result.log)
        result = build_book(ROOT, OUTPUT / "book")
    (OUTPUT / "book-build.log").write_text(result.log)
    return result


_KERNEL_INFRA_FAILURES = ("DeadKernelError", "Kernel died before replying", "Address already in use")
