"""Low/mid/high ranges: how mltk states an uncertain quantity."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .checks import check
from .errors import InputError

__all__ = ["Range", "to_plain"]


@dataclass(frozen=True)
class Range:
    """An estimate stated as ``low <= mid <= high`` (scalars or broadcastable arrays).

    Examples
    --------
    >>> r = Range(0.3, 0.4, 0.5)
    >>> r * 2
    Range(low=0.6, mid=0.8, high=1.0)
    >>> r.width_ratio
    1.6666666666666667
    """

    low: Any
    mid: Any
    high: Any

    def __post_init__(self) -> None:
        lo, mi, hi = (np.asarray(v, dtype=float) for v in (self.low, self.mid, self.high))
        for name, v in (("low", lo), ("mid", mi), ("high", hi)):
            if not np.all(np.isfinite(v)):
                raise InputError(f"Range.{name}", self.__dict__[name], "a finite number")
        if np.any(lo > mi + 1e-12 * np.abs(mi)) or np.any(mi > hi + 1e-12 * np.abs(hi)):
            raise InputError("Range", (self.low, self.mid, self.high), "low <= mid <= high")

    @classmethod
    def point(cls, value: Any) -> Range:
        """A range with no spread."""
        return cls(value, value, value)

    @classmethod
    def of(cls, value: Any) -> Range:
        """``value`` if it is already a Range, a point Range otherwise; a 3-sequence is low/mid/high."""
        if isinstance(value, Range):
            return value
        if isinstance(value, list | tuple) and len(value) == 3:
            return cls(*value)
        return cls.point(value)

    @classmethod
    def coerce(cls, value: Any, name: str, constraint: str = "finite") -> Range:
        """``value`` as a Range whose every end meets ``constraint``: the one reader of ranges.

        Accepts a number or array (a range with no spread), a sequence ``(low, mid, high)``,
        a mapping ``{"low", "mid", "high"}`` or a Range. Every face (the assumptions file,
        the command line's ``LOW MID HIGH`` options, the calculators and the Python API)
        reads a range through it, so a bad one is reported the same way everywhere.

        Parameters
        ----------
        value : float, array_like, (low, mid, high), mapping or Range
        name : str
            The parameter's name, for the error message.
        constraint : str
            A key of :data:`mltk.foundation.checks.CONSTRAINTS` that each end must meet.

        Raises
        ------
        mltk.foundation.errors.InputError
            Naming ``name`` when an end breaks ``constraint``, when a sequence does not have
            three elements, or when the ends are not ordered ``low <= mid <= high``.

        Examples
        --------
        >>> Range.coerce([0.3, 0.4, 0.5], "utilization", "fraction")
        Range(low=0.3, mid=0.4, high=0.5)
        >>> Range.coerce(2.5, "price_usd_per_hour", "positive")
        Range(low=2.5, mid=2.5, high=2.5)
        >>> Range.coerce((0.5, 0.4, 0.6), "utilization", "fraction")
        Traceback (most recent call last):
        ...
        mltk.foundation.errors.InputError: utilization=(0.5, 0.4, 0.6) is invalid: expected low <= mid <= high
        """
        if isinstance(value, Range):
            parts: Any = (value.low, value.mid, value.high)
        elif isinstance(value, dict):
            if set(value) != {"low", "mid", "high"}:
                raise InputError(name, value, "a number, [low, mid, high] or {low, mid, high}")
            parts = (value["low"], value["mid"], value["high"])
        elif isinstance(value, list | tuple):
            if len(value) not in (1, 3):
                raise InputError(name, value, "one number or three (low, mid, high)")
            parts = tuple(value) * 3 if len(value) == 1 else tuple(value)
        else:
            parts = (value, value, value)
        lo, mi, hi = (check(name, p, constraint) for p in parts)
        if np.any(lo > mi) or np.any(mi > hi):
            shown = value if not isinstance(value, list) else tuple(value)
            raise InputError(name, shown, "low <= mid <= high")
        if isinstance(value, Range):
            return value
        return cls(*(float(a) if a.ndim == 0 else a for a in (lo, mi, hi)))

    def __iter__(self) -> Iterator[Any]:
        return iter((self.low, self.mid, self.high))

    def map(self, f: Callable[[Any], Any], *, decreasing: bool = False) -> Range:
        """Apply a monotonic function; pass ``decreasing=True`` when it reverses the order."""
        lo, mi, hi = f(self.low), f(self.mid), f(self.high)
        return Range(hi, mi, lo) if decreasing else Range(lo, mi, hi)

    def __mul__(self, k: Any) -> Range:
        if isinstance(k, Range):
            return Range(self.low * k.low, self.mid * k.mid, self.high * k.high)
        if np.any(np.asarray(k) < 0):
            raise InputError("factor", k, "a non-negative factor")
        return Range(self.low * k, self.mid * k, self.high * k)

    __rmul__ = __mul__

    def __truediv__(self, k: Any) -> Range:
        if isinstance(k, Range):
            return Range(self.low / k.high, self.mid / k.mid, self.high / k.low)
        return self * (1.0 / np.asarray(k, dtype=float))

    def __add__(self, other: Any) -> Range:
        o = Range.of(other)
        return Range(self.low + o.low, self.mid + o.mid, self.high + o.high)

    __radd__ = __add__

    @property
    def width_ratio(self) -> Any:
        """high / low: how many times apart the ends are."""
        return self.high / self.low

    def contains(self, value: Any) -> Any:
        """Whether ``value`` lies in ``[low, high]`` (elementwise)."""
        return (np.asarray(self.low) <= value) & (value <= np.asarray(self.high))

    def as_dict(self) -> dict[str, Any]:
        """``{"low": …, "mid": …, "high": …}`` with Python floats where scalar."""
        def f(v: Any) -> Any:
            a = np.asarray(v)
            return float(a) if a.ndim == 0 else a.tolist()
        return {"low": f(self.low), "mid": f(self.mid), "high": f(self.high)}


def to_plain(x: Any) -> Any:
    """``x`` as plain data for JSON: ranges as ``{"low","mid","high"}``, arrays as lists.

    NumPy scalars become Python numbers, dicts, lists and tuples are converted element
    by element, a non-finite float (an infinite break-even time, say) becomes None, and
    anything else (None, str, Python numbers) is returned unchanged. Every result type's
    ``as_dict`` and the command line's ``--json`` use it, so a field converts the same way
    wherever it appears.

    Examples
    --------
    >>> to_plain({"u": Range(0.2, 0.4, 0.5), "n": np.int64(8), "x": np.array([1.0, 2.0])})
    {'u': {'low': 0.2, 'mid': 0.4, 'high': 0.5}, 'n': 8, 'x': [1.0, 2.0]}
    >>> to_plain((None, float("inf"), np.float64("nan")))
    [None, None, None]
    """
    if isinstance(x, Range):
        return x.as_dict()
    if isinstance(x, dict):
        return {k if isinstance(k, str | int | float | bool) else str(k): to_plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [to_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return to_plain(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
