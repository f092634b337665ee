"""The published site works in a real browser, offline, and holds together.

Every page of the built book (the session's ``built_book``) is served on 127.0.0.1 and
opened in headless Chromium (Debian's ``/usr/bin/chromium`` driven by Python playwright;
``playwright install`` is never needed). One visit per page records what the tests below
assert: requests (none fails, none leaves 127.0.0.1), console and page errors, typeset
math, rendered widgets, links, images, title and description. Screenshots of key pages,
light and dark, go to ``test-output/screenshots/``.

Quick iteration on an existing build: ``MLTK_SITE_HTML=/tmp/me/_build/html pytest
tests/test_browser.py`` uses that folder instead of building the book.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import OUTPUT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = OUTPUT / "screenshots"
MAX_SITE_BYTES = 50 * 1024 * 1024
P40_PAGE = "book/deep-learning/cuda-performance.html"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CONTROLS = ("input, select, textarea, button, .widget-slider, .widget-dropdown, "
            ".widget-toggle-buttons, .widget-checkbox, .widget-text")
# Raw TeX left in visible prose: display delimiters, \( \) \[ \], environments, or a
# $...$ pair holding TeX syntax (a lone currency sign or "$5 to $10" is not math).
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]*[\\^_{}=][^$\n]*\$")


# --------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest) -> Path:
    """The built HTML folder (MLTK_SITE_HTML overrides it for quick iteration)."""
    override = os.environ.get("MLTK_SITE_HTML")
    html = Path(override) if override else request.getfixturevalue("built_book").html
    if not (html / "book" / "intro.html").exists():
        pytest.fail(f"no built site in {html} (see test-output/book-build.log)")
    return html


def site_pages(html: Path) -> list[str]:
    """Every page of the site, as paths relative to the html folder (search separate)."""
    pages = []
    for f in sorted(html.rglob("*.html")):
        rel = f.relative_to(html).as_posix()
        if rel.split("/")[0].startswith("_") or rel in ("genindex.html", "search.html"):
            continue
        pages.append(rel)
    return pages


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # browser hung up early
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The site served by a threaded http.server on an ephemeral 127.0.0.1 port."""
    httpd = _QuietServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium "
                    "(`apt-get install -y chromium`; .ci/run does it when root) to run the "
                    "browser tests. Never `playwright install`.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in requirements.txt
        pytest.skip("the playwright Python package is not installed")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)
        yield chromium
        chromium.close()


