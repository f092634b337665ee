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
    assert dict(r.scores) == {"rules": 8, "buy": 2, "adapt": 0, "ml": 0}
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
    assert dict(r.scores) == {"rules": 0, "buy": 2, "adapt": 0, "ml": 8}
    assert r.verdict == "ml"
    assert len(r.reasons) == 6


def test_commodity_task_is_bought() -> None:
    r = recommend(answers(rules_hard_to_write=True, high_volume=True, commodity_task=True,
                          errors_tolerable=True))
    assert dict(r.scores) == {"rules": 3, "buy": 7, "adapt": 0, "ml": 4}
    assert r.verdict == "buy"


def test_ml_without_labels_is_not_yet() -> None:
    r = recommend(answers(rules_hard_to_write=True, pattern_drifts=True, high_volume=True,
                          errors_tolerable=True, can_maintain=True))
    assert dict(r.scores) == {"rules": 1, "buy": 3, "adapt": 0, "ml": 6}
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


ORIGINAL_KEYS = ["data_restricted", "rules_hard_to_write", "pattern_drifts", "high_volume",
                 "labelled_data", "commodity_task", "errors_tolerable",
                 "exact_explanation_required", "can_maintain"]


def test_answers_for_the_original_nine_questions_still_work() -> None:
    old = dict.fromkeys(ORIGINAL_KEYS, False)
    old.update(rules_hard_to_write=True, pattern_drifts=True, high_volume=True,
               labelled_data=True, errors_tolerable=True, can_maintain=True)
    r = recommend(old)
    assert r.verdict == "ml" and dict(r.scores) == {"rules": 0, "buy": 2, "adapt": 0, "ml": 8}


def test_text_task_a_pretrained_model_fits_is_adapted() -> None:
    # support-ticket routing: complex, drifting, labelled, tolerable, owned, a foundation model fits
    yes = dict(rules_hard_to_write=True, pattern_drifts=True, high_volume=True, labelled_data=True,
               errors_tolerable=True, can_maintain=True, pretrained_fits=True)
    r = recommend(answers(**yes))
    # adapt: 2 + 1 + 1 + 1 + 1 + 3 = 9; ml: 2 + 1 + 1 + 2 + 1 + 1 = 8
    assert dict(r.scores) == {"rules": 0, "buy": 2, "adapt": 9, "ml": 8}
    assert r.verdict == "adapt"
    assert any("pre-trained model already does" in x for x in r.reasons)
    # without labels adapting still wins (ml drops to 6, adapt keeps 9), it needs only an eval set
    assert recommend(answers(**(yes | {"labelled_data": False}))).verdict == "adapt"
    # nobody to own it: not yet
    assert recommend(answers(**(yes | {"can_maintain": False}))).verdict == "not-yet"


def test_value_below_cost_is_not_worth_it() -> None:
    fraud = answers(rules_hard_to_write=True, pattern_drifts=True, high_volume=True,
                    labelled_data=True, errors_tolerable=True, can_maintain=True)
    assert recommend(fraud | {"cost_exceeds_value": True}).verdict == "not-worth-it"
    low = recommend(fraud, value_usd_per_year=50_000, cost_usd_per_year=(200_000, 250_000, 300_000))
    assert low.verdict == "not-worth-it"
    overlap = recommend(fraud, value_usd_per_year=(100_000, 300_000, 500_000),
                        cost_usd_per_year=(200_000, 250_000, 300_000))
    assert overlap.verdict == "ml" and "business case" in overlap.reasons[-1]
    clear = recommend(fraud, value_usd_per_year=(400_000, 500_000, 600_000), cost_usd_per_year=250_000)
    assert clear.verdict == "ml" and "exceeds" in clear.reasons[-1]
    # the money gate never turns a rules verdict into anything else
    assert recommend(answers(), value_usd_per_year=1, cost_usd_per_year=10).verdict == "rules"


@pytest.mark.parametrize("kw", [dict(value_usd_per_year=1.0), dict(cost_usd_per_year=1.0),
                                dict(value_usd_per_year=-1.0, cost_usd_per_year=1.0),
                                dict(value_usd_per_year="a lot", cost_usd_per_year=1.0)])
def test_bad_money_arguments_raise(kw: dict) -> None:
    with pytest.raises(InputError):
        recommend(answers(), **kw)
