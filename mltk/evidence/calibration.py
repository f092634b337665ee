"""Published training runs (``data/training_runs.csv``) and the utilization they imply.

The default end-to-end utilization range of :func:`mltk.estimate_training` is derived
here, in code, from the runs in the data file: add a run and the defaults move.

Two compute figures exist for each run:

* :func:`planner_flops`: what a planner computes *before* training with Hooda (2023) eq. 3,
  C = O_f·O_b·P·S·E (:func:`mltk.training_flops`), from the parameters (active
  parameters for a mixture of experts), the dataset size and the epochs; for vision
  models, whose weights are reused at every spatial position or patch, from the
  forward FLOP per example instead (O_f = forward FLOP per example / P).
* :attr:`TrainingRun.flops`: the best-known compute, the authors' reported FLOP where
  published, the planner's C otherwise. The utilization evidence uses this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..foundation.datafiles import opt_float, read_csv
from ..foundation.errors import MltkError
from ..foundation.ranges import Range
from ..foundation.units import SECONDS_PER_HOUR
from ..heuristics.compute import training_flops
from ..heuristics.hardware import accelerator
from ..heuristics.utilization import default_utilization, register_utilization_source

__all__ = ["TrainingRun", "training_runs", "planner_inputs", "planner_flops",
           "implied_utilization", "calibration_runs", "utilization_from_runs",
           "default_utilization", "seed_kernel_efficiency", "UTILIZATION_QUANTILES",
           "MIN_CALIBRATION_RUNS"]

#: Quantiles of the runs' implied utilization used as the default low / mid / high.
#: The mid is the median run. The ends are the 2.5th and 97.5th percentiles, the
#: conventional central 95% interval: a planner's range should hold the device-hours
#: of nearly every run like the published ones. With only about twenty runs, the
#: narrower 5th/95th (or 10th/90th) percentiles leave the two (four) most extreme
#: runs outside by construction and, measured by :mod:`mltk.evidence.out_of_sample`, cover fewer
#: than 80% of the reported device-hours; the book's chapter "Heuristics Against
#: Reality" shows the check.
UTILIZATION_QUANTILES: tuple[float, float, float] = (0.025, 0.50, 0.975)

#: Fewest runs with device-hours from which a default range is derived.
MIN_CALIBRATION_RUNS = 5


@dataclass(frozen=True)
class TrainingRun:
    """One published training run (see ``mltk/data/README.md`` for the columns)."""

    run_id: str
    model: str
    year: int
    organisation: str
    architecture: str
    params: float
    active_params: float | None
    dataset_size: float | None
    dataset_unit: str
    epochs: float
    forward_flops_per_example: float | None
    accelerator: str
    devices: int | None
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
        if self.reported_wallclock_days is not None and self.devices is not None:
            return self.reported_wallclock_days * 24.0 * self.devices
        return None

    @property
    def planner_flops(self) -> float | None:
        """Compute a planner derives in advance (see :func:`planner_flops`)."""
        return planner_flops(self)

    @property
    def flops(self) -> float | None:
        """Best-known compute: reported FLOP where published, else :attr:`planner_flops`."""
        if self.reported_flops is not None:
            return self.reported_flops
        return self.planner_flops

    @property
    def peak_flops_per_device(self) -> float:
        """Dense peak of one device at the run's precision, from the catalog."""
        return accelerator(self.accelerator).peak_flops(self.precision)


def _opt_int(text: str) -> int | None:
    f = opt_float(text)
    return None if f is None else int(f)


@cache
def training_runs() -> tuple[TrainingRun, ...]:
    """Every run in ``data/training_runs.csv``, in file order.

    Examples
    --------
    >>> runs = training_runs()
    >>> len(runs) >= 20
    True
    >>> next(r for r in runs if r.run_id == "gpt3-175b").reported_flops
    3.14e+23
    """
    runs = []
    for r in read_csv("training_runs.csv"):
        runs.append(TrainingRun(
            run_id=r["run_id"], model=r["model"], year=int(float(r["year"])),
            organisation=r["organisation"], architecture=r["architecture"],
            params=float(r["params"]), active_params=opt_float(r.get("active_params", "")),
            dataset_size=opt_float(r["dataset_size"]), dataset_unit=r["dataset_unit"],
            epochs=float(r["epochs"] or 1),
            forward_flops_per_example=opt_float(r.get("forward_flops_per_example", "")),
            accelerator=accelerator(r["accelerator"]).name, devices=_opt_int(r["devices"]),
            precision=r["precision"],
            reported_device_hours=opt_float(r["reported_device_hours"]),
            reported_wallclock_days=opt_float(r["reported_wallclock_days"]),
            reported_flops=opt_float(r["reported_flops"]),
            reported_mfu=opt_float(r["reported_mfu"]),
            hours_include=r["hours_include"], source=r["source"],
            source_detail=r["source_detail"], verified=r["verified"].lower() == "yes",
            notes=r["notes"]))
    return tuple(runs)


