"""Training time: Hooda (2023) eq. 4, T = C / R, generalised to several devices and a utilization."""

from __future__ import annotations

from numpy.typing import ArrayLike

from ..foundation import checks as v

__all__ = ["training_time"]


def training_time(flops: ArrayLike, flops_per_s: ArrayLike, devices: ArrayLike = 1,
                  utilization: ArrayLike = 1.0):
    """Wall-clock seconds to perform ``flops`` on ``devices`` accelerators.

    T = C / (R · n · u): Hooda (2023) eq. 4 with n devices each sustaining a fraction u of
    its peak R. ``utilization`` is end-to-end (model FLOPs utilization including
    communication, input pipeline and restarts), not the kernel efficiency.

    Parameters
    ----------
    flops : array_like
        Training compute C in FLOP (> 0).
    flops_per_s : array_like
        Peak throughput R of one device in FLOP/s (> 0).
    devices : array_like, default 1
        Number of devices n (>= 1).
    utilization : array_like, default 1.0
        Fraction u of peak sustained end to end, in (0, 1].

    Returns
    -------
    float or ndarray
        Seconds.

    Examples
    --------
    >>> training_time(3.14e23, 1.25e14, devices=1024, utilization=0.5) / 86400
    56.78530092592593
    """
    c = v.positive("flops", flops)
    r = v.positive("flops_per_s", flops_per_s)
    n = v.at_least_one("devices", devices)
    u = v.fraction("utilization", utilization)
    return v.scalar_or_array(c / (r * n * u))
