"""Input checks shared by every public function (private module)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InputError


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


def positive(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Return ``value`` as a float array; raise unless every element is finite and > 0."""
    arr = _as_float_array(name, value)
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        raise InputError(name, _shown(arr, bad), "a finite number greater than 0")
    return arr


def non_negative(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Return ``value`` as a float array; raise unless every element is finite and >= 0."""
    arr = _as_float_array(name, value)
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise InputError(name, _shown(arr, bad), "a finite number greater than or equal to 0")
    return arr


def fraction(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Return ``value`` as a float array; raise unless every element is in (0, 1]."""
    arr = _as_float_array(name, value)
    bad = ~np.isfinite(arr) | (arr <= 0) | (arr > 1)
    if bad.any():
        raise InputError(name, _shown(arr, bad), "a fraction in (0, 1], e.g. 0.4 for 40%")
    return arr


def at_least_one(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Return ``value`` as a float array; raise unless every element is finite and >= 1."""
    arr = _as_float_array(name, value)
    bad = ~np.isfinite(arr) | (arr < 1)
    if bad.any():
        raise InputError(name, _shown(arr, bad), "a finite number greater than or equal to 1")
    return arr


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