def _new_context(browser, server: str, external: list[str], **kw):
    """A browser context that lets only requests to the local server through."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **kw)
    origin = urlsplit(server).netloc

    def route(r) -> None:
        url = r.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == origin:
            r.continue_()
        else:
            external.append(url)
            r.abort()

    context.route("**/*", route)
    return context


# --------------------------------------------------------------------------- one visit


@dataclass
class PageReport:
    page: str
    final_url: str = ""
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    title: str = ""
    description: str = ""
    math_elements: int = 0
    math_untypeset: int = 0
    raw_tex: list[str] = field(default_factory=list)
    widget_views: int = 0
    widget_rendered: int = 0
    widget_controls: int = 0
    live_controls: int = 0
    images_without_alt: list[str] = field(default_factory=list)
    images_broken: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


JS_PROSE = """() => {
  const root = document.querySelector('main') || document.body;
  const clone = root.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, select, mjx-container,'
    + ' .highlight, .cell_input').forEach(e => e.remove());
  return clone.textContent;
}"""

JS_FACTS = """([controls]) => {
  const q = s => Array.from(document.querySelectorAll(s));
  const maths = q('.math');
  const views = q('script[type="application/vnd.jupyter.widget-view+json"]');
  const rendered = views.filter(v => {
    const p = v.previousElementSibling;
    return p && p.classList.contains('widget-subarea') && p.childElementCount > 0;
  });
  return {
    title: document.title,
    description: (document.querySelector('meta[name="description"]') || {}).content || '',
    maths: maths.length,
    untypeset: maths.filter(m => !m.querySelector('mjx-container')).length,
    views: views.length,
    rendered: rendered.length,
    controls: q('.widget-subarea').reduce((n, w) => n + w.querySelectorAll(controls).length, 0),
    noalt: q('img').filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src),
    broken: q('img').filter(i => i.complete && i.naturalWidth === 0
                             && getComputedStyle(i).display !== 'none').map(i => i.src),
    links: q('a[href]').map(a => a.href),
    live: q('.mltk-live-button').length,
  };
}"""


def _wait_for_math_and_widgets(page) -> None:
    page.evaluate("""() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
                     ? MathJax.startup.promise.then(() => true) : true""")
    if page.locator(f'script[type="{WIDGET_VIEW}"]').count():
        page.wait_for_function(
            f"""() => Array.from(document.querySelectorAll('script[type="{WIDGET_VIEW}"]'))
                 .every(v => v.previousElementSibling
                        && v.previousElementSibling.classList.contains('widget-subarea')
                        && v.previousElementSibling.childElementCount > 0)""",
            timeout=20_000)
        # Labels typeset by MathJax through the MathJax 2 shim, fonts, etc.
        page.evaluate("""() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
                         ? MathJax.startup.promise.then(() => true) : true""")
    page.wait_for_load_state("networkidle")


REFRESH = re.compile(r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["'][^"']*url=([^"']+)["']""",
                     re.IGNORECASE)


def redirect_target(html_file: Path) -> str | None:
    """The URL a meta-refresh stub (the site's root ``index.html``) sends the reader to."""
    match = REFRESH.search(html_file.read_text(encoding="utf-8", errors="replace"))
    return match.group(1).strip() if match else None


def _settle(page, attempts: int = 3) -> None:
    """Wait for math and widgets; if a late navigation replaces the document, start again.

    A navigation while ``page.evaluate`` runs destroys its execution context. That is a
    property of timing, not of the site, so the wait is repeated on the new document.
    """
    for attempt in range(attempts):
        try:
            _wait_for_math_and_widgets(page)
            return
        except Exception as exc:  # playwright.Error, imported lazily
            if "Execution context was destroyed" not in str(exc) or attempt == attempts - 1:
                raise
            page.wait_for_load_state("load")


