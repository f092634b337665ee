"""Published training runs (``data/training_runs.csv``) and the utilization they imply.

The default end-to-end utilization of :func:`mltk.estimate_training` is derived here,
in code, from the runs in the data file: add a run and the defaults move. For a plan
(accelerator, precision, devices, model size, hours basis) it is the prediction of a
small utilization model, :func:`fit_utilization_model`, whose interval comes from its
leave-one-out error; without a plan, the pooled quantiles of :func:`utilization_from_runs`.

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
from typing import Any

import numpy as np

from ..foundation import checks
from ..foundation.datafiles import opt_float, read_csv
from ..foundation.errors import InputError, MltkError
from ..foundation.ranges import Range
from ..foundation.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, format_si
from ..heuristics.compute import training_flops
from ..heuristics.hardware import Accelerator, accelerator
from ..heuristics.utilization import default_utilization, device_hours, register_utilization_source

__all__ = ["TrainingRun", "training_runs", "planner_inputs", "planner_flops",
           "implied_utilization", "calibration_runs", "utilization_from_runs",
           "default_utilization", "seed_kernel_efficiency", "UTILIZATION_QUANTILES",
           "MIN_CALIBRATION_RUNS", "HOURS_BASES", "formula_applies", "GENERATIONS", "FEATURES",
           "FEATURE_REASONS", "jackknife_plus_ranks",
           "INTERVAL_ALPHA", "accelerator_generation", "model_runs", "planner_utilization",
           "UtilizationPrediction", "UtilizationModel", "fit_utilization_model",
           "predict_utilization"]

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
    hours_basis: str = ""
    formula_applies: bool = True
    formula_reason: str = ""

    @property
    def device_hours(self) -> float | None:
        """Reported device-hours, or wall-clock days × 24 × devices where only days are given."""
        if self.reported_device_hours is not None:
            return self.reported_device_hours
        if self.reported_wallclock_days is not None and self.devices is not None:
            return float(device_hours(self.reported_wallclock_days * SECONDS_PER_DAY, self.devices))
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
            notes=r["notes"], hours_basis=r.get("hours_basis", ""),
            formula_applies=r.get("formula_applies", "yes").lower() != "no",
            formula_reason=r.get("formula_reason", "")))
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


# ---------------------------------------------------------------------------
# The utilization model: log10(utilization) from what a planner knows in advance
# ---------------------------------------------------------------------------

#: Hours bases a run's ``hours_basis`` (and a planner's question) can take. ``elapsed``: the
#: GPU time of the whole run (devices x wall-clock, or a card's "total GPU time"), which pays
#: for restarts, downtime and extra stages; ``throughput``: hours computed from the steady
#: training speed, which do not.
HOURS_BASES: tuple[str, ...] = ("elapsed", "throughput")

#: Accelerator generations of the model, oldest first, and the first release date of each.
#: A catalog device belongs to the last generation whose date its release date reaches.
GENERATIONS: tuple[tuple[str, str], ...] = (
    ("V100 era", "0000-00-00"),       # P100, V100, T4, TPU v3
    ("A100 era", "2020-05-01"),       # A100, A10, TPU v4
    ("H100 era", "2022-09-01"),       # H100, H800, H200, B200, TPU v5e/v5p, Trainium
)

#: Names of the model's features, in coefficient order (the intercept is separate).
FEATURES: tuple[str, ...] = ("a100_era", "h100_era", "fp8", "fp16", "log10_params_over_1e10",
                             "log10_devices_over_1024", "throughput_hours")

#: Each feature's expected sign and the published evidence behind it (shown in the book).
FEATURE_REASONS: dict[str, tuple[str, str]] = {
    "a100_era": ("about 0 or positive", "the A100 raised the 16-bit peak 2.5x over the V100 "
                 "and software more than kept pace (BF16 without loss scaling, 3D parallelism): "
                 "LLaMA and PaLM report about 45-50% MFU against 21% for GPT-3"),
    "h100_era": ("negative", "the H100 tripled the A100's 16-bit peak while memory bandwidth grew "
                 "1.6x and NVLink 1.5x: Llama 3 reports 38-43% BF16 MFU on H100s, below the "
                 "A100/TPU v4 runs"),
    "fp8": ("negative", "FP8 doubles the peak but only the matrix products run in it; attention, "
            "norms, the optimizer and communication do not speed up (DeepSeek-V3's FP8 framework; "
            "Meta's 390 TFLOP/s per H100 for Llama 4 Behemoth is about 20% of the FP8 peak)"),
    "fp16": ("negative", "FP16 (unlike BF16) needs dynamic loss scaling: steps whose gradients "
             "overflow are skipped and loss-scale collapses force restarts from a checkpoint "
             "(OPT-175B's logbook; BLOOM chose BF16 after FP16 divergences in its 104B trials)"),
    "log10_params_over_1e10": ("positive", "bigger models have bigger matrices and more work "
                               "per byte moved; small models on large clusters are bound by "
                               "memory and communication"),
    "log10_devices_over_1024": ("negative", "more devices mean more communication and more "
                                "failures: Llama 3 counts 466 interruptions in 54 days on 16K "
                                "GPUs"),
    "throughput_hours": ("positive", "hours computed from the steady training speed leave out "
                         "restarts and downtime (OPT-175B: 35 manual restarts; Llama 3: more "
                         "than 90% effective training time)"),
}

#: Miss rate the prediction interval is built for: low-high aims to hold 90% of runs.
INTERVAL_ALPHA = 0.10


def accelerator_generation(acc: str | Accelerator) -> int:
    """Index into :data:`GENERATIONS` of a catalog device, from its release date.

    Examples
    --------
    >>> [GENERATIONS[accelerator_generation(n)][0] for n in ("V100", "A100-80GB", "H800")]
    ['V100 era', 'A100 era', 'H100 era']
    """
    date = accelerator(acc).release_date
    gen = 0
    for i, (_, start) in enumerate(GENERATIONS):
        if date >= start:
            gen = i
    return gen


def _features(acc: Accelerator, precision: str, devices: Any, params: Any, hours_basis: str,
              devices_fill: float) -> np.ndarray:
    gen = accelerator_generation(acc)
    p = np.log10(np.asarray(params, dtype=float)) - 10.0
    d = (np.full_like(p, devices_fill) if devices is None
         else np.log10(np.asarray(devices, dtype=float)) - np.log10(1024.0))
    p, d = np.broadcast_arrays(p, d)
    const = np.ones_like(p)
    cols = [const * (gen == 1), const * (gen == 2), const * (precision == "fp8"),
            const * (precision == "fp16"), p, d,
            const * (hours_basis == "throughput")]
    return np.stack([np.ravel(c) for c in cols], axis=-1)


def _run_features(run: TrainingRun, devices_fill: float) -> np.ndarray:
    acc = accelerator(run.accelerator)
    p = run.active_params if run.active_params is not None else run.params
    return _features(acc, run.precision, run.devices, p, run.hours_basis, devices_fill)[0]


def formula_applies(run: TrainingRun) -> bool:
    """Whether the planner's C = 6·P·D (O_f·O_b·P·S·E) describes ``run``'s training compute.

    The data file marks a run ``formula_applies = no`` (with ``formula_reason``) when its
    source says it is

    * an encoder-decoder: each input token passes only the encoder (about half the
      parameters) and the decoder sees a shorter target, so 6·P·D overstates the compute;
    * distilled during pre-training from a teacher's outputs (soft targets, logits): the
      teacher's forward passes or the handling of its targets are work 6·P·D does not count;
    * pruned from a larger trained model: the parent's training and the pruning stage are
      outside 6·P·D.

    Such runs are not evidence for the utilization model (:func:`model_runs`), but the
    chapter still checks them and shows their error; a planner whose run is one of these
    should not expect the estimate to hold.

    Examples
    --------
    >>> {r.run_id for r in training_runs() if not formula_applies(r)} >= {"t5-11b", "llama3.2-1b"}
    True
    """
    return run.formula_applies


def model_runs(runs: Iterable[TrainingRun] | None = None) -> tuple[TrainingRun, ...]:
    """Runs the utilization model learns from: device-hours, a planner's C, an hours basis, in domain.

    The model predicts the utilization at which the planner's compute (not the authors'
    reported FLOP) matches the reported hours, so runs without a dataset size (GShard) are
    left out along with runs that publish no hours, and so are runs whose compute the
    planner's C does not describe (:func:`formula_applies`: encoder-decoders, distilled or
    pruned models).

    Examples
    --------
    >>> ids = {r.run_id for r in model_runs()}
    >>> "deepseek-v3" in ids, "gshard-600b" in ids, "gemma-7b" in ids, "t5-11b" in ids
    (True, False, False, False)
    """
    runs = training_runs() if runs is None else runs
    return tuple(r for r in runs if r.device_hours is not None and r.planner_flops is not None
                 and r.hours_basis in HOURS_BASES and r.formula_applies)


def planner_utilization(run: TrainingRun) -> float:
    """Planner's compute over (reported device-hours x 3600 x dense peak): what the model fits.

    Examples
    --------
    >>> run = next(r for r in training_runs() if r.run_id == "llama-65b")
    >>> round(planner_utilization(run), 3)   # 5.477e23 / (1,022,362 h x 3600 x 312 TFLOP/s)
    0.477
    """
    u = implied_utilization(run, run.planner_flops)
    if u is None:
        raise MltkError(f"run {run.run_id} has no device-hours or no planner's compute")
    return u


@dataclass(frozen=True)
class UtilizationPrediction:
    """The model's utilization for one plan: a Range and the notes that qualify it."""

    utilization: Range
    notes: tuple[str, ...] = ()


