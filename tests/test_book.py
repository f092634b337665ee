"""The book is a test: it must build from a clean state with zero warnings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, BookBuild

pytestmark = pytest.mark.book


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries:
            files.append(e["file"])
            walk(e.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return files


def test_book_builds_without_warnings(built_book: BookBuild) -> None:
    reports = built_book.html / "reports"
    tracebacks = "\n".join(p.read_text() for p in reports.glob("**/*.log")) if reports.exists() else ""
    assert built_book.returncode == 0, built_book.log[-6000:] + tracebacks[-4000:]
    # Sphinx's own messages ("WARNING: ..." or "file:line: WARNING: ..."); notebook kernels
    # also write to the build's stderr ("[IPKernelApp] WARNING | ...", "ERROR:tornado...",
    # zmq noise at kernel shutdown), which is not a problem with the book.
    warnings = [ln for ln in built_book.log.splitlines()
                if re.search(r"(^|: )(WARNING|ERROR|CRITICAL): ", re.sub(r"\x1b\[[0-9;]*m", "", ln))]
    assert warnings == []


def test_every_toc_page_is_built(built_book: BookBuild) -> None:
    for f in _toc_files():
        assert (built_book.html / f"{f}.html").exists(), f


SEED_TITLES = [
    "Introduction", "Solution Design", "Requirements Gathering", "Sourcing Data",
    "Ethical Considerations", "When to Use Machine Learning", "Machine Learning",
    "Supervised Learning", "Unsupervised Learning", "Deep Learning", "Neural Networks",
    "Hardware Acceleration", "CUDA", "XLA", "Neuron", "Heuristics",
    "Estimating CUDA Performance", "Estimating Training Compute", "Estimating Training Time",
    "Estimating TCO", "Solution Deployment", "Model Lifecycle", "Hardware and Compute",
    "Software and Tooling", "Continuous Training", "Monitoring Drift", "References",
]


def test_toc_follows_the_seed() -> None:
    """Every section of Hooda (2023) is a page, in its order (extra pages may sit between)."""
    titles = []
    for f in _toc_files():
        text = (ROOT / f"{f}.md").read_text()
        titles.append(re.search(r"^# (.+)$", text, re.M).group(1).strip())
    it = iter(titles)
    missing = [t for t in SEED_TITLES if t not in it]
    assert missing == [], f"out of order or missing: {missing}; toc titles: {titles}"


def _glued_after(html: str, prefix: str) -> list[str]:
    """The texts glue pasted into the built page right after ``prefix`` (one per occurrence)."""
    return re.findall(re.escape(prefix) + r'\s*<span class="pasted-text">([^<]*)</span>', html)


def test_p40_example_is_computed_and_glued(built_book: BookBuild) -> None:
    """The worked example's R = 2NC is mltk's value, pasted by glue, never typed in the page."""
    import mltk

    peak = mltk.peak_flops(3840, 1.531e9)
    source = (ROOT / "book/deep-learning/cuda-performance.md").read_text()
    assert f"{peak:.3e}" not in source and "{glue:text}`p40_peak`" in source
    html = (built_book.html / "book/deep-learning/cuda-performance.html").read_text()
    r_p40 = r'<span class="math notranslate nohighlight">\(R_{P40} =\)</span>'
    assert _glued_after(html, r_p40) == [f"{peak:.3e}"]
    assert float(_glued_after(html, r_p40)[0]) == pytest.approx(11758080000000.0, rel=5e-4)
    assert _glued_after(html, "FLOP/s, or") == [mltk.format_si(peak, "FLOP/s")]


def test_every_page_has_a_checklist() -> None:
    for f in _toc_files():
        if f.endswith("references"):
            continue
        text = (ROOT / f"{f}.md").read_text()
        if f.endswith("/index") or "note}\nThis section is being written" in text:
            continue
        assert re.search(r"^\(\S+-checklist\)=", text, re.M), f"{f} has no checklist section"


def _children() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parents: set[str] = set()

    def walk(entries):
        for e in entries:
            if e.get("sections"):
                parents.add(e["file"])
            walk(e.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return parents


def test_parent_pages_have_no_numbered_sections() -> None:
    """A `##` section on a page with child pages would shift the children's numbers."""
    for f in _children():
        text = (ROOT / f"{f}.md").read_text()
        assert not re.search(r"^##+ ", text, re.M), f"{f}: use rubrics (tools/rubricise.py)"


def test_section_numbers_follow_the_seed(built_book: BookBuild) -> None:
    """Built pages carry the section numbers of Hooda (2023), e.g. 3.3.1 for Estimating CUDA Performance."""
    expect = {
        "book/solution-design/requirements": "1.1", "book/solution-design/when-to-use-ml": "1.4",
        "book/machine-learning/unsupervised": "2.2", "book/deep-learning/neural-networks": "3.1",
        "book/deep-learning/cuda": "3.2.1", "book/deep-learning/neuron": "3.2.3",
        "book/deep-learning/cuda-performance": "3.3.1", "book/deep-learning/tco": "3.3.4",
        "book/deployment/lifecycle": "4.1", "book/deployment/drift": "4.5",
    }
    index = (built_book.html / "book/intro.html").read_text()
    for page, number in expect.items():
        title = re.search(r"^# (.+)$", (ROOT / f"{page}.md").read_text(), re.M).group(1).strip()
        assert f"{number}. {title}</a>" in index, (page, number, title)


def test_no_tasklist_syntax_in_pages() -> None:
    """`- [ ]` crashes myst-nb's reader on notebook pages (see CONTRIBUTING.md)."""
    for md in Path(ROOT, "book").rglob("*.md"):
        assert "\n- [ ]" not in md.read_text(), md


def test_bibliographies_parse_and_no_key_is_defined_twice() -> None:
    """sphinxcontrib-bibtex fails the -W build on a repeated key or a syntax error; catch both fast."""
    from pybtex.database import parse_file

    seen: dict[str, Path] = {}
    for bib in sorted(Path(ROOT, "book").rglob("*.bib")):
        parse_file(str(bib))  # a syntax error (e.g. a lost brace after a merge) raises here
        for key in re.findall(r"^@\w+\{([^,\s]+),", bib.read_text(), re.M):
            assert key not in seen, f"{key} is in both {seen[key]} and {bib}"
            seen[key] = bib
