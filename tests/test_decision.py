"""mltk.handbook.decision: the when-to-use-ML questionnaire, its scores, gates and validation."""

from __future__ import annotations

import pytest

from mltk.foundation.errors import InputError
from mltk.handbook.decision import OPTIONS, QUESTIONS, VERDICTS, questions, recommend

KEYS = [q.key for q in QUESTIONS]


def answers(**yes: bool) -> dict[str, bool]:
    out = dict.fromkeys(KEYS, False)
    out.update(yes)
    return out


def test_questions_are_data() -> None:
    assert questions() is QUESTIONS
    assert len(set(KEYS)) == len(KEYS)
    for q in QUESTIONS:
        assert q.text.endswith("?")
        assert set(q.yes) <= set(OPTIONS) and set(q.no) <= set(OPTIONS)
        assert q.yes_reason and q.no_reason


def test_all_no_means_rules_with_hand_computed_scores() -> None:
    r = recommend(answers())
    # rules: 2 (rules easy) + 1 (stable) + 1 (low volume) + 1 (no labels) + 2 (errors not
    # tolerable) + 1 (no owner) = 8; buy: 1 (no labels) + 1 (no owner) = 2; ml: 0
    assert dict(r.scores) == {"rules": 8, "buy": 2, "ml": 0}
    assert r.verdict == "rules"
    assert r.headline == VERDICTS["rules"]
    assert "An expert can write the logic down" in r.reasons[0]


def test_restricted_data_stops_everything() -> None:
    r = recommend(dict.fromkeys(KEYS, True))
    assert r.verdict == "stop"
    assert dict(r.scores) == dict.fromkeys(OPTIONS, 0)
    assert len(r.reasons) == 1


def test_fraud_example_is_ml() -> None:
    r = recommend(answers(rules_hard_to_write=True, pattern_drifts=True, high_volume=True,
                          labelled_data=True, errors_tolerable=True, can_maintain=True))
    assert dict(r.scores) == {"rules": 0, "buy": 2, "ml": 8}
    assert r.verdict == "ml"
    assert len(r.reasons) == 6


def test_commodity_task_is_bought() -> None:
    r = recommend(answers(rules_hard_to_write=True, high_volume=True, commodity_task=True,
                          errors_tolerable=True))
    assert dict(r.scores) == {"rules": 3, "buy": 7, "ml": 4}
    assert r.verdict == "buy"


def test_ml_without_labels_is_not_yet() -> None:
    r = recommend(answers(rules_hard_to_write=True, pattern_drifts=True, high_volume=True,
                          errors_tolerable=True, can_maintain=True))
    assert dict(r.scores) == {"rules": 1, "buy": 3, "ml": 6}
    assert r.verdict == "not-yet"
    assert any("no labelled data" in reason for reason in r.reasons)


def test_ties_go_to_the_simpler_option() -> None:
    # rules 2+1+1+1 = 5 ... build a tie between rules and ml explicitly
    r = recommend(answers(rules_hard_to_write=True, high_volume=True, labelled_data=True,
                          can_maintain=True, errors_tolerable=False))
    # ml: 2 + 1 + 2 + 1 = 6; rules: 1 (stable) + 2 (errors) = 3; buy: 1
    assert r.verdict == "ml"
    tie = recommend(answers(rules_hard_to_write=True, labelled_data=True))
    # ml: 2 + 2 = 4; rules: 1 + 1 + 2 + 1 = 5 -> rules
    assert dict(tie.scores)["rules"] == 5 and tie.verdict == "rules"


def test_str_lists_reasons() -> None:
    text = str(recommend(answers()))
    assert text.startswith(VERDICTS["rules"] + ".")
    assert "\n- " in text


@pytest.mark.parametrize("bad, name", [
    ({**answers(), "colour": True}, "answers"),
    ({k: False for k in KEYS[1:]}, "answers"),
    ({**answers(), "high_volume": "yes"}, "high_volume"),
    ({**answers(), "high_volume": 1}, "high_volume"),
    ([("high_volume", True)], "answers"),
])
def test_bad_answers_name_the_parameter(bad, name) -> None:
    with pytest.raises(InputError, match=name):
        recommend(bad)
    with pytest.raises(ValueError):
        recommend(bad)
