"""Honest model evaluation: splits, skill over a baseline, test-set intervals, cluster stability.

Small helpers for the evaluation discipline that the
Machine Learning part of the handbook teaches:

- :func:`split_train_validation_test`: index sets for a train / validation / test split,
  shuffled, stratified, grouped or chronological;
- :func:`skill_score`: how much of the gap between a baseline and a perfect score a model closes;
- :func:`bootstrap_interval`: a BCa bootstrap interval (``scipy.stats.bootstrap``) for any
  metric on a test set, optionally stratified by class;
- :func:`adjusted_rand_index`: deprecated, use ``sklearn.metrics.adjusted_rand_score``;
- :func:`clustering_stability`: mean agreement of k-means partitions fitted on bootstrap resamples.

scikit-learn is needed by :func:`clustering_stability`, :func:`adjusted_rand_index` and grouped
splits, and imported on first use; the rest needs numpy and scipy only.

Examples
--------
>>> from mltk.handbook.model_evaluation import skill_score
>>> skill_score(0.75, baseline=0.5)
0.5
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..foundation.checks import _as_float_array, fraction, scalar_or_array
from ..foundation.errors import InputError
from ..foundation.ranges import Range

# adjusted_rand_index stays importable by name but, deprecated, is no longer listed here.
__all__ = ["bootstrap_interval", "clustering_stability", "skill_score",
           "split_train_validation_test"]

IndexArray = NDArray[np.intp]


# --------------------------------------------------------------------------- input checks

def _integer(name: str, value: Any, minimum: int) -> int:
    """``value`` as a Python int; raise unless it is an integer >= ``minimum``."""
    if isinstance(value, bool | np.bool_):
        raise InputError(name, value, f"an integer >= {minimum}, not a boolean")
    try:
        as_int = operator.index(value)
    except TypeError:
        raise InputError(name, value, f"an integer >= {minimum}") from None
    if as_int < minimum:
        raise InputError(name, value, f"an integer >= {minimum}")
    return as_int


def _finite(name: str, value: Any) -> NDArray[np.float64]:
    arr = _as_float_array(name, value)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)] if arr.ndim else arr
        raise InputError(name, float(np.ravel(bad)[0]), "finite numbers")
    return arr


def _labels(name: str, value: Any) -> NDArray[np.intp]:
    """A 1-D array of cluster or class labels (any hashable-as-numpy values), as integer codes."""
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(name, value if arr.size < 8 else f"array of shape {arr.shape}",
                         "a non-empty one-dimensional sequence of labels")
    return np.unique(arr, return_inverse=True)[1].reshape(-1)


def _confidence_level(confidence: Any) -> float:
    """The coverage of an interval, in (0, 1): the one check of every bootstrap in mltk.handbook."""
    level = float(_as_float_array("confidence", confidence))
    if not 0 < level < 1:
        raise InputError("confidence", confidence, "a coverage in (0, 1), e.g. 0.95")
    return level


def _largest_remainder(n: int, fractions: NDArray[np.float64]) -> NDArray[np.intp]:
    """Split ``n`` items into parts proportional to ``fractions``; the parts sum to ``n``."""
    raw = n * fractions
    sizes = np.floor(raw).astype(np.intp)
    short = n - int(sizes.sum())
    order = np.argsort(-(raw - sizes), kind="stable")
    sizes[order[:short]] += 1
    return sizes


# --------------------------------------------------------------------------- supervised

def split_train_validation_test(
    n: int,
    fractions: Sequence[float] = (0.6, 0.2, 0.2),
    *,
    seed: int | None = 0,
    shuffle: bool = True,
    stratify: ArrayLike | None = None,
    groups: ArrayLike | None = None,
) -> tuple[IndexArray, IndexArray, IndexArray]:
    """Row indices of a train / validation / test split.

    Fit on the training rows, choose models and thresholds on the validation rows,
    and evaluate the chosen model once on the test rows.

    Parameters
    ----------
    n : int
        Number of rows (at least 3).
    fractions : sequence of 3 floats, default (0.6, 0.2, 0.2)
        Shares of train, validation and test; each in (0, 1], summing to 1.
        Part sizes are rounded by the largest-remainder rule so that they add up to ``n``.
    seed : int or None, default 0
        Seed of the shuffle (``None``: fresh entropy, not reproducible).
    shuffle : bool, default True
        ``False`` gives a chronological split: the first rows train, the last rows test.
        Sort the rows by time first; use it whenever the model will predict the future.
    stratify : array-like of length n, optional
        Class labels; each part then keeps the class proportions (up to rounding per class).
        Only with ``shuffle=True``.
    groups : array-like of length n, optional
        Entity of each row (a patient, a customer, a machine): all rows of an entity go
        to the same part, so the model is never scored on an entity it has seen. Uses
        scikit-learn's ``GroupShuffleSplit`` twice (train against the rest, then
        validation against test); ``fractions`` are then shares of *groups*, so the row
        shares vary with group sizes. Only with ``shuffle=True`` and without
        ``stratify`` (for both, use ``sklearn.model_selection.StratifiedGroupKFold``;
        for grouped cross-validation, ``GroupKFold``).

    Returns
    -------
    train, validation, test : numpy.ndarray of int
        Sorted, disjoint row indices that together cover ``range(n)``.

    Raises
    ------
    InputError
        If ``n``, ``fractions`` or ``stratify`` is invalid or a part would be empty.

    Examples
    --------
    >>> train, val, test = split_train_validation_test(10, seed=0)
    >>> len(train), len(val), len(test)
    (6, 2, 2)
    >>> split_train_validation_test(5, shuffle=False)  # chronological
    (array([0, 1, 2]), array([3]), array([4]))

    Grouped: the two rows of each customer stay together.

    >>> parts = split_train_validation_test(10, groups=[0, 0, 1, 1, 2, 2, 3, 3, 4, 4], seed=1)
    >>> [sorted({int(i) // 2 for i in part}) for part in parts]   # customers in each part
    [[0, 3, 4], [2], [1]]
    """
    n = _integer("n", n, 3)
    try:
        shares = fraction("fractions", fractions)
    except InputError:
        raise InputError("fractions", fractions,
                         "three shares in (0, 1] summing to 1, e.g. (0.6, 0.2, 0.2)") from None
    if shares.shape != (3,) or not np.isclose(shares.sum(), 1.0, rtol=0, atol=1e-9):
        raise InputError("fractions", fractions,
                         "three shares in (0, 1] summing to 1, e.g. (0.6, 0.2, 0.2)")
    if stratify is not None and not shuffle:
        raise InputError("stratify", "<labels>",
                         "None when shuffle=False (a chronological split keeps the row order)")
    if groups is not None:
        if not shuffle:
            raise InputError("groups", "<labels>", "None when shuffle=False (sort by time "
                             "and split by date instead: later entities are new anyway)")
        if stratify is not None:
            raise InputError("groups", "<labels>", "None when stratify is given (use "
                             "sklearn.model_selection.StratifiedGroupKFold for both)")
        return _grouped_split(n, shares, groups, seed, fractions)

    if not shuffle:
        sizes = _largest_remainder(n, shares)
        if (sizes == 0).any():
            raise InputError("n", n, f"enough rows for every part of fractions={tuple(fractions)}")
        bounds = np.cumsum(sizes)
        rows = np.arange(n, dtype=np.intp)
        return rows[:bounds[0]], rows[bounds[0]:bounds[1]], rows[bounds[1]:]

    rng = np.random.default_rng(seed)
    if stratify is None:
        groups = [rng.permutation(n).astype(np.intp)]
    else:
        codes = _labels("stratify", stratify)
        if codes.size != n:
            raise InputError("stratify", f"{codes.size} labels", f"one label per row ({n})")
        groups = [rng.permutation(np.flatnonzero(codes == c)).astype(np.intp)
                  for c in range(int(codes.max()) + 1)]
    parts: list[list[IndexArray]] = [[], [], []]
    for rows in groups:
        bounds = np.cumsum(_largest_remainder(rows.size, shares))
        for part, chunk in zip(parts, np.split(rows, bounds[:2]), strict=True):
            part.append(chunk)
    out = tuple(np.sort(np.concatenate(p)) for p in parts)
    if any(p.size == 0 for p in out):
        raise InputError("n", n, f"enough rows for every part of fractions={tuple(fractions)}")
    return out  # type: ignore[return-value]


def _grouped_split(n: int, shares: NDArray[np.float64], groups: ArrayLike, seed: int | None,
                   fractions: Sequence[float]) -> tuple[IndexArray, IndexArray, IndexArray]:
    from sklearn.model_selection import GroupShuffleSplit

    codes = _labels("groups", groups)
    if codes.size != n:
        raise InputError("groups", f"{codes.size} labels", f"one group label per row ({n})")
    n_groups = int(codes.max()) + 1
    rest_share = float(shares[1] + shares[2])
    try:
        first = GroupShuffleSplit(n_splits=1, test_size=rest_share, random_state=seed)
        train, rest = next(first.split(np.zeros(n), groups=codes))
        second = GroupShuffleSplit(n_splits=1, test_size=float(shares[2]) / rest_share,
                                   random_state=seed)
        val_pos, test_pos = next(second.split(rest, groups=codes[rest]))
    except ValueError:
        raise InputError("groups", f"{n_groups} groups",
                         f"enough groups for every part of fractions={tuple(fractions)}") from None
    return (np.sort(train).astype(np.intp), np.sort(rest[val_pos]).astype(np.intp),
            np.sort(rest[test_pos]).astype(np.intp))


def skill_score(score: ArrayLike, baseline: ArrayLike,
                perfect: ArrayLike = 1.0) -> float | NDArray[np.float64]:
    """Share of the gap between a baseline and a perfect score that a model closes.

    ``(score - baseline) / (perfect - baseline)``: 1 is perfect, 0 is no better than the
    baseline, negative is worse. It works for scores (higher is better, ``perfect=1``)
    and for errors (lower is better, ``perfect=0``, giving ``1 - error / baseline_error``).
    Arrays broadcast.

    Parameters
    ----------
    score : float or array-like
        The model's value of the metric.
    baseline : float or array-like
        The baseline's value of the same metric on the same data.
    perfect : float or array-like, default 1.0
        The best attainable value of the metric (0 for an error).

    Returns
    -------
    float or numpy.ndarray
        The skill score.

    Raises
    ------
    InputError
        If a value is not finite, or ``baseline`` equals ``perfect`` (nothing left to gain).

    Examples
    --------
    >>> skill_score(0.75, baseline=0.5)          # accuracy: half the gap closed
    0.5
    >>> skill_score(2.0, baseline=8.0, perfect=0.0)   # mean squared error
    0.75
    """
    s = _finite("score", score)
    b = _finite("baseline", baseline)
    p = _finite("perfect", perfect)
    gap = p - b
    if np.any(gap == 0):
        raise InputError("baseline", scalar_or_array(b),
                         "a value different from perfect (the baseline is already perfect)")
    return scalar_or_array(np.asarray((s - b) / gap, dtype=float))


def bootstrap_interval(
    metric: Callable[[NDArray[Any], NDArray[Any]], float],
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    stratified: bool = False,
    method: str = "BCa",
    seed: int | None = 0,
) -> Range:
    """Bootstrap confidence interval of a metric computed on one evaluation set.

    A test set of a few hundred rows gives a noisy metric; report the interval, not only
    the point. The resampling and the interval are ``scipy.stats.bootstrap`` (BCa by
    default: bias-corrected and accelerated, second-order accurate where the percentile
    interval is first-order; Efron & Tibshirani 1993). This wrapper adds three things
    scipy lacks: the ``metric(y_true, y_pred)`` interface that resamples rows of both
    arrays together, resampling *within each class* (``stratified=True``, so that every
    resample holds every class and a classification metric stays defined), and a
    :class:`~mltk.foundation.ranges.Range` whose ``mid`` is the metric on the full set.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_pred) -> float``, e.g. ``sklearn.metrics.average_precision_score``.
    y_true, y_pred : array-like
        Targets and predictions (labels, scores or values), one per row, same length (>= 2).
    n_resamples : int, default 2000
        Number of bootstrap resamples (at least 10; BCa needs about 2,000 for stable
        tails at 95%).
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).
    stratified : bool, default False
        Resample within each class of ``y_true``, keeping the class counts fixed: use it for
        classification metrics, which are undefined on a resample with a single class.
    method : {"BCa", "percentile", "basic"}, default "BCa"
        ``scipy.stats.bootstrap``'s interval method. BCa also evaluates the metric on the
        n leave-one-out (jackknife) samples.
    seed : int or None, default 0
        Seed of the resampling.

    Returns
    -------
    Range
        ``low`` and ``high``: the interval (widened if needed to contain the point);
        ``mid``: the metric on the full set. If every resample gives the same value the
        interval is that value.

    Raises
    ------
    InputError
        If the arrays are empty or differ in length, a setting is out of range, or the
        metric is not finite on the full set or on a resample.

    Examples
    --------
    >>> import numpy as np
    >>> def accuracy(t, p):
    ...     return float(np.mean(t == p))
    >>> r = bootstrap_interval(accuracy, [1, 1, 0, 0, 1, 0, 1, 1], [1, 0, 0, 0, 1, 0, 1, 1])
    >>> r.mid
    0.875
    >>> r.low <= r.mid <= r.high <= 1.0
    True
    """
    import warnings

    from scipy import stats

    if not callable(metric):
        raise InputError("metric", metric, "a function metric(y_true, y_pred) -> float")
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.ndim == 0 or t.shape[0] < 2:
        raise InputError("y_true", y_true, "at least 2 rows")
    if p.ndim == 0 or p.shape[0] != t.shape[0]:
        raise InputError("y_pred", f"{p.shape[0] if p.ndim else 1} rows",
                         f"one prediction per row of y_true ({t.shape[0]})")
    n_resamples = _integer("n_resamples", n_resamples, 10)
    level = _confidence_level(confidence)
    if method not in ("BCa", "percentile", "basic"):
        raise InputError("method", method, "one of BCa, percentile, basic")

    point = float(metric(t, p))
    bad = "a metric defined on every resample (for a classification metric, pass " \
          "stratified=True so that every resample holds every class)"
    if not np.isfinite(point):
        raise InputError("metric", getattr(metric, "__name__", metric), bad)
    # Resample row indices: one sample of indices, or one per class (scipy resamples
    # several samples independently, which is exactly a stratified bootstrap).
    # A class with a single row resamples to itself: it is held fixed (scipy needs two
    # or more observations per sample).
    if stratified:
        codes = _labels("y_true", t)
        strata = [np.flatnonzero(codes == c) for c in range(int(codes.max()) + 1)]
    else:
        strata = [np.arange(t.shape[0])]
    data = tuple(rows for rows in strata if rows.size >= 2)
    fixed = np.concatenate([rows for rows in strata if rows.size < 2] or [np.zeros(0, np.intp)])
    if not data:
        return Range(point, point, point)

    def statistic(*rows: NDArray[np.intp]) -> float:
        idx = np.concatenate([*rows, fixed])
        return float(metric(t[idx], p[idx]))

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # a constant bootstrap distribution is handled below, not warned about
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(data, statistic, n_resamples=n_resamples, confidence_level=level,
                              method=method, vectorized=False, paired=False,
                              random_state=np.random.default_rng(seed))
    values = np.asarray(res.bootstrap_distribution, dtype=float)
    if not np.all(np.isfinite(values)):
        raise InputError("metric", getattr(metric, "__name__", metric), bad)
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if np.ptp(values) == 0 or not (np.isfinite(low) and np.isfinite(high)):
        # every resample gave one value (BCa is then undefined): fall back to percentiles
        alpha = (1.0 - level) / 2.0
        low, high = (float(x) for x in np.quantile(values, [alpha, 1.0 - alpha]))
    return Range(min(low, point), point, max(high, point))


# --------------------------------------------------------------------------- unsupervised

def adjusted_rand_index(labels_a: ArrayLike, labels_b: ArrayLike) -> float:
    """Adjusted Rand index of two partitions (deprecated: use ``sklearn.metrics.adjusted_rand_score``).

    Kept so that existing code runs; it checks its input as before (an
    :class:`~mltk.foundation.errors.InputError` naming the argument) and returns
    ``sklearn.metrics.adjusted_rand_score(labels_a, labels_b)`` with a ``DeprecationWarning``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     round(adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]), 4)   # one group split: 4/7
    0.5714
    """
    import warnings

    from sklearn.metrics import adjusted_rand_score

    warnings.warn("mltk.handbook.model_evaluation.adjusted_rand_index is deprecated: use "
                  "sklearn.metrics.adjusted_rand_score", DeprecationWarning, stacklevel=2)
    a = _labels("labels_a", labels_a)
    b = _labels("labels_b", labels_b)
    if a.size != b.size:
        raise InputError("labels_b", f"{b.size} labels", f"one label per item ({a.size})")
    return float(adjusted_rand_score(a, b))


def clustering_stability(X: ArrayLike, k: int, *, n_resamples: int = 20,
                         seed: int | None = 0) -> float:
    """Mean adjusted Rand index between k-means partitions fitted on bootstrap resamples.

    Each of ``n_resamples`` bootstrap resamples of the rows is clustered with
    scikit-learn's ``KMeans`` (k-means++ seeding, best of 4 runs); each fit then labels
    *every* row by its nearest centre, and the partitions are compared pairwise with
    ``sklearn.metrics.adjusted_rand_score``. Structure that is really in the data comes
    back from resample to resample (value near 1); a ``k`` that cuts through a continuum
    does not. Scale the features first: k-means uses Euclidean distance.
    What this adds to scikit-learn: the resampling scheme (Ben-Hur, Elisseeff & Guyon
    2002; Lange et al. 2004) in one call.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data, finite numbers, more rows than ``k``.
    k : int
        Number of clusters (at least 2).
    n_resamples : int, default 20
        Number of bootstrap fits (at least 2); ``n_resamples * (n_resamples - 1) / 2``
        pairs are compared.
    seed : int or None, default 0
        Seed of the resampling and of the k-means seeding.

    Returns
    -------
    float
        Mean pairwise adjusted Rand index, at most 1.

    Raises
    ------
    InputError
        If ``X`` is not a finite 2-D array with more rows than ``k``, or ``k`` or
        ``n_resamples`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> blobs = np.concatenate([rng.normal(c, 0.3, size=(30, 2)) for c in (0, 5, 10)])
    >>> clustering_stability(blobs, k=3, n_resamples=10)
    1.0
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    data = _finite("X", X)
    if data.ndim != 2:
        raise InputError("X", f"array of shape {data.shape}",
                         "a 2-D array of shape (n_samples, n_features)")
    k = _integer("k", k, 2)
    if data.shape[0] <= k:
        raise InputError("k", k, f"fewer clusters than rows ({data.shape[0]})")
    n_resamples = _integer("n_resamples", n_resamples, 2)

    rng = np.random.default_rng(seed)
    n = data.shape[0]
    partitions = []
    # small fits: one thread is faster than OpenMP start-up, and fair on a shared machine
    with threadpool_limits(limits=1):
        for _ in range(n_resamples):
            sample = data[rng.integers(0, n, size=n)]
            km = KMeans(n_clusters=k, n_init=4, random_state=int(rng.integers(2**31 - 1)))
            partitions.append(km.fit(sample).predict(data))
    scores = [adjusted_rand_score(partitions[i], partitions[j])
              for i in range(n_resamples) for j in range(i + 1, n_resamples)]
    return float(np.mean(scores))
