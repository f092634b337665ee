"""Group fairness metrics for binary decisions: rates per group, the gaps between them, intervals.

The metrics follow the standard definitions (Barocas, Hardt & Narayanan, *Fairness and
Machine Learning*, 2023): demographic parity compares selection rates; equal opportunity
(Hardt, Price & Srebro 2016) compares true positive rates. Gaps are reported as
``max - min`` over groups, so they are non-negative and 0 means parity.

The rates and gaps are computed by fairlearn (``fairlearn.metrics``: ``MetricFrame``,
``demographic_parity_difference``, ``demographic_parity_ratio``,
``equal_opportunity_difference``; MIT licence, a pure-Python wheel whose dependencies
numpy, scipy, pandas and scikit-learn the handbook installs anyway). What this module
adds on top: input checks that name the argument (fairlearn raises generic errors),
``NaN`` and an error where a rate is undefined (fairlearn returns a true positive rate
of 0 for a group without positives, which reads as a real, maximal gap), and
:func:`gap_interval`, a bootstrap interval for a gap, which fairlearn does not provide.
fairlearn is imported on first use (it takes seconds to import pandas and scikit-learn).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..foundation.errors import InputError
from ..foundation.ranges import Range
from .model_evaluation import _confidence_level

__all__ = ["GroupRates", "group_rates", "demographic_parity_difference",
           "equal_opportunity_difference", "disparate_impact_ratio", "GAP_METRICS",
           "gap_interval", "FOUR_FIFTHS_RATIO"]

#: Disparate impact ratio below which U.S. employment guidance sees evidence of adverse
#: impact: the "four-fifths rule", 29 CFR 1607.4(D) (Uniform Guidelines on Employee Selection
#: Procedures, 1978).
FOUR_FIFTHS_RATIO = 0.8

#: Gaps :func:`gap_interval` knows.
GAP_METRICS: tuple[str, ...] = ("demographic_parity", "equal_opportunity")


def _binary(name: str, value: ArrayLike) -> NDArray[np.int8]:
    """A non-empty 1-D array of 0/1 (or booleans), as int8."""
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(name, value if arr.ndim == 0 else f"array of shape {arr.shape}",
                         "a non-empty one-dimensional array of 0/1 labels")
    if arr.dtype == bool:
        return arr.astype(np.int8)
    try:
        f = arr.astype(float)
    except (TypeError, ValueError):
        raise InputError(name, arr[:5].tolist(), "0/1 labels or booleans") from None
    bad = ~((f == 0) | (f == 1))
    if bad.any():
        raise InputError(name, arr[bad][0].item(), "0/1 labels or booleans")
    return f.astype(np.int8)


def _groups(group: ArrayLike, n: int) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """Distinct group labels (sorted) and each example's index into them."""
    arr = np.asarray(group)
    if arr.ndim != 1 or arr.size != n:
        raise InputError("group", f"array of shape {arr.shape}",
                         f"one group label per example ({n} labels)")
    try:
        labels, index = np.unique(arr, return_inverse=True)
    except TypeError:
        raise InputError("group", arr[:5].tolist(),
                         "group labels of one sortable type (all strings or all numbers)") from None
    if labels.size < 2:
        raise InputError("group", labels.tolist(), "at least two distinct groups")
    return labels, index


def _same_length(y_true: NDArray[np.int8], y_pred: NDArray[np.int8]) -> None:
    if y_true.size != y_pred.size:
        raise InputError("y_pred", f"{y_pred.size} predictions",
                         f"one prediction per true label ({y_true.size} labels)")


def _rate(hits: NDArray[np.float64], total: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, hits / np.where(total > 0, total, 1), np.nan)