def jackknife_plus_ranks(n: int, alpha: float = INTERVAL_ALPHA) -> tuple[int, int]:
    """1-based ranks of the jackknife+ interval ends among ``n`` leave-one-out values.

    The low end is the floor(α·(n+1))-th smallest value and the high end the
    ceil((1-α)·(n+1))-th smallest, the finite-sample correction of conformal
    prediction (Barber et al. 2021), clipped to 1..n.

    Parameters
    ----------
    n : int
        Number of leave-one-out values (>= 1).
    alpha : float, default INTERVAL_ALPHA
        Miss rate, in (0, 1).

    Returns
    -------
    tuple of int
        (low rank, high rank), 1-based.

    Examples
    --------
    >>> jackknife_plus_ranks(19, 0.10)
    (2, 18)
    >>> jackknife_plus_ranks(5, 0.10)  # floor(0.6) = 0 is clipped to 1
    (1, 5)
    """
    n = checks.integer("n", n)
    a = float(checks.fraction("alpha", alpha))
    if a >= 1:
        raise InputError("alpha", alpha, "a miss rate in (0, 1)")
    k_lo = max(int(np.floor(a * (n + 1))), 1)
    k_hi = min(int(np.ceil((1 - a) * (n + 1))), n)
    return k_lo, k_hi


