"""mltk.handbook.fairness: group rates and gaps, checked against hand-computed confusion matrices."""

from __future__ import annotations

import numpy as np
import pytest

from mltk.foundation.errors import InputError
from mltk.handbook.fairness import (
    demographic_parity_difference,
    disparate_impact_ratio,
    equal_opportunity_difference,
    gap_interval,
    group_rates,
)

# Group "a": 10 people, 6 qualified; the model accepts 5 of the 6 and 1 of the 4 others.
# Group "b": 10 people, 4 qualified; the model accepts 2 of the 4 and 0 of the 6 others.
Y_TRUE = [1] * 6 + [0] * 4 + [1] * 4 + [0] * 6
Y_PRED = [1] * 5 + [0] + [1] + [0] * 3 + [1] * 2 + [0] * 2 + [0] * 6
GROUP = ["a"] * 10 + ["b"] * 10


def test_group_rates_hand_computed() -> None:
    r = group_rates(Y_TRUE, Y_PRED, GROUP)
    assert r.groups == ("a", "b")
    np.testing.assert_array_equal(r.count, [10, 10])
    np.testing.assert_allclose(r.base_rate, [0.6, 0.4])
    np.testing.assert_allclose(r.selection_rate, [0.6, 0.2])
    np.testing.assert_allclose(r.true_positive_rate, [5 / 6, 0.5])
    np.testing.assert_allclose(r.false_positive_rate, [0.25, 0.0])


def test_gaps_hand_computed() -> None:
    assert demographic_parity_difference(Y_PRED, GROUP) == pytest.approx(0.4)
    assert disparate_impact_ratio(Y_PRED, GROUP) == pytest.approx(0.2 / 0.6)
    assert equal_opportunity_difference(Y_TRUE, Y_PRED, GROUP) == pytest.approx(5 / 6 - 0.5)


def test_perfect_parity_is_zero() -> None:
    y = [1, 0, 1, 0]
    g = [0, 0, 1, 1]
    assert demographic_parity_difference(y, g) == 0.0
    assert equal_opportunity_difference(y, y, g) == 0.0
    assert disparate_impact_ratio(y, g) == 1.0


def test_booleans_numbers_and_three_groups() -> None:
    y_true = np.array([True, True, False, True, False, False])
    y_pred = np.array([True, False, False, True, True, False])
    g = np.array([1, 1, 2, 2, 3, 3])
    r = group_rates(y_true, y_pred, g)
    assert r.groups == (1, 2, 3)
    np.testing.assert_allclose(r.selection_rate, [0.5, 0.5, 0.5])
    assert np.isnan(r.true_positive_rate[2])  # group 3 has no positives
    assert np.isnan(r.false_positive_rate[0])  # group 1 has no negatives
    with pytest.raises(InputError, match="y_true"):
        equal_opportunity_difference(y_true, y_pred, g)


def test_metrics_do_not_depend_on_order() -> None:
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(GROUP))
    yt, yp, g = (np.asarray(x)[perm] for x in (Y_TRUE, Y_PRED, GROUP))
    assert demographic_parity_difference(yp, g) == pytest.approx(0.4)
    assert equal_opportunity_difference(yt, yp, g) == pytest.approx(1 / 3)


def test_rows_and_html() -> None:
    r = group_rates(Y_TRUE, Y_PRED, GROUP)
    rows = r.rows()
    assert rows[1] == {"group": "b", "count": 10, "base_rate": 0.4, "selection_rate": 0.2,
                       "true_positive_rate": 0.5, "false_positive_rate": 0.0}
    html = r._repr_html_()
    assert html.startswith("<table") and "<td>b</td>" in html and "0.833" in html