@dataclass(frozen=True, eq=False)
class GroupRates:
    """Per-group rates of a binary classifier (one array element per group).

    Attributes
    ----------
    groups : tuple
        Group labels, sorted.
    count : ndarray
        Number of examples in each group.
    base_rate : ndarray
        Fraction of true positives (``y_true == 1``) in each group: the prevalence.
    selection_rate : ndarray
        Fraction predicted positive, ``P(y_pred = 1 | group)``.
    true_positive_rate : ndarray
        ``P(y_pred = 1 | y_true = 1, group)``; ``nan`` for a group without positives.
    false_positive_rate : ndarray
        ``P(y_pred = 1 | y_true = 0, group)``; ``nan`` for a group without negatives.
    """

    groups: tuple[Any, ...]
    count: NDArray[np.int64]
    base_rate: NDArray[np.float64]
    selection_rate: NDArray[np.float64]
    true_positive_rate: NDArray[np.float64]
    false_positive_rate: NDArray[np.float64]

    _COLUMNS = (("count", "Examples"), ("base_rate", "Base rate"),
                ("selection_rate", "Selection rate"), ("true_positive_rate", "True positive rate"),
                ("false_positive_rate", "False positive rate"))

    def rows(self) -> list[dict[str, Any]]:
        """One dict per group, for printing or a DataFrame.

        Examples
        --------
        >>> r = group_rates([1, 0, 1, 0], [1, 0, 0, 0], ["a", "a", "b", "b"])
        >>> r.rows()[0]  # doctest: +NORMALIZE_WHITESPACE
        {'group': 'a', 'count': 2, 'base_rate': 0.5, 'selection_rate': 0.5,
         'true_positive_rate': 1.0, 'false_positive_rate': 0.0}
        """
        out = []
        for i, g in enumerate(self.groups):
            row: dict[str, Any] = {"group": g}
            for key, _ in self._COLUMNS:
                x = getattr(self, key)[i]
                row[key] = int(x) if key == "count" else float(x)
            out.append(row)
        return out

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(t)}</th>" for t in
                       ("Group", *(title for _, title in self._COLUMNS)))
        body = []
        for row in self.rows():
            cells = [f"<td>{html.escape(str(row['group']))}</td>"]
            for key, _ in self._COLUMNS:
                x = row[key]
                cells.append(f"<td>{x:,}</td>" if key == "count" else f"<td>{x:.3f}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return (f'<table class="mltk-range"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table>")


def group_rates(y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike) -> GroupRates:
    """Base rate, selection rate, true and false positive rates for every group.

    Parameters
    ----------
    y_true : array_like
        True outcomes, 0/1 or booleans (1-D).
    y_pred : array_like
        Decisions of the classifier, 0/1 or booleans, same length.
    group : array_like
        Group label of each example (strings or numbers), same length, at least two groups.

    Returns
    -------
    GroupRates
        One element per group, groups sorted; renders as an HTML table in notebooks.

    Examples
    --------
    >>> r = group_rates(y_true=[1, 1, 0, 0, 1, 1, 0, 0],
    ...                 y_pred=[1, 1, 1, 0, 1, 0, 0, 0],
    ...                 group=["a", "a", "a", "a", "b", "b", "b", "b"])
    >>> r.groups, r.selection_rate, r.true_positive_rate, r.false_positive_rate
    (('a', 'b'), array([0.75, 0.25]), array([1. , 0.5]), array([0.5, 0. ]))
    """
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    yt = _binary("y_true", y_true)
    yp = _binary("y_pred", y_pred)
    _same_length(yt, yp)
    labels, idx = _groups(group, yt.size)
    frame = MetricFrame(metrics={"count": count, "selection_rate": selection_rate,
                                 "tpr": true_positive_rate, "fpr": false_positive_rate,
                                 "base_rate": lambda t, p: float(np.mean(t))},
                        y_true=yt, y_pred=yp, sensitive_features=idx).by_group.sort_index()
    count_ = frame["count"].to_numpy(dtype=np.int64)
    pos = np.bincount(idx, weights=yt, minlength=labels.size)
    # fairlearn reports 0 where a rate is undefined (no positives or no negatives): NaN here
    tpr = np.where(pos > 0, frame["tpr"].to_numpy(dtype=float), np.nan)
    fpr = np.where(count_ - pos > 0, frame["fpr"].to_numpy(dtype=float), np.nan)
    return GroupRates(groups=tuple(x.item() if hasattr(x, "item") else x for x in labels),
                      count=count_, base_rate=frame["base_rate"].to_numpy(dtype=float),
                      selection_rate=frame["selection_rate"].to_numpy(dtype=float),
                      true_positive_rate=tpr, false_positive_rate=fpr)