def _order_stat_ranks(n: int, alpha: float) -> tuple[int, int]:
    """0-based jackknife+ ranks among n values (see :func:`jackknife_plus_ranks`)."""
    k_lo, k_hi = jackknife_plus_ranks(n, alpha)
    return k_lo - 1, k_hi - 1


@dataclass(frozen=True)
class UtilizationModel:
    """A fitted :func:`fit_utilization_model`: coefficients on log10 utilization and the error.

    ``loo_residuals`` holds each fitted run's leave-one-out residual (log10 reported /
    predicted utilization, the run left out of the fit), in ``run_ids`` order, and
    ``loo_intercepts`` / ``loo_coefficients`` the fits without that run: together they
    make the jackknife+ interval of :meth:`predict`. ``residual_low`` and ``residual_high``
    are the order statistics of the residuals alone, the interval's half-widths where every
    left-out fit agrees.
    """

    intercept: float
    coefficients: dict[str, float]
    residual_low: float
    residual_high: float
    loo_residuals: tuple[float, ...]
    run_ids: tuple[str, ...]
    devices_fill: float
    accelerators: frozenset[str]
    precisions: frozenset[str]
    params_range: tuple[float, float]
    devices_range: tuple[float, float]
    loo_intercepts: tuple[float, ...] = ()
    loo_coefficients: tuple[tuple[float, ...], ...] = ()
    alpha: float = 0.10

    @property
    def width_dex(self) -> float:
        """log10(high / low) from the residual order statistics alone (no left-out fit spread)."""
        return self.residual_high - self.residual_low

    @property
    def generation_spread_dex(self) -> float:
        """Half the range of the generation effects (V100 era 0, A100 era, H100 era), in log10.

        The widening, each side, for a device no published run used: how far its
        utilization could move if it behaved like another generation.
        """
        effects = [0.0, self.coefficients["a100_era"], self.coefficients["h100_era"]]
        return (max(effects) - min(effects)) / 2

    def predict(self, accelerator: str | Accelerator = "H100-SXM", precision: str = "bf16",
                devices: Any = None, params: Any = None, hours_basis: str = "elapsed"
                ) -> UtilizationPrediction:
        """Utilization Range for one plan; see :func:`predict_utilization`."""
        from ..foundation import checks as v

        acc = _lookup_acc(accelerator)
        peak = acc.peak_flops(precision)                 # the device must have this precision
        prec = _precision_key(precision)
        if hours_basis not in HOURS_BASES:
            raise InputError("hours_basis", hours_basis, f"one of {', '.join(HOURS_BASES)}")
        notes: list[str] = []
        if params is None:
            params = float(np.sqrt(self.params_range[0] * self.params_range[1]))
            notes.append("model size not given: the geometric middle of the published runs' "
                         f"sizes ({format_si(params)} parameters) is assumed")
        params = v.positive("params", params)
        if devices is not None:
            devices = v.at_least_one("devices", devices)
        shape = np.broadcast(np.asarray(params), np.asarray(1.0 if devices is None else devices)).shape
        extra = np.zeros(shape)       # squared widening, log10 units, added to each side
        shift = 0.0
        if acc.name not in self.accelerators:
            s = self.generation_spread_dex
            extra = extra + s ** 2
            gen = GENERATIONS[accelerator_generation(acc)][0]
            notes.append(f"no published run on {acc.name} in the evidence: it is treated as an "
                         f"{gen} device and the interval is widened by {s:.2f} in log10 each "
                         "side, half the spread of the generation effects")
        if prec not in self.precisions:
            p16 = next((acc.peak_flops_by_precision[k] for k in ("bf16", "fp16")
                        if k in acc.peak_flops_by_precision), None)
            ratio = np.log10(peak / p16) if p16 is not None and prec not in ("bf16", "fp16") \
                else np.log10(2.0)
            shift = -ratio / 2 if p16 is not None and prec not in ("bf16", "fp16") else 0.0
            extra = extra + (ratio / 2) ** 2
            notes.append(f"no published run trained in {prec}: the achieved FLOP/s are taken "
                         f"between the 16-bit rate and that rate times the peak ratio, so the "
                         f"middle moves by {shift:+.2f} in log10 and the interval is widened by "
                         f"{abs(ratio) / 2:.2f} each side")
        b = self.coefficients
        lo_p, hi_p = self.params_range
        out_p = _log10_outside(params, lo_p, hi_p, shape)
        if np.any(out_p > np.log10(2.0)):
            extra = extra + (b["log10_params_over_1e10"] * out_p) ** 2
            notes.append(f"model size outside the published runs ({format_si(lo_p)} to "
                         f"{format_si(hi_p)} parameters): extrapolated, interval widened by the "
                         "size effect beyond the range")
        if devices is not None:
            lo_d, hi_d = self.devices_range
            out_d = _log10_outside(devices, lo_d, hi_d, shape)
            if np.any(out_d > np.log10(2.0)):
                extra = extra + (b["log10_devices_over_1024"] * out_d) ** 2
                notes.append(f"device count outside the published runs ({lo_d:g} to {hi_d:g}): "
                             "extrapolated, interval widened by the device effect beyond the "
                             "range")
        x = _features(acc, prec, devices, params, hours_basis, self.devices_fill)
        beta = np.array([b[f] for f in FEATURES])
        log_mid = self.intercept + x @ beta + shift
        lo, hi = self._jackknife_plus(x)
        widen = np.sqrt(np.ravel(extra))
        lo = np.minimum(lo + shift - widen, log_mid)
        hi = np.maximum(hi + shift + widen, log_mid)

        def out(a: np.ndarray) -> Any:
            a = np.clip(10.0 ** a, 1e-4, 1.0).reshape(shape)
            return float(a) if a.ndim == 0 else a

        return UtilizationPrediction(Range(out(lo), out(log_mid), out(hi)), tuple(notes))

    def _jackknife_plus(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Jackknife+ ends (Barber et al. 2021) at features ``x``: rows are plans."""
        if not self.loo_coefficients:          # a model built by hand: residual quantiles only
            mid = self.intercept + x @ np.array([self.coefficients[f] for f in FEATURES])
            return mid + self.residual_low, mid + self.residual_high
        c0 = np.asarray(self.loo_intercepts)
        c = np.asarray(self.loo_coefficients)
        mu = c0[None, :] + x @ c.T
        r = np.abs(np.asarray(self.loo_residuals))[None, :]
        k_lo, k_hi = _order_stat_ranks(len(c0), self.alpha)
        return np.sort(mu - r, axis=1)[:, k_lo], np.sort(mu + r, axis=1)[:, k_hi]


def _log10_outside(x: Any, low: float, high: float, shape: tuple[int, ...]) -> np.ndarray:
    """How far ``log10(x)`` lies outside ``[log10(low), log10(high)]`` (0 inside), at ``shape``."""
    lx = np.log10(np.broadcast_to(np.asarray(x, dtype=float), shape))
    return np.maximum(np.log10(low) - lx, 0) + np.maximum(lx - np.log10(high), 0)


def _lookup_acc(acc: str | Accelerator) -> Accelerator:
    return acc if isinstance(acc, Accelerator) else accelerator(acc)


def _precision_key(precision: str) -> str:
    from ..heuristics.hardware import _precision_name

    return _precision_name(precision)


def _robust_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Huber M-estimate (statsmodels ``RLM`` with ``HuberT``): intercept and coefficients."""
    # Imported here, and from the two modules needed rather than statsmodels.api (which
    # loads all of statsmodels, about 1 s): ``import mltk`` and the calculators stay fast.
    from statsmodels.robust.norms import HuberT
    from statsmodels.robust.robust_linear_model import RLM

    varies = np.ptp(x, axis=0) > 0        # a feature no run has (fp8 left out) gets 0
    design = np.column_stack([np.ones(len(y)), x[:, varies]])
    fit = RLM(y, design, M=HuberT()).fit()
    params = np.asarray(fit.params, dtype=float)
    beta = np.zeros(x.shape[1])
    beta[varies] = params[1:]
    return float(params[0]), beta


def _interval_quantiles(residuals: np.ndarray, alpha: float) -> tuple[float, float]:
    """∓ the ceil((1-α)·(n+1))-th smallest absolute leave-one-out residual (jackknife+ rank)."""
    r = np.sort(np.abs(residuals))
    q = float(r[_order_stat_ranks(len(r), alpha)[1]])
    return -q, q


def fit_utilization_model(runs: Iterable[TrainingRun] | None = None,
                          alpha: float = INTERVAL_ALPHA) -> UtilizationModel:
    """Fit log10(utilization) on the published runs' planner-known features.

    A robust linear regression (Huber M-estimate, statsmodels ``RLM``) of log10 of
    :func:`planner_utilization` on the :data:`FEATURES`: accelerator generation (two
    indicators against the V100 era), FP8, log10 active parameters, log10 devices
    (runs that publish no count get the median of those that do) and whether the hours are
    throughput-based. Only runs inside the formula's domain are fitted (:func:`model_runs`;
    :func:`formula_applies` says which rule leaves a run out).

    The prediction interval is the jackknife+ (Barber, Candès, Ramdas and Tibshirani 2021,
    "Predictive inference with the jackknife+"): each run is refit without itself, giving a
    left-out fit and its residual R_i; for a new plan x the low and high are the
    floor(α/2·(n+1))-th smallest and ceil((1-α/2)·(n+1))-th smallest of the n values
    μ_-i(x) + R_i, the finite-sample ranks of conformal prediction. Signed residuals keep
    the interval asymmetric, as the error of log utilization is. Where the left-out fits
    disagree (a plan far from the runs) the interval widens by itself. The Huber loss keeps
    a run with a doubtful hours figure from steering the coefficients; its miss still
    widens the interval. What mltk adds to the library: the features, the domain rule, the
    interval and the widening where evidence is missing (:meth:`UtilizationModel.predict`).

    Raises
    ------
    mltk.foundation.errors.MltkError
        With fewer than ``len(FEATURES) + 3`` usable runs.

    Examples
    --------
    >>> m = fit_utilization_model()
    >>> m.coefficients["fp16"] < 0 < m.coefficients["throughput_hours"]
    True
    >>> len(m.run_ids), round(m.residual_high, 3)   # in-domain runs; jackknife+ half-width
    (39, 0.205)
    """
    runs = tuple(training_runs() if runs is None else runs)
    return _fit_cached(tuple(model_runs(runs)), float(alpha))


@cache
def _fit_cached(runs: tuple[TrainingRun, ...], alpha: float) -> UtilizationModel:
    if len(runs) < len(FEATURES) + 3:
        raise MltkError(f"only {len(runs)} training runs with device-hours, a planner's compute "
                        f"and an hours basis (at least {len(FEATURES) + 3} are needed): cannot "
                        "fit the utilization model")
    known = [np.log10(r.devices) - np.log10(1024.0) for r in runs if r.devices is not None]
    fill = float(np.median(known)) if known else 0.0
    x = np.array([_run_features(r, fill) for r in runs])
    y = np.log10([planner_utilization(r) for r in runs])
    b0, beta = _robust_fit(x, y)
    loo = np.empty(len(runs))
    c0s, cs = [], []
    for i in range(len(runs)):
        keep = np.arange(len(runs)) != i
        c0, c = _robust_fit(x[keep], y[keep])
        loo[i] = y[i] - (c0 + x[i] @ c)
        c0s.append(float(c0))
        cs.append(tuple(float(v) for v in c))
    r_lo, r_hi = _interval_quantiles(loo, alpha)
    params = [r.active_params if r.active_params is not None else r.params for r in runs]
    devices = [r.devices for r in runs if r.devices is not None]
    return UtilizationModel(
        intercept=b0, coefficients=dict(zip(FEATURES, (float(b) for b in beta), strict=True)),
        residual_low=r_lo, residual_high=r_hi, loo_residuals=tuple(float(e) for e in loo),
        run_ids=tuple(r.run_id for r in runs), devices_fill=fill,
        accelerators=frozenset(r.accelerator for r in runs),
        precisions=frozenset(_precision_key(r.precision) for r in runs),
        params_range=(float(min(params)), float(max(params))),
        devices_range=(float(min(devices)), float(max(devices))) if devices else (1.0, 1.0),
        loo_intercepts=tuple(c0s), loo_coefficients=tuple(cs), alpha=alpha)


def predict_utilization(accelerator: str | Accelerator = "H100-SXM", precision: str = "bf16",
                        devices: Any = None, params: Any = None, hours_basis: str = "elapsed",
                        runs: Iterable[TrainingRun] | None = None) -> UtilizationPrediction:
    """End-to-end utilization for a planned run, from the model fit on published runs.

    Parameters
    ----------
    accelerator : str or Accelerator
        Catalog device.
    precision : str
        Precision whose dense peak is the denominator.
    devices : array_like, optional
        Devices used at once (>= 1); default: the median of the published runs.
    params : array_like, optional
        Parameters (active parameters for a mixture of experts); default: the geometric
        middle of the published runs, with a note.
    hours_basis : {"elapsed", "throughput"}
        ``"elapsed"`` (default): device-hours of the whole run, restarts and downtime
        included, what a budget pays for; ``"throughput"``: steady-state hours only.
    runs : iterable of TrainingRun, optional
        Evidence to fit on (default: every published run).

    Returns
    -------
    UtilizationPrediction
        ``utilization`` (Range, never NaN) and ``notes`` saying where evidence is missing
        and the interval was widened.

    Notes
    -----
    The interval is the jackknife+ of the leave-one-out fits (:func:`fit_utilization_model`).
    Each missing piece of evidence widens both ends by the size of the effect it leaves
    unknown, the pieces added in quadrature: a device no run used, half the spread of the
    generation effects (:attr:`UtilizationModel.generation_spread_dex`); a precision no
    run used, half the log10 ratio of its peak to the 16-bit peak, the middle moving to
    the geometric middle of no speed-up and the full one; a model size or device count
    more than a factor 2 beyond the runs, its coefficient times the distance in decades.
    The prediction assumes the planner's C = 6·P·D describes the run; it does not for an
    encoder-decoder, a model distilled from a teacher's outputs during pre-training or
    one pruned from a larger model (:func:`formula_applies`).

    Examples
    --------
    >>> p = predict_utilization("H100-SXM", "bf16", devices=2048, params=70e9)
    >>> 0.05 < p.utilization.low < p.utilization.mid < p.utilization.high < 0.6
    True
    >>> q = predict_utilization("B200", "fp8", devices=2048, params=70e9)
    >>> q.utilization.high / q.utilization.low > p.utilization.high / p.utilization.low
    True
    >>> any("B200" in n for n in q.notes)
    True
    """
    return fit_utilization_model(runs).predict(accelerator, precision, devices, params,
                                               hours_basis)


def _utilization_source(accelerator: str | Accelerator | None, precision: str, devices: Any,
                        params: Any, hours_basis: str) -> tuple[Range, tuple[str, ...]]:
    if accelerator is None:   # no plan: the pooled quantiles of every published run
        return utilization_from_runs(training_runs()), ()
    pred = predict_utilization(accelerator, precision, devices, params, hours_basis)
    return pred.utilization, pred.notes


# The heuristics' default utilization, when the assumptions file leaves it null (see
# mltk.heuristics.utilization): the model's prediction for a plan, the pooled quantiles
# of the published runs without one.
register_utilization_source(_utilization_source)
