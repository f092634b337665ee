"""Accelerators: the catalog (``data/accelerators.csv``) and peak throughput, Hooda (2023) eq. 1."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.datafiles import opt_float, read_csv
from ..foundation.device_names import resolve_device_name
from ..foundation.errors import InputError, UnsupportedPrecisionError

__all__ = ["Accelerator", "accelerator", "accelerators", "peak_flops", "PRECISIONS",
           "TRAINING_PRECISIONS", "check_training_precision"]

#: Precisions the catalog knows, widest first.
PRECISIONS: tuple[str, ...] = ("fp64", "fp32", "tf32", "fp16", "bf16", "fp8", "int8", "fp4", "int4")
#: Precisions a training run can use; int8, fp4 and int4 peaks are for inference.
TRAINING_PRECISIONS: tuple[str, ...] = ("fp64", "fp32", "tf32", "fp16", "bf16", "fp8")


def peak_flops(cores: ArrayLike, clock_hz: ArrayLike, ops_per_cycle: ArrayLike = 2):
    """Peak throughput of ``cores`` units at ``clock_hz``: Hooda (2023) eq. 1, R = 2NC.

    Each CUDA core retires one fused multiply-add (FFMA) per cycle, which counts as
    two floating-point operations, hence the default ``ops_per_cycle=2``.

    Parameters
    ----------
    cores : array_like
        Number of cores N (count, > 0).
    clock_hz : array_like
        Clock frequency C in Hz (not GHz: 1.531e9, not 1.531).
    ops_per_cycle : array_like, default 2
        Floating-point operations each core completes per cycle.

    Returns
    -------
    float or ndarray
        Peak throughput R in FLOP/s (broadcast over the inputs).

    Raises
    ------
    mltk.foundation.errors.InputError
        If an input is not finite and positive, or the clock looks like GHz/MHz.

    References
    ----------
    NVIDIA, "Achieved FLOPs"; NVIDIA, "New Pascal GPUs Accelerate Inference in the Data Center".

    Examples
    --------
    The worked example of Hooda (2023), the Tesla P40:

    >>> peak_flops(3840, 1.531e9)
    11758080000000.0
    >>> peak_flops([2560, 3840], 1.531e9).round(-9)
    array([7.839e+12, 1.176e+13])
    """
    n = v.positive("cores", cores)
    c = v.clock_hz("clock_hz", clock_hz)
    k = v.positive("ops_per_cycle", ops_per_cycle)
    return v.scalar_or_array(k * n * c)


@dataclass(frozen=True)
class Accelerator:
    """One catalog device; figures in SI units, ``None`` where not applicable or unpublished."""

    name: str
    vendor: str
    kind: str
    variant: str
    release_date: str
    cuda_cores: int | None
    boost_clock_hz: float | None
    peak_flops_by_precision: dict[str, float]
    memory_bytes: float | None
    memory_bandwidth_bytes_per_s: float | None
    tdp_w: float | None
    interconnect: str
    interconnect_bandwidth_bytes_per_s: float | None
    price_usd: float | None
    price_date: str
    price_source: str
    cloud_price_usd_per_hour: float | None
    cloud_price_date: str
    cloud_price_source: str
    sources: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    aliases: tuple[str, ...] = ()
    #: Part of ``price_usd`` that is a host-server share (the price is a system price / devices).
    server_share_usd: float | None = None

    @property
    def precisions(self) -> tuple[str, ...]:
        """Precisions with a published dense peak, in :data:`PRECISIONS` order."""
        return tuple(p for p in PRECISIONS if p in self.peak_flops_by_precision)

    def peak_flops(self, precision: str = "fp32") -> float:
        """Dense (not 2:4 sparse) peak in FLOP/s (OP/s for int8) at ``precision``.

        Examples
        --------
        >>> accelerator("A100-80GB").peak_flops("bf16")
        312000000000000.0
        """
        p = _precision_name(precision)
        try:
            return self.peak_flops_by_precision[p]
        except KeyError:
            raise UnsupportedPrecisionError(
                "precision", precision,
                f"one of {', '.join(self.precisions)} for {self.name}") from None

    def cuda_core_peak_flops(self) -> float | None:
        """R = 2NC from the catalog's core count and boost clock (None without CUDA cores)."""
        if self.cuda_cores is None or self.boost_clock_hz is None:
            return None
        return float(peak_flops(self.cuda_cores, self.boost_clock_hz))


