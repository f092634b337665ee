"""mltk.handbook.model_evaluation: splits, skill scores, bootstrap intervals, ARI and clustering stability."""

from __future__ import annotations

import numpy as np
import pytest

from mltk.foundation.errors import InputError
from mltk.handbook.model_evaluation import (
    adjusted_rand_index,
    bootstrap_interval,
    clustering_stability,
    skill_score,
    split_train_validation_test,
)


def accuracy(t: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(t == p))


# --------------------------------------------------------------------------- split

def _check_partition(parts: tuple[np.ndarray, ...], n: int) -> None:
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(n))          # disjoint and covering
    for p in parts:
        assert np.all(np.diff(p) > 0)                          # sorted


@pytest.mark.parametrize(("n", "fractions", "sizes"), [
    (10, (0.6, 0.2, 0.2), (6, 2, 2)),
    (569, (0.6, 0.2, 0.2), (341, 114, 114)),    # 341.4, 113.8, 113.8: remainders go to .8s
    (7, (0.5, 0.25, 0.25), (3, 2, 2)),          # 3.5, 1.75, 1.75: the two .75s win
    (6, (0.25, 0.25, 0.5), (2, 1, 3)),          # 1.5, 1.5, 3: a tie goes to the first
    (100, (0.8, 0.1, 0.1), (80, 10, 10)),
])
def test_split_sizes_follow_largest_remainder(n, fractions, sizes) -> None:
    parts = split_train_validation_test(n, fractions, seed=1)
    assert tuple(len(p) for p in parts) == sizes
    _check_partition(parts, n)


def test_split_is_reproducible_and_seed_dependent() -> None:
    a = split_train_validation_test(50, seed=3)
    b = split_train_validation_test(50, seed=3)
    c = split_train_validation_test(50, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_chronological_split_keeps_order() -> None:
    train, val, test = split_train_validation_test(10, shuffle=False)
    assert train.tolist() == [0, 1, 2, 3, 4, 5]
    assert val.tolist() == [6, 7]
    assert test.tolist() == [8, 9]
    assert train.max() < val.min() and val.max() < test.min()   # no future rows in training


def test_stratified_split_keeps_class_proportions() -> None:
    labels = np.array(["benign"] * 70 + ["malignant"] * 30)
    parts = split_train_validation_test(100, stratify=labels, seed=0)
    _check_partition(parts, 100)
    counts = [int((labels[p] == "malignant").sum()) for p in parts]
    assert counts == [18, 6, 6]                          # 30 * (0.6, 0.2, 0.2)
    assert [len(p) for p in parts] == [60, 20, 20]


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"n": 2}, "n"),
    ({"n": 3.5}, "n"),
    ({"n": True}, "n"),
    ({"n": 10, "fractions": (0.98, 0.01, 0.01)}, "n"),       # a part would be empty
    ({"n": 10, "fractions": (0.5, 0.5)}, "fractions"),
    ({"n": 10, "fractions": (0.6, 0.3, 0.2)}, "fractions"),   # sums to 1.1
    ({"n": 10, "fractions": (1.0, 0.0, 0.0)}, "fractions"),
    ({"n": 10, "fractions": (0.6, 0.2, float("nan"))}, "fractions"),
    ({"n": 4, "stratify": [0, 1, 0]}, "stratify"),
    ({"n": 4, "stratify": [0, 1, 0, 1], "shuffle": False}, "stratify"),
])
def test_split_rejects_bad_input(kwargs, param) -> None:
    with pytest.raises(ValueError, match=rf"^{param}="):
        split_train_validation_test(**kwargs)


def test_split_error_is_input_error() -> None:
    with pytest.raises(InputError) as info:
        split_train_validation_test(1)
    assert info.value.parameter == "n"


# --------------------------------------------------------------------------- skill score

