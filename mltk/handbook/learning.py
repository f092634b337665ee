"""Learning curves: fit err(n) = a * n**(-b) + c and ask how much data a target needs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeWarning, curve_fit

from ..foundation import checks as v
from ..foundation.errors import InputError

__all__ = ["LearningCurve", "fit_learning_curve", "power_law"]

_MAX_EXPONENT = 10.0


def power_law(n: ArrayLike, a: float, b: float, c: float) -> Any:
    """The inverse power law ``a * n**(-b) + c`` of a learning curve.

    ``n`` is the number of training examples, ``a`` the scale, ``b`` the exponent (the
    steepness, > 0 for a curve that falls) and ``c`` the floor that more data of the same
    kind cannot remove (irreducible error plus the model's own limits).

    Examples
    --------
    >>> power_law(100, a=2.0, b=0.5, c=0.05)
    0.25
    """
    arr = np.asarray(n, dtype=float)
    return v.scalar_or_array(a * arr ** (-b) + c)


@dataclass(frozen=True, eq=False)
class LearningCurve:
    """A fitted learning curve ``err(n) = a * n**(-b) + c``.

    Attributes
    ----------
    a, b, c : float
        Scale, exponent and floor of the fitted power law.
    a_stderr, b_stderr, c_stderr : float
        One-standard-error uncertainty of each parameter from the fit's covariance
        (``nan`` where the fit cannot estimate it, e.g. a parameter on its bound).
    sizes, errors : ndarray
        The measured points the curve was fitted to.
    """

    a: float
    b: float
    c: float
    a_stderr: float
    b_stderr: float
    c_stderr: float
    sizes: NDArray[np.float64]
    errors: NDArray[np.float64]

    def predict(self, n: ArrayLike) -> Any:
        """Predicted error with ``n`` training examples (> 0); broadcasts.

        Examples
        --------
        >>> curve = LearningCurve(2.0, 0.5, 0.05, 0, 0, 0, np.array([]), np.array([]))
        >>> curve.predict([100, 10_000])
        array([0.25, 0.07])
        """
        arr = v.positive("n", n)
        return power_law(arr, self.a, self.b, self.c)

    def examples_for(self, target_error: ArrayLike) -> Any:
        """Training examples needed to reach ``target_error``: ``(a / (target - c))**(1/b)``.

        Raises
        ------
        InputError
            If a target is at or below the fitted floor ``c``: more data of the same kind
            does not get there (change the model, the features or the label quality).

        Examples
        --------
        >>> curve = LearningCurve(2.0, 0.5, 0.05, 0, 0, 0, np.array([]), np.array([]))
        >>> round(curve.examples_for(0.07))
        10000
        >>> curve.examples_for(0.04)  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        mltk.foundation.errors.InputError: target_error=0.04 is invalid: expected an error above the
        fitted floor c = 0.05 (more data of the same kind cannot reach it)
        """
        t = v.positive("target_error", target_error)
        below = t <= self.c
        if below.any():
            bad = float(t) if t.ndim == 0 else float(t[below][0])
            raise InputError("target_error", bad,
                             f"an error above the fitted floor c = {self.c:.4g} "
                             "(more data of the same kind cannot reach it)")
        if self.b <= 1e-9 or self.a <= 0:
            raise InputError("target_error", float(t) if t.ndim == 0 else t.tolist(),
                             "a fitted curve that falls with more data (b > 0, a > 0)")
        return v.scalar_or_array((self.a / (t - self.c)) ** (1.0 / self.b))


def _one_d(name: str, arr: NDArray[np.float64]) -> NDArray[np.float64]:
    if arr.ndim != 1:
        raise InputError(name, arr.tolist(), "a one-dimensional sequence of numbers")
    return arr


def fit_learning_curve(sizes: ArrayLike, errors: ArrayLike,
                       relative_weights: bool = True) -> LearningCurve:
    """Fit the inverse power law ``err(n) = a * n**(-b) + c`` to a measured learning curve.

    Learning curves of many models follow this form once past the small-data region
    (Cortes et al. 1994; Hestness et al. 2017; Figueroa et al. 2012). The fit is a
    bounded non-linear least-squares problem (``scipy.optimize.curve_fit``) with
    ``a > 0``, ``0 <= b <= 10`` and ``0 <= c <= min(errors)``. With
    ``relative_weights`` each residual is divided by its error, so the small errors of
    large training sets count as much as the large errors of small ones.

    Parameters
    ----------
    sizes : array_like
        Training-set sizes, one per point (> 0, at least four distinct values).
    errors : array_like
        Test error (or any loss that falls with data) at each size (>= 0), e.g. the mean
        over a few random subsamples.
    relative_weights : bool, default True
        Weight residuals by ``1 / error`` (relative error) instead of uniformly.

    Returns
    -------
    LearningCurve
        The fitted curve, with ``predict(n)`` and ``examples_for(target_error)``.

    Raises
    ------
    InputError
        If the inputs are malformed or the power law cannot be fitted.

    Examples
    --------
    Recover the parameters of an exact power law:

    >>> n = np.array([100, 200, 400, 800, 1600, 3200])
    >>> curve = fit_learning_curve(n, 2.0 * n**-0.5 + 0.05)
    >>> round(curve.a, 3), round(curve.b, 3), round(curve.c, 3)
    (2.0, 0.5, 0.05)
    >>> round(curve.examples_for(0.07))
    10000
    """
    n = _one_d("sizes", v.positive("sizes", sizes))
    e = _one_d("errors", v.non_negative("errors", errors))
    if n.shape != e.shape:
        raise InputError("errors", f"{e.size} values",
                         f"one error per size ({n.size} sizes)")
    if np.unique(n).size < 4:
        raise InputError("sizes", n.tolist(),
                         "at least four distinct training-set sizes (three parameters are fitted)")
    order = np.argsort(n)
    n, e = n[order], e[order]
    if e.max() == 0:
        raise InputError("errors", e.tolist(), "some non-zero errors to fit")

    c_max = float(e.min())
    # Initial guess: floor at half the best error, then a straight line in log-log space.
    c0 = 0.5 * c_max
    gap = np.maximum(e - c0, 1e-12)
    slope, intercept = np.polyfit(np.log(n), np.log(gap), 1)
    b0 = float(np.clip(-slope, 0.01, _MAX_EXPONENT - 0.01))
    a0 = float(np.exp(intercept))
    sigma = np.maximum(e, 1e-3 * e.max()) if relative_weights else None
    upper_c = c_max if c_max > 0 else 1e-12
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, cov = curve_fit(
                lambda x, a, b, c: a * x ** (-b) + c, n, e, p0=(a0, b0, min(c0, upper_c / 2)),
                sigma=sigma, bounds=([0.0, 0.0, 0.0], [np.inf, _MAX_EXPONENT, upper_c]),
                maxfev=20_000)
    except (RuntimeError, ValueError) as err:  # no convergence
        raise InputError("errors", e.tolist(),
                         f"a learning curve that a*n**(-b) + c can fit ({err})") from None
    with np.errstate(invalid="ignore"):
        stderr = np.sqrt(np.diag(cov)) if np.all(np.isfinite(cov)) else np.full(3, np.nan)
    a, b, c = (float(p) for p in params)
    return LearningCurve(a=a, b=b, c=c, a_stderr=float(stderr[0]), b_stderr=float(stderr[1]),
                         c_stderr=float(stderr[2]), sizes=n, errors=e)