def planner_inputs(run: TrainingRun) -> dict[str, float] | None:
    """What a planner feeds Hooda (2023) eq. 3 for ``run``: params, dataset size, epochs and O_f.

    The keys are those of :func:`mltk.training_flops` (``params``, ``dataset_size``,
    ``epochs``, ``forward_ops``). ``params`` is the active parameter count for a
    mixture of experts. ``forward_ops`` (O_f) is 2 per parameter for transformers,
    whose dataset size is in tokens, and the forward FLOP per example divided by the
    parameters for vision models, whose weights act many times per image. None where
    the dataset size is not published.

    Examples
    --------
    >>> run = next(r for r in training_runs() if r.run_id == "resnet50-goyal-256gpu")
    >>> planner_inputs(run)["forward_ops"]   # 7.6e9 FLOP per image / 25e6 parameters
    304.0
    """
    if run.dataset_size is None:
        return None
    p = run.active_params if run.active_params is not None else run.params
    of = 2.0 if run.forward_flops_per_example is None else run.forward_flops_per_example / p
    return {"params": p, "dataset_size": run.dataset_size, "epochs": run.epochs,
            "forward_ops": of}


def planner_flops(run: TrainingRun) -> float | None:
    """Training compute a planner computes before the run.

    :func:`mltk.training_flops` of :func:`planner_inputs`: C = O_f·O_b·P·S·E with
    O_b = 3. None where the dataset size is not published.

    Examples
    --------
    >>> run = next(r for r in training_runs() if r.run_id == "resnet50-goyal-256gpu")
    >>> f"{planner_flops(run):.3e}"   # 7.6e9 FLOP forward x 3 x 1.28e6 images x 90 epochs
    '2.627e+18'
    """
    inputs = planner_inputs(run)
    return None if inputs is None else float(training_flops(**inputs))


def implied_utilization(run: TrainingRun, flops: float | None = None) -> float | None:
    """Compute over (device-hours × 3600 × dense peak): the utilization a run achieved end to end.

    ``flops`` defaults to the run's best-known compute (:attr:`TrainingRun.flops`).
    None where the run reports neither device-hours nor wall-clock days with a device
    count, or where no compute is known.

    Examples
    --------
    >>> run = next(r for r in training_runs() if r.run_id == "gpt3-175b")
    >>> round(implied_utilization(run), 3)   # 3.14e23 / (3.552e6 h x 3600 x 125 TFLOP/s)
    0.196
    """
    hours = run.device_hours
    c = run.flops if flops is None else flops
    if hours is None or c is None:
        return None
    return c / (hours * SECONDS_PER_HOUR * run.peak_flops_per_device)


def calibration_runs(runs: Iterable[TrainingRun] | None = None) -> tuple[TrainingRun, ...]:
    """The runs that count as evidence: those with device-hours and a known compute.

    Examples
    --------
    >>> ids = [r.run_id for r in calibration_runs()]
    >>> "gpt3-175b" in ids, "gemma-7b" in ids   # Gemma publishes no device-hours
    (True, False)
    """
    runs = training_runs() if runs is None else runs
    return tuple(r for r in runs if implied_utilization(r) is not None)


@cache
def _quantile_range(values: tuple[float, ...], quantiles: tuple[float, float, float]) -> Range:
    lo, mid, hi = np.quantile(np.clip(values, 1e-6, 1.0), quantiles)
    return Range(float(lo), float(mid), float(hi))


def utilization_from_runs(runs: Iterable[TrainingRun] | None = None,
                          quantiles: tuple[float, float, float] = UTILIZATION_QUANTILES) -> Range:
    """Low / mid / high utilization: ``quantiles`` of the implied utilization of ``runs``.

    Only runs with device-hours and a known compute count (:func:`calibration_runs`).

    Raises
    ------
    mltk.foundation.errors.MltkError
        With fewer than :data:`MIN_CALIBRATION_RUNS` such runs.

    Examples
    --------
    >>> u = utilization_from_runs()
    >>> 0 < u.low <= u.mid <= u.high <= 1
    True
    """
    values = tuple(implied_utilization(r) for r in calibration_runs(runs))
    if len(values) < MIN_CALIBRATION_RUNS:
        raise MltkError(f"only {len(values)} training runs with device-hours and compute "
                        f"(at least {MIN_CALIBRATION_RUNS} are needed): cannot derive a "
                        "utilization range")
    return _quantile_range(values, tuple(quantiles))


def seed_kernel_efficiency() -> Range:
    """The observation of Hooda (2023) for well-fed kernels: 15-25% below peak, i.e. 75-85% of it.

    This is a kernel-level efficiency (one large matrix product kept busy), not the
    end-to-end utilization of a training run, which also pays for communication, data
    loading, small kernels, evaluation and restarts.

    Examples
    --------
    >>> seed_kernel_efficiency()
    Range(low=0.75, mid=0.8, high=0.85)
    """
    return Range(0.75, 0.80, 0.85)


# The heuristics' default utilization, when the assumptions file leaves it null (see
# mltk.heuristics.utilization): the quantiles of the published runs in the data file.
register_utilization_source(lambda: utilization_from_runs(training_runs()))
