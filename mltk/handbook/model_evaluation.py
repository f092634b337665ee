"""Honest model evaluation: splits, skill over a baseline, test-set intervals, cluster stability.

Small helpers (numpy only, no scikit-learn needed) for the evaluation discipline that the
Machine Learning part of the handbook teaches:

- :func:`split_train_validation_test`: index sets for a train / validation / test split,
  shuffled, stratified or chronological;
- :func:`skill_score`: how much of the gap between a baseline and a perfect score a model closes;
- :func:`bootstrap_interval`: a percentile bootstrap interval for any metric on a test set;
- :func:`adjusted_rand_index`: agreement between two partitions, corrected for chance;
- :func:`clustering_stability`: mean agreement of k-means partitions fitted on bootstrap resamples.

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

__all__ = ["adjusted_rand_index", "bootstrap_interval", "clustering_stability",
           "skill_score", "split_train_validation_test"]

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
    n_resamples: int = 1000,
    confidence: float = 0.95,
    stratified: bool = False,
    seed: int | None = 0,
) -> Range:
    """Percentile bootstrap interval of a metric computed on one evaluation set.

    A test set of a few hundred rows gives a noisy metric; report the interval, not only
    the point. Rows are resampled with replacement ``n_resamples`` times and the metric is
    recomputed on each resample.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_pred) -> float``, e.g. ``sklearn.metrics.average_precision_score``.
    y_true, y_pred : array-like
        Targets and predictions (labels, scores or values), one per row, same length (>= 2).
    n_resamples : int, default 1000
        Number of bootstrap resamples (at least 10).
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).
    stratified : bool, default False
        Resample within each class of ``y_true``, keeping the class counts fixed: use it for
        classification metrics, which are undefined on a resample with a single class.
    seed : int or None, default 0
        Seed of the resampling.

    Returns
    -------
    Range
        ``low`` and ``high``: the interval (widened if needed to contain the point);
        ``mid``: the metric on the full set.

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
    level = float(fraction("confidence", confidence))
    if level >= 1.0:
        raise InputError("confidence", confidence, "a coverage in (0, 1), e.g. 0.95")

    rng = np.random.default_rng(seed)
    n = t.shape[0]
    if stratified:
        codes = _labels("y_true", t)
        strata = [np.flatnonzero(codes == c) for c in range(int(codes.max()) + 1)]
        draws = np.concatenate(
            [rows[rng.integers(0, rows.size, size=(n_resamples, rows.size))] for rows in strata],
            axis=1)
    else:
        draws = rng.integers(0, n, size=(n_resamples, n))
    values = np.array([float(metric(t[rows], p[rows])) for rows in draws])
    point = float(metric(t, p))
    if not (np.isfinite(point) and np.all(np.isfinite(values))):
        raise InputError("metric", getattr(metric, "__name__", metric),
                         "a metric defined on every resample (for a classification metric, "
                         "pass stratified=True so that every resample holds every class)")
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return Range(min(float(low), point), point, max(float(high), point))


# --------------------------------------------------------------------------- unsupervised

def adjusted_rand_index(labels_a: ArrayLike, labels_b: ArrayLike) -> float:
    """Adjusted Rand index of two partitions of the same items (Hubert and Arabie, 1985).

    The share of item pairs on which the partitions agree (same group in both, or
    different groups in both), rescaled so that identical partitions score 1 and
    chance agreement scores 0 on average. Label names do not matter, only the grouping.

    Parameters
    ----------
    labels_a, labels_b : array-like
        One label per item, same length.

    Returns
    -------
    float
        The index, at most 1 (it can be slightly negative).

    Raises
    ------
    InputError
        If a labelling is not one-dimensional, is empty, or the lengths differ.

    Examples
    --------
    >>> adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0])   # same grouping, renamed
    1.0
    >>> adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2])   # one group split: 4/7
    0.5714
    """
    a = _labels("labels_a", labels_a)
    b = _labels("labels_b", labels_b)
    if a.size != b.size:
        raise InputError("labels_b", f"{b.size} labels", f"one label per item ({a.size})")
    return _ari_codes(a, b)


