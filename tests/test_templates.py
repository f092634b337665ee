"""Templates a team copies: every linked one exists and has the sections its source asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_download_link_in_the_book_points_at_a_file() -> None:
    links = 0
    for page in (ROOT / "book").rglob("*.md"):
        for target in re.findall(r"\{download\}`[^`<]*<([^>]+)>`", page.read_text()):
            links += 1
            assert (page.parent / target).resolve().is_file(), f"{page}: {target}"
    assert links >= 7


@pytest.mark.parametrize("name,sections", [
    # Mitchell et al. (2019), the nine sections of a model card
    ("model-card.md", ["Model details", "Intended use", "Factors", "Metrics", "Evaluation data",
                       "Training data", "Quantitative analyses", "Ethical considerations",
                       "Caveats and recommendations"]),
    # Gebru et al. (2021), the seven stages of a dataset's life
    ("datasheet.md", ["Motivation", "Composition", "Collection process", "Preprocessing",
                      "Uses", "Distribution", "Maintenance"]),
    ("eu-ai-act-risk-classification.md", ["Prohibited practices (Article 5)", "High-risk (Article 6)",
                                          "Transparency obligations (Article 50)"]),
    ("monitoring-plan.md", ["System health", "Data and predictions", "Outcomes", "Retraining"]),
    ("runbook.md", ["First five minutes", "Fallback", "Roll back", "Escalation"]),
])
def test_template_sections(name: str, sections: list[str]) -> None:
    text = (ROOT / "templates" / name).read_text()
    headings = re.findall(r"^## \d+\. (.+)$", text, re.M)
    for s in sections:
        assert any(h.startswith(s) for h in headings), (name, s, headings)


def test_ai_act_template_lists_employment_as_high_risk() -> None:
    text = (ROOT / "templates" / "eu-ai-act-risk-classification.md").read_text()
    assert re.search(r"\| 4\(a\) \| Employment: recruitment or selection", text)
    assert "2024/1689" in text
