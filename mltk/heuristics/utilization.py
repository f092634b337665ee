"""The default end-to-end utilization, and device-hours: what the time estimates share.

The heuristics need a default utilization range, and the evidence for it (published
training runs, :mod:`mltk.evidence.calibration`) sits in the band above them. Rather
than import upwards, this module declares what the heuristics need and the evidence
band registers the function that derives it (:func:`register_utilization_source`), a
plain dependency inversion. ``import mltk`` loads :mod:`mltk.evidence.calibration`,
which registers it, so the source is in place before any estimate runs. The source
takes the plan (accelerator, precision, devices, parameters, hours basis) and returns
a Range and notes: the utilization model's prediction for a plan, the pooled range of
the published runs without one.
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

__all__ = ["default_utilization", "default_utilization_and_notes", "register_utilization_source",
           "device_hours"]

#: ``source(accelerator, precision, devices, params, hours_basis) -> (Range, notes)``.
_SOURCE: list[Callable[..., tuple[Range, tuple[str, ...]]]] = []


def register_utilization_source(source: Callable[..., tuple[Range, tuple[str, ...]]]) -> None:
    """Set the function that derives the default utilization when the assumptions leave it null.

    ``source(accelerator, precision, devices, params, hours_basis)`` returns a Range and a
    tuple of notes; ``accelerator`` None means no plan is known.
    """
    _SOURCE[:] = [source]


def default_utilization_and_notes(accelerator: Any = None, precision: str = "bf16",
                                  devices: Any = None, params: Any = None,
                                  hours_basis: str = "elapsed") -> tuple[Range, list[str]]:
    """:func:`default_utilization` and the notes that qualify it (none from the assumptions).

    Examples
    --------
    >>> u, notes = default_utilization_and_notes("B200", "bf16", devices=1024, params=7e10)
    >>> 0 < u.low < u.mid < u.high <= 1, any("B200" in n for n in notes)
    (True, True)
    """
    override = assumptions().utilization
    if override is not None:
        return override, []
    if not _SOURCE:
        raise MltkError("no default utilization: import mltk (which loads "
                        "mltk.evidence.calibration) or pass utilization")
    u, notes = _SOURCE[0](accelerator, precision, devices, params, hours_basis)
    return u, list(notes)


def default_utilization(accelerator: Any = None, precision: str = "bf16", devices: Any = None,
                        params: Any = None, hours_basis: str = "elapsed") -> Range:
    """The utilization range used when none is given.

    The team's assumptions file wins where it sets ``utilization``. Otherwise, for a plan
    (``accelerator`` given), the prediction of the utilization model fit on the published
    runs (:func:`mltk.evidence.calibration.predict_utilization`); without an accelerator,
    nothing is known about the plan and the pooled quantiles of the published runs are
    returned (:func:`mltk.evidence.calibration.utilization_from_runs`).

    Examples
    --------
    >>> u = default_utilization()
    >>> 0 < u.low <= u.mid <= u.high <= 1
    True
    >>> plan = default_utilization("H100-SXM", "bf16", devices=2048, params=70e9)
    >>> plan.high / plan.low < u.high / u.low   # a plan narrows the pooled range
    True
    """
    return default_utilization_and_notes(accelerator, precision, devices, params, hours_basis)[0]


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
