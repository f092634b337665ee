"""mltk.handbook.drift: reference values, properties, false-alarm rates and input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

import mltk
from mltk.foundation.errors import InputError
from mltk.handbook import drift

# --------------------------------------------------------------------------- strategies

_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
samples = arrays(np.float64, st.integers(1, 40), elements=_finite)
bin_counts = st.integers(2, 20)


def test_reachable_from_package() -> None:
    assert mltk.handbook.drift.psi is drift.psi


# --------------------------------------------------------------------------- PSI

def test_psi_hand_computed() -> None:
    # reference 0..9 split at its median 4: 50% / 50%; current: 8 of 10 values <= 4.
    value = drift.psi(np.arange(10), [0, 0, 1, 1, 2, 2, 3, 3, 9, 9], bins=2)
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert value == pytest.approx(expected, rel=1e-12)
    assert value == pytest.approx(0.415888, abs=1e-6)


def test_psi_empty_bin_uses_eps() -> None:
    # every current value falls in the lower bin: q = (1, 0) -> (1, eps)
    eps = 1e-4
    value = drift.psi(np.arange(10), [0, 1, 2, 3, 4], bins=2, eps=eps)
    expected = (1 - 0.5) * math.log(1 / 0.5) + (eps - 0.5) * math.log(eps / 0.5)
    assert value == pytest.approx(expected, rel=1e-12)
    # a smaller floor gives a larger (still finite) index
    assert drift.psi(np.arange(10), [0, 1, 2, 3, 4], bins=2, eps=1e-8) > value


def test_psi_explicit_cut_points() -> None:
    ref = [0.1, 0.2, 0.6, 0.7]          # 50% / 50% around 0.5
    cur = [0.1, 0.2, 0.3, 0.7]          # 75% / 25%
    expected = 0.25 * math.log(0.75 / 0.5) + 0.25 * math.log(0.5 / 0.25)
    assert drift.psi(ref, cur, bins=[0.5]) == pytest.approx(expected, rel=1e-12)


def test_outer_bins_are_open_ended() -> None:
    ref = np.arange(10.0)
    far = np.full(10, 1e9)              # beyond the reference's range: lands in the top bin
    p_top, q_top = 0.1, 1.0
    expected = (q_top - p_top) * math.log(q_top / p_top) + 9 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert drift.psi(ref, far, bins=10) == pytest.approx(expected, rel=1e-12)


def test_bin_edges_quantiles_and_ties() -> None:
    np.testing.assert_array_equal(drift.bin_edges(np.arange(10), 5), [1, 3, 5, 7])
    np.testing.assert_array_equal(drift.bin_edges(np.arange(10), 2), [4])
    # heavy ties collapse duplicate edges into fewer, wider bins
    np.testing.assert_array_equal(drift.bin_edges([0] * 90 + list(range(1, 11)), 10), [0])
    # a constant reference still gives 2 bins: (-inf, c] and (c, inf)
    np.testing.assert_array_equal(drift.bin_edges([3.0] * 5, 10), [3.0])


def test_psi_constant_reference() -> None:
    assert drift.psi([3.0] * 5, [3.0] * 7) == 0.0
    assert 0 < drift.psi([3.0] * 5, [3.0, 4.0]) < math.inf


@settings(max_examples=100, deadline=None)
@given(samples, samples, bin_counts)
def test_psi_non_negative(a: np.ndarray, b: np.ndarray, bins: int) -> None:
    assert drift.psi(a, b, bins) >= 0.0


@settings(max_examples=100, deadline=None)
@given(samples, bin_counts, st.randoms(use_true_random=False))
def test_psi_identical_samples_no_drift(a: np.ndarray, bins: int, rnd) -> None:
    shuffled = a.copy()
    rnd.shuffle(shuffled)
    assert drift.psi(a, a, bins) == 0.0
    assert drift.psi(a, shuffled, bins) == 0.0


@settings(max_examples=100, deadline=None)
@given(samples, samples, arrays(np.float64, st.integers(1, 5), elements=_finite, unique=True))
def test_psi_symmetric_given_shared_bins(a: np.ndarray, b: np.ndarray, cuts: np.ndarray) -> None:
    cuts = np.sort(cuts)
    assert drift.psi(a, b, cuts) == pytest.approx(drift.psi(b, a, cuts), rel=1e-9, abs=1e-12)


def test_psi_not_symmetric_with_reference_bins() -> None:
    # the formula is symmetric in the proportions, but the bins come from the reference
    a = np.arange(10.0)
    b = np.concatenate([np.zeros(9), [100.0]])
    assert drift.psi(a, b) != pytest.approx(drift.psi(b, a))


@settings(max_examples=100, deadline=None)
@given(samples, samples, bin_counts)
def test_psi_scale_invariant(a: np.ndarray, b: np.ndarray, bins: int) -> None:
    # quantile bins depend on ranks only; multiplying by 4 is exact in floating point
    assert drift.psi(4 * a, 4 * b, bins) == drift.psi(a, b, bins)


def test_psi_critical_value_formula() -> None:
    expected = stats.chi2.ppf(0.95, 9) * (1 / 1000 + 1 / 400)
    assert drift.psi_critical_value(1000, 400) == pytest.approx(expected, rel=1e-12)
    assert drift.psi_critical_value(1000, 400, bins=5, alpha=0.01) == pytest.approx(
        stats.chi2.ppf(0.99, 4) * (1 / 1000 + 1 / 400), rel=1e-12)
    np.testing.assert_allclose(drift.psi_critical_value([100, 1000], 1000),
                               [drift.psi_critical_value(100, 1000),
                                drift.psi_critical_value(1000, 1000)])


def test_psi_critical_value_false_alarm_rate() -> None:
    # PSI beyond the critical value happens about alpha of the time without drift,
    # while the fixed 0.1 threshold almost never fires at this sample size
    rng = np.random.default_rng(21)
    n, trials = 500, 600
    values = np.array([drift.psi(rng.normal(size=n), rng.normal(size=n)) for _ in range(trials)])
    rate = float(np.mean(values > drift.psi_critical_value(n, n)))
    assert 0.025 <= rate <= 0.08, rate
    assert np.mean(values > 0.1) < 0.01


def test_psi_levels() -> None:
    assert [drift.psi_level(x) for x in (0.0, 0.099, 0.1, 0.2499, 0.25, 3.0)] == [
        "stable", "stable", "moderate", "moderate", "major", "major"]
    assert drift.psi_level(0.15, (0.2, 0.5)) == "stable"


# --------------------------------------------------------------------------- KS

def test_ks_textbook_exact_value() -> None:
    # no overlap between two samples of 5: D = 1, exact p = 2 / C(10, 5)
    r = drift.ks_test([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert r.statistic == 1.0
    assert r.pvalue == pytest.approx(2 / math.comb(10, 5), rel=1e-12)


def test_ks_equals_scipy() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 300), rng.normal(0.2, 1, 250)
    ours, theirs = drift.ks_test(a, b), stats.ks_2samp(a, b)
    assert ours.statistic == theirs.statistic
    assert ours.pvalue == theirs.pvalue
    assert ours.dof is None


def test_ks_columns_at_once() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(80, 3)), rng.normal(0.5, 1, size=(60, 3))
    r = drift.ks_test(a, b)
    assert r.statistic.shape == r.pvalue.shape == (3,)
    for j in range(3):
        one = drift.ks_test(a[:, j], b[:, j])
        assert r.statistic[j] == pytest.approx(one.statistic)
        assert r.pvalue[j] == pytest.approx(one.pvalue)


@settings(max_examples=50, deadline=None)
@given(samples)
def test_ks_identical(a: np.ndarray) -> None:
    r = drift.ks_test(a, a)
    assert r.statistic == 0.0
    assert r.pvalue == 1.0


# --------------------------------------------------------------------------- JS

def test_js_identical_and_disjoint() -> None:
    assert drift.js_distance([1, 2, 3, 4], [4, 3, 2, 1]) == 0.0
    assert drift.js_distance(np.arange(10), np.arange(100, 110)) == pytest.approx(1.0)
    assert drift.js_distance([1, 2], [5, 6], bins=[3.0]) == pytest.approx(1.0)


def test_js_hand_computed() -> None:
    # p = (1/2, 1/2), q = (1, 0), m = (3/4, 1/4), base-2 logarithms
    kl_pm = 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)
    kl_qm = 1.0 * math.log2(1 / 0.75)
    expected = math.sqrt(0.5 * kl_pm + 0.5 * kl_qm)
    value = drift.js_distance([1, 2, 3, 4], [1, 1, 2, 2], bins=[2.5])
    assert value == pytest.approx(expected, rel=1e-12)
    assert value == pytest.approx(0.557923, abs=1e-6)


def test_js_equals_scipy_on_the_same_bins() -> None:
    from scipy.spatial.distance import jensenshannon

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=200), rng.normal(0.3, 1.2, 150)
    cuts = [-1.0, 0.0, 1.0]
    p = np.bincount(np.searchsorted(cuts, a), minlength=4)
    q = np.bincount(np.searchsorted(cuts, b), minlength=4)
    assert drift.js_distance(a, b, bins=cuts) == pytest.approx(jensenshannon(p, q, base=2))


@settings(max_examples=100, deadline=None)
@given(samples, samples, bin_counts)
def test_js_bounded_and_symmetric(a: np.ndarray, b: np.ndarray, bins: int) -> None:
    d = drift.js_distance(a, b, bins)
    assert 0.0 <= d <= 1.0 + 1e-12
    assert d == drift.js_distance(b, a, bins)   # bins come from the pooled sample


# --------------------------------------------------------------------------- chi-square

def test_chi2_hand_computed() -> None:
    # expected counts 40/60 in each row: 2 * (10^2/40 + 10^2/60) = 25/3
    r = drift.chi2_test([30, 70], [50, 50])
    assert r.statistic == pytest.approx(25 / 3, rel=1e-12)
    assert r.pvalue == pytest.approx(stats.chi2.sf(25 / 3, 1), rel=1e-12)
    assert r.dof == 1


def test_chi2_drops_categories_empty_in_both() -> None:
    assert drift.chi2_test([30, 0, 70], [50, 0, 50]) == drift.chi2_test([30, 70], [50, 50])


def test_chi2_single_observed_category_is_no_evidence() -> None:
    r = drift.chi2_test([10, 0], [25, 0])
    assert (r.statistic, r.pvalue, r.dof) == (0.0, 1.0, 0)


def test_chi2_identical_proportions() -> None:
    r = drift.chi2_test([10, 20, 30], [20, 40, 60])
    assert r.statistic == pytest.approx(0.0, abs=1e-12)
    assert r.pvalue == pytest.approx(1.0)


def test_category_counts() -> None:
    cats, r, c = drift.category_counts(["x", "y", "y", "z"], ["z", "z", "w"])
    assert cats.tolist() == ["w", "x", "y", "z"]
    assert r.tolist() == [0, 1, 2, 1]
    assert c.tolist() == [1, 0, 0, 2]


# --------------------------------------------------------------------------- corrections

def test_adjust_pvalues() -> None:
    p = [0.01, 0.04, 0.03, 0.2]
    np.testing.assert_allclose(drift.adjust_pvalues(p), [0.04, 0.16, 0.12, 0.8])
    np.testing.assert_allclose(drift.adjust_pvalues(p, "none"), p)
    # Benjamini-Hochberg by hand: sorted p (0.01, 0.03, 0.04, 0.2) * m / rank, then the
    # running minimum from the largest rank down
    # gives (0.04, 0.06, 0.0533, 0.2) -> (0.04, 0.0533, 0.0533, 0.2) in sorted order
    np.testing.assert_allclose(drift.adjust_pvalues(p, "bh"), [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert drift.adjust_pvalues([0.5, 0.9], "bonferroni").tolist() == [1.0, 1.0]


@pytest.mark.parametrize("method", drift.CORRECTIONS)
def test_adjust_pvalues_many_families(method: str) -> None:
    p = np.random.default_rng(8).random((6, 5))
    rows = np.array([drift.adjust_pvalues(r, method) for r in p])
    np.testing.assert_allclose(drift.adjust_pvalues(p, method), rows)
    np.testing.assert_allclose(drift.adjust_pvalues(p.T, method, axis=0), rows.T)


def test_family_wise_error() -> None:
    assert drift.family_wise_error(1) == pytest.approx(0.05)
    assert drift.family_wise_error(20) == pytest.approx(1 - 0.95**20)
    np.testing.assert_allclose(drift.family_wise_error([1, 2], alpha=0.1), [0.1, 0.19])


# --------------------------------------------------------------------------- false alarms

def test_ks_false_alarm_rate_close_to_alpha() -> None:
    rng = np.random.default_rng(2024)
    n, pairs = 100, 2000
    r = drift.ks_test(rng.normal(size=(n, pairs)), rng.normal(size=(n, pairs)))
    rate = float(np.mean(r.pvalue < 0.05))
    # the exact KS test on two samples of 100 is slightly conservative
    assert 0.025 <= rate <= 0.065, rate


def test_chi2_false_alarm_rate_close_to_alpha() -> None:
    rng = np.random.default_rng(7)
    probs = [0.4, 0.3, 0.2, 0.1]
    pvals = [drift.chi2_test(rng.multinomial(400, probs), rng.multinomial(400, probs)).pvalue
             for _ in range(800)]
    rate = float(np.mean(np.array(pvals) < 0.05))
    assert 0.03 <= rate <= 0.07, rate


def test_correction_controls_family_wise_false_alarms() -> None:
    rng = np.random.default_rng(11)
    windows, features, n = 400, 10, 60
    r = drift.ks_test(rng.normal(size=(n, windows * features)),
                      rng.normal(size=(n, windows * features)))
    p = r.pvalue.reshape(windows, features)
    any_raw = np.mean((p < 0.05).any(axis=1))
    any_bonf = np.mean([(drift.adjust_pvalues(row) < 0.05).any() for row in p])
    any_bh = np.mean([(drift.adjust_pvalues(row, "bh") < 0.05).any() for row in p])
    # 1 - 0.95**10 = 0.40 without correction; at most about alpha with one
    assert 0.3 <= any_raw <= 0.5, any_raw
    assert any_bonf <= 0.07, any_bonf
    assert any_bh <= 0.07, any_bh


# --------------------------------------------------------------------------- report

@pytest.fixture(scope="module")
def shifted() -> tuple[dict, dict]:
    rng = np.random.default_rng(5)
    n = 1500
    ref = {"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.exponential(size=n),
           "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1])}
    cur = {"a": rng.normal(0.6, 1, n), "b": rng.normal(size=n), "c": rng.exponential(size=n),
           "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.4, 0.3, 0.3])}
    return ref, cur


def test_report_flags_the_shifted_features(shifted: tuple[dict, dict]) -> None:
    ref, cur = shifted
    report = drift.drift_report(ref, cur, categorical=["plan"])
    assert report.drifted == ["a", "plan"]
    assert report.any_drift
    assert report["a"].test == "ks" and report["plan"].test == "chi2"
    assert report["a"].psi_level in {"moderate", "major"}
    assert not report["b"].significant
    row = report["a"]
    assert row.statistic == pytest.approx(drift.ks_test(ref["a"], cur["a"]).statistic)
    assert row.psi == pytest.approx(drift.psi(ref["a"], cur["a"]))
    assert row.js == pytest.approx(drift.js_distance(ref["a"], cur["a"]))
    assert row.pvalue_adjusted == pytest.approx(min(1.0, row.pvalue * 4))
    with pytest.raises(KeyError):
        report["nope"]


def test_report_identical_windows_flag_nothing(shifted: tuple[dict, dict]) -> None:
    ref, _ = shifted
    report = drift.drift_report(ref, ref, categorical=["plan"])
    assert report.drifted == []
    assert all(f.psi == 0.0 and f.js == 0.0 and f.pvalue == pytest.approx(1.0)
               for f in report.features)


def test_report_needs_significance_and_effect_size() -> None:
    # a tiny shift on huge windows: significant, but PSI far below 0.1 -> not flagged
    rng = np.random.default_rng(9)
    ref, cur = rng.normal(size=200_000), rng.normal(0.03, 1, 200_000)
    f = drift.drift_report(ref, cur).features[0]
    assert f.significant and f.psi < 0.1 and not f.drift


def test_report_array_input_and_table() -> None:
    rng = np.random.default_rng(4)
    ref = rng.normal(size=(500, 3))
    cur = rng.normal(size=(500, 3))
    cur[:, 2] += 1.0
    report = drift.drift_report(ref, cur, feature_names=["u", "v", "w"], correction="bh")
    assert [f.feature for f in report.features] == ["u", "v", "w"]
    assert report.drifted == ["w"]
    assert report.correction == "bh"
    table = report.to_markdown()
    assert table.splitlines()[0].startswith("| feature | test |")
    assert len(table.splitlines()) == 2 + 3
    assert report.rows()[2]["feature"] == "w"
    assert drift.drift_report(ref[:, 0], cur[:, 0]).features[0].feature == "x0"


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call, parameter", [
    (lambda: drift.psi([], [1.0]), "reference"),
    (lambda: drift.psi([1.0], []), "current"),
    (lambda: drift.psi([1.0, np.nan], [1.0]), "reference"),
    (lambda: drift.psi([1.0], [np.inf]), "current"),
    (lambda: drift.psi([1.0, 2.0], [1.0], bins=1), "bins"),
    (lambda: drift.psi([1.0, 2.0], [1.0], bins=2.5), "bins"),
    (lambda: drift.psi([1.0, 2.0], [1.0], bins=True), "bins"),
    (lambda: drift.psi([1.0, 2.0], [1.0], bins=[1.0, 1.0]), "bins"),
    (lambda: drift.psi([1.0, 2.0], [1.0], bins=[2.0, 1.0]), "bins"),
    (lambda: drift.psi([1.0, 2.0], [1.0], eps=0), "eps"),
    (lambda: drift.psi([[1.0, 2.0]], [1.0]), "reference"),
    (lambda: drift.psi("abc", [1.0]), "reference"),
    (lambda: drift.bin_edges([1.0, 2.0], bins=0), "bins"),
    (lambda: drift.js_distance([1.0], [np.nan]), "current"),
    (lambda: drift.js_distance([1.0], [2.0], bins=1), "bins"),
    (lambda: drift.ks_test([], [1.0]), "reference"),
    (lambda: drift.ks_test([1.0, np.nan], [1.0]), "reference"),
    (lambda: drift.ks_test(np.ones((5, 2)), np.ones((5, 3))), "current"),
    (lambda: drift.ks_test(np.ones((5, 2)), np.ones(5)), "current"),
    (lambda: drift.chi2_test([1, 2], [1, 2, 3]), "current_counts"),
    (lambda: drift.chi2_test([1, -2], [1, 2]), "reference_counts"),
    (lambda: drift.chi2_test([1, 2], [0, 0]), "current_counts"),
    (lambda: drift.chi2_test([1.5, 2], [1, 2]), "reference_counts"),
    (lambda: drift.chi2_test([5], [3]), "reference_counts"),
    (lambda: drift.chi2_test([1, np.nan], [1, 2]), "reference_counts"),
    (lambda: drift.category_counts([], ["a"]), "reference"),
    (lambda: drift.adjust_pvalues([0.1, 1.2]), "pvalues"),
    (lambda: drift.adjust_pvalues([0.1], "holm"), "correction"),
    (lambda: drift.adjust_pvalues([0.1, 0.2], axis=1), "axis"),
    (lambda: drift.family_wise_error(0), "n_tests"),
    (lambda: drift.family_wise_error(3, alpha=1.0), "alpha"),
    (lambda: drift.psi_level(0.1, (0.3, 0.2)), "psi_thresholds"),
    (lambda: drift.psi_critical_value(0, 100), "n_reference"),
    (lambda: drift.psi_critical_value(100, np.nan), "n_current"),
    (lambda: drift.psi_critical_value(100, 100, bins=1), "bins"),
    (lambda: drift.psi_critical_value(100, 100, alpha=0), "alpha"),
    (lambda: drift.drift_report({"a": [1.0]}, {"b": [1.0]}), "current"),
    (lambda: drift.drift_report({"a": [1.0]}, {"a": [1.0]}, alpha=1.5), "alpha"),
    (lambda: drift.drift_report({"a": [1.0]}, {"a": [1.0]}, correction="x"), "correction"),
    (lambda: drift.drift_report({"a": [1.0]}, {"a": [1.0]}, categorical=["z"]), "categorical"),
    (lambda: drift.drift_report({}, {}), "reference"),
    (lambda: drift.drift_report(np.ones((3, 2)), np.ones((3, 2)), feature_names=["a"]),
     "feature_names"),
    (lambda: drift.drift_report({"a": [1.0, np.nan]}, {"a": [1.0]}), "reference['a']"),
])
def test_input_errors_name_the_parameter(call, parameter: str) -> None:
    with pytest.raises(InputError) as info:
        call()
    assert info.value.parameter == parameter
    assert isinstance(info.value, ValueError)
    assert parameter in str(info.value)
