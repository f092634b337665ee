"""Data drift: compare a production window with a reference window, feature by feature.

Four statistics, each answering a slightly different question:

- :func:`psi`, the population stability index: an effect size on binned proportions,
  read against the credit-scoring rule of thumb 0.1 / 0.25 (:data:`PSI_THRESHOLDS`).
- :func:`ks_test`, the two-sample Kolmogorov-Smirnov test for a numeric feature
  (``scipy.stats.ks_2samp``): a p-value.
- :func:`js_distance`, the Jensen-Shannon distance on shared bins
  (``scipy.spatial.distance.jensenshannon``, base 2): a bounded effect size in [0, 1].
- :func:`chi2_test`, Pearson's chi-square test of homogeneity for a categorical
  feature (``scipy.stats.chi2_contingency`` on the 2 x k table): a p-value.

:func:`drift_report` runs the relevant ones on every feature, corrects the p-values
for the number of features (:func:`adjust_pvalues`) and flags drift.
Book chapter: "Monitoring Drift".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.spatial.distance import jensenshannon

from ..foundation import checks as v
from ..foundation.checks import _as_float_array
from ..foundation.errors import InputError

__all__ = ["ALPHA", "PSI_EPS", "PSI_THRESHOLDS", "CORRECTIONS", "TwoSampleResult",
           "FeatureDrift", "DriftReport", "bin_edges", "psi", "psi_critical_value", "psi_level",
           "ks_test", "js_distance", "chi2_test", "category_counts", "adjust_pvalues",
           "family_wise_error", "drift_report"]

#: PSI rule of thumb from credit scoring: below 0.1 stable, 0.1-0.25 moderate shift,
#: 0.25 and above a major shift that calls for action (Siddiqi 2006; Yurdakul 2018).
PSI_THRESHOLDS: tuple[float, float] = (0.1, 0.25)

#: Default significance level of the KS and chi-square tests.
ALPHA: float = 0.05

#: Floor on a bin's proportion in :func:`psi`: an empty bin would make ln(q/p) infinite.
PSI_EPS: float = 1e-4

#: Multiple-testing corrections :func:`adjust_pvalues` knows.
CORRECTIONS: tuple[str, ...] = ("bonferroni", "bh", "none")

_F = NDArray[np.float64]


@dataclass(frozen=True)
class TwoSampleResult:
    """Outcome of a two-sample test: the statistic and its p-value.

    ``statistic`` and ``pvalue`` are floats for one feature, arrays for several;
    ``dof`` is the chi-square test's degrees of freedom (None for KS).
    """

    statistic: Any
    pvalue: Any
    dof: int | None = None


# --------------------------------------------------------------------------- validation

def _sample(name: str, value: Any, ndims: tuple[int, ...] = (1,)) -> _F:
    """A sample of finite numbers with one of ``ndims`` dimensions (rows are observations)."""
    if isinstance(value, str | bytes):
        raise InputError(name, value, "an array of numbers, not a string")
    arr = _as_float_array(name, value)
    if arr.ndim not in ndims:
        shape = "a 1-D sample" if ndims == (1,) else "a 1-D sample or a 2-D array (rows x features)"
        raise InputError(name, f"array of shape {arr.shape}", shape)
    if arr.ndim == 2 and 0 in arr.shape:
        raise InputError(name, f"array of shape {arr.shape}", "at least one row and one column")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(name, float(arr[bad][0]),
                         "finite values only (no NaN or inf): drop or impute missing values first")
    return arr


def _cut_points(bins: Any, sample: _F) -> _F:
    """Interior bin edges: quantiles of ``sample`` if ``bins`` is a count, else ``bins`` itself."""
    if np.ndim(bins) == 0:
        if isinstance(bins, bool | np.bool_) or not isinstance(bins, int | np.integer):
            raise InputError("bins", bins, "an integer number of bins (>= 2) or a sequence of "
                                           "increasing cut points")
        if bins < 2:
            raise InputError("bins", bins, "at least 2 bins")
        probs = np.arange(1, int(bins)) / int(bins)
        # 'inverted_cdf' picks observed values as edges, so the binning depends only on ranks;
        # np.unique drops duplicate edges that ties produce (fewer, wider bins).
        return np.unique(np.quantile(sample, probs, method="inverted_cdf"))
    edges = _sample("bins", bins)
    if edges.size > 1 and np.any(np.diff(edges) <= 0):
        raise InputError("bins", bins, "strictly increasing cut points")
    return edges


def _bin_counts(sample: _F, cuts: _F) -> NDArray[np.int64]:
    """Counts in the bins (-inf, c0], (c0, c1], ..., (c_last, inf)."""
    return np.bincount(np.searchsorted(cuts, sample, side="left"), minlength=cuts.size + 1)


def _counts(name: str, value: Any) -> _F:
    """A vector of category counts: finite, integer-valued, >= 0, at least 2, not all zero."""
    arr = _sample(name, value)
    if arr.size < 2:
        raise InputError(name, value, "counts for at least 2 categories")
    if np.any(arr < 0):
        raise InputError(name, float(arr[arr < 0][0]), "counts >= 0")
    frac = arr != np.round(arr)
    if frac.any():
        raise InputError(name, float(arr[frac][0]), "whole-number counts")
    if arr.sum() == 0:
        raise InputError(name, value, "at least one non-zero count")
    return arr


def _eps(value: Any) -> float:
    e = float(_as_float_array("eps", value))
    if not (0 < e < 1):
        raise InputError("eps", value, "a small positive proportion, e.g. 1e-4")
    return e


def _out(x: Any) -> Any:
    a = np.asarray(x, dtype=float)
    return float(a) if a.ndim == 0 else a


# --------------------------------------------------------------------------- statistics

def bin_edges(reference: ArrayLike, bins: int = 10) -> _F:
    """Interior bin edges at the quantiles of ``reference``, as :func:`psi` uses them.

    The edges are observed values at the probabilities 1/bins, ..., (bins-1)/bins
    (numpy's ``inverted_cdf`` quantile), duplicates removed: with ties you get fewer,
    wider bins. Bins are closed on the right, (e[i-1], e[i]], and the outer two are
    open-ended, so a current value beyond the reference's range still lands in a bin.

    Parameters
    ----------
    reference : array_like
        1-D sample of finite numbers.
    bins : int, default 10
        Number of bins wanted (>= 2); the result may hold fewer edges when values tie.

    Returns
    -------
    ndarray
        Sorted interior edges (``bins - 1`` of them without ties).

    Examples
    --------
    >>> bin_edges(range(10), bins=5)
    array([1., 3., 5., 7.])
    >>> bin_edges([0, 0, 0, 0, 1, 2], bins=3)   # ties: the 1/3 and 2/3 edges would repeat
    array([0.])
    """
    return _cut_points(bins, _sample("reference", reference))


def _psi_from_proportions(p: _F, q: _F, eps: float) -> float:
    p = np.maximum(p, eps)
    q = np.maximum(q, eps)
    return float(np.sum((q - p) * np.log(q / p)))


def psi(reference: ArrayLike, current: ArrayLike, bins: int | ArrayLike = 10, *,
        eps: float = PSI_EPS) -> float:
    """Population stability index of ``current`` against ``reference``.

    PSI = sum over bins of (q_i - p_i) ln(q_i / p_i), with p and q the proportions of
    the reference and current samples in each bin. The bins come from the reference:
    quantile edges (:func:`bin_edges`) so each holds about the same share of it, and
    open-ended outer bins. A proportion below ``eps`` is raised to ``eps`` before the
    sum, so an empty bin adds a large but finite term instead of an infinite one.

    Each term is >= 0, so PSI >= 0 and it is 0 when the binned proportions agree.
    The formula is symmetric in p and q, but the bins are not: swapping the samples
    changes the edges, so ``psi(a, b) != psi(b, a)`` in general.
    Read it against :data:`PSI_THRESHOLDS` (see :func:`psi_level`); the noise under no
    drift grows with the number of bins and shrinks with the sample sizes.

    Parameters
    ----------
    reference, current : array_like
        1-D samples of finite numbers (training-time and production values).
    bins : int or array_like, default 10
        Number of quantile bins of the reference (>= 2), or increasing interior cut points.
    eps : float, default :data:`PSI_EPS`
        Floor on a bin proportion, in (0, 1).

    Returns
    -------
    float

    Raises
    ------
    mltk.foundation.errors.InputError
        Empty samples, NaN or inf values, fewer than 2 bins, non-increasing cut points.

    Examples
    --------
    The reference 0..9 split at its median (4) holds 50% / 50%; the current sample has
    80% / 20%: PSI = 0.3 ln(1.6) + 0.3 ln(2.5).

    >>> round(psi(range(10), [0, 0, 1, 1, 2, 2, 3, 3, 9, 9], bins=2), 4)
    0.4159
    >>> psi([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    0.0
    """
    ref = _sample("reference", reference)
    cur = _sample("current", current)
    e = _eps(eps)
    cuts = _cut_points(bins, ref)
    p = _bin_counts(ref, cuts) / ref.size
    q = _bin_counts(cur, cuts) / cur.size
    return _psi_from_proportions(p, q, e)


def psi_critical_value(n_reference: ArrayLike, n_current: ArrayLike, bins: int = 10,
                       alpha: float = ALPHA) -> Any:
    """PSI that two same-distribution samples of these sizes exceed with probability ~alpha.

    PSI has no sampling distribution of its own, but for small differences it is close
    to the chi-square statistic of the binned counts, so under no drift
    PSI ~ (1/n_reference + 1/n_current) * chi2(bins - 1) (Yurdakul 2018). The
    ``1 - alpha`` quantile of that law is a threshold with a known false-alarm rate,
    unlike the fixed 0.1 / 0.25, whose false-alarm rate depends on the sample sizes.
    The approximation needs about 10 or more observations per bin in each sample;
    below that, empty bins (floored at :data:`PSI_EPS`) make PSI larger than it says.

    Parameters
    ----------
    n_reference, n_current : array_like
        Sample sizes (> 0); arrays broadcast.
    bins : int, default 10
        Number of bins (>= 2).
    alpha : float, default :data:`ALPHA`
        Tolerated false-alarm rate, in (0, 1).

    Returns
    -------
    float or ndarray

    Examples
    --------
    With 10 bins and 1,000 observations on each side, PSI above about 0.034 is
    unusual without drift: far below the 0.1 rule of thumb.

    >>> round(psi_critical_value(1000, 1000), 4)
    0.0338
    >>> psi_critical_value([100, 10_000], 10_000).round(4)
    array([0.1709, 0.0034])
    """
    n_ref = v.positive("n_reference", n_reference)
    n_cur = v.positive("n_current", n_current)
    if isinstance(bins, bool | np.bool_) or not isinstance(bins, int | np.integer) or bins < 2:
        raise InputError("bins", bins, "an integer number of bins >= 2")
    a = float(_as_float_array("alpha", alpha))
    if not (0 < a < 1):
        raise InputError("alpha", alpha, "a false-alarm rate in (0, 1), e.g. 0.05")
    return v.scalar_or_array(stats.chi2.ppf(1 - a, int(bins) - 1) * (1 / n_ref + 1 / n_cur))


def psi_level(value: float, thresholds: tuple[float, float] = PSI_THRESHOLDS) -> str:
    """Name the band of a PSI value: ``"stable"``, ``"moderate"`` or ``"major"``.

    Examples
    --------
    >>> [psi_level(x) for x in (0.02, 0.1, 0.3)]
    ['stable', 'moderate', 'major']
    """
    low, high = _thresholds(thresholds)
    return "stable" if value < low else "moderate" if value < high else "major"


def _thresholds(thresholds: Any) -> tuple[float, float]:
    try:
        low, high = (float(t) for t in thresholds)
    except (TypeError, ValueError):
        raise InputError("psi_thresholds", thresholds, "two numbers (moderate, major)") from None
    if not (0 < low < high and np.isfinite(high)):
        raise InputError("psi_thresholds", thresholds, "0 < moderate < major, e.g. (0.1, 0.25)")
    return low, high


def ks_test(reference: ArrayLike, current: ArrayLike) -> TwoSampleResult:
    """Two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``).

    The statistic is the largest gap between the two empirical distribution functions;
    the p-value is exact for small samples and asymptotic for large ones (scipy's
    ``method="auto"``). Pass 2-D arrays (rows are observations, columns features) to
    test every column at once: the result then holds arrays.

    Parameters
    ----------
    reference, current : array_like
        1-D samples, or 2-D arrays with the same number of columns.

    Returns
    -------
    TwoSampleResult
        ``statistic`` (D, in [0, 1]) and ``pvalue``.

    Raises
    ------
    mltk.foundation.errors.InputError
        Empty samples, NaN or inf values, mismatched number of columns.

    Examples
    --------
    Two samples of five that do not overlap: D = 1 and the exact p-value is
    2 / C(10, 5) = 2 / 252.

    >>> r = ks_test([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    >>> r.statistic, round(r.pvalue, 6)
    (1.0, 0.007937)
    """
    ref = _sample("reference", reference, (1, 2))
    cur = _sample("current", current, (1, 2))
    if ref.ndim != cur.ndim or ref.shape[1:] != cur.shape[1:]:
        raise InputError("current", f"array of shape {cur.shape}",
                         f"the same number of columns as reference (shape {ref.shape})")
    res = stats.ks_2samp(ref, cur, axis=0)
    return TwoSampleResult(_out(res.statistic), _out(res.pvalue))


def _js_from_counts(p: Any, q: Any) -> float:
    d = float(jensenshannon(np.asarray(p, float), np.asarray(q, float), base=2))
    # jensenshannon takes a square root of a sum that rounding can push a hair below 0
    # for (almost) identical inputs; that is a distance of 0, not NaN.
    return 0.0 if np.isnan(d) else d


def js_distance(reference: ArrayLike, current: ArrayLike, bins: int | ArrayLike = 10) -> float:
    """Jensen-Shannon distance between the binned samples, in base 2 (so in [0, 1]).

    Both samples are counted in the same bins: quantile edges of the *pooled* sample
    (the two together), so the distance is symmetric in its arguments, or the
    interior cut points you pass. ``scipy.spatial.distance.jensenshannon`` does the
    rest; the distance is the square root of the JS divergence (Lin 1991). It is 0
    when the binned proportions agree and 1 when no bin holds values of both samples.

    Parameters
    ----------
    reference, current : array_like
        1-D samples of finite numbers.
    bins : int or array_like, default 10
        Number of quantile bins of the pooled sample (>= 2), or increasing cut points.

    Returns
    -------
    float

    Raises
    ------
    mltk.foundation.errors.InputError
        Empty samples, NaN or inf values, fewer than 2 bins, non-increasing cut points.

    Examples
    --------
    >>> js_distance([1, 2, 3, 4], [1, 2, 3, 4])
    0.0
    >>> js_distance([1, 2, 3, 4], [11, 12, 13, 14], bins=2)
    1.0
    """
    ref = _sample("reference", reference)
    cur = _sample("current", current)
    cuts = _cut_points(bins, np.concatenate([ref, cur]))
    return _js_from_counts(_bin_counts(ref, cuts), _bin_counts(cur, cuts))


def chi2_test(reference_counts: ArrayLike, current_counts: ArrayLike) -> TwoSampleResult:
    """Pearson's chi-square test that two windows share one categorical distribution.

    The counts form a 2 x k contingency table (reference row, current row) tested for
    homogeneity with ``scipy.stats.chi2_contingency`` (no Yates continuity correction).
    A test of homogeneity, rather than a goodness-of-fit test of the current counts
    against the reference proportions, treats the reference as the sample it is:
    its proportions are estimates too. Categories empty in both windows are dropped;
    if only one category remains there is nothing to compare (statistic 0, p-value 1).

    Parameters
    ----------
    reference_counts, current_counts : array_like
        Counts per category, in the same category order (see :func:`category_counts`).

    Returns
    -------
    TwoSampleResult
        ``statistic``, ``pvalue`` and ``dof`` (categories kept - 1).

    Raises
    ------
    mltk.foundation.errors.InputError
        Fewer than 2 categories, different lengths, negative or fractional counts,
        NaN or inf, a window whose counts are all zero.

    Examples
    --------
    30/70 against 50/50: the expected counts are 40/60 in each row, so the statistic is
    2 (10^2/40 + 10^2/60) = 8.33 with 1 degree of freedom.

    >>> r = chi2_test([30, 70], [50, 50])
    >>> round(r.statistic, 4), round(r.pvalue, 5), r.dof
    (8.3333, 0.00389, 1)
    """
    ref = _counts("reference_counts", reference_counts)
    cur = _counts("current_counts", current_counts)
    if ref.shape != cur.shape:
        raise InputError("current_counts", f"{cur.size} categories",
                         f"as many categories as reference_counts ({ref.size})")
    table = np.vstack([ref, cur])
    table = table[:, table.sum(axis=0) > 0]
    res = stats.chi2_contingency(table, correction=False)
    return TwoSampleResult(float(res.statistic), float(res.pvalue), int(res.dof))


def category_counts(reference: ArrayLike, current: ArrayLike
                    ) -> tuple[np.ndarray, NDArray[np.int64], NDArray[np.int64]]:
    """Count the categories of two raw samples on their shared, sorted category list.

    Returns
    -------
    categories, reference_counts, current_counts : ndarray
        Categories seen in either sample; a category missing from one window counts 0.

    Examples
    --------
    >>> cats, r, c = category_counts(["a", "b", "b"], ["b", "c"])
    >>> cats.tolist(), r.tolist(), c.tolist()
    (['a', 'b', 'c'], [1, 2, 0], [0, 1, 1])
    """
    ref = np.asarray(reference).ravel()
    cur = np.asarray(current).ravel()
    for name, arr, raw in (("reference", ref, reference), ("current", cur, current)):
        if arr.size == 0:
            raise InputError(name, raw, "a non-empty sample of category labels")
    cats, inverse = np.unique(np.concatenate([ref, cur]), return_inverse=True)
    inverse = inverse.ravel()
    k = cats.size
    return (cats, np.bincount(inverse[:ref.size], minlength=k),
            np.bincount(inverse[ref.size:], minlength=k))


def adjust_pvalues(pvalues: ArrayLike, method: str = "bonferroni", *, axis: int = -1) -> _F:
    """Correct p-values for testing many features at once.

    ``"bonferroni"`` multiplies by the number of tests m (capped at 1): the chance of
    *any* false alarm stays below alpha. ``"bh"`` is Benjamini-Hochberg
    (``scipy.stats.false_discovery_control``): the expected share of false alarms among
    the alarms stays below alpha, with more power. ``"none"`` returns them unchanged.

    Parameters
    ----------
    pvalues : array_like
        1-D p-values of one family of tests, or a 2-D array of several families.
    method : {"bonferroni", "bh", "none"}
        The correction.
    axis : int, default -1
        For 2-D input, the axis along which one family lies (-1: each row is a family).

    Returns
    -------
    ndarray
        Adjusted p-values, same shape: compare them with alpha.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.02, 0.04, 0.5])
    array([0.04, 0.08, 0.16, 1.  ])
    >>> adjust_pvalues([0.01, 0.02, 0.04, 0.5], "bh").round(4)
    array([0.04  , 0.04  , 0.0533, 0.5   ])
    """
    p = _sample("pvalues", pvalues, (1, 2))
    if np.any((p < 0) | (p > 1)):
        raise InputError("pvalues", float(p[(p < 0) | (p > 1)][0]), "probabilities in [0, 1]")
    if isinstance(axis, bool | np.bool_) or not isinstance(axis, int | np.integer) \
            or not -p.ndim <= axis < p.ndim:
        raise InputError("axis", axis, f"an axis of the {p.ndim}-D p-values")
    if method == "bonferroni":
        return np.minimum(p * p.shape[axis], 1.0)
    if method == "bh":
        return np.asarray(stats.false_discovery_control(p, axis=int(axis), method="bh"),
                          dtype=float)
    if method == "none":
        return p.copy()
    raise InputError("correction", method, f"one of {', '.join(CORRECTIONS)}")


def family_wise_error(n_tests: ArrayLike, alpha: float = ALPHA) -> Any:
    """Chance that at least one of ``n_tests`` independent tests raises a false alarm.

    1 - (1 - alpha)^m: with 20 features checked at alpha = 0.05, about 64% of
    windows without any drift raise at least one alarm.

    Examples
    --------
    >>> round(family_wise_error(20), 3)
    0.642
    >>> family_wise_error([1, 10]).round(3)
    array([0.05 , 0.401])
    """
    m = v.at_least_one("n_tests", n_tests)
    a = float(_as_float_array("alpha", alpha))
    if not (0 < a < 1):
        raise InputError("alpha", alpha, "a significance level in (0, 1), e.g. 0.05")
    return v.scalar_or_array(1 - (1 - a) ** m)


# --------------------------------------------------------------------------- report

@dataclass(frozen=True)
class FeatureDrift:
    """One feature's line of a :class:`DriftReport`.

    ``test`` is ``"ks"`` (numeric) or ``"chi2"`` (categorical); ``significant`` means the
    corrected p-value is below alpha; ``drift`` means significant *and* PSI at least the
    moderate threshold, a change both unlikely under no drift and large enough to matter.
    """

    feature: str
    kind: str
    test: str
    statistic: float
    pvalue: float
    pvalue_adjusted: float
    psi: float
    psi_level: str
    js: float
    significant: bool
    drift: bool


@dataclass(frozen=True)
class DriftReport:
    """Result of :func:`drift_report`: one :class:`FeatureDrift` per feature, in input order."""

    features: tuple[FeatureDrift, ...]
    alpha: float
    correction: str
    psi_thresholds: tuple[float, float]

    @property
    def drifted(self) -> list[str]:
        """Names of the features flagged as drifted."""
        return [f.feature for f in self.features if f.drift]

    @property
    def any_drift(self) -> bool:
        """True if at least one feature is flagged."""
        return any(f.drift for f in self.features)

    def __getitem__(self, feature: str) -> FeatureDrift:
        for f in self.features:
            if f.feature == feature:
                return f
        raise KeyError(feature)

    def rows(self) -> list[dict[str, Any]]:
        """Plain data, one mapping per feature (for JSON or a data frame)."""
        return [dict(f.__dict__) for f in self.features]

    def to_markdown(self, digits: int = 3) -> str:
        """A Markdown table: feature, test, statistic, p-values, PSI and its band, JS, flag."""
        head = ("| feature | test | statistic | p-value | adjusted p | PSI | PSI band | JS "
                "| drift |\n|:--|:--|--:|--:|--:|--:|:--|--:|:--|")

        def g(x: float) -> str:
            return f"{x:.{digits}g}"

        lines = [head] + [
            f"| {f.feature} | {f.test} | {g(f.statistic)} | {g(f.pvalue)} | "
            f"{g(f.pvalue_adjusted)} | {g(f.psi)} | {f.psi_level} | {g(f.js)} | "
            f"{'yes' if f.drift else 'no'} |" for f in self.features]
        return "\n".join(lines)


def _columns(name: str, data: Any, feature_names: Sequence[str] | None
             ) -> tuple[list[str], list[Any]]:
    if isinstance(data, Mapping):
        if not data:
            raise InputError(name, data, "at least one feature")
        return [str(k) for k in data], list(data.values())
    arr = np.asarray(data)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.size == 0:
        raise InputError(name, f"array of shape {arr.shape}",
                         "a mapping name -> sample, or a non-empty 2-D array (rows x features)")
    names = ([f"x{i}" for i in range(arr.shape[1])] if feature_names is None
             else [str(n) for n in feature_names])
    if len(names) != arr.shape[1]:
        raise InputError("feature_names", list(feature_names or []),
                         f"{arr.shape[1]} names, one per column of {name}")
    return names, [arr[:, i] for i in range(arr.shape[1])]


def drift_report(reference: Mapping[str, ArrayLike] | ArrayLike,
                 current: Mapping[str, ArrayLike] | ArrayLike, *,
                 categorical: Sequence[str] = (), feature_names: Sequence[str] | None = None,
                 bins: int = 10, alpha: float = ALPHA,
                 psi_thresholds: tuple[float, float] = PSI_THRESHOLDS,
                 correction: str = "bonferroni") -> DriftReport:
    """Compare every feature of a current window with the reference window.

    Numeric features get :func:`ks_test`, :func:`psi` and :func:`js_distance`;
    categorical ones (named in ``categorical``) get :func:`chi2_test` and PSI and JS on
    the category proportions. The p-values are corrected across features
    (:func:`adjust_pvalues`) before they are compared with ``alpha``. A feature is
    flagged when its corrected p-value is below ``alpha`` *and* its PSI reaches the
    moderate threshold: with large windows the tests call negligible shifts
    significant, with small ones PSI is noisy, and requiring both guards against each.

    Parameters
    ----------
    reference, current : mapping or array_like
        Either mappings feature name -> 1-D sample (same names in both), or 2-D arrays
        (rows are observations, columns features; a 1-D array is one feature).
    categorical : sequence of str, optional
        Names of categorical features (their values may be any labels).
    feature_names : sequence of str, optional
        Column names for array input; default ``x0, x1, ...``.
    bins : int, default 10
        Quantile bins for PSI and JS on numeric features.
    alpha : float, default :data:`ALPHA`
        Significance level after correction.
    psi_thresholds : (float, float), default :data:`PSI_THRESHOLDS`
        Moderate and major PSI thresholds.
    correction : {"bonferroni", "bh", "none"}, default "bonferroni"
        Multiple-testing correction across features.

    Returns
    -------
    DriftReport

    Raises
    ------
    mltk.foundation.errors.InputError
        Mismatched features, empty samples, NaN or inf, bins < 2, alpha outside (0, 1),
        an unknown correction.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = {"age": rng.normal(40, 10, 1000), "plan": rng.choice(["a", "b"], 1000)}
    >>> cur = {"age": rng.normal(48, 10, 1000), "plan": rng.choice(["a", "b"], 1000)}
    >>> report = drift_report(ref, cur, categorical=["plan"])
    >>> report.drifted
    ['age']
    >>> report["plan"].test, report["plan"].drift
    ('chi2', False)
    """
    names, ref_cols = _columns("reference", reference, feature_names)
    cur_names, cur_cols = _columns("current", current, feature_names)
    if names != cur_names:
        raise InputError("current", cur_names, f"the same features as reference ({names})")
    a = float(_as_float_array("alpha", alpha))
    if not (0 < a < 1):
        raise InputError("alpha", alpha, "a significance level in (0, 1), e.g. 0.05")
    thresholds = _thresholds(psi_thresholds)
    if correction not in CORRECTIONS:
        raise InputError("correction", correction, f"one of {', '.join(CORRECTIONS)}")
    unknown = set(categorical) - set(names)
    if unknown:
        raise InputError("categorical", sorted(unknown), f"names among the features {names}")

    partial = []
    for name, r, c in zip(names, ref_cols, cur_cols, strict=True):
        if name in categorical:
            _, rc, cc = category_counts(r, c)
            res = chi2_test(rc, cc) if rc.size >= 2 else TwoSampleResult(0.0, 1.0, 0)
            p_ref, p_cur = rc / rc.sum(), cc / cc.sum()
            partial.append((name, "categorical", "chi2", res, _psi_from_proportions(
                p_ref, p_cur, PSI_EPS), _js_from_counts(rc, cc)))
        else:
            r_arr = _sample(f"reference[{name!r}]", r)
            c_arr = _sample(f"current[{name!r}]", c)
            partial.append((name, "numeric", "ks", ks_test(r_arr, c_arr),
                            psi(r_arr, c_arr, bins), js_distance(r_arr, c_arr, bins)))

    adjusted = adjust_pvalues([row[3].pvalue for row in partial], correction)
    features = []
    for (name, kind, test, res, p_si, js), p_adj in zip(partial, adjusted, strict=True):
        significant = bool(p_adj < a)
        features.append(FeatureDrift(
            feature=name, kind=kind, test=test, statistic=float(res.statistic),
            pvalue=float(res.pvalue), pvalue_adjusted=float(p_adj), psi=p_si,
            psi_level=psi_level(p_si, thresholds), js=js, significant=significant,
            drift=significant and p_si >= thresholds[0]))
    return DriftReport(tuple(features), a, correction, thresholds)
