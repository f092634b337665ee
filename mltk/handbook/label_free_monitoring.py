"""Monitoring without labels: multivariate drift, output drift, estimated performance.

Labels often arrive weeks after a prediction, if ever. Three checks need none:

- :func:`domain_classifier_test`: multivariate drift. A classifier learns to tell the
  reference window from the current one; its out-of-fold ROC AUC is 0.5 when it cannot
  and approaches 1 when the windows differ, in any feature or combination of features
  (Rabanser, Guennemann & Lipton 2019, "Failing Loudly"; Lopez-Paz & Oquab 2017).
  The AUC comes with a BCa bootstrap interval and a p-value.
- :func:`output_drift`: drift of the model's outputs, the predicted probabilities and
  the share predicted positive, with the tests of :mod:`mltk.handbook.drift`.
- :func:`estimate_performance`: confidence-based performance estimation (CBPE, as NannyML
  describes it): with calibrated probabilities, the expected confusion matrix and the
  expected accuracy of a window follow from the probabilities alone. It tracks realised
  performance under covariate shift *when calibration still holds* and is blind to
  concept shift, where P(y | x) itself changes.

:func:`make_shift_windows` draws the seeded synthetic windows the handbook's page uses
to show both behaviours. scikit-learn is needed by :func:`domain_classifier_test` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ..foundation import checks as v
from ..foundation.checks import _as_float_array
from ..foundation.errors import InputError
from ..foundation.ranges import Range
from .drift import ALPHA, TwoSampleResult, chi2_test, ks_test, psi
from .model_evaluation import _confidence_level

__all__ = ["auc_from_scores", "DomainClassifierResult", "domain_classifier_test",
           "OutputDrift", "output_drift", "ExpectedConfusion", "expected_confusion",
           "PerformanceEstimate", "estimate_performance", "ShiftWindows", "make_shift_windows",
           "SHIFT_KINDS", "TRUE_WEIGHTS"]

#: Kinds of shift :func:`make_shift_windows` draws.
SHIFT_KINDS: tuple[str, ...] = ("covariate", "concept", "none")

_F = NDArray[np.float64]


# --------------------------------------------------------------------------- helpers

def _probabilities(name: str, value: Any) -> _F:
    p = _as_float_array(name, value)
    if p.ndim != 1 or p.size == 0:
        raise InputError(name, f"array of shape {p.shape}",
                         "a non-empty 1-D array of probabilities of the positive class")
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        raise InputError(name, float(p[bad][0]), "probabilities in [0, 1]")
    return p


def _rng_kwargs(seed: int | None) -> dict[str, Any]:
    """scipy >= 1.15 names the seed ``rng``; older versions ``random_state``."""
    import inspect

    key = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
    return {key: np.random.default_rng(seed)}


def auc_from_scores(y: ArrayLike, scores: ArrayLike, axis: int = -1) -> Any:
    """ROC AUC from ranks: the Mann-Whitney U statistic divided by n0 * n1.

    AUC = (R1 - n1 (n1 + 1) / 2) / (n0 n1), with R1 the sum of the mid-ranks of the
    positives' scores (ties count one half). It equals
    ``sklearn.metrics.roc_auc_score``; written here because it is vectorised along
    ``axis``, so a bootstrap evaluates thousands of resamples in one call.

    Parameters
    ----------
    y : array_like
        0/1 labels (both classes present along ``axis``).
    scores : array_like
        Scores of the same shape; higher means more likely 1.
    axis : int, default -1
        Axis holding the observations.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> auc_from_scores([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> auc_from_scores([0, 1], [0.5, 0.5])
    0.5
    """
    yy = np.asarray(y, dtype=float)
    s = np.asarray(scores, dtype=float)
    if yy.shape != s.shape:
        raise InputError("scores", f"shape {s.shape}", f"the shape of y {yy.shape}")
    ranks = stats.rankdata(s, axis=axis)
    n1 = yy.sum(axis=axis)
    n0 = yy.shape[axis] - n1
    if np.any(n1 == 0) or np.any(n0 == 0):
        raise InputError("y", "a single class", "both classes (0 and 1) present")
    r1 = (ranks * yy).sum(axis=axis)
    out = (r1 - n1 * (n1 + 1) / 2) / (n0 * n1)
    return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------- multivariate drift

@dataclass(frozen=True)
class DomainClassifierResult:
    """Outcome of :func:`domain_classifier_test`.

    Attributes
    ----------
    auc : Range
        Out-of-fold ROC AUC of the domain classifier (mid) with its BCa bootstrap
        interval (low, high). 0.5: the windows look alike; 1: fully separable.
    pvalue : float
        P-value of "the windows come from one distribution".
    method : str
        How the p-value was computed: ``"mannwhitney"`` or ``"permutation"``.
    n_reference, n_current : int
        Rows in each window.
    """

    auc: Range
    pvalue: float
    method: str
    n_reference: int
    n_current: int

    def drift(self, alpha: float = ALPHA) -> bool:
        """True if the p-value is below ``alpha``."""
        return self.pvalue < alpha


def _table(name: str, value: Any) -> _F:
    arr = _as_float_array(name, value)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] < 10:
        raise InputError(name, f"array of shape {arr.shape}",
                         "a 2-D array (rows x features) with at least 10 rows")
    if not np.all(np.isfinite(arr)):
        raise InputError(name, "NaN or inf", "finite values: impute missing values first")
    return arr


def _default_classifier(seed: int | None) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=60, learning_rate=0.1, max_leaf_nodes=15,
                                          early_stopping=False, random_state=seed)


def _oof_scores(clf: Any, X: _F, d: NDArray[np.int64], folds: int, seed: int | None) -> _F:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # One thread: on windows of a few thousand rows OpenMP's start-up and contention cost
    # more than they save (several times slower on a busy 2-core machine).
    with threadpool_limits(limits=1):
        return np.asarray(cross_val_predict(clf, X, d, cv=cv, method="predict_proba")[:, 1])


def domain_classifier_test(reference: ArrayLike, current: ArrayLike, *,
                           classifier: Any = None, folds: int = 5, n_resamples: int = 1000,
                           n_permutations: int = 0, confidence: float = 0.95,
                           interval: str = "percentile", seed: int | None = 0
                           ) -> DomainClassifierResult:
    """Multivariate drift: can a classifier tell the current window from the reference?

    Rows of ``reference`` are labelled 0 and rows of ``current`` 1; ``classifier``
    (default: a small scikit-learn ``HistGradientBoostingClassifier``, which sees
    interactions and changes of correlation that no one-feature test sees) is
    cross-fitted over ``folds`` stratified folds, and the out-of-fold probabilities
    are scored with the ROC AUC (:func:`auc_from_scores`). This is the "domain
    classifier" of Rabanser et al. (2019), who found it weaker than univariate tests on
    small windows but useful because it also says *which rows* look new.

    The interval is a bootstrap (``scipy.stats.bootstrap``) over the out-of-fold
    scores, each window resampled separately; it ignores the variability of refitting,
    so it is a little narrow. It is a percentile interval by default: BCa's jackknife
    re-ranks all n rows n times (n^2 log n work, seconds for a few thousand rows), and
    for an AUC on thousands of rows the two intervals agree to about 0.001 (pass
    ``interval="BCa"`` to check).
    The p-value is, by default, the one-sided Mann-Whitney U test of the scores
    (``scipy.stats.mannwhitneyu``; its statistic is the AUC times n0 n1). Cross-fitting
    makes the out-of-fold scores slightly dependent, so that p-value is approximate; set
    ``n_permutations`` (e.g. 100) for a permutation test that refits the classifier on
    shuffled window labels and is exact, at ``n_permutations`` times the cost.

    Parameters
    ----------
    reference, current : array_like
        2-D arrays (rows x features, same columns; a 1-D array is one feature), finite,
        at least 10 rows each. Encode categorical features as numbers first.
    classifier : scikit-learn classifier, optional
        Any estimator with ``predict_proba``; it is cloned for each fold.
    folds : int, default 5
        Cross-fitting folds (>= 2).
    n_resamples : int, default 1000
        Bootstrap resamples for the interval (>= 100).
    n_permutations : int, default 0
        0: Mann-Whitney p-value. Otherwise the number of label permutations (>= 19).
    confidence : float, default 0.95
        Coverage of the interval.
    interval : {"percentile", "BCa", "basic"}, default "percentile"
        Bootstrap interval method (``scipy.stats.bootstrap``'s ``method``).
    seed : int or None, default 0
        Seed of the folds, the bootstrap, the permutations and the default classifier.

    Returns
    -------
    DomainClassifierResult

    Raises
    ------
    mltk.foundation.errors.InputError
        Too few rows, NaN or inf, different columns, settings out of range.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=(300, 3))
    >>> same = domain_classifier_test(ref, rng.normal(size=(300, 3)), n_resamples=200)
    >>> moved = domain_classifier_test(ref, rng.normal(0.5, 1, size=(300, 3)), n_resamples=200)
    >>> same.drift(), moved.drift(), bool(moved.auc.low > 0.6)
    (False, True, True)
    """
    ref = _table("reference", reference)
    cur = _table("current", current)
    if ref.shape[1] != cur.shape[1]:
        raise InputError("current", f"{cur.shape[1]} columns",
                         f"as many columns as reference ({ref.shape[1]})")
    k = v.integer("folds", folds, 2)
    b = v.integer("n_resamples", n_resamples, 100)
    perms = v.integer("n_permutations", n_permutations, 0)
    if 0 < perms < 19:
        raise InputError("n_permutations", n_permutations, "0 (Mann-Whitney) or at least 19")
    level = _confidence_level(confidence)
    if interval not in ("percentile", "BCa", "basic"):
        raise InputError("interval", interval, "one of percentile, BCa, basic")
    from sklearn.base import clone

    clf = _default_classifier(seed) if classifier is None else clone(classifier)
    X = np.vstack([ref, cur])
    d = np.r_[np.zeros(len(ref), np.int64), np.ones(len(cur), np.int64)]
    scores = _oof_scores(clf, X, d, k, seed)
    auc = auc_from_scores(d, scores)

    if perms:
        rng = np.random.default_rng(seed)
        null = np.array([auc_from_scores(p, _oof_scores(clone(clf), X, p, k, seed))
                         for p in (rng.permutation(d) for _ in range(perms))])
        pvalue, method = float((1 + np.sum(null >= auc)) / (perms + 1)), "permutation"
    else:
        mw = stats.mannwhitneyu(scores[d == 1], scores[d == 0], alternative="greater")
        pvalue, method = float(mw.pvalue), "mannwhitney"

    def stat(s0: _F, s1: _F, axis: int = -1) -> Any:
        y = np.concatenate([np.zeros(s0.shape, float), np.ones(s1.shape, float)], axis=axis)
        return auc_from_scores(y, np.concatenate([s0, s1], axis=axis), axis=axis)

    # Resample each window separately: the window sizes stay fixed, as in the test.
    res = stats.bootstrap((scores[d == 0], scores[d == 1]), stat, n_resamples=b,
                          confidence_level=level, method=interval, vectorized=True,
                          **_rng_kwargs(seed))
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):   # degenerate: every resample equal
        low = high = auc
    return DomainClassifierResult(Range(min(low, auc), auc, max(high, auc)), pvalue, method,
                                  len(ref), len(cur))


# --------------------------------------------------------------------------- output drift

@dataclass(frozen=True)
class OutputDrift:
    """Drift of a model's outputs (:func:`output_drift`).

    Attributes
    ----------
    ks : TwoSampleResult
        Kolmogorov-Smirnov test of the predicted probabilities.
    psi : float
        Population stability index of the predicted probabilities.
    positive_rate_reference, positive_rate_current : float
        Share of rows predicted positive (probability >= threshold) in each window.
    positive_rate_test : TwoSampleResult
        Chi-square test that the two windows share one positive rate.
    """

    ks: TwoSampleResult
    psi: float
    positive_rate_reference: float
    positive_rate_current: float
    positive_rate_test: TwoSampleResult


def output_drift(reference_proba: ArrayLike, current_proba: ArrayLike, *,
                 threshold: float = 0.5, bins: int = 10) -> OutputDrift:
    """Compare a model's predicted probabilities in two windows.

    The outputs are one number per row whatever the number of features, so this is the
    cheapest multivariate check, and it looks at what the model does with the shift:
    a moved feature the model ignores leaves the outputs alone. It is silent, too, under
    pure concept shift, where the inputs and hence the outputs stay put.

    Parameters
    ----------
    reference_proba, current_proba : array_like
        Predicted probabilities of the positive class, 1-D, in [0, 1].
    threshold : float, default 0.5
        Decision threshold that turns a probability into a positive prediction.
    bins : int, default 10
        Quantile bins for the PSI.

    Returns
    -------
    OutputDrift

    Examples
    --------
    >>> r = output_drift([0.1, 0.2, 0.6, 0.7] * 25, [0.6, 0.7, 0.8, 0.9] * 25)
    >>> r.positive_rate_reference, r.positive_rate_current
    (0.5, 1.0)
    >>> round(r.ks.statistic, 2), r.positive_rate_test.pvalue < 0.001
    (0.5, True)
    """
    ref = _probabilities("reference_proba", reference_proba)
    cur = _probabilities("current_proba", current_proba)
    thr = float(_as_float_array("threshold", threshold))
    if not 0 < thr < 1:
        raise InputError("threshold", threshold, "a decision threshold in (0, 1)")
    pos_ref, pos_cur = int(np.sum(ref >= thr)), int(np.sum(cur >= thr))
    table = np.array([[ref.size - pos_ref, pos_ref], [cur.size - pos_cur, pos_cur]])
    keep = table.sum(axis=0) > 0
    rate_test = (chi2_test(table[0], table[1]) if keep.all()
                 else TwoSampleResult(0.0, 1.0, 0))
    return OutputDrift(ks=ks_test(ref, cur), psi=psi(ref, cur, bins),
                       positive_rate_reference=pos_ref / ref.size,
                       positive_rate_current=pos_cur / cur.size, positive_rate_test=rate_test)


# --------------------------------------------------------------------------- CBPE

@dataclass(frozen=True)
class ExpectedConfusion:
    """Expected confusion-matrix counts given calibrated probabilities (may be fractional)."""

    tp: float
    fp: float
    tn: float
    fn: float

    @property
    def n(self) -> float:
        """Number of rows."""
        return self.tp + self.fp + self.tn + self.fn


def expected_confusion(proba: ArrayLike, threshold: float = 0.5) -> ExpectedConfusion:
    """Expected confusion matrix of thresholded predictions, from the probabilities alone.

    A row with calibrated probability p of being positive is predicted positive if
    p >= ``threshold``; it is then a true positive with probability p and a false
    positive with probability 1 - p (and a false negative or true negative likewise if
    predicted negative). Summing over rows gives the expected counts: the first step of
    NannyML's confidence-based performance estimation (CBPE).

    Examples
    --------
    >>> expected_confusion([0.9, 0.6, 0.2, 0.5])
    ExpectedConfusion(tp=2.0, fp=1.0, tn=0.8, fn=0.2)
    """
    p = _probabilities("proba", proba)
    thr = float(_as_float_array("threshold", threshold))
    if not 0 < thr < 1:
        raise InputError("threshold", threshold, "a decision threshold in (0, 1)")
    pos = p >= thr
    return ExpectedConfusion(tp=float(p[pos].sum()), fp=float((1 - p[pos]).sum()),
                             tn=float((1 - p[~pos]).sum()), fn=float(p[~pos].sum()))


@dataclass(frozen=True)
class PerformanceEstimate:
    """Performance of a window estimated without labels (:func:`estimate_performance`).

    Attributes
    ----------
    accuracy : Range
        Expected accuracy (mid) and the interval in which the realised accuracy of this
        window falls with probability ``confidence`` if the probabilities are calibrated.
    precision, recall, f1 : float
        Ratios of the expected counts (NaN-free: 0 where a denominator is 0).
    confusion : ExpectedConfusion
        The expected counts.
    """

    accuracy: Range
    precision: float
    recall: float
    f1: float
    confusion: ExpectedConfusion


def estimate_performance(proba: ArrayLike, threshold: float = 0.5, *,
                         confidence: float = 0.95) -> PerformanceEstimate:
    """Confidence-based performance estimation (CBPE) of a binary classifier.

    Each row is correct with probability c_i = max(p_i, 1 - p_i) (for the decision
    p_i >= threshold: c_i = p_i if predicted positive, 1 - p_i otherwise), so if the
    probabilities are calibrated the realised accuracy of the window is a mean of
    independent Bernoulli(c_i) draws: expected value mean(c_i), variance
    sum c_i (1 - c_i) / n^2 (a Poisson-binomial law). The interval is the normal
    approximation of that law, clipped to [0, 1]. Precision, recall and F1 are the
    ratios of :func:`expected_confusion` counts, as NannyML computes them.

    Valid under covariate shift only while calibration holds, which it does when the
    model of P(y | x) is right in the region the data moved to. Under concept shift
    (P(y | x) changes) the estimate does not move while performance does: it needs
    labels, eventually, to be checked. Calibrate on reference data first (e.g.
    ``sklearn.calibration.CalibratedClassifierCV``).

    Parameters
    ----------
    proba : array_like
        Calibrated probabilities of the positive class (1-D, in [0, 1]).
    threshold : float, default 0.5
        Decision threshold.
    confidence : float, default 0.95
        Coverage of the accuracy interval.

    Returns
    -------
    PerformanceEstimate

    Examples
    --------
    Probabilities 0.9, 0.8, 0.3 and 0.5: the decisions are right with probability
    0.9, 0.8, 0.7 and 0.5, so the expected accuracy is 0.725; the expected counts are
    TP = 2.2, FP = 0.8, FN = 0.3, so precision = 2.2 / 3 and recall = 2.2 / 2.5.

    >>> e = estimate_performance([0.9, 0.8, 0.3, 0.5])
    >>> round(e.accuracy.mid, 3), round(e.precision, 4), round(e.recall, 4)
    (0.725, 0.7333, 0.88)
    """
    p = _probabilities("proba", proba)
    level = _confidence_level(confidence)
    cm = expected_confusion(p, threshold)
    correct = np.where(p >= float(threshold), p, 1 - p)
    mean = float(correct.mean())
    sd = float(np.sqrt(np.sum(correct * (1 - correct))) / p.size)
    z = float(stats.norm.ppf(0.5 + level / 2))
    acc = Range(max(0.0, mean - z * sd), mean, min(1.0, mean + z * sd))

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else 0.0

    precision = ratio(cm.tp, cm.tp + cm.fp)
    recall = ratio(cm.tp, cm.tp + cm.fn)
    f1 = ratio(2 * precision * recall, precision + recall)
    return PerformanceEstimate(acc, precision, recall, f1, cm)


# --------------------------------------------------------------------------- synthetic windows

@dataclass(frozen=True)
class ShiftWindows:
    """Seeded windows of a binary problem with a known P(y | x) (:func:`make_shift_windows`).

    Attributes
    ----------
    X : ndarray, shape (n_windows, n_rows, n_features)
    y : ndarray, shape (n_windows, n_rows)
    severity : ndarray, shape (n_windows,)
        Shift amount of each window, from 0 (the reference world) to 1.
    true_proba : ndarray, shape (n_windows, n_rows)
        P(y = 1 | x) under which each window's labels were drawn.
    """

    X: _F
    y: NDArray[np.int64]
    severity: _F
    true_proba: _F


#: True coefficients of the logistic P(y | x) on features 0 and 1 (the others carry nothing).
TRUE_WEIGHTS: tuple[float, float] = (2.5, 1.5)


def make_shift_windows(n_windows: int = 10, n_rows: int = 2000, n_features: int = 4, *,
                       kind: str = "covariate", max_correlation: float = -0.8,
                       max_rotation_deg: float = 90.0, seed: int = 0) -> ShiftWindows:
    """Windows of a logistic problem whose inputs or whose concept moves with severity.

    Labels are drawn from P(y = 1 | x) = sigmoid(2.5 x0 + 1.5 x1); inputs are standard
    normal. Window i has severity s = i / (n_windows - 1). With ``kind="covariate"``
    features 0 and 1 become correlated, corr = s * ``max_correlation``, with unchanged
    marginals: no one-feature test can see it, and with a negative correlation the
    rows crowd towards the decision boundary, so accuracy falls while P(y | x) stays
    the same (calibration holds). With ``kind="concept"`` the inputs do not move; the
    coefficient vector turns by s * ``max_rotation_deg`` degrees, so P(y | x) changes.

    Examples
    --------
    >>> w = make_shift_windows(n_windows=3, n_rows=20000, seed=1)
    >>> w.X.shape, w.severity.tolist()
    ((3, 20000, 4), [0.0, 0.5, 1.0])
    >>> [round(float(np.corrcoef(x[:, 0], x[:, 1])[0, 1]), 1) for x in w.X]
    [0.0, -0.4, -0.8]
    """
    n_w = v.integer("n_windows", n_windows, 2)
    n = v.integer("n_rows", n_rows, 10)
    d = v.integer("n_features", n_features, 2)
    if kind not in SHIFT_KINDS:
        raise InputError("kind", kind, f"one of {', '.join(SHIFT_KINDS)}")
    rho_max = float(_as_float_array("max_correlation", max_correlation))
    if not -1 < rho_max < 1:
        raise InputError("max_correlation", max_correlation, "a correlation in (-1, 1)")
    rot = float(_as_float_array("max_rotation_deg", max_rotation_deg))
    if not np.isfinite(rot):
        raise InputError("max_rotation_deg", max_rotation_deg, "a finite angle in degrees")
    rng = np.random.default_rng(seed)
    s = np.linspace(0.0, 1.0, n_w)
    X = rng.standard_normal((n_w, n, d))
    w0 = np.array(TRUE_WEIGHTS)
    norm = float(np.hypot(*w0))
    base = np.arctan2(w0[1], w0[0])
    logits = np.empty((n_w, n))
    for i, si in enumerate(s):
        if kind == "covariate":
            rho = si * rho_max
            X[i, :, 1] = rho * X[i, :, 0] + np.sqrt(1 - rho ** 2) * X[i, :, 1]
        angle = base + (np.deg2rad(si * rot) if kind == "concept" else 0.0)
        logits[i] = norm * (np.cos(angle) * X[i, :, 0] + np.sin(angle) * X[i, :, 1])
    p = 1.0 / (1.0 + np.exp(-logits))
    y = (rng.random((n_w, n)) < p).astype(np.int64)
    return ShiftWindows(X=X, y=y, severity=s, true_proba=p)
