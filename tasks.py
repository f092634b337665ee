#!/usr/bin/env python3
"""The project's two commands, runnable on a fresh clone with only Python 3.11+:

    python3 tasks.py book    set everything up, build the book into _build/html
    python3 tasks.py test    set everything up, run the whole test suite (book build included)
    python3 tasks.py test --fast    the same without the book build and the browser tests

Extras: ``python3 tasks.py serve`` (serve _build/html on http://127.0.0.1:8000; ``--live``
adds a local Jupyter server so calculator pages compute live; ``--port P``),
``python3 tasks.py lab`` (JupyterLab with the chapters openable as notebooks),
``python3 tasks.py setup`` (only create/refresh the virtual environment).
Both main commands create or refresh ``.venv`` themselves: nothing is installed by hand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".mltk-setup-stamp"
BUILD = ROOT / "_build"
#: The digest of mltk/ that the last book build executed against (see ``book``).
SOURCE_STAMP = BUILD / ".mltk-source-digest"


def _run(*cmd: str | Path, **kw) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
            if f.is_file() and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(ROOT)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()


def setup() -> None:
    """Create or refresh .venv; reinstall only when requirements or packaging changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py may run on an older python3
        sys.exit(f"mltk needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PY.exists():
        _run(sys.executable, "-m", "venv", VENV)
    want = _digest([ROOT / "requirements.txt", ROOT / "pyproject.toml"])
    if not STAMP.exists() or STAMP.read_text() != want:
        _run(PY, "-m", "pip", "install", "--upgrade", "pip")
        _run(PY, "-m", "pip", "install", "-r", "requirements.txt", "-e", ".")
        # jupyter-events pulls in rfc3987-syntax, which builds a parser grammar at import
        # (2-8 s); nbformat imports it through jsonschema in every notebook kernel that calls
        # myst_nb.glue. Without it jsonschema simply skips the IRI format check.
        _run(PY, "-m", "pip", "uninstall", "-y", "-q", "rfc3987-syntax")
        STAMP.write_text(want)
    assets = ROOT / "tools" / "fetch_assets.py"
    if assets.exists():  # self-hosted MathJax, require.js, widget manager (no CDN at page load)
        _run(PY, assets)


def book(clean: bool = False) -> Path:
    """Build the HTML book with warnings as errors; outputs go to _build/html."""
    setup()
    # execute_notebooks: cache does not notice changes inside mltk/: drop the cache when
    # the package or its data changed since the last build, so no output goes stale.
    want = _digest([ROOT / "mltk"])
    if clean or not SOURCE_STAMP.exists() or SOURCE_STAMP.read_text() != want:
        shutil.rmtree(BUILD, ignore_errors=True)
    t0 = time.perf_counter()
    _run(BIN / "jupyter-book", "build", ".", "-W", "-n", "--keep-going")
    BUILD.mkdir(exist_ok=True)
    SOURCE_STAMP.write_text(want)
    html = BUILD / "html" / "index.html"
    print(f"\nBuilt in {time.perf_counter() - t0:.0f} s: {html}")
    print("Serve it with:  python3 tasks.py serve   (then open http://127.0.0.1:8000)")
    return html


#: pytest's marker expression for ``test --fast``: everything but the book build and the browser.
FAST = "not book and not browser"


def test(extra: list[str]) -> None:
    """Run the whole test suite: unit, doctest, property, lint, book build (once), browser.

    ``--fast`` leaves out the tests marked ``book`` (they build the whole book) and
    ``browser`` (they drive Chromium over the built book): about 15 s instead of minutes.
    """
    setup()
    if "--fast" in extra:
        extra = [a for a in extra if a != "--fast"] + ["-m", FAST]
    _run(PY, "-m", "pytest", *extra)


def serve(args: list[str]) -> None:
    """Serve _build/html on 127.0.0.1 (``--port P``, default 8000).

    ``--live``: also start a Jupyter server (127.0.0.1, token, this site's origin only,
    terminals off) so calculator pages compute live (tools/live_server.py).
    """
    port = args[args.index("--port") + 1] if "--port" in args[:-1] else "8000"
    if not (BUILD / "html" / "index.html").exists():
        book()
    if SOURCE_STAMP.exists() and SOURCE_STAMP.read_text() != _digest([ROOT / "mltk"]):
        print("Note: mltk/ changed since the book was built; the pages show the old numbers, and "
              "live pages may fail to run. Rebuild with: python3 tasks.py book", flush=True)
    try:
        if "--live" in args:
            setup()
            _run(PY, ROOT / "tools" / "live_server.py", "--port", port, "--site", BUILD / "html")
        else:
            _run(PY, "-m", "http.server", port, "--bind", "127.0.0.1", "--directory",
                 BUILD / "html")
    except KeyboardInterrupt:  # Ctrl+C stops the servers (they get it too): no traceback
        print("\nStopped.")


def lab_options() -> tuple[list[str], dict[str, str]]:
    """JupyterLab's arguments and environment for the chapters (``lab`` and its test use them).

    Chapters open as notebooks (jupytext, see .jupyter/labconfig); MyST (notes, labels,
    math, citations) renders through jupyterlab-myst. .jupyter is also the configuration
    folder, so JupyterLab serves .jupyter/custom/custom.css, where glue roles, which only the
    book build can fill, read as placeholders ("value: est_flops"); JupyterLab keeps this
    session's settings and workspaces in .jupyter/lab (git-ignored). In a container the user
    is root, and JupyterLab refuses to start as root without --allow-root: pass it then only.
    """
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(ROOT / ".jupyter"),
               JUPYTER_CONFIG_DIR=str(ROOT / ".jupyter"))
    args = ["--LabApp.custom_css=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    return args, env


def lab() -> None:
    """JupyterLab with the chapters openable as notebooks, MyST rendered (see lab_options)."""
    setup()
    args, env = lab_options()
    if "--allow-root" in args:
        print("Running as root (as in a container): starting JupyterLab with --allow-root.",
              flush=True)
    _run(BIN / "jupyter", "lab", "book/intro.md", *args, env=env)


def main(argv: list[str]) -> None:
    cmd, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if cmd == "book":
        book(clean="--clean" in rest)
    elif cmd == "test":
        test(rest)
    elif cmd == "setup":
        setup()
    elif cmd == "serve":
        serve(rest)
    elif cmd == "lab":
        lab()
    else:
        print(__doc__)
        sys.exit(0 if cmd in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except subprocess.CalledProcessError as err:
        sys.exit(err.returncode)
