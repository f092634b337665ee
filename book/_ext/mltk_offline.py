"""Sphinx extension: the published book loads nothing from the network.

* Every page's scripts and stylesheets must be local: a ``<script src>`` or
  ``<link href>`` to another host is a build warning (an error under ``-W``).
* The vendored assets (``tools/fetch_assets.py``) must be present before a build.
* Inline scripts registered after the builder started (sphinx-thebe's
  ``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector) are written twice by
  Sphinx 7.4: ``prepare_writing`` re-adds late registry entries as ``filename=''`` next to
  the builder's own ``filename=None`` copy, and the two compare unequal. A second
  ``const`` declaration is a SyntaxError on every page. Keep one copy of each.
* Pages with saved widget state load MathJax even without math in their prose: the widget
  manager typesets ``$...$`` in widget labels, but only when MathJax is on the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

FETCH_HINT = "run `python3 tools/fetch_assets.py` (or `python3 tasks.py setup`)"


def _asset_key(asset: Any) -> tuple:
    filename = getattr(asset, "filename", asset) or ""
    attrs = getattr(asset, "attributes", {}) or {}
    return (str(filename), getattr(asset, "priority", 500), tuple(sorted(attrs.items())))


def _dedupe(assets: list) -> None:
    seen: set[tuple] = set()
    keep = []
    for asset in assets:
        key = _asset_key(asset)
        if key not in seen:
            seen.add(key)
            keep.append(asset)
    assets[:] = keep


def check_vendored_assets(app: Sphinx) -> None:
    """Warn when a local asset named in the configuration is missing."""
    if app.builder.format != "html":
        return
    wanted = [app.config.mathjax_path, *app.config.nb_ipywidgets_js]
    static_dirs = [Path(app.confdir, p) for p in app.config.html_static_path]
    for rel in wanted:
        if "://" in rel or rel.startswith("/"):
            continue
        if not any((d / rel).is_file() for d in static_dirs):
            logger.warning("mltk_offline: %s is missing from html_static_path: %s", rel, FETCH_HINT)


def local_assets_only(app: Sphinx, pagename: str, templatename: str,
                      context: dict[str, Any], doctree: Any) -> None:
    scripts = context.get("script_files")
    styles = context.get("css_files")
    for assets in (scripts, styles):
        if isinstance(assets, list):
            _dedupe(assets)
    for asset in [*(scripts or []), *(styles or [])]:
        filename = str(getattr(asset, "filename", asset) or "")
        if "://" in filename or filename.startswith("//"):
            logger.warning("mltk_offline: page %s loads %s from the network; serve it from "
                           "_static (see tools/fetch_assets.py)", pagename, filename)


def mathjax_for_widgets(app: Sphinx, pagename: str, templatename: str,
                        context: dict[str, Any], doctree: Any) -> None:
    """Mark widget pages as having equations, so sphinx.ext.mathjax adds MathJax there."""
    try:
        from myst_nb.sphinx_ import NbMetadataCollector
    except ImportError:  # pragma: no cover - myst-nb is how the book is built
        return
    if doctree is None or pagename not in app.env.found_docs:
        return
    if "ipywidgets_state" in NbMetadataCollector.get_js_files(app.env, pagename):
        app.env.get_domain("math").data["has_equations"][pagename] = True


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", check_vendored_assets)
    # Before sphinx.ext.mathjax decides (priority 500) whether this page needs MathJax.
    app.connect("html-page-context", mathjax_for_widgets, priority=400)
    # After every other html-page-context handler (mathjax, myst-nb's widget scripts: 500).
    app.connect("html-page-context", local_assets_only, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