def _checked(y_pred: ArrayLike, group: ArrayLike) -> tuple[NDArray[np.int8], NDArray[np.intp]]:
    yp = _binary("y_pred", y_pred)
    _, idx = _groups(group, yp.size)
    return yp, idx


def demographic_parity_difference(y_pred: ArrayLike, group: ArrayLike) -> float:
    """Largest gap in selection rate ``P(y_pred = 1 | group)`` between groups.

    0 means every group is selected at the same rate (demographic parity, also called
    statistical parity); the value is in [0, 1].

    Examples
    --------
    >>> demographic_parity_difference([1, 1, 1, 0, 1, 0, 0, 0], ["a"] * 4 + ["b"] * 4)
    0.5
    """
    from fairlearn.metrics import demographic_parity_difference as dpd

    yp, idx = _checked(y_pred, group)
    return float(dpd(yp, yp, sensitive_features=idx))   # y_true is ignored by selection rates


def disparate_impact_ratio(y_pred: ArrayLike, group: ArrayLike) -> float:
    """Lowest selection rate divided by the highest, in [0, 1].

    U.S. employment guidance treats a ratio below :data:`FOUR_FIFTHS_RATIO` (0.8, the
    "four-fifths rule", 29 CFR 1607.4(D)) as evidence of adverse impact that needs justification.

    Raises
    ------
    InputError
        If no example is predicted positive (the ratio is undefined).

    Examples
    --------
    >>> disparate_impact_ratio([1, 1, 1, 0, 1, 0, 0, 0], ["a"] * 4 + ["b"] * 4)
    0.3333333333333333
    """
    from fairlearn.metrics import demographic_parity_ratio

    yp, idx = _checked(y_pred, group)
    if not yp.any():
        raise InputError("y_pred", "all 0", "at least one positive prediction")
    return float(demographic_parity_ratio(yp, yp, sensitive_features=idx))


def equal_opportunity_difference(y_true: ArrayLike, y_pred: ArrayLike,
                                 group: ArrayLike) -> float:
    """Largest gap in true positive rate ``P(y_pred = 1 | y_true = 1, group)`` between groups.

    Equal opportunity (Hardt, Price & Srebro 2016) asks that qualified members of every
    group are accepted at the same rate; 0 means it holds. The value is in [0, 1].

    Raises
    ------
    InputError
        If a group has no positive example (its true positive rate is undefined).

    Examples
    --------
    >>> equal_opportunity_difference(y_true=[1, 1, 0, 0, 1, 1, 0, 0],
    ...                              y_pred=[1, 1, 1, 0, 1, 0, 0, 0],
    ...                              group=["a"] * 4 + ["b"] * 4)
    0.5
    """
    from fairlearn.metrics import equal_opportunity_difference as eod

    yt = _binary("y_true", y_true)
    yp = _binary("y_pred", y_pred)
    _same_length(yt, yp)
    labels, idx = _groups(group, yt.size)
    _require_positives(yt, idx, labels)
    return float(eod(yt, yp, sensitive_features=idx))


def _require_positives(yt: NDArray[np.int8], idx: NDArray[np.intp], labels: NDArray[Any]) -> None:
    pos = np.bincount(idx, weights=yt, minlength=labels.size)
    if (pos == 0).any():
        missing = [g.item() if hasattr(g, "item") else g for g in labels[pos == 0]]
        raise InputError("y_true", f"no positive example in group(s) {missing}",
                         "at least one positive example (y_true == 1) in every group")


