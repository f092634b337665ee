"""Sphinx extension: a ``<meta name="description">`` on every page.

Where a page's front matter sets one (MyST ``html_meta: {description: ...}``, or a plain
``description:`` key), that wins; otherwise the description is the page's first paragraph
of prose (not a cell output, admonition, caption or table), shortened to about 160
characters on a word boundary. Pages without a document (search, index) get
``mltk_default_description``.
"""

from __future__ import annotations

import html
import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

MAX_CHARS = 160
MIN_CHARS = 40
# Paragraphs inside these are not the page's own opening prose.
SKIP_NODES = (nodes.Admonition, nodes.sidebar, nodes.topic, nodes.caption, nodes.legend,
              nodes.block_quote, nodes.footnote, nodes.citation, nodes.table,
              nodes.field_list, nodes.title)
SKIP_CLASSES = {"cell_output", "output", "toctree-wrapper", "margin"}


def _skipped(par: nodes.Node) -> bool:
    node = par.parent
    while node is not None:
        if isinstance(node, SKIP_NODES):
            return True
        if isinstance(node, nodes.Element) and SKIP_CLASSES & set(node.get("classes", [])):
            return True
        node = node.parent
    return False


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def first_paragraph(doctree: nodes.Node) -> str:
    fallback = ""
    for par in doctree.findall(nodes.paragraph):
        if _skipped(par):
            continue
        text = re.sub(r"\s+", " ", par.astext()).strip()
        if len(text) >= MIN_CHARS:
            return text
        fallback = fallback or text
    return fallback


def add_description(app: Sphinx, pagename: str, templatename: str,
                    context: dict[str, Any], doctree: nodes.Node | None) -> None:
    metatags = context.get("metatags", "") or ""
    if re.search(r"""name=["']description["']""", metatags):
        return
    meta = app.env.metadata.get(pagename, {}) if doctree is not None else {}
    text = str(meta.get("description", "")).strip()
    if not text and doctree is not None:
        text = first_paragraph(doctree)
    if not text:
        text = app.config.mltk_default_description or context.get("docstitle", "")
    if text:
        content = html.escape(shorten(text), quote=True)
        context["metatags"] = metatags + f'\n<meta name="description" content="{content}" />'


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("mltk_default_description", "", "html", types=[str])
    app.connect("html-page-context", add_description)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
