"""Input constraints, declared once and checked by one helper with one wording.

Every public function of mltk checks its inputs through :func:`check` (or the named
shorthands below, which call it), so a constraint reads the same wherever it is
broken: ``InputError: devices=0.0 is invalid: expected a finite number greater than
or equal to 1``. As in scikit-learn's parameter validation, a constraint is a name
(``"positive"``, ``"fraction"`` ...) looked up in one table, :data:`CONSTRAINTS`,
which holds both the test and the words that describe it.

Examples
--------
>>> check("devices", 8, "at_least_one")
array(8.)
>>> check("utilization", 1.5, "fraction")
Traceback (most recent call last):
...
mltk.foundation.errors.InputError: utilization=1.5 is invalid: expected a fraction in (0, 1], e.g. 0.4 for 40%
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InputError

__all__ = ["CONSTRAINTS", "check", "expected", "positive", "non_negative", "fraction",
           "unit_interval", "at_least_one", "clock_hz", "scalar_or_array"]

#: name -> (test of a finite float array, what the input is expected to be).
CONSTRAINTS: dict[str, tuple[Callable[[NDArray[np.float64]], NDArray[np.bool_]], str]] = {
    "finite": (lambda a: np.ones_like(a, dtype=bool), "a finite number"),
    "positive": (lambda a: a > 0, "a finite number greater than 0"),
    "non_negative": (lambda a: a >= 0, "a finite number greater than or equal to 0"),
    "fraction": (lambda a: (a > 0) & (a <= 1), "a fraction in (0, 1], e.g. 0.4 for 40%"),
    "unit_interval": (lambda a: (a >= 0) & (a <= 1), "a fraction in [0, 1], e.g. 0.15 for 15%"),
    "at_least_one": (lambda a: a >= 1, "a finite number greater than or equal to 1"),
}


def expected(constraint: str) -> str:
    """The words that describe ``constraint`` (the same in every error message).

    Examples
    --------
    >>> expected("positive")
    'a finite number greater than 0'
    """
    return CONSTRAINTS[constraint][1]


def _as_float_array(name: str, value: Any) -> NDArray[np.float64]:
    if isinstance(value, bool | np.bool_):
        raise InputError(name, value, "a number, not a boolean")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, value, "a number or an array of numbers") from None
    if arr.size == 0:
        raise InputError(name, value, "a non-empty number or array")
    return arr


def _shown(arr: NDArray[np.float64], mask: NDArray[np.bool_]) -> object:
    """The offending value: the scalar itself, or the first bad element of an array."""
    return float(arr) if arr.ndim == 0 else float(arr[mask][0])


def check(name: str, value: ArrayLike, constraint: str) -> NDArray[np.float64]:
    """Return ``value`` as a float array; raise unless every element is finite and meets ``constraint``.

    Parameters
    ----------
    name : str
        The parameter's name, as the caller wrote it (the error message shows it).
    value : array_like
        A number or an array of numbers (booleans are refused).
    constraint : str
        A key of :data:`CONSTRAINTS`.

    Raises
    ------
    mltk.foundation.errors.InputError
        Naming ``name``, the (first) offending value and :func:`expected` ``(constraint)``.

    Examples
    --------
    >>> check("epochs", [1, 2.5], "positive")
    array([1. , 2.5])
    >>> check("epochs", [1, -2], "positive")
    Traceback (most recent call last):
    ...
    mltk.foundation.errors.InputError: epochs=-2.0 is invalid: expected a finite number greater than 0
    """
    test, words = CONSTRAINTS[constraint]
    arr = _as_float_array(name, value)
    bad = ~np.isfinite(arr) | ~test(arr)  # comparisons with NaN are False, without a warning
    if bad.any():
        raise InputError(name, _shown(arr, bad), words)
    return arr


def positive(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``check(name, value, "positive")``."""
    return check(name, value, "positive")


def non_negative(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``check(name, value, "non_negative")``."""
    return check(name, value, "non_negative")


def fraction(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``check(name, value, "fraction")``: every element in (0, 1]."""
    return check(name, value, "fraction")


def unit_interval(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``check(name, value, "unit_interval")``: every element in [0, 1]."""
    return check(name, value, "unit_interval")


def at_least_one(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``check(name, value, "at_least_one")``."""
    return check(name, value, "at_least_one")


def clock_hz(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """A clock frequency in Hz; values below 1 MHz are almost surely GHz or MHz by mistake."""
    arr = positive(name, value)
    small = arr < 1e6
    if small.any():
        v = _shown(arr, small)
        raise InputError(name, v,
                         f"a frequency in Hz (got {v!r}: if that is GHz, pass {v!r}e9)")
    return arr


def scalar_or_array(arr: NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Return a Python float for 0-d input, the array otherwise."""
    return float(arr) if arr.ndim == 0 else arr
