"""mltk.handbook.business_value: expected value of a classifier and the break-even threshold."""

from __future__ import annotations

import numpy as np
import pytest

from mltk.handbook.business_value import classifier_value, decision_threshold, flagged_share


def test_hand_computed_expected_value() -> None:
    # 1,000 decisions, 10% positive: 100 positives, 900 negatives.
    # TPR 0.8 -> 80 TP (x 100) + 20 FN (x -30); FPR 0.1 -> 90 FP (x -10) + 810 TN (x 1)
    ev = classifier_value(0.8, 0.1, 0.1, value_tp_usd=100, value_fp_usd=-10,
                          value_fn_usd=-30, value_tn_usd=1, decisions=1_000)
    assert ev == pytest.approx(80 * 100 + 20 * -30 + 90 * -10 + 810 * 1)


def test_per_decision_default_and_extremes() -> None:
    assert classifier_value(1, 0, 0.5, 10, -10) == pytest.approx(5.0)   # perfect
    assert classifier_value(0, 0, 0.5, 10, -10) == 0.0                  # never acts
    assert classifier_value(1, 1, 0.5, 10, -10) == pytest.approx(0.0)   # always acts


def test_broadcasts_over_an_roc_curve() -> None:
    tpr = np.array([0.0, 0.5, 0.9, 1.0])
    fpr = np.array([0.0, 0.01, 0.2, 1.0])
    ev = classifier_value(tpr, fpr, 0.02, 350, -50, decisions=100_000)
    assert ev.shape == (4,)
    assert ev[0] == 0.0
    assert ev[1] == pytest.approx(100_000 * (0.02 * 0.5 * 350 - 0.98 * 0.01 * 50))
    assert int(np.argmax(ev)) == 1


def test_threshold_closed_form() -> None:
    assert decision_threshold(350, -50) == pytest.approx(50 / 400)
    # symmetric stakes: act when more likely than not
    assert decision_threshold(1, -1) == pytest.approx(0.5)
    # with FN and TN values: (1 - (-10)) / ((100 - (-30)) + (1 - (-10)))
    assert decision_threshold(100, -10, -30, 1) == pytest.approx(11 / 141)


def test_threshold_is_the_break_even_point() -> None:
    q = decision_threshold(120, -40, -5, 2)
    act = q * 120 + (1 - q) * -40
    wait = q * -5 + (1 - q) * 2
    assert act == pytest.approx(wait)


@pytest.mark.parametrize("call, name", [
    (lambda: classifier_value(1.2, 0.1, 0.1, 1, -1), "true_positive_rate"),
    (lambda: classifier_value(0.5, -0.1, 0.1, 1, -1), "false_positive_rate"),
    (lambda: classifier_value(0.5, 0.1, 0.0, 1, -1), "prevalence"),
    (lambda: classifier_value(0.5, 0.1, 1.0, 1, -1), "prevalence"),
    (lambda: classifier_value(0.5, 0.1, 0.1, float("inf"), -1), "value_tp_usd"),
    (lambda: classifier_value(0.5, 0.1, 0.1, 1, -1, decisions=-1), "decisions"),
    (lambda: decision_threshold(-5, -1), "value_tp_usd"),
    (lambda: decision_threshold(5, 1), "value_fp_usd"),
    (lambda: decision_threshold([5, -5], -1), "value_tp_usd"),
])
def test_bad_input_names_the_parameter(call, name) -> None:
    with pytest.raises(ValueError, match=name):
        call()


def test_flagged_share_is_the_flag_rate_of_the_confusion_matrix() -> None:
    # 1,000 cases, 20 positives: TPR 0.7 flags 14 of them, FPR 0.05 flags 49 of 980.
    assert flagged_share(0.7, 0.05, 0.02) == pytest.approx((14 + 49) / 1000)
    assert flagged_share(1.0, 1.0, 0.3) == pytest.approx(1.0)
    assert flagged_share(0.0, 0.0, 0.3) == 0.0
    np.testing.assert_allclose(flagged_share(np.array([0.5, 1.0]), np.array([0.1, 0.2]), 0.5),
                               [0.3, 0.6])


@pytest.mark.parametrize("kw, name", [
    ({"true_positive_rate": 1.5}, "true_positive_rate"),
    ({"false_positive_rate": -0.1}, "false_positive_rate"),
    ({"prevalence": 0.0}, "prevalence"),
])
def test_flagged_share_rejects_rates_outside_unit_interval(kw: dict, name: str) -> None:
    args = {"true_positive_rate": 0.5, "false_positive_rate": 0.1, "prevalence": 0.2} | kw
    with pytest.raises(ValueError, match=name):
        flagged_share(**args)
