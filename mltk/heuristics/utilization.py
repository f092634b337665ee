"""The default end-to-end utilization, and device-hours: what the time estimates share.

The heuristics need a default utilization range, and the evidence for it (published
training runs, :mod:`mltk.evidence.calibration`) sits in the band above them. Rather
than import upwards, this module declares what the heuristics need and the evidence
band registers the function that derives it (:func:`register_utilization_source`), a
plain dependency inversion. ``import mltk`` loads :mod:`mltk.evidence.calibration`,
which registers it, so the source is in place before any estimate runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.assumptions import assumptions
from ..foundation.errors import MltkError
from ..foundation.ranges import Range
from ..foundation.units import SECONDS_PER_HOUR

__all__ = ["default_utilization", "register_utilization_source", "device_hours"]

_SOURCE: list[Callable[[], Range]] = []


def register_utilization_source(source: Callable[[], Range]) -> None:
    """Set the function that derives the default utilization when the assumptions leave it null."""
    _SOURCE[:] = [source]


def default_utilization() -> Range:
    """The utilization range used when none is given.

    The team's assumptions file wins where it sets ``utilization``; otherwise the range
    the registered source derives, by default
    :func:`mltk.evidence.calibration.utilization_from_runs` over the published runs.

    Examples
    --------
    >>> u = default_utilization()
    >>> 0 < u.low <= u.mid <= u.high <= 1
    True
    """
    override = assumptions().utilization
    if override is not None:
        return override
    if not _SOURCE:
        raise MltkError("no default utilization: import mltk (which loads "
                        "mltk.evidence.calibration) or pass utilization")
    return _SOURCE[0]()


def device_hours(seconds: Any, devices: ArrayLike) -> Any:
    """Device-hours of ``devices`` accelerators busy for ``seconds``: n · T / 3600.

    ``seconds`` may be a number, an array or a :class:`~mltk.foundation.ranges.Range`
    (a Range comes back).

    Examples
    --------
    >>> device_hours(7200.0, 8)
    16.0
    >>> device_hours(Range(3600.0, 7200.0, 10800.0), 2)
    Range(low=2.0, mid=4.0, high=6.0)
    """
    n = v.scalar_or_array(v.at_least_one("devices", devices))
    if isinstance(seconds, Range):
        return seconds * (n / SECONDS_PER_HOUR)
    return v.scalar_or_array(v.non_negative("seconds", seconds) * (n / SECONDS_PER_HOUR))