@pytest.mark.parametrize(("score", "baseline", "perfect", "expected"), [
    (0.75, 0.5, 1.0, 0.5),      # accuracy: half the remaining gap closed
    (0.5, 0.5, 1.0, 0.0),       # no better than the baseline
    (1.0, 0.5, 1.0, 1.0),       # perfect
    (0.4, 0.5, 1.0, -0.2),      # worse than the baseline
    (2.0, 8.0, 0.0, 0.75),      # an error: 1 - 2/8
])
def test_skill_score_hand_computed(score, baseline, perfect, expected) -> None:
    assert skill_score(score, baseline, perfect) == pytest.approx(expected)


def test_skill_score_broadcasts() -> None:
    out = skill_score(np.array([0.5, 0.75, 1.0]), 0.5)
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])
    assert isinstance(skill_score(0.9, 0.5), float)


@pytest.mark.parametrize(("args", "param"), [
    ((0.9, 1.0), "baseline"),                  # nothing left to gain
    ((0.1, 0.0, 0.0), "baseline"),
    ((float("nan"), 0.5), "score"),
    ((True, 0.5), "score"),
    ((0.9, "x"), "baseline"),
    ((0.9, 0.5, float("inf")), "perfect"),
])
def test_skill_score_rejects_bad_input(args, param) -> None:
    with pytest.raises(ValueError, match=rf"^{param}="):
        skill_score(*args)


# --------------------------------------------------------------------------- bootstrap

def test_bootstrap_perfect_predictions_have_no_spread() -> None:
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    assert tuple(bootstrap_interval(accuracy, y, y)) == (1.0, 1.0, 1.0)


def test_bootstrap_mid_is_the_full_sample_metric() -> None:
    t = np.array([1, 1, 0, 0, 1, 0, 1, 1])
    p = np.array([1, 0, 0, 0, 1, 0, 1, 1])
    r = bootstrap_interval(accuracy, t, p, n_resamples=200)
    assert r.mid == 0.875                                  # 7 of 8 right
    assert r.low <= r.mid <= r.high <= 1.0
    assert r.low < r.mid                                   # a resample can miss more


def test_bootstrap_width_matches_standard_error_of_a_mean() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    r = bootstrap_interval(lambda t, p: float(np.mean(t - p)), x, np.zeros_like(x),
                           n_resamples=2000, seed=1)
    # 95% interval of a mean: about 2 * 1.96 / sqrt(400) = 0.196 wide
    assert r.high - r.low == pytest.approx(2 * 1.96 / 20, rel=0.15)
    # ... and close to the normal-theory interval mean ± 1.96 s / sqrt(n) of this sample
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert r.mid == x.mean()
    assert r.low == pytest.approx(x.mean() - 1.96 * se, abs=0.1 * se)
    assert r.high == pytest.approx(x.mean() + 1.96 * se, abs=0.1 * se)


def test_bootstrap_is_scipy_bca() -> None:
    """Unstratified, the interval is scipy.stats.bootstrap's BCa interval on row indices."""
    from scipy import stats

    rng = np.random.default_rng(3)
    t = rng.normal(size=60)
    p = np.zeros(60)

    def metric(tt: np.ndarray, pp: np.ndarray) -> float:
        return float(np.median(tt - pp))

    r = bootstrap_interval(metric, t, p, n_resamples=999, seed=4)
    ref = stats.bootstrap((np.arange(60),), lambda i: metric(t[i], p[i]), n_resamples=999,
                          vectorized=False, method="BCa", random_state=np.random.default_rng(4))
    assert (r.low, r.high) == pytest.approx((ref.confidence_interval.low,
                                             ref.confidence_interval.high))
    assert r.mid == metric(t, p)


