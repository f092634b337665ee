"""Low/mid/high ranges: how mltk states an uncertain quantity."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

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

    NumPy scalars become Python numbers, dicts are converted value by value, and
    anything else (None, str, Python numbers) is returned unchanged. Every result type's
    ``as_dict`` uses it, so a field converts the same way wherever it appears.

    Examples
    --------
    >>> to_plain({"u": Range(0.2, 0.4, 0.5), "n": np.int64(8), "x": np.array([1.0, 2.0])})
    {'u': {'low': 0.2, 'mid': 0.4, 'high': 0.5}, 'n': 8, 'x': [1.0, 2.0]}
    >>> to_plain(None) is None
    True
    """
    if isinstance(x, Range):
        return x.as_dict()
    if isinstance(x, dict):
        return {k: to_plain(v) for k, v in x.items()}
    if isinstance(x, np.ndarray | np.generic):
        return x.item() if np.ndim(x) == 0 else x.tolist()
    return x