def visit(context, server: str, rel: str, external: list[str],
          site: Path | None = None) -> tuple[PageReport, object]:
    report = PageReport(rel)
    page = context.new_page()
    page.on("console", lambda m: report.console_errors.append(f"{m.text} @ {m.location}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: report.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: None if r.url in external else
            report.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: report.failed.append(f"{r.url} (HTTP {r.status})")
            if r.status >= 400 else None)
    before = len(external)
    url = urljoin(server, rel)
    target = redirect_target(site / rel) if site is not None else None
    if target:  # the root redirect stub: follow it to the page it names, then inspect that
        page.goto(url, wait_until="commit")
        page.wait_for_url(urljoin(url, target), wait_until="load")
    else:
        page.goto(url, wait_until="load")
    _settle(page)
    facts = page.evaluate(JS_FACTS, [CONTROLS])
    report.final_url = page.url
    report.title = facts["title"].strip()
    report.description = facts["description"].strip()
    report.math_elements = facts["maths"]
    report.math_untypeset = facts["untypeset"]
    report.widget_views = facts["views"]
    report.widget_rendered = facts["rendered"]
    report.widget_controls = facts["controls"]
    report.live_controls = facts["live"]
    report.images_without_alt = facts["noalt"]
    report.images_broken = facts["broken"]
    report.links = facts["links"]
    report.raw_tex = [m.group(0) for m in RAW_TEX.finditer(page.evaluate(JS_PROSE))][:5]
    report.external = external[before:]
    return report, page


@pytest.fixture(scope="module")
def reports(browser, server: str, site: Path) -> dict[str, PageReport]:
    """Open every page once (one browser, one context) and record what happened."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    external: list[str] = []
    context = _new_context(browser, server, external)
    out: dict[str, PageReport] = {}
    widget_shot = False
    try:
        for rel in site_pages(site):
            report, page = visit(context, server, rel, external, site)
            out[rel] = report
            if rel == "index.html":
                page.screenshot(path=SCREENSHOTS / "index.png", full_page=True)
            elif rel == P40_PAGE:
                page.screenshot(path=SCREENSHOTS / "p40-cuda-performance.png", full_page=True)
            elif report.widget_views and not widget_shot:
                widget_shot = True
                page.screenshot(path=SCREENSHOTS / f"widgets-{Path(rel).stem}.png",
                                full_page=True)
                page.locator(".widget-subarea").first.screenshot(
                    path=SCREENSHOTS / f"widgets-{Path(rel).stem}-calculator.png")
            page.close()
    finally:
        context.close()
    return out


def _problems(reports: dict[str, PageReport], attr: str) -> dict[str, list]:
    return {p: getattr(r, attr) for p, r in reports.items() if getattr(r, attr)}


# --------------------------------------------------------------------------- the tests


def test_every_page_was_visited(reports: dict[str, PageReport], site: Path) -> None:
    assert len(reports) == len(site_pages(site)) > 20
    assert "book/intro.html" in reports and P40_PAGE in reports
    assert reports["index.html"].final_url.endswith("/book/intro.html"), "root redirect"


def test_no_request_leaves_the_machine(reports: dict[str, PageReport]) -> None:
    """No CDN, font service or analytics: everything is served by the site itself."""
    assert _problems(reports, "external") == {}


def test_every_request_succeeds(reports: dict[str, PageReport]) -> None:
    assert _problems(reports, "failed") == {}


def test_no_console_or_page_errors(reports: dict[str, PageReport]) -> None:
    assert _problems(reports, "page_errors") == {}
    assert _problems(reports, "console_errors") == {}


def test_math_is_typeset(reports: dict[str, PageReport]) -> None:
    assert _problems(reports, "raw_tex") == {}
    assert {p: r.math_untypeset for p, r in reports.items() if r.math_untypeset} == {}
    assert reports[P40_PAGE].math_elements > 0, "the P40 page shows R = 2NC as math"


def test_widgets_render_as_controls(reports: dict[str, PageReport], site: Path) -> None:
    with_state = {p for p in reports if WIDGET_VIEW in (site / p).read_text()}
    seen = {p for p, r in reports.items() if r.widget_views}
    assert seen == with_state
    bad = {p: f"{r.widget_rendered}/{r.widget_views} views rendered, "
              f"{r.widget_controls} controls"
           for p, r in reports.items()
           if r.widget_views and (r.widget_rendered < r.widget_views or not r.widget_controls)}
    assert bad == {}
    if not with_state:
        pytest.skip("no page of the book holds widget state yet")


def test_calculator_pages_offer_compute_live(reports: dict[str, PageReport]) -> None:
    """One "Compute live" control on each page with calculators, none elsewhere."""
    bad = {p: r.live_controls for p, r in reports.items()
           if r.live_controls != (1 if r.widget_views else 0)}
    assert bad == {}


def test_internal_links_and_anchors_resolve(reports: dict[str, PageReport], server: str,
                                            site: Path) -> None:
    ids: dict[Path, set[str]] = {}

    def anchors(path: Path) -> set[str]:
        if path not in ids:
            text = path.read_text(errors="replace")
            ids[path] = set(re.findall(r"""\s(?:id|name)=["']([^"']+)["']""", text))
        return ids[path]

    broken: dict[str, list[str]] = {}
    for page, report in reports.items():
        for href in report.links:
            parts = urlsplit(href)
            if not href.startswith(server) or parts.scheme not in ("http", "https"):
                continue
            target = site / unquote(parts.path[len(urlsplit(server).path):])
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.setdefault(page, []).append(href)
            elif parts.fragment and target.suffix == ".html" \
                    and unquote(parts.fragment) not in anchors(target):
                broken.setdefault(page, []).append(href)
    assert broken == {}


def test_images_have_alt_text_and_load(reports: dict[str, PageReport]) -> None:
    # A blob: image is an ipywidgets Image, which has no alt trait (and setting its tooltip
    # breaks its static rendering in ipywidgets 8.1): show plots in an HTML widget as
    # <img alt="..." src="data:image/png;base64,...">, or as a figure with mystnb image alt.
    assert _problems(reports, "images_without_alt") == {}
    assert _problems(reports, "images_broken") == {}


def test_pages_have_title_and_description(reports: dict[str, PageReport]) -> None:
    bad = {p: (r.title, r.description) for p, r in reports.items()
           if not r.title or "<no title>" in r.title or len(r.description) < 20}
    assert bad == {}


def test_favicon_and_logo(browser, server: str, site: Path) -> None:
    external: list[str] = []
    context = _new_context(browser, server, external)
    try:
        page = context.new_page()
        page.goto(urljoin(server, "book/intro.html"), wait_until="load")
        icon = page.get_attribute('link[rel="icon"]', "href")
        assert icon and page.request.get(urljoin(page.url, icon)).ok, icon
        logo = page.locator("img.logo__image:visible").first
        assert logo.evaluate("i => i.complete && i.naturalWidth > 0"), "the logo shows"
        assert (logo.get_attribute("alt") or "").strip()
    finally:
        context.close()
    assert external == []


def _contrast(page) -> float:
    """WCAG contrast ratio of the first paragraph's text against the page background."""
    return page.evaluate("""() => {
      const rgb = s => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
      const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
          return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const p = document.querySelector('main p') || document.body;
      let bg = null;
      for (let e = p; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        if (c && !/rgba\\(.*,\\s*0\\)$/.test(c) && c !== 'transparent') { bg = c; break; }
      }
      const a = lum(rgb(getComputedStyle(p).color)), b = lum(rgb(bg || 'rgb(255,255,255)'));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""")


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_light_and_dark_themes_are_readable(browser, server: str, mode: str) -> None:
    external: list[str] = []
    context = _new_context(browser, server, external, color_scheme=mode)
    try:
        page = context.new_page()
        page.goto(urljoin(server, "book/intro.html"), wait_until="load")
        _wait_for_math_and_widgets(page)
        assert page.evaluate("document.documentElement.dataset.theme") == mode
        ratio = _contrast(page)
        assert ratio >= 4.5, f"{mode}: text contrast {ratio:.1f} < 4.5"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"index-{mode}.png", full_page=True)
    finally:
        context.close()
    assert external == []


def test_search_finds_flop(browser, server: str) -> None:
    external: list[str] = []
    context = _new_context(browser, server, external)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(urljoin(server, "search.html?q=FLOP"), wait_until="load")
        page.wait_for_selector("#search-results ul.search li", timeout=20_000)
        hits = page.locator("#search-results ul.search li").count()
        assert hits > 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "search-flop.png")
    finally:
        context.close()
    assert errors == [] and external == []


def test_site_is_small(site: Path) -> None:
    """The published site stays under 50 MB (vendored MathJax and widget manager included)."""
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    (OUTPUT / "site-size.txt").write_text(f"{size} bytes ({size / 2**20:.1f} MiB) in {site}\n")
    assert size < MAX_SITE_BYTES, f"{size / 2**20:.1f} MiB"


def test_vendored_licences_ship_with_the_site(site: Path) -> None:
    vendor = site / "_static" / "vendor"  # shared with the theme's own vendor/fontawesome
    for pkg in ("html-manager", "mathjax", "requirejs", "thebe"):
        assert (vendor / pkg / "LICENSE").stat().st_size > 500, pkg