def test_bootstrap_bca_corrects_the_skew_of_a_variance() -> None:
    # For the variance of normal data the exact 95% interval (chi-square) is asymmetric,
    # longer above the estimate; BCa reproduces that asymmetry, the percentile interval less.
    from scipy import stats

    x = np.random.default_rng(8).normal(size=200)
    var = lambda tt, pp: float(np.var(tt, ddof=1))  # noqa: E731
    bca = bootstrap_interval(var, x, x, n_resamples=4000, seed=2)
    s2, df = np.var(x, ddof=1), x.size - 1
    exact = (df * s2 / stats.chi2.ppf(0.975, df), df * s2 / stats.chi2.ppf(0.025, df))
    assert bca.low == pytest.approx(exact[0], rel=0.06)
    assert bca.high == pytest.approx(exact[1], rel=0.06)
    assert bca.high - bca.mid > bca.mid - bca.low


def test_bootstrap_stratified_keeps_class_counts() -> None:
    t = np.array([0] * 15 + [1] * 5)
    p = np.zeros(20)
    r = bootstrap_interval(lambda tt, pp: float(tt.sum()), t, p, stratified=True)
    assert tuple(r) == (5.0, 5.0, 5.0)                     # every resample holds 5 positives
    r = bootstrap_interval(lambda tt, pp: float(tt.sum()), t, p)
    assert r.low < 5.0 < r.high                            # plain resampling does not


def test_bootstrap_is_reproducible() -> None:
    t = np.arange(30) % 2
    p = (np.arange(30) % 3 == 0).astype(int)
    assert bootstrap_interval(accuracy, t, p, seed=5) == bootstrap_interval(accuracy, t, p, seed=5)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"metric": "accuracy"}, "metric"),
    ({"y_true": [1]}, "y_true"),
    ({"y_pred": [1, 0]}, "y_pred"),
    ({"n_resamples": 5}, "n_resamples"),
    ({"confidence": 1.0}, "confidence"),
    ({"confidence": 0.0}, "confidence"),
    ({"confidence": 95}, "confidence"),
    ({"method": "normal"}, "method"),
])
def test_bootstrap_rejects_bad_input(kwargs, param) -> None:
    args = {"metric": accuracy, "y_true": [1, 0, 1], "y_pred": [1, 1, 1]} | kwargs
    with pytest.raises(ValueError, match=rf"^{param}="):
        bootstrap_interval(args.pop("metric"), args.pop("y_true"), args.pop("y_pred"), **args)


# --------------------------------------------------------------------------- ARI

@pytest.mark.parametrize(("a", "b", "expected"), [
    ([0, 0, 1, 1], [0, 0, 1, 1], 1.0),
    ([0, 0, 1, 1], [1, 1, 0, 0], 1.0),                 # names do not matter
    (["x", "x", "y", "y"], [7, 7, 3, 3], 1.0),
    ([0, 0, 1, 1], [0, 0, 1, 2], 4 / 7),               # (1 - 1/3) / (3/2 - 1/3)
    ([0, 0, 1, 1], [0, 1, 0, 1], -0.5),                # (0 - 2/3) / (2 - 2/3)
    ([0, 0, 0, 0], [0, 0, 0, 0], 1.0),                 # both one group
    ([0, 1, 2, 3], [3, 2, 1, 0], 1.0),                 # both all singletons
    ([0, 0, 0, 0], [0, 1, 2, 3], 0.0),                 # one group versus singletons
])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_ari_hand_computed(a, b, expected) -> None:
    assert adjusted_rand_index(a, b) == pytest.approx(expected)


def test_ari_is_deprecated_in_favour_of_scikit_learn() -> None:
    with pytest.warns(DeprecationWarning, match="adjusted_rand_score"):
        assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_ari_is_symmetric_and_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(2, 40))
        a, b = rng.integers(0, 4, size=n), rng.integers(0, 6, size=n)
        assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_index(b, a))
        assert adjusted_rand_index(a, b) == pytest.approx(metrics.adjusted_rand_score(a, b))


@pytest.mark.parametrize(("a", "b", "param"), [
    ([0, 1, 1], [0, 1], "labels_b"),
    ([], [], "labels_a"),
    ([[0, 1], [1, 0]], [0, 1, 1, 0], "labels_a"),
    ([0, 1], 3, "labels_b"),
])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_ari_rejects_bad_input(a, b, param) -> None:
    with pytest.raises(ValueError, match=rf"^{param}="):
        adjusted_rand_index(a, b)