def _gap(metric: str, yt: NDArray[np.int8], yp: NDArray[np.int8], idx: NDArray[np.intp],
         k: int) -> float:
    """max - min over groups of the selection rate or the true positive rate (numpy, fast)."""
    if metric == "equal_opportunity":
        keep = yt == 1
        yp, idx = yp[keep], idx[keep]
    rates = np.bincount(idx, weights=yp, minlength=k) / np.bincount(idx, minlength=k)
    return float(rates.max() - rates.min())


def gap_interval(y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike, *,
                 metric: str = "demographic_parity", n_resamples: int = 2000,
                 confidence: float = 0.95, seed: int | None = 0) -> Range:
    """Bootstrap confidence interval of a group fairness gap.

    A gap measured on a few hundred people per group moves by several points from one
    sample to the next; report it with an interval. Rows are resampled within each cell
    of group x true outcome, so every resample keeps each group's size and its count of
    positives (and the true positive rate stays defined); the interval is
    ``scipy.stats.bootstrap``'s BCa interval. The point (``mid``) equals fairlearn's
    ``demographic_parity_difference`` or ``equal_opportunity_difference``; the
    resamples use a numpy version of the same rates, thousands of times faster than a
    ``MetricFrame`` per resample.

    A max - min gap is biased upwards when the true gap is small: the largest of several
    noisy rates minus the smallest exceeds the true spread. An interval that reaches
    close to 0 is therefore consistent with parity, and a lower bound well above 0 is
    evidence of a gap.

    Parameters
    ----------
    y_true, y_pred : array_like
        True outcomes and decisions, 0/1 or booleans (1-D, same length).
    group : array_like
        Group label of each row (at least two groups).
    metric : {"demographic_parity", "equal_opportunity"}, default "demographic_parity"
        The gap: in selection rate, or in true positive rate.
    n_resamples : int, default 2000
        Bootstrap resamples (>= 100).
    confidence : float, default 0.95
        Coverage, in (0, 1).
    seed : int or None, default 0
        Seed of the resampling.

    Returns
    -------
    Range
        ``mid``: the gap on the full data; ``low``, ``high``: the interval.

    Raises
    ------
    InputError
        Bad labels or groups, an unknown ``metric``, a group without positives for
        ``"equal_opportunity"``, settings out of range.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(["a", "b"], 500)
    >>> y = rng.integers(0, 2, 1000)
    >>> pred = (rng.random(1000) < np.where(g == "a", 0.6, 0.4)).astype(int)
    >>> r = gap_interval(y, pred, g, n_resamples=500)
    >>> bool(r.low < r.mid < r.high), bool(0.1 < r.low), bool(r.high < 0.3)
    (True, True, True)
    """
    import warnings

    from scipy import stats

    yt = _binary("y_true", y_true)
    yp = _binary("y_pred", y_pred)
    _same_length(yt, yp)
    labels, idx = _groups(group, yt.size)
    if metric not in GAP_METRICS:
        raise InputError("metric", metric, f"one of {', '.join(GAP_METRICS)}")
    if metric == "equal_opportunity":
        _require_positives(yt, idx, labels)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer) \
            or n_resamples < 100:
        raise InputError("n_resamples", n_resamples, "an integer >= 100")
    level = _confidence_level(confidence)
    k = labels.size
    point = (demographic_parity_difference(yp, idx) if metric == "demographic_parity"
             else equal_opportunity_difference(yt, yp, idx))
    cells = [np.flatnonzero((idx == g) & (yt == c)) for g in range(k) for c in (0, 1)]
    data = tuple(c for c in cells if c.size >= 2)
    fixed = np.concatenate([c for c in cells if c.size < 2] or [np.zeros(0, np.intp)])

    def statistic(*rows: NDArray[np.intp]) -> float:
        i = np.concatenate([*rows, fixed])
        return _gap(metric, yt[i], yp[i], idx[i], k)

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(data, statistic, n_resamples=int(n_resamples),
                              confidence_level=level, method="BCa", vectorized=False,
                              random_state=np.random.default_rng(seed))
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):   # constant resamples
        a = (1 - level) / 2
        low, high = (float(x) for x in np.quantile(res.bootstrap_distribution, [a, 1 - a]))
    return Range(min(low, point), point, max(high, point))
