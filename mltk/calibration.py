"""Published training runs (``data/training_runs.csv``) and the utilization they imply.

The default end-to-end utilization range of :func:`mltk.estimate_training` is derived
here, in code, from the runs in the data file: add a run and the defaults move.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ._data import opt_float, read_csv
from .compute import training_flops
from .errors import MltkError
from .hardware import accelerator
from .ranges import Range
from .units import SECONDS_PER_HOUR

__all__ = ["TrainingRun", "training_runs", "implied_utilization", "default_utilization",
           "seed_kernel_efficiency", "UTILIZATION_QUANTILES"]

#: Quantiles of the runs' implied utilization used as the default low / mid / high.
UTILIZATION_QUANTILES: tuple[float, float, float] = (0.10, 0.50, 0.90)


@dataclass(frozen=True)
class TrainingRun:
    """One published training run (see ``mltk/data/README.md`` for the columns)."""

    run_id: str
    model: str
    year: int
    organisation: str
    architecture: str
    params: float
    dataset_size: float
    dataset_unit: str
    epochs: float
    accelerator: str
    devices: int
    precision: str
    reported_device_hours: float | None
    reported_wallclock_days: float | None
    reported_flops: float | None
    reported_mfu: float | None
    hours_include: str
    source: str
    source_detail: str
    verified: bool
    notes: str

    @property
    def device_hours(self) -> float | None:
        """Reported device-hours, or wall-clock days × 24 × devices where only days are given."""
        if self.reported_device_hours is not None:
            return self.reported_device_hours
        if self.reported_wallclock_days is not None:
            return self.reported_wallclock_days * 24.0 * self.devices
        return None

    @property
    def flops(self) -> float:
        """Reported training compute, or C = 6·P·S·E where the authors give none."""
        if self.reported_flops is not None:
            return self.reported_flops
        return float(training_flops(self.params, self.dataset_size, self.epochs))


@cache
def training_runs() -> tuple[TrainingRun, ...]:
    """Every run in ``data/training_runs.csv``, in file order."""
    runs = []
    for r in read_csv("training_runs.csv"):
        runs.append(TrainingRun(
            run_id=r["run_id"], model=r["model"], year=int(float(r["year"])),
            organisation=r["organisation"], architecture=r["architecture"],
            params=float(r["params"]), dataset_size=float(r["dataset_size"]),
            dataset_unit=r["dataset_unit"], epochs=float(r["epochs"] or 1),
            accelerator=accelerator(r["accelerator"]).name, devices=int(float(r["devices"])),
            precision=r["precision"],
            reported_device_hours=opt_float(r["reported_device_hours"]),
            reported_wallclock_days=opt_float(r["reported_wallclock_days"]),
            reported_flops=opt_float(r["reported_flops"]),
            reported_mfu=opt_float(r["reported_mfu"]),
            hours_include=r["hours_include"], source=r["source"],
            source_detail=r["source_detail"], verified=r["verified"].lower() == "yes",
            notes=r["notes"]))
    return tuple(runs)


def implied_utilization(run: TrainingRun) -> float | None:
    """Compute over (device-hours × 3600 × dense peak): the utilization a run achieved end to end.

    None where the run reports neither device-hours nor wall-clock days.
    """
    hours = run.device_hours
    if hours is None:
        return None
    peak = accelerator(run.accelerator).peak_flops(run.precision)
    return run.flops / (hours * SECONDS_PER_HOUR * peak)


@cache
def _default_utilization() -> Range:
    values = [u for u in map(implied_utilization, training_runs()) if u is not None]
    if len(values) < 3:
        raise MltkError("data/training_runs.csv holds fewer than 3 runs with device-hours: "
                        "cannot derive a default utilization range")
    lo, mid, hi = np.quantile(np.clip(values, 1e-6, 1.0), UTILIZATION_QUANTILES)
    return Range(float(lo), float(mid), float(hi))


def default_utilization() -> Range:
    """The utilization range used when none is given.

    The team's assumptions file wins where it sets ``utilization``; otherwise the
    :data:`UTILIZATION_QUANTILES` of the published runs' implied utilization.

    Examples
    --------
    >>> u = default_utilization()
    >>> 0 < u.low <= u.mid <= u.high <= 1
    True
    """
    from .assumptions import assumptions

    override = assumptions().utilization
    return override if override is not None else _default_utilization()


def seed_kernel_efficiency() -> Range:
    """The seed's observation for well-fed kernels: 15-25% below peak, i.e. 75-85% of it.

    This is a kernel-level efficiency (one large matrix product kept busy), not the
    end-to-end utilization of a training run, which also pays for communication, data
    loading, small kernels, evaluation and restarts.

    Examples
    --------
    >>> seed_kernel_efficiency()
    Range(low=0.75, mid=0.8, high=0.85)
    """
    return Range(0.75, 0.80, 0.85)