@pytest.mark.parametrize("call, name", [
    (lambda: group_rates([1, 0, 2], [1, 0, 1], ["a", "b", "a"]), "y_true"),
    (lambda: group_rates([1, 0, 1], [1, 0, 0.5], ["a", "b", "a"]), "y_pred"),
    (lambda: group_rates([1, 0, 1], [1, 0], ["a", "b", "a"]), "y_pred"),
    (lambda: group_rates([1, 0, 1], [1, 0, 1], ["a", "b"]), "group"),
    (lambda: group_rates([1, 0, 1], [1, 0, 1], ["a", "a", "a"]), "group"),
    (lambda: demographic_parity_difference([], []), "y_pred"),
    (lambda: demographic_parity_difference(1, ["a"]), "y_pred"),
    (lambda: demographic_parity_difference(["yes", "no"], ["a", "b"]), "y_pred"),
    (lambda: disparate_impact_ratio([0, 0, 0, 0], ["a", "a", "b", "b"]), "y_pred"),
])
def test_bad_input_names_the_parameter(call, name) -> None:
    with pytest.raises(ValueError, match=name):
        call()


# --------------------------------------------------------------------------- fairlearn and intervals

def test_rates_agree_with_fairlearn_where_defined() -> None:
    from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

    rng = np.random.default_rng(0)
    yt, yp = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    g = rng.choice(["x", "y", "z"], 300)
    r = group_rates(yt, yp, g)
    mf = MetricFrame(metrics={"sel": selection_rate, "tpr": true_positive_rate}, y_true=yt,
                     y_pred=yp, sensitive_features=g).by_group.sort_index()
    np.testing.assert_allclose(r.selection_rate, mf["sel"].to_numpy())
    np.testing.assert_allclose(r.true_positive_rate, mf["tpr"].to_numpy())


def test_undefined_rate_is_nan_not_fairlearns_zero() -> None:
    # group b has no positives: fairlearn reports a true positive rate of 0 there
    r = group_rates([1, 0, 0, 0], [1, 0, 1, 0], ["a", "a", "b", "b"])
    assert np.isnan(r.true_positive_rate[1]) and r.true_positive_rate[0] == 1.0


def test_gap_interval_point_is_the_gap() -> None:
    rng = np.random.default_rng(1)
    g = np.repeat(["a", "b", "c"], 200)
    yt = rng.integers(0, 2, 600)
    yp = (rng.random(600) < np.select([g == "a", g == "b"], [0.3, 0.5], 0.4)).astype(int)
    dp = gap_interval(yt, yp, g, n_resamples=300)
    eo = gap_interval(yt, yp, g, metric="equal_opportunity", n_resamples=300)
    assert dp.mid == pytest.approx(demographic_parity_difference(yp, g))
    assert eo.mid == pytest.approx(equal_opportunity_difference(yt, yp, g))
    assert dp.low < dp.mid < dp.high and eo.low < eo.mid < eo.high


def test_gap_interval_covers_the_true_gap() -> None:
    # Selection probabilities 0.5 and 0.3: the true demographic parity gap is 0.2.
    rng = np.random.default_rng(2)
    g = np.repeat([0, 1], 200)
    hits = 0
    for i in range(80):
        yp = (rng.random(400) < np.where(g == 0, 0.5, 0.3)).astype(int)
        r = gap_interval(np.zeros(400, int), yp, g, n_resamples=200, seed=i)
        hits += r.low <= 0.2 <= r.high
    assert hits / 80 >= 0.85


def test_gap_interval_keeps_group_positives() -> None:
    # Group b has a single positive: every resample keeps it, so the TPR stays defined.
    yt = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    yp = np.array([1, 0, 1, 0, 1, 1, 0, 0, 1, 0])
    g = np.array(["a"] * 5 + ["b"] * 5)
    r = gap_interval(yt, yp, g, metric="equal_opportunity", n_resamples=200)
    assert r.mid == pytest.approx(1 / 3)          # TPR a = 2/3, TPR b = 1


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"metric": "equalized_odds"}, "metric"),
    ({"n_resamples": 10}, "n_resamples"),
    ({"confidence": 1.5}, "confidence"),
    ({"confidence": "high"}, "confidence"),
    ({"y_true": [0, 0, 0, 0], "metric": "equal_opportunity"}, "y_true"),
])
def test_gap_interval_rejects_bad_input(kwargs, param) -> None:
    args = {"y_true": [1, 0, 1, 0], "y_pred": [1, 0, 0, 0], "group": ["a", "a", "b", "b"]} | kwargs
    with pytest.raises(InputError, match=rf"^{param}="):
        gap_interval(args.pop("y_true"), args.pop("y_pred"), args.pop("group"), **args)