def check_training_precision(precision: str) -> str:
    """The canonical name of ``precision`` if a training run can use it.

    Raises
    ------
    mltk.foundation.errors.UnsupportedPrecisionError
        For int8, fp4 and int4 (inference formats), naming the precisions that train.

    Examples
    --------
    >>> check_training_precision("bfloat16")
    'bf16'
    >>> check_training_precision("int8")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mltk.foundation.errors.UnsupportedPrecisionError: precision='int8' is invalid: ...fp8...
    """
    p = _precision_name(precision)
    if p not in TRAINING_PRECISIONS:
        raise UnsupportedPrecisionError(
            "precision", precision,
            f"a training precision ({', '.join(TRAINING_PRECISIONS)}): {p} is an inference format")
    return p


def _precision_name(precision: str) -> str:
    if not isinstance(precision, str):
        raise InputError("precision", precision, f"one of {', '.join(PRECISIONS)}")
    p = precision.strip().lower().replace("-", "").replace("_", "")
    p = {"float64": "fp64", "float32": "fp32", "float16": "fp16", "half": "fp16",
         "bfloat16": "bf16", "single": "fp32", "double": "fp64", "float8": "fp8"}.get(p, p)
    if p not in PRECISIONS:
        raise InputError("precision", precision, f"one of {', '.join(PRECISIONS)}")
    return p


def _int_or_none(text: str) -> int | None:
    f = opt_float(text)
    return None if f is None else int(f)


@cache
def _catalog() -> dict[str, Accelerator]:
    out: dict[str, Accelerator] = {}
    for row in read_csv("accelerators.csv"):
        peaks = {p: float(row[f"{p}_flops"]) for p in PRECISIONS if row.get(f"{p}_flops")}
        acc = Accelerator(
            name=row["name"], vendor=row["vendor"], kind=row["kind"], variant=row["variant"],
            release_date=row["release_date"], cuda_cores=_int_or_none(row["cuda_cores"]),
            boost_clock_hz=opt_float(row["boost_clock_hz"]), peak_flops_by_precision=peaks,
            memory_bytes=opt_float(row["memory_bytes"]),
            memory_bandwidth_bytes_per_s=opt_float(row["memory_bandwidth_bytes_per_s"]),
            tdp_w=opt_float(row["tdp_w"]), interconnect=row["interconnect"],
            interconnect_bandwidth_bytes_per_s=opt_float(row["interconnect_bandwidth_bytes_per_s"]),
            price_usd=opt_float(row["price_usd"]), price_date=row["price_date"],
            price_source=row["price_source"],
            cloud_price_usd_per_hour=opt_float(row["cloud_price_usd_per_hour"]),
            cloud_price_date=row["cloud_price_date"], cloud_price_source=row["cloud_price_source"],
            sources={k: row[k] for k in row if k.startswith("source_")},
            notes=row["notes"],
            aliases=tuple(a.strip() for a in row["aliases"].split(";") if a.strip()),
            server_share_usd=opt_float(row.get("server_share_usd", "")),
        )
        out[acc.name] = acc
    return out


def accelerator(name: str | Accelerator) -> Accelerator:
    """Look up a catalog device by name, tolerant of case, spaces, '-', '_' and vendor prefixes.

    Names resolve through :func:`mltk.foundation.device_names.resolve_device_name`.

    Raises
    ------
    mltk.foundation.errors.UnknownAcceleratorError
        For a name not in the catalog; the message lists the closest names.

    Examples
    --------
    >>> accelerator("nvidia tesla p40").name
    'P40'
    >>> accelerator("a100_80gb").memory_bytes  # 81,920 MiB, as nvidia-smi reports it
    85899345920.0
    >>> accelerator("H100")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mltk.foundation.errors.UnknownAcceleratorError: accelerator='H100' is invalid: ... (closest: H100-...)
    """
    if isinstance(name, Accelerator):
        return name
    return _catalog()[resolve_device_name(name)]


def accelerators() -> list[Accelerator]:
    """Every catalog device, in file order.

    Examples
    --------
    >>> len(accelerators()) >= 20
    True
    """
    return list(_catalog().values())
