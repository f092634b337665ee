"""Business value of a binary classifier: expected money per decision from its error rates.

The expected-value framing follows Provost & Fawcett (*Data Science for Business*, 2013,
ch. 7) and the cost-matrix reasoning of Elkan (2001): give every cell of the confusion
matrix a value in money, weight each by how often it occurs, and sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..foundation import checks as v
from ..foundation.errors import InputError

__all__ = ["classifier_value", "decision_threshold", "flagged_share"]


def _unit_interval(name: str, value: ArrayLike, open_ends: bool = False) -> NDArray[np.float64]:
    arr = v._as_float_array(name, value)
    bad = ~np.isfinite(arr) | (arr <= 0 if open_ends else arr < 0) | (arr >= 1 if open_ends
                                                                      else arr > 1)
    if bad.any():
        rng = "(0, 1)" if open_ends else "[0, 1]"
        raise InputError(name, v._shown(arr, bad), f"a probability in {rng}")
    return arr


def _finite(name: str, value: ArrayLike) -> NDArray[np.float64]:
    arr = v._as_float_array(name, value)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(name, v._shown(arr, bad), "a finite amount of money (USD)")
    return arr


def classifier_value(true_positive_rate: ArrayLike, false_positive_rate: ArrayLike,
                     prevalence: ArrayLike, value_tp_usd: ArrayLike, value_fp_usd: ArrayLike,
                     value_fn_usd: ArrayLike = 0.0, value_tn_usd: ArrayLike = 0.0,
                     decisions: ArrayLike = 1.0) -> Any:
    """Expected value in USD of ``decisions`` decisions taken by a binary classifier.

    With prevalence ``p``, true positive rate ``TPR`` and false positive rate ``FPR``::

        EV = decisions * ( p       * (TPR * v_tp + (1 - TPR) * v_fn)
                         + (1 - p) * (FPR * v_fp + (1 - FPR) * v_tn) )

    Values are signed: a benefit is positive, a cost negative. Measure them against
    the same reference (usually "what happens today"), so a rules baseline and a model
    are compared on one scale. Every argument broadcasts: pass a whole ROC curve as
    arrays to find the most valuable operating point.

    Parameters
    ----------
    true_positive_rate : array_like
        Fraction of actual positives flagged, in [0, 1] (recall, sensitivity).
    false_positive_rate : array_like
        Fraction of actual negatives flagged, in [0, 1].
    prevalence : array_like
        Fraction of cases that are actually positive, in (0, 1).
    value_tp_usd, value_fp_usd, value_fn_usd, value_tn_usd : array_like
        Money gained (positive) or lost (negative) per true positive, false positive,
        false negative and true negative, in USD.
    decisions : array_like, default 1.0
        Number of decisions (>= 0), e.g. per year; 1 gives the value per decision.

    Returns
    -------
    float or ndarray
        Expected value in USD.

    Examples
    --------
    Flagging claims for review: a caught fraud saves 400 USD minus a 50 USD review,
    a false alarm costs the review; 2% of 100,000 claims are fraudulent.

    >>> classifier_value(0.7, 0.05, 0.02, value_tp_usd=350, value_fp_usd=-50,
    ...                  decisions=100_000)
    245000.0
    """
    tpr = _unit_interval("true_positive_rate", true_positive_rate)
    fpr = _unit_interval("false_positive_rate", false_positive_rate)
    p = _unit_interval("prevalence", prevalence, open_ends=True)
    vtp = _finite("value_tp_usd", value_tp_usd)
    vfp = _finite("value_fp_usd", value_fp_usd)
    vfn = _finite("value_fn_usd", value_fn_usd)
    vtn = _finite("value_tn_usd", value_tn_usd)
    n = v.non_negative("decisions", decisions)
    ev = n * (p * (tpr * vtp + (1 - tpr) * vfn) + (1 - p) * (fpr * vfp + (1 - fpr) * vtn))
    return v.scalar_or_array(ev)


def flagged_share(true_positive_rate: ArrayLike, false_positive_rate: ArrayLike,
                  prevalence: ArrayLike) -> Any:
    """Fraction of all cases a binary classifier flags: ``p * TPR + (1 - p) * FPR``.

    This is the workload an operating point creates (claims to review, alerts to
    triage), the quantity a team compares when it asks whether a model does better
    than a rule "for the same effort".

    Parameters
    ----------
    true_positive_rate, false_positive_rate : array_like
        Fractions of actual positives and of actual negatives flagged, in [0, 1].
    prevalence : array_like
        Fraction of cases that are actually positive, in (0, 1).

    Returns
    -------
    float or ndarray
        Share of cases flagged, in [0, 1].

    Examples
    --------
    >>> round(flagged_share(0.7, 0.05, 0.02), 4)   # 0.02 * 0.7 + 0.98 * 0.05
    0.063
    """
    tpr = _unit_interval("true_positive_rate", true_positive_rate)
    fpr = _unit_interval("false_positive_rate", false_positive_rate)
    p = _unit_interval("prevalence", prevalence, open_ends=True)
    return v.scalar_or_array(p * tpr + (1 - p) * fpr)


def decision_threshold(value_tp_usd: ArrayLike, value_fp_usd: ArrayLike,
                       value_fn_usd: ArrayLike = 0.0, value_tn_usd: ArrayLike = 0.0) -> Any:
    """Probability of being positive above which acting (flagging) pays on average.

    Acting on a case with probability ``q`` of being positive is worth
    ``q * v_tp + (1 - q) * v_fp``; not acting is worth ``q * v_fn + (1 - q) * v_tn``.
    They are equal at::

        q* = (v_tn - v_fp) / ((v_tp - v_fn) + (v_tn - v_fp))

    (Elkan 2001). A calibrated model should flag exactly the cases with ``q >= q*``.

    Raises
    ------
    InputError
        If acting is not better on a true positive (``v_tp > v_fn``) and not acting better
        on a true negative (``v_tn > v_fp``): then no threshold separates the two.

    Examples
    --------
    >>> decision_threshold(value_tp_usd=350, value_fp_usd=-50)
    0.125
    """
    vtp = _finite("value_tp_usd", value_tp_usd)
    vfp = _finite("value_fp_usd", value_fp_usd)
    vfn = _finite("value_fn_usd", value_fn_usd)
    vtn = _finite("value_tn_usd", value_tn_usd)
    gain_pos = vtp - vfn
    gain_neg = vtn - vfp
    for name, value, gain, expected in (
            ("value_tp_usd", vtp, gain_pos,
             "more than value_fn_usd (acting on a true positive must pay)"),
            ("value_fp_usd", vfp, gain_neg,
             "less than value_tn_usd (a false alarm must cost something)")):
        bad = gain <= 0
        if bad.any():
            shown = (float(value) if bad.ndim == 0
                     else float(np.broadcast_to(value, bad.shape)[bad][0]))
            raise InputError(name, shown, expected)
    return v.scalar_or_array(gain_neg / (gain_pos + gain_neg))
