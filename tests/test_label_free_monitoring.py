"""mltk.handbook.label_free_monitoring: domain classifier, output drift, CBPE."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mltk.foundation.errors import InputError
from mltk.handbook import label_free_monitoring as lf

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

# --------------------------------------------------------------------------- AUC

def test_auc_matches_sklearn_with_ties() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300) + 0.3 * y, 1)          # rounding makes many ties
    assert lf.auc_from_scores(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_auc_vectorised_along_axis() -> None:
    rng = np.random.default_rng(1)
    y = np.tile([0, 1] * 50, (4, 1))
    s = rng.random((4, 100)) + 0.2 * y
    out = lf.auc_from_scores(y, s, axis=-1)
    np.testing.assert_allclose(out, [roc_auc_score(y[i], s[i]) for i in range(4)])


def test_auc_closed_forms() -> None:
    assert lf.auc_from_scores([0, 0, 1, 1], [1, 2, 3, 4]) == 1.0     # separable
    assert lf.auc_from_scores([1, 1, 0, 0], [1, 2, 3, 4]) == 0.0
    assert lf.auc_from_scores([0, 1, 0, 1], [5, 5, 5, 5]) == 0.5     # all tied
    with pytest.raises(InputError, match="both classes"):
        lf.auc_from_scores([1, 1], [0.2, 0.3])


# --------------------------------------------------------------------------- domain classifier

def test_domain_classifier_sees_a_correlation_change_no_marginal_test_sees() -> None:
    w = lf.make_shift_windows(n_windows=2, n_rows=1500, kind="covariate", seed=4)
    ref = lf.make_shift_windows(n_windows=2, n_rows=1500, kind="none", seed=5).X[0]
    ks = stats.ks_2samp(ref, w.X[1], axis=0).pvalue
    assert np.all(ks * ref.shape[1] > 0.05)                # Bonferroni: no feature moved
    r = lf.domain_classifier_test(ref, w.X[1], folds=3, n_resamples=200)
    assert r.drift() and r.auc.low > 0.6 and r.method == "mannwhitney"
    assert r.n_reference == r.n_current == 1500


def test_domain_classifier_false_alarm_rate_near_alpha() -> None:
    # Under no drift the p-value is (close to) uniform: about 5% of windows below 0.05.
    rng = np.random.default_rng(11)
    ps = [lf.domain_classifier_test(rng.normal(size=(150, 2)), rng.normal(size=(150, 2)),
                                    classifier=LogisticRegression(), folds=3, n_resamples=100,
                                    seed=i).pvalue for i in range(60)]
    assert 0 <= np.mean(np.array(ps) < 0.05) <= 0.15
    assert 0.3 < np.median(ps) < 0.7


def test_domain_classifier_permutation_pvalue_bounds() -> None:
    rng = np.random.default_rng(2)
    ref, cur = rng.normal(size=(60, 2)), rng.normal(3, 1, size=(60, 2))
    r = lf.domain_classifier_test(ref, cur, classifier=LogisticRegression(), folds=3,
                                  n_resamples=100, n_permutations=19)
    assert r.method == "permutation" and r.pvalue == pytest.approx(1 / 20)   # the smallest
    assert r.auc.mid > 0.95


@pytest.mark.parametrize("kwargs, name", [
    ({"reference": np.zeros((5, 2))}, "reference"),
    ({"current": np.zeros((20, 3))}, "current"),
    ({"folds": 1}, "folds"),
    ({"n_resamples": 10}, "n_resamples"),
    ({"n_permutations": 5}, "n_permutations"),
    ({"confidence": 1.0}, "confidence"),
    ({"interval": "normal"}, "interval"),
    ({"reference": np.full((20, 2), np.nan)}, "reference"),
])
def test_domain_classifier_bad_input(kwargs: dict, name: str) -> None:
    args = {"reference": np.zeros((20, 2)), "current": np.ones((20, 2))} | kwargs
    with pytest.raises(InputError, match=name):
        lf.domain_classifier_test(args.pop("reference"), args.pop("current"), **args)


# --------------------------------------------------------------------------- output drift

def test_output_drift_hand_example() -> None:
    ref = np.array([0.2] * 60 + [0.8] * 40)
    cur = np.array([0.2] * 30 + [0.8] * 70)
    r = lf.output_drift(ref, cur)
    assert (r.positive_rate_reference, r.positive_rate_current) == (0.4, 0.7)
    # 2 x 2 table [[60, 40], [30, 70]]: chi2 = 200 * (60*70 - 40*30)^2 / (90*110*100*100)
    assert r.positive_rate_test.statistic == pytest.approx(200 * 3000 ** 2 / (90 * 110 * 1e4))
    assert r.ks.statistic == pytest.approx(0.3)


def test_output_drift_all_one_side() -> None:
    r = lf.output_drift([0.1, 0.2] * 10, [0.3, 0.4] * 10)
    assert r.positive_rate_test.pvalue == 1.0 and r.positive_rate_current == 0.0
    with pytest.raises(InputError, match="reference_proba"):
        lf.output_drift([0.1, 1.2], [0.3, 0.4])
    with pytest.raises(InputError, match="threshold"):
        lf.output_drift([0.1, 0.2], [0.3, 0.4], threshold=1.0)


# --------------------------------------------------------------------------- CBPE

def test_expected_confusion_sums_and_certain_probabilities() -> None:
    cm = lf.expected_confusion([1.0, 1.0, 0.0, 0.0, 0.0])
    assert (cm.tp, cm.fp, cm.tn, cm.fn, cm.n) == (2.0, 0.0, 3.0, 0.0, 5.0)
    p = np.random.default_rng(3).random(101)
    cm = lf.expected_confusion(p, threshold=0.3)
    assert cm.n == pytest.approx(101)
    assert cm.tp + cm.fn == pytest.approx(p.sum())          # expected positives


def test_estimate_performance_closed_form_interval() -> None:
    p = np.array([0.9, 0.8, 0.3, 0.5])
    e = lf.estimate_performance(p)
    c = np.array([0.9, 0.8, 0.7, 0.5])
    sd = np.sqrt(np.sum(c * (1 - c))) / 4
    assert e.accuracy.mid == pytest.approx(0.725)
    assert e.accuracy.high == pytest.approx(min(1.0, 0.725 + 1.959964 * sd), rel=1e-6)
    assert e.accuracy.low == pytest.approx(0.725 - 1.959964 * sd, rel=1e-6)
    assert e.f1 == pytest.approx(2 * (2.2 / 3) * 0.88 / (2.2 / 3 + 0.88))


def test_estimate_performance_covers_realised_accuracy_when_calibrated() -> None:
    # Labels drawn from the probabilities themselves: perfect calibration, so the realised
    # accuracy should fall in the 95% interval about 95% of the time.
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(400):
        p = rng.beta(2, 2, 300)
        y = rng.random(300) < p
        e = lf.estimate_performance(p)
        real = np.mean((p >= 0.5) == y)
        hits += e.accuracy.low <= real <= e.accuracy.high
    assert 0.92 <= hits / 400 <= 0.98


def test_cbpe_tracks_covariate_shift_and_misses_concept_shift() -> None:
    ref = lf.make_shift_windows(n_windows=2, n_rows=4000, kind="none", seed=20)
    model = LogisticRegression().fit(ref.X[0], ref.y[0])
    cov = lf.make_shift_windows(n_windows=3, n_rows=4000, kind="covariate", seed=21)
    con = lf.make_shift_windows(n_windows=3, n_rows=4000, kind="concept", seed=21)
    for w in (cov, con):
        p = model.predict_proba(w.X[-1])[:, 1]
        w_est = lf.estimate_performance(p).accuracy
        real = np.mean((p >= 0.5) == w.y[-1])
        if w is cov:
            assert abs(w_est.mid - real) < 0.03          # tracks
        else:
            assert w_est.mid - real > 0.2                # blind: estimate stays high


def test_estimate_performance_bad_input() -> None:
    with pytest.raises(InputError, match="proba"):
        lf.estimate_performance([])
    with pytest.raises(InputError, match="proba"):
        lf.estimate_performance([0.5, np.nan])
    with pytest.raises(InputError, match="confidence"):
        lf.estimate_performance([0.5], confidence=0)


# --------------------------------------------------------------------------- windows

def test_shift_windows_keep_marginals_and_concept() -> None:
    w = lf.make_shift_windows(n_windows=2, n_rows=50_000, kind="covariate", seed=0)
    last = w.X[-1]
    np.testing.assert_allclose(last.std(axis=0), 1.0, atol=0.02)
    assert np.corrcoef(last[:, 0], last[:, 1])[0, 1] == pytest.approx(-0.8, abs=0.01)
    np.testing.assert_allclose(w.true_proba[-1], 1 / (1 + np.exp(-(2.5 * last[:, 0]
                                                                    + 1.5 * last[:, 1]))))
    c = lf.make_shift_windows(n_windows=2, n_rows=10, kind="concept", max_rotation_deg=90,
                              seed=0)
    # a quarter turn: logit = |w| (-sin(b) x0 + cos(b) x1), with w = (2.5, 1.5)
    x = c.X[-1]
    np.testing.assert_allclose(c.true_proba[-1], 1 / (1 + np.exp(-(-1.5 * x[:, 0] + 2.5 * x[:, 1]))))


@pytest.mark.parametrize("kwargs, name", [({"n_windows": 1}, "n_windows"),
                                          ({"kind": "label"}, "kind"),
                                          ({"max_correlation": 1.0}, "max_correlation"),
                                          ({"n_rows": 3}, "n_rows")])
def test_shift_windows_bad_input(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=name):
        lf.make_shift_windows(**kwargs)