# --------------------------------------------------------------------------- stability

def _blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = [(0, 0), (6, 0), (3, 5)]
    return np.concatenate([rng.normal(c, 0.4, size=(40, 2)) for c in centres])


def test_stability_of_two_point_masses_is_exactly_one() -> None:
    X = np.array([[0.0, 0.0]] * 20 + [[10.0, 10.0]] * 20)
    assert clustering_stability(X, k=2, n_resamples=10) == 1.0


def test_stability_of_well_separated_blobs_is_near_one() -> None:
    assert clustering_stability(_blobs(), k=3) > 0.99


def test_stability_prefers_the_true_number_of_blobs() -> None:
    X = _blobs(1)
    scores = {k: clustering_stability(X, k, n_resamples=15, seed=2) for k in (2, 3, 5)}
    assert scores[3] > scores[2]
    assert scores[3] > scores[5]
    assert all(s <= 1.0 for s in scores.values())


def test_stability_is_reproducible_and_accepts_lists() -> None:
    X = _blobs(2)
    assert clustering_stability(X.tolist(), 4, seed=7) == clustering_stability(X, 4, seed=7)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"X": np.zeros(10)}, "X"),
    ({"X": [[0.0, float("nan")], [1.0, 1.0], [2.0, 2.0]]}, "X"),
    ({"k": 1}, "k"),
    ({"k": 2.5}, "k"),
    ({"k": 6}, "k"),                      # as many clusters as rows
    ({"n_resamples": 1}, "n_resamples"),
])
def test_stability_rejects_bad_input(kwargs, param) -> None:
    args = {"X": np.arange(12.0).reshape(6, 2), "k": 2} | kwargs
    with pytest.raises(ValueError, match=rf"^{param}="):
        clustering_stability(args.pop("X"), args.pop("k"), **args)


def test_bootstrap_rejects_a_metric_undefined_on_resamples() -> None:
    t = np.array([0] * 19 + [1])

    def share_of_positives_flagged(tt: np.ndarray, pp: np.ndarray) -> float:
        return float(np.mean(pp[tt == 1])) if (tt == 1).any() else float("nan")

    with pytest.raises(ValueError, match=r"^metric=.*stratified=True"):
        bootstrap_interval(share_of_positives_flagged, t, np.ones(20))
    r = bootstrap_interval(share_of_positives_flagged, t, np.ones(20), stratified=True)
    assert tuple(r) == (1.0, 1.0, 1.0)


# --------------------------------------------------------------------------- grouped split

def test_grouped_split_keeps_every_group_on_one_side() -> None:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 50, size=400)
    parts = split_train_validation_test(400, (0.6, 0.2, 0.2), groups=groups, seed=3)
    seen = [set(groups[p].tolist()) for p in parts]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    assert sorted(np.concatenate(parts).tolist()) == list(range(400))
    # fractions are shares of groups: GroupShuffleSplit takes ceil(0.4 * 50) = 20 groups out,
    # then ceil(0.5 * 20) = 10 of them for test
    assert [len(g) for g in seen] == [30, 10, 10]


def test_grouped_split_is_reproducible_and_seeded() -> None:
    groups = np.repeat(np.arange(20), 3)
    a = split_train_validation_test(60, groups=groups, seed=1)
    b = split_train_validation_test(60, groups=groups, seed=1)
    c = split_train_validation_test(60, groups=groups, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"groups": [0, 1, 2]}, "groups"),                                 # wrong length
    ({"groups": [0] * 10}, "groups"),                                  # one group: parts empty
    ({"groups": list(range(10)), "shuffle": False}, "groups"),
    ({"groups": list(range(10)), "stratify": [0, 1] * 5}, "groups"),
])
def test_grouped_split_rejects_bad_input(kwargs, match) -> None:
    with pytest.raises(InputError, match=rf"^{match}="):
        split_train_validation_test(10, **kwargs)
