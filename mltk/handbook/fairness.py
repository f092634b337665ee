"""Group fairness metrics for binary decisions: rates per group and the gaps between them.

The metrics follow the standard definitions (Barocas, Hardt & Narayanan, *Fairness and
Machine Learning*, 2023): demographic parity compares selection rates; equal opportunity
(Hardt, Price & Srebro 2016) compares true positive rates. Gaps are reported as
``max - min`` over groups, so they are non-negative and 0 means parity.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..foundation.errors import InputError

__all__ = ["GroupRates", "group_rates", "demographic_parity_difference",
           "equal_opportunity_difference", "disparate_impact_ratio"]


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
    yt = _binary("y_true", y_true)
    yp = _binary("y_pred", y_pred)
    _same_length(yt, yp)
    labels, idx = _groups(group, yt.size)
    k = labels.size
    count = np.bincount(idx, minlength=k)
    pos = np.bincount(idx, weights=yt, minlength=k)
    sel = np.bincount(idx, weights=yp, minlength=k)
    tp = np.bincount(idx, weights=yt * yp, minlength=k)
    fp = np.bincount(idx, weights=(1 - yt) * yp, minlength=k)
    neg = count - pos
    return GroupRates(groups=tuple(x.item() if hasattr(x, "item") else x for x in labels),
                      count=count.astype(np.int64), base_rate=pos / count,
                      selection_rate=sel / count, true_positive_rate=_rate(tp, pos),
                      false_positive_rate=_rate(fp, neg))


def _selection_rates(y_pred: ArrayLike, group: ArrayLike) -> NDArray[np.float64]:
    yp = _binary("y_pred", y_pred)
    _, idx = _groups(group, yp.size)
    count = np.bincount(idx)
    return np.bincount(idx, weights=yp, minlength=count.size) / count


def demographic_parity_difference(y_pred: ArrayLike, group: ArrayLike) -> float:
    """Largest gap in selection rate ``P(y_pred = 1 | group)`` between groups.

    0 means every group is selected at the same rate (demographic parity, also called
    statistical parity); the value is in [0, 1].

    Examples
    --------
    >>> demographic_parity_difference([1, 1, 1, 0, 1, 0, 0, 0], ["a"] * 4 + ["b"] * 4)
    0.5
    """
    rates = _selection_rates(y_pred, group)
    return float(rates.max() - rates.min())


def disparate_impact_ratio(y_pred: ArrayLike, group: ArrayLike) -> float:
    """Lowest selection rate divided by the highest, in [0, 1].

    U.S. employment guidance treats a ratio below 0.8 (the "four-fifths rule",
    29 CFR 1607.4(D)) as evidence of adverse impact that needs justification.

    Raises
    ------
    InputError
        If no example is predicted positive (the ratio is undefined).

    Examples
    --------
    >>> disparate_impact_ratio([1, 1, 1, 0, 1, 0, 0, 0], ["a"] * 4 + ["b"] * 4)
    0.3333333333333333
    """
    rates = _selection_rates(y_pred, group)
    if rates.max() == 0:
        raise InputError("y_pred", "all 0", "at least one positive prediction")
    return float(rates.min() / rates.max())


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
    rates = group_rates(y_true, y_pred, group)
    tpr = rates.true_positive_rate
    if np.isnan(tpr).any():
        missing = [g for g, t in zip(rates.groups, tpr, strict=True) if np.isnan(t)]
        raise InputError("y_true", f"no positive example in group(s) {missing}",
                         "at least one positive example (y_true == 1) in every group")
    return float(tpr.max() - tpr.min())
