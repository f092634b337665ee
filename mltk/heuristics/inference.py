"""Serving speed and cost: roofline, decode latency, tokens per second, cost per million.

Sources
-------
- Roofline: Williams, Waterman and Patterson, "Roofline: An Insightful Visual
  Performance Model for Multicore Architectures", CACM 52(4), 2009.
- Decode cost (2·P FLOP per token; weights and KV cache read once per step):
  Pope et al., "Efficiently Scaling Transformer Inference", MLSys 2023.
- Memory-bandwidth utilization (MBU): Databricks/MosaicML, "LLM Inference Performance
  Engineering: Best Practices", 2023.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.errors import InputError
from ..foundation.ranges import Range, to_plain
from ..foundation.units import SECONDS_PER_HOUR
from .hardware import Accelerator
from .hardware import accelerator as _lookup
from .memory import bytes_per_element

__all__ = ["arithmetic_intensity", "ridge_point", "roofline_flops", "critical_batch_size",
           "DecodeEstimate", "decode_estimate", "bandwidth_utilization", "cost_per_million"]


def arithmetic_intensity(flops: ArrayLike, bytes_moved: ArrayLike):
    """FLOP performed per byte moved to or from memory.

    Examples
    --------
    A matrix-vector product with an n×n bf16 matrix does 2n² FLOP on 2n² bytes:

    >>> arithmetic_intensity(2 * 4096**2, 2 * 4096**2)
    1.0
    """
    f = v.positive("flops", flops)
    b = v.positive("bytes_moved", bytes_moved)
    return v.scalar_or_array(f / b)


def ridge_point(peak_flops: ArrayLike, bandwidth_bytes_per_s: ArrayLike):
    """Arithmetic intensity (FLOP/byte) where the roofline turns from memory- to compute-bound.

    Examples
    --------
    >>> ridge_point(312e12, 1.5e12)  # A100-40GB class: 208 FLOP per byte
    208.0
    """
    p = v.positive("peak_flops", peak_flops)
    bw = v.positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    return v.scalar_or_array(p / bw)


def roofline_flops(intensity: ArrayLike, peak_flops: ArrayLike, bandwidth_bytes_per_s: ArrayLike):
    """Attainable FLOP/s: min(peak, intensity × bandwidth) (Williams et al. 2009).

    Parameters
    ----------
    intensity : array_like
        Arithmetic intensity in FLOP/byte (> 0).
    peak_flops : array_like
        Peak compute in FLOP/s (> 0).
    bandwidth_bytes_per_s : array_like
        Memory bandwidth in bytes/s (> 0).

    Returns
    -------
    float or ndarray
        FLOP/s.

    Examples
    --------
    >>> roofline_flops([1, 208, 1000], 312e12, 1.5e12)
    array([1.5e+12, 3.12e+14, 3.12e+14])
    """
    i = v.positive("intensity", intensity)
    p = v.positive("peak_flops", peak_flops)
    bw = v.positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    return v.scalar_or_array(np.minimum(p, i * bw))


def critical_batch_size(peak_flops: ArrayLike, bandwidth_bytes_per_s: ArrayLike,
                        bytes_per_param: ArrayLike = 2.0):
    """Decode batch above which reading the weights stops being the bottleneck.

    One decode step of a batch of B sequences does 2·P·B FLOP and reads the P·w bytes
    of weights once, so its intensity is 2·B/w; it reaches the ridge point at
    B = ridge × w / 2. KV-cache reads are ignored: they grow with B and keep long-context
    decoding memory-bound well beyond this batch.

    Examples
    --------
    >>> critical_batch_size(312e12, 1.5e12)  # bf16 weights on an A100-40GB class device
    208.0
    """
    w = v.positive("bytes_per_param", bytes_per_param)
    return v.scalar_or_array(np.asarray(ridge_point(peak_flops, bandwidth_bytes_per_s)) * w / 2)


@dataclass(frozen=True)
class DecodeEstimate:
    """Roofline estimate of one decode step; see :func:`decode_estimate`."""

    flops_per_step: Any
    bytes_per_step: Any
    intensity: Any
    compute_seconds: Any
    memory_seconds: Any
    seconds_per_token: Any
    tokens_per_s: Any
    memory_bound: Any
    batch: Any
    devices: Any
    peak_flops: Any
    bandwidth_bytes_per_s: Any

    def as_dict(self) -> dict[str, Any]:
        """Plain data (Python floats where scalar)."""
        return {k: to_plain(getattr(self, k)) for k in self.__dataclass_fields__}


def decode_estimate(params: ArrayLike, accelerator: str | Accelerator | None = None, *,
                    precision: str = "bf16", weight_precision: str | None = None,
                    batch: ArrayLike = 1, kv_cache_bytes: ArrayLike = 0.0,
                    devices: ArrayLike = 1, efficiency: ArrayLike = 1.0,
                    peak_flops: ArrayLike | None = None,
                    bandwidth_bytes_per_s: ArrayLike | None = None) -> DecodeEstimate:
    """Roofline latency and throughput of autoregressive decoding for a dense transformer.

    One step generates one token for each of ``batch`` sequences. It performs
    2·P·B FLOP (attention-score FLOPs are left out) and reads the weights once plus
    each sequence's KV cache: bytes = P·w + B·kv. The step takes
    max(FLOP / (peak·n·η), bytes / (bandwidth·n·η)) on n devices at efficiency η
    (ideal overlap of compute and memory traffic, no communication cost), so the result
    is a floor on latency and a ceiling on throughput.

    Parameters
    ----------
    params : array_like
        Parameters P (> 0).
    accelerator : str or Accelerator, optional
        Catalog device; supplies ``peak_flops`` at ``precision`` and the bandwidth.
    precision : str, default "bf16"
        Compute precision (whose dense peak is used).
    weight_precision : str, optional
        Storage precision of the weights (e.g. ``"int8"``, ``"int4"``); default ``precision``.
    batch : array_like, default 1
        Sequences decoded together (> 0).
    kv_cache_bytes : array_like, default 0
        KV-cache bytes of one sequence, read at every step (>= 0); see
        :func:`mltk.heuristics.memory.kv_cache_bytes`.
    devices : array_like, default 1
        Devices the model is split over (tensor parallel, >= 1).
    efficiency : array_like, default 1.0
        Fraction of peak compute and bandwidth achieved, in (0, 1].
    peak_flops, bandwidth_bytes_per_s : array_like, optional
        Per-device figures overriding the catalog (required without ``accelerator``).

    Returns
    -------
    DecodeEstimate
        ``seconds_per_token`` (per sequence), ``tokens_per_s`` (all sequences),
        ``memory_bound`` and the intermediate quantities.

    Examples
    --------
    A 7B model in bf16 on one A100-80GB reads 14 GB per token:

    >>> est = decode_estimate(7e9, "A100-80GB")
    >>> round(est.seconds_per_token * 1e3, 2), bool(est.memory_bound)
    (6.87, True)
    >>> int(decode_estimate(7e9, "A100-80GB", batch=64).tokens_per_s)
    9321
    """
    p = v.positive("params", params)
    b = v.positive("batch", batch)
    kv = v.non_negative("kv_cache_bytes", kv_cache_bytes)
    n = v.at_least_one("devices", devices)
    eta = v.fraction("efficiency", efficiency)
    w = bytes_per_element(precision if weight_precision is None else weight_precision)
    bytes_per_element(precision)
    if accelerator is None and (peak_flops is None or bandwidth_bytes_per_s is None):
        raise InputError("accelerator", accelerator,
                         "a catalog name, or both peak_flops and bandwidth_bytes_per_s")
    acc = None if accelerator is None else _lookup(accelerator)
    if peak_flops is None:
        assert acc is not None
        peak = np.asarray(acc.peak_flops(precision), dtype=float)
    else:
        peak = v.positive("peak_flops", peak_flops)
    if bandwidth_bytes_per_s is None:
        assert acc is not None
        if acc.memory_bandwidth_bytes_per_s is None:
            raise InputError("accelerator", acc.name, "a device with a published memory bandwidth")
        bw = np.asarray(acc.memory_bandwidth_bytes_per_s, dtype=float)
    else:
        bw = v.positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)

    flops = 2.0 * p * b
    moved = p * w + b * kv
    t_compute = flops / (peak * n * eta)
    t_memory = moved / (bw * n * eta)
    step = np.maximum(t_compute, t_memory)
    s = v.scalar_or_array
    return DecodeEstimate(
        flops_per_step=s(flops), bytes_per_step=s(moved), intensity=s(flops / moved),
        compute_seconds=s(t_compute), memory_seconds=s(t_memory), seconds_per_token=s(step),
        tokens_per_s=s(b / step), memory_bound=(t_memory >= t_compute) if step.ndim else
        bool(t_memory >= t_compute), batch=s(b), devices=s(n), peak_flops=s(peak),
        bandwidth_bytes_per_s=s(bw))


def bandwidth_utilization(bytes_per_token: ArrayLike, seconds_per_token: ArrayLike,
                          bandwidth_bytes_per_s: ArrayLike):
    """Memory-bandwidth utilization (MBU): achieved bytes/s over peak bandwidth.

    Use it to calibrate ``efficiency`` of :func:`decode_estimate` from a measured
    time per output token.

    Examples
    --------
    Databricks' example: a 7B bf16 model (14 GB) at 14 ms per token on a 2 TB/s device:

    >>> bandwidth_utilization(14e9, 0.014, 2e12)
    0.5
    """
    b = v.positive("bytes_per_token", bytes_per_token)
    t = v.positive("seconds_per_token", seconds_per_token)
    bw = v.positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    return v.scalar_or_array(b / t / bw)


def _positive_range(name: str, value: Any) -> Range | Any:
    """A Range stays a Range (each end checked by :meth:`Range.coerce`); anything else an array."""
    return Range.coerce(value, name, "positive") if isinstance(value, Range) else v.positive(name, value)


def cost_per_million(items_per_s: Any, price_usd_per_hour: Any, devices: ArrayLike = 1):
    """Cost of a million tokens (or predictions) at a sustained rate and a device-hour price.

    cost = price × devices / (items_per_s × 3600) × 10⁶. Either input may be a
    :class:`mltk.Range` (e.g. from :func:`mltk.device_hour_price`); the result is
    then a Range whose low end pairs the low price with the high rate.

    Parameters
    ----------
    items_per_s : array_like or Range
        Tokens (or predictions) per second served by the ``devices`` together (> 0).
    price_usd_per_hour : array_like or Range
        Price of one device-hour in USD (> 0).
    devices : array_like, default 1
        Devices rented (>= 1).

    Returns
    -------
    float, ndarray or Range
        USD per million items.

    Examples
    --------
    >>> cost_per_million(1000, 3.6)
    1.0
    >>> from mltk import Range
    >>> cost_per_million(Range(500, 1000, 2000), Range(1.8, 2.7, 3.6), devices=2)
    Range(low=0.5, mid=1.5, high=4.0)
    """
    rate = _positive_range("items_per_s", items_per_s)
    price = _positive_range("price_usd_per_hour", price_usd_per_hour)
    n = v.at_least_one("devices", devices)
    k = n * 1e6 / SECONDS_PER_HOUR
    if isinstance(rate, Range) or isinstance(price, Range):
        r, c = Range.of(rate), Range.of(price)
        def f(x: Any) -> Any:
            return v.scalar_or_array(np.asarray(x, dtype=float))
        return Range(f(c.low * k / r.high), f(c.mid * k / r.mid), f(c.high * k / r.low))
    return v.scalar_or_array(price * k / rate)
