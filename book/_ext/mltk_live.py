"""Sphinx extension: calculator pages can be made live on the website itself.

On every page with saved widget state (a calculator), this extension

* tags each notebook code cell's container with ``mltk-live-cell-<index>`` (the cell's
  index in the notebook), so the page script finds where each cell's output lives;
* embeds the page's code cells, removed ones included (the glue cell, the imports), as a
  ``<script type="application/json" id="mltk-live-cells">``, with the page's source path
  (the kernel runs in that folder, as the book build did);
* adds ``mltk-live.js``, which shows one control, "Compute live", above the first
  calculator. It loads the vendored Thebe (``tools/fetch_assets.py``) only when clicked.

Where the kernel comes from is read by the page, when the reader clicks, from
``_static/mltk-live.json``. The build writes that file from the settings below;
``python3 tasks.py serve --live`` (``tools/live_server.py``) answers that path itself, with
the address and token of the Jupyter server it started, so a token never enters the
repository or the built site.

Settings (``sphinx: config:`` in ``_config.yml``):

``mltk_live_jupyter_url``
    A team's Jupyter server or JupyterHub user server (``https://hub.example/user/NAME/``).
    The reader is asked for a token (from the hub's token page) when none is handed over.
    That server must have ``mltk`` installed and allow the site's origin
    (``c.ServerApp.allow_origin = "https://<where the book is published>"``).
``mltk_live_binder``
    ``true`` (default): when no Jupyter server is configured, offer Binder, built from
    ``repository.url`` and ``launch_buttons.binderhub_url``. ``false``: never.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from docutils import nodes
from sphinx.application import Sphinx

CELL_CLASS = "mltk-live-cell-{}"


def _has_widgets(app: Sphinx, docname: str) -> bool:
    try:
        from myst_nb.sphinx_ import NbMetadataCollector
    except ImportError:  # pragma: no cover - myst-nb is how the book is built
        return False
    return "ipywidgets_state" in NbMetadataCollector.get_js_files(app.env, docname)


def tag_cells(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Add ``mltk-live-cell-<index>`` to each code cell container of a calculator page."""
    if not _has_widgets(app, docname):
        return
    for node in doctree.findall(nodes.container):
        if node.get("nb_element") == "cell_code" and node.get("cell_index") is not None:
            node["classes"].append(CELL_CLASS.format(node["cell_index"]))


def _code_cells(path: Path) -> list[dict[str, Any]]:
    """Every code cell of a MyST notebook or .ipynb, with its notebook index."""
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(path, as_version=4)
    else:
        from myst_nb.core.read import read_myst_markdown_notebook

        nb = read_myst_markdown_notebook(path.read_text(encoding="utf-8"), path=str(path))
    return [{"id": f"cell-{i}", "index": i, "source": cell.source}
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]


def add_live_script(app: Sphinx, pagename: str, templatename: str,
                    context: dict[str, Any], doctree: Any) -> None:
    if doctree is None or pagename not in app.env.found_docs or not _has_widgets(app, pagename):
        return
    source = Path(app.env.doc2path(pagename))
    payload = {"path": source.relative_to(app.srcdir).as_posix(), "cells": _code_cells(source)}
    body = json.dumps(payload).replace("</", "<\\/")
    app.add_js_file(None, body=body, type="application/json", id="mltk-live-cells")
    app.add_js_file("mltk-live.js", loading_method="defer")


def _binder(app: Sphinx) -> dict[str, str] | None:
    if not app.config.mltk_live_binder:
        return None
    opts = app.config.html_theme_options or {}
    url = opts.get("repository_url") or ""
    hub = (opts.get("launch_buttons") or {}).get("binderhub_url") or ""
    parts = urlsplit(url)
    if not url or not hub or parts.netloc != "github.com":
        return None
    return {"binderUrl": hub.rstrip("/"), "repo": parts.path.strip("/"),
            "ref": opts.get("repository_branch") or "main", "repoProvider": "github"}


def write_live_settings(app: Sphinx, exception: Exception | None) -> None:
    """``_static/mltk-live.json``: where pages find a kernel (no token: see the module doc)."""
    if exception is not None or app.builder.format != "html":
        return
    settings = {"jupyterUrl": app.config.mltk_live_jupyter_url.strip(), "token": "",
                "source": "team" if app.config.mltk_live_jupyter_url.strip() else "",
                "binder": _binder(app)}
    out = Path(app.outdir, "_static", "mltk-live.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("mltk_live_jupyter_url", "", "html")
    app.add_config_value("mltk_live_binder", True, "html")
    app.connect("doctree-resolved", tag_cells)
    app.connect("html-page-context", add_live_script)
    app.connect("build-finished", write_live_settings)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
