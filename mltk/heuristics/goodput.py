"""Goodput: checkpoints, failures and the effective training time of a large job.

A job on ``devices`` devices is interrupted at a rate λ = devices × (failures per device-hour);
its mean time between interruptions is M = 1 / λ. Writing a checkpoint takes δ; an
interruption costs the restart R plus, on average, half the work since the last checkpoint.
Checkpointing every τ of work therefore wastes δ/τ of the time to saves and (R + τ/2)/M
to failures (to first order). Young (1974) minimised this at τ = √(2δM); Daly (2006) gave
the higher-order optimum used here:

    τ = √(2δM) · [1 + ⅓·√(δ / 2M) + (δ / 2M) / 9] − δ   for δ < 2M, else τ = M.

Defaults come from the assumptions file: the failure rate per device-hour from the Llama 3
405B run (419 unexpected interruptions in 54 days on 16,384 H100s, Dubey et al. 2024),
the storage bandwidth of its file system (2 TB/s sustained) and a restart time.

References
----------
J. W. Young, "A first order approximation to the optimum checkpoint interval", CACM 17(9), 1974.
J. T. Daly, "A higher order estimate of the optimum checkpoint interval for restart dumps",
Future Generation Computer Systems 22(3), 2006.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.assumptions import assumptions
from ..foundation.units import SECONDS_PER_HOUR
from .memory import training_bytes_per_param

__all__ = ["CHECKPOINT_BYTES_PER_PARAM", "Goodput", "checkpoint_bytes", "checkpoint_write_seconds",
           "mean_time_between_failures_s", "young_daly_interval_s", "goodput"]

#: Bytes per parameter in a full training checkpoint: bf16 weights (2), fp32 master weights
#: (4) and Adam's two fp32 moments (8) (Rajbhandari et al. 2020's mixed-precision Adam state
#: without the gradients, which are not saved).
CHECKPOINT_BYTES_PER_PARAM = (training_bytes_per_param("mixed", "adam")["total"]
                              - training_bytes_per_param("mixed", "adam")["gradients"])


def checkpoint_bytes(params: ArrayLike, bytes_per_param: ArrayLike = CHECKPOINT_BYTES_PER_PARAM):
    """Size of a training checkpoint: parameters × bytes per parameter.

    Examples
    --------
    Llama 3 405B: about 5.7 TB, 347 MB per GPU on 16,384 GPUs:

    >>> checkpoint_bytes(405e9) / 1e12
    5.67
    """
    p = v.positive("params", params)
    b = v.positive("bytes_per_param", bytes_per_param)
    return v.scalar_or_array(p * b)


def checkpoint_write_seconds(bytes_: ArrayLike, write_bytes_per_s: ArrayLike | None = None):
    """Time to write a checkpoint at the storage's aggregate bandwidth (default: assumptions file).

    Examples
    --------
    >>> checkpoint_write_seconds(5.67e12, 2e12)
    2.835
    """
    b = v.positive("bytes_", bytes_)
    bw = v.positive("write_bytes_per_s", assumptions().checkpoint_write_bytes_per_s
                    if write_bytes_per_s is None else write_bytes_per_s)
    return v.scalar_or_array(b / bw)


def mean_time_between_failures_s(devices: ArrayLike, failure_rate_per_device_hour: ArrayLike | None = None):
    """Mean time between interruptions of a job on ``devices`` devices, in seconds.

    Examples
    --------
    The Llama 3 rate on 16,384 GPUs: one interruption about every 3.1 hours:

    >>> round(mean_time_between_failures_s(16384, 419 / (54 * 24 * 16384)) / 3600, 2)
    3.09
    """
    n = v.at_least_one("devices", devices)
    rate = v.positive("failure_rate_per_device_hour", assumptions().failure_rate_per_device_hour
                      if failure_rate_per_device_hour is None else failure_rate_per_device_hour)
    return v.scalar_or_array(SECONDS_PER_HOUR / (n * rate))


def young_daly_interval_s(checkpoint_s: ArrayLike, mtbf_s: ArrayLike):
    """Optimum work time between checkpoints (Daly 2006; Young 1974 to first order).

    Parameters
    ----------
    checkpoint_s : array_like
        Time δ to write one checkpoint (> 0).
    mtbf_s : array_like
        Mean time M between interruptions (> 0).

    Examples
    --------
    A 1-minute checkpoint with an interruption every 3 hours: Daly's optimum is a little
    below Young's first-order √(2δM):

    >>> round(young_daly_interval_s(60, 3600 * 3), 1), round((2 * 60 * 3600 * 3) ** 0.5, 1)
    (1098.8, 1138.4)
    >>> young_daly_interval_s(10_000, 3600)   # checkpoint slower than 2M: checkpoint every M
    3600.0
    """
    d = v.positive("checkpoint_s", checkpoint_s)
    m = v.positive("mtbf_s", mtbf_s)
    x = d / (2.0 * m)
    tau = np.sqrt(2.0 * d * m) * (1.0 + np.sqrt(x) / 3.0 + x / 9.0) - d
    return v.scalar_or_array(np.where(d < 2.0 * m, tau, m))


@dataclass(frozen=True)
class Goodput:
    """Effective training time and where the rest goes (SI units)."""

    devices: int
    ideal_training_s: float
    checkpoint_bytes: float
    checkpoint_s: float
    mtbf_s: float
    interval_s: float
    restart_s: float
    goodput: float
    effective_training_s: float
    expected_failures: float
    lost_to_checkpoints_s: float
    lost_to_failures_s: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def goodput(ideal_training_s: float, devices: int, params: float, *,
            checkpoint_bytes_: float | None = None, write_bytes_per_s: float | None = None,
            failure_rate_per_device_hour: float | None = None, restart_s: float | None = None,
            interval_s: float | None = None) -> Goodput:
    """Effective (wall-clock) training time once checkpoints and failures are paid for.

    The fraction of time doing useful work is
    G = 1 / (1 + δ/τ) · (1 − (R + (τ + δ)/2) / M), clipped to (0, 1]: each interval of
    work τ costs a checkpoint δ, and each interruption (every M on average) loses the restart
    R and on average half an interval with its checkpoint.

    Parameters
    ----------
    ideal_training_s : float
        Training time without interruptions or checkpoints (e.g. steps × step time).
    devices : int
        Devices in the job.
    params : float
        Model parameters (for the checkpoint size).
    checkpoint_bytes_, write_bytes_per_s, failure_rate_per_device_hour, restart_s : float, optional
        Defaults: :func:`checkpoint_bytes` and the assumptions file.
    interval_s : float, optional
        Checkpoint interval; default the Young/Daly optimum.

    Examples
    --------
    Llama 3 405B scale: 16,384 GPUs, 54 days of ideal work, 10-minute restarts; Dubey et
    al. (2024) report an effective training time above 90 %:

    >>> g = goodput(54 * 86400, 16384, 405e9, failure_rate_per_device_hour=419 / (54 * 24 * 16384),
    ...             write_bytes_per_s=2e12, restart_s=600)
    >>> round(g.goodput, 3), round(g.expected_failures)
    (0.924, 453)
    """
    a = assumptions()
    t = float(v.positive("ideal_training_s", ideal_training_s))
    n = int(v.at_least_one("devices", devices))
    size = float(checkpoint_bytes(params) if checkpoint_bytes_ is None
                 else v.positive("checkpoint_bytes_", checkpoint_bytes_))
    delta = float(checkpoint_write_seconds(size, write_bytes_per_s))
    mtbf = float(mean_time_between_failures_s(n, failure_rate_per_device_hour))
    r = float(v.non_negative("restart_s", a.restart_s if restart_s is None else restart_s))
    tau = float(young_daly_interval_s(delta, mtbf) if interval_s is None
                else v.positive("interval_s", interval_s))
    useful = (1.0 / (1.0 + delta / tau)) * (1.0 - (r + (tau + delta) / 2.0) / mtbf)
    g = float(min(1.0, max(useful, 1e-6)))
    wall = t / g
    failures = wall / mtbf
    lost_ckpt = t * delta / tau
    return Goodput(devices=n, ideal_training_s=t, checkpoint_bytes=size, checkpoint_s=delta,
                   mtbf_s=mtbf, interval_s=tau, restart_s=r, goodput=g, effective_training_s=wall,
                   expected_failures=failures, lost_to_checkpoints_s=lost_ckpt,
                   lost_to_failures_s=max(0.0, wall - t - lost_ckpt))