def _pairs(counts: NDArray[np.int64]) -> int:
    return int((counts * (counts - 1) // 2).sum())


def _ari_codes(a: NDArray[np.intp], b: NDArray[np.intp]) -> float:
    """ARI of two integer-coded labellings (codes 0..max), without input checks."""
    n = a.size
    n_b = int(b.max()) + 1
    table = np.bincount(a * n_b + b, minlength=(int(a.max()) + 1) * n_b).astype(np.int64)
    index = _pairs(table)
    rows = _pairs(np.bincount(a).astype(np.int64))
    cols = _pairs(np.bincount(b).astype(np.int64))
    total = n * (n - 1) // 2
    expected = rows * cols / total if total else 0.0
    maximum = (rows + cols) / 2
    if maximum == expected:  # both trivial in the same way: all in one group, or all singletons
        return 1.0
    return float((index - expected) / (maximum - expected))


def _nearest(X: NDArray[np.float64], centres: NDArray[np.float64]) -> tuple[IndexArray,
                                                                            NDArray[np.float64]]:
    # |x - c|^2 = |x|^2 - 2 x.c + |c|^2, without an (n, k, d) intermediate
    d2 = (X ** 2).sum(axis=1)[:, None] - 2.0 * X @ centres.T + (centres ** 2).sum(axis=1)[None, :]
    np.maximum(d2, 0.0, out=d2)
    labels = d2.argmin(axis=1)
    return labels, d2[np.arange(X.shape[0]), labels]


def _kmeans(X: NDArray[np.float64], k: int, rng: np.random.Generator,
            n_init: int = 4, max_iter: int = 100) -> NDArray[np.float64]:
    """Centres of the best of ``n_init`` Lloyd runs seeded with k-means++ (private)."""
    best, best_inertia = X[:k], np.inf
    for _ in range(n_init):
        centres = np.empty((k, X.shape[1]))
        centres[0] = X[rng.integers(X.shape[0])]
        d2 = ((X - centres[0]) ** 2).sum(axis=1)
        for j in range(1, k):
            total = d2.sum()
            pick = rng.choice(X.shape[0], p=d2 / total) if total > 0 else rng.integers(X.shape[0])
            centres[j] = X[pick]
            d2 = np.minimum(d2, ((X - centres[j]) ** 2).sum(axis=1))
        labels = np.full(X.shape[0], -1)
        for _ in range(max_iter):
            new_labels, d2 = _nearest(X, centres)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
            for j in range(k):
                members = labels == j
                if members.any():
                    centres[j] = X[members].mean(axis=0)
                else:  # empty cluster: restart it at the worst-served point
                    centres[j] = X[d2.argmax()]
                    d2[d2.argmax()] = 0.0
        inertia = float(_nearest(X, centres)[1].sum())
        if inertia < best_inertia:
            best, best_inertia = centres.copy(), inertia
    return best


def clustering_stability(X: ArrayLike, k: int, *, n_resamples: int = 20,
                         seed: int | None = 0) -> float:
    """Mean adjusted Rand index between k-means partitions fitted on bootstrap resamples.

    Each of ``n_resamples`` bootstrap resamples of the rows is clustered with k-means
    (k-means++ seeding, best of 4 Lloyd runs); each fit then labels *every* row by its
    nearest centre, and the partitions are compared pairwise with
    :func:`adjusted_rand_index`. Structure that is really in the data comes back from
    resample to resample (value near 1); a ``k`` that cuts through a continuum
    does not. Scale the features first: k-means uses Euclidean distance.

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
    for _ in range(n_resamples):
        sample = data[rng.integers(0, n, size=n)]
        partitions.append(_nearest(data, _kmeans(sample, k, rng))[0])
    scores = [_ari_codes(partitions[i], partitions[j])
              for i in range(n_resamples) for j in range(i + 1, n_resamples)]
    return float(np.mean(scores))
