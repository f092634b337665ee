"""Throughput on the reader's own machine: matrix-product FLOP counts, a timed numpy
matrix product, a best-effort theoretical CPU peak, and floating-point format properties.

The FLOP count of a matrix product (2·m·k·n) lives here; :mod:`mltk.handbook.small_network` counts its
layers with it. Timings vary from machine to machine and run to run: nothing in the
test suite asserts on them.

Sources
-------
- Multiply-add counted as two operations: NVIDIA, "Achieved FLOPs" (Hooda (2023) eq. 1).
- CPU peak = cores × clock × FLOP per cycle, with FLOP per cycle = SIMD lanes × FMA units × 2:
  Williams, Waterman and Patterson, "Roofline", CACM 52(4), 2009 (peak from the
  micro-architecture); A. Fog, "The microarchitecture of Intel, AMD and VIA CPUs"
  (execution ports and FMA units per core).
- Floating-point formats: IEEE 754-2019; Kalamkar et al. 2019 (bfloat16);
  Micikevicius et al. 2022, "FP8 Formats for Deep Learning" (E4M3, E5M2); NVIDIA A100
  whitepaper (TF32: 8 exponent and 10 mantissa bits).
"""

from __future__ import annotations

import math
import os
import platform
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.errors import InputError
from ..foundation.ranges import Range
from ..heuristics.hardware import peak_flops

__all__ = ["matmul_flops", "matmul_bytes", "MatmulResult", "matmul_throughput", "CpuPeak",
           "cpu_peak_flops", "FloatFormat", "float_format", "FLOAT_FORMATS", "PredictionTiming",
           "prediction_latency"]

#: Float dtypes the timed matrix product and the CPU peak accept, with bytes per element.
_CPU_DTYPES = {"float32": 4, "float64": 8}


def matmul_flops(m: ArrayLike, k: ArrayLike, n: ArrayLike):
    """Operations in the product of an m×k by a k×n matrix: 2·m·k·n.

    Each of the m·n outputs is a dot product of length k: k multiplications and k
    additions (the last one adds into the output or a bias), i.e. k fused multiply-adds
    counted as two operations each.

    Parameters
    ----------
    m, k, n : array_like
        Matrix dimensions (> 0; broadcast against each other).

    Returns
    -------
    float or ndarray
        FLOP.

    Examples
    --------
    >>> matmul_flops(1024, 1024, 1024)
    2147483648.0
    >>> matmul_flops(32, 64, [10, 100])
    array([ 40960., 409600.])
    """
    a = v.positive("m", m)
    b = v.positive("k", k)
    c = v.positive("n", n)
    return v.scalar_or_array(2.0 * a * b * c)


def matmul_bytes(m: ArrayLike, k: ArrayLike, n: ArrayLike, bytes_per_element: ArrayLike):
    """Least memory traffic of an m×k by k×n product: read both inputs, write the output once.

    Real kernels move more when the operands do not fit in cache; this is the floor the
    roofline model uses for the arithmetic intensity of a matrix product.

    Examples
    --------
    Three 1024×1024 float32 matrices:

    >>> matmul_bytes(1024, 1024, 1024, 4)
    12582912.0
    """
    a = v.positive("m", m)
    b = v.positive("k", k)
    c = v.positive("n", n)
    w = v.positive("bytes_per_element", bytes_per_element)
    return v.scalar_or_array((a * b + b * c + a * c) * w)


def _dtype_name(dtype: Any) -> str:
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = str(dtype)
    if name not in _CPU_DTYPES:
        raise InputError("dtype", dtype, f"one of {', '.join(_CPU_DTYPES)}")
    return name


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise InputError(name, value, "a whole number greater than 0")
    if value < 1:
        raise InputError(name, value, "a whole number greater than 0")
    return int(value)


@dataclass(frozen=True)
class MatmulResult:
    """One timed n×n matrix product (:func:`matmul_throughput`)."""

    n: int
    dtype: str
    flops: float
    seconds: float
    times_s: tuple[float, ...]
    threads: int | None

    @property
    def flops_per_s(self) -> float:
        """Achieved FLOP/s of the fastest repeat (least disturbed by other work)."""
        return self.flops / self.seconds


def matmul_throughput(n: int, dtype: Any = "float64", repeats: int = 3, *,
                      threads: int | None = None, seed: int = 0) -> MatmulResult:
    """Time ``a @ b`` for two random n×n matrices and report the achieved FLOP/s.

    The product is computed once untimed (to warm caches and start BLAS threads), then
    ``repeats`` times; the fastest repeat counts, since a repeat can only be slowed, not
    sped up, by other work on the machine. The FLOP count is :func:`matmul_flops`.

    Parameters
    ----------
    n : int
        Matrix size (≥ 1).
    dtype : {"float32", "float64"}
        Element type.
    repeats : int, default 3
        Timed repeats (≥ 1).
    threads : int, optional
        Limit the BLAS library to this many threads (needs ``threadpoolctl``, installed
        with scikit-learn); default: the library's own choice, usually one per core.
    seed : int, default 0
        Seed of the random matrices.

    Returns
    -------
    MatmulResult
        ``flops`` per product, best ``seconds``, all ``times_s`` and ``flops_per_s``.

    Raises
    ------
    mltk.foundation.errors.InputError
        For a size, repeat count or thread count that is not a whole number ≥ 1, or
        another dtype.

    Examples
    --------
    >>> r = matmul_throughput(64, "float32", repeats=2)
    >>> r.flops, type(r.flops_per_s).__name__
    (524288.0, 'float')
    """
    size = _positive_int("n", n)
    name = _dtype_name(dtype)
    reps = _positive_int("repeats", repeats)
    nthreads = None if threads is None else _positive_int("threads", threads)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((size, size)).astype(name)
    b = rng.standard_normal((size, size)).astype(name)

    def run() -> list[float]:
        a @ b  # warm-up, untimed
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            a @ b
            out.append(time.perf_counter() - t0)
        return out

    if nthreads is None:
        times = run()
    else:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            raise InputError("threads", threads,
                             "None: limiting BLAS threads needs the threadpoolctl package"
                             ) from None
        with threadpool_limits(limits=nthreads, user_api="blas"):
            times = run()
    best = max(min(times), 1e-9)  # a timer tick of 0 would divide by zero
    return MatmulResult(n=size, dtype=name, flops=float(matmul_flops(size, size, size)),
                        seconds=best, times_s=tuple(times), threads=nthreads)


@dataclass(frozen=True)
class CpuPeak:
    """Theoretical peak of a CPU and how each input was obtained (:func:`cpu_peak_flops`).

    ``sources`` maps each input (``cores``, ``clock_hz``, ``simd_bits``, ``fma_units``) to
    where its value came from; ``assumed`` lists the inputs that could not be read and
    were assumed.
    """

    flops_per_s: float
    dtype: str
    cores: int
    clock_hz: float
    simd_bits: int
    fma_units: int
    lanes: int
    flops_per_cycle: int
    sources: dict[str, str] = field(default_factory=dict)
    assumed: tuple[str, ...] = ()

    @property
    def derivation(self) -> str:
        """The arithmetic in words, e.g. '2 cores × 2.45 GHz × 16 FLOP/cycle'."""
        return (f"{self.cores} cores × {self.clock_hz / 1e9:.3g} GHz × "
                f"{self.flops_per_cycle} FLOP/cycle ({self.simd_bits}-bit SIMD = "
                f"{self.lanes} {self.dtype} lanes × {self.fma_units} FMA units × 2)")


def _parse_cpuinfo(text: str) -> dict[str, Any]:
    """Flags, model name, reported MHz and physical core count from /proc/cpuinfo text."""
    flags: set[str] = set()
    model = ""
    mhz: float | None = None
    cores: set[tuple[str, str]] = set()
    processors = 0
    phys = core = None
    for line in text.splitlines() + [""]:
        if not line.strip():  # end of one processor block
            if phys is not None and core is not None:
                cores.add((phys, core))
            phys = core = None
            continue
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "processor":
            processors += 1
        elif key in ("flags", "features") and not flags:
            flags = set(value.lower().split())
        elif key in ("model name", "cpu model", "hardware") and not model:
            model = value
        elif key == "cpu mhz" and mhz is None:
            try:
                mhz = float(value)
            except ValueError:
                mhz = None
        elif key == "physical id":
            phys = value
        elif key == "core id":
            core = value
    return {"flags": flags, "model": model, "mhz": mhz,
            "physical_cores": len(cores) or None, "processors": processors or None}


def _read(path: str | Path) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def cpu_peak_flops(dtype: Any = "float64", *, cores: int | None = None,
                   clock_hz: float | None = None, simd_bits: int | None = None,
                   fma_units: int | None = None,
                   cpuinfo_path: str | Path = "/proc/cpuinfo") -> CpuPeak:
    """Best-effort theoretical peak of this machine's CPU: cores × clock × FLOP per cycle.

    FLOP per cycle per core = SIMD lanes × FMA units × 2, where lanes = SIMD width /
    element width. This is Hooda (2023) eq. 1 (:func:`mltk.peak_flops`) with ``ops_per_cycle``
    widened from one scalar FMA to the vector units. Every input may be given; those not
    given are read from the operating system where it exposes them, and otherwise
    assumed, and the result says which (``sources``, ``assumed``).

    - cores: distinct (physical id, core id) pairs in ``/proc/cpuinfo``, capped by the
      CPUs this process may use; else ``os.cpu_count()`` (counts hardware threads).
    - clock: ``cpufreq`` maximum, else the nominal clock in the model name
      ("@ 2.40GHz"), else the current "cpu MHz" of ``/proc/cpuinfo``; else 3 GHz assumed.
    - SIMD width: the ``avx512f`` / ``avx`` / ``sse2`` / ``asimd`` flags; else 128 bits assumed.
    - FMA units: not exposed by any OS, so assumed 2 (Intel since Haswell, AMD since
      Zen 2 issue two vector FMAs per cycle), or 1 on x86 without the ``fma`` flag
      (one multiply and one add port).

    Some cores split 512-bit instructions into two 256-bit halves (AMD Zen 4) or have a
    single 512-bit FMA unit: pass ``simd_bits`` or ``fma_units`` to correct the guess.

    Parameters
    ----------
    dtype : {"float32", "float64"}
        Element type (sets the lanes per vector).
    cores, clock_hz, simd_bits, fma_units : optional
        Override the detected values (``clock_hz`` in Hz, ``simd_bits`` a multiple of the
        element width).
    cpuinfo_path : path, default "/proc/cpuinfo"
        Where to read the CPU description (Linux); absent elsewhere, which is fine.

    Returns
    -------
    CpuPeak

    Examples
    --------
    Two cores at 2.45 GHz with AVX2 (256-bit) and two FMA units, float64:

    >>> p = cpu_peak_flops("float64", cores=2, clock_hz=2.45e9, simd_bits=256, fma_units=2)
    >>> p.flops_per_cycle, p.flops_per_s
    (16, 78400000000.0)
    >>> p.derivation
    '2 cores × 2.45 GHz × 16 FLOP/cycle (256-bit SIMD = 4 float64 lanes × 2 FMA units × 2)'
    """
    name = _dtype_name(dtype)
    elem_bits = 8 * _CPU_DTYPES[name]
    info = _parse_cpuinfo(_read(cpuinfo_path) or "")
    flags: set[str] = info["flags"]
    sources: dict[str, str] = {}
    assumed: list[str] = []

    # cores
    if cores is not None:
        n_cores = _positive_int("cores", cores)
        sources["cores"] = "given"
    else:
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        if info["physical_cores"]:
            n_cores = info["physical_cores"]
            sources["cores"] = f"{cpuinfo_path}: distinct (physical id, core id) pairs"
            if usable is not None and usable < n_cores:
                n_cores = usable
                sources["cores"] = "CPUs this process may use (os.sched_getaffinity)"
        else:
            n_cores = usable or os.cpu_count() or 1
            sources["cores"] = "os.cpu_count(): hardware threads, assumed one per core"
            assumed.append("cores")

    # clock
    if clock_hz is not None:
        clock = float(v.clock_hz("clock_hz", clock_hz))
        sources["clock_hz"] = "given"
    else:
        max_khz = _read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        ghz = re.search(r"@\s*([\d.]+)\s*GHz", info["model"])
        if max_khz and max_khz.strip().isdigit():
            clock = float(max_khz.strip()) * 1e3
            sources["clock_hz"] = "maximum clock from cpufreq (cpuinfo_max_freq)"
        elif ghz:
            clock = float(ghz.group(1)) * 1e9
            sources["clock_hz"] = f"nominal clock in the model name '{info['model']}'"
        elif info["mhz"]:
            clock = info["mhz"] * 1e6
            sources["clock_hz"] = (f"'cpu MHz' in {cpuinfo_path} (the clock reported now; "
                                   "boost or throttling may differ)")
        else:
            clock = 3.0e9
            sources["clock_hz"] = "ASSUMED 3 GHz: no clock readable on this system"
            assumed.append("clock_hz")

    # SIMD width
    if simd_bits is not None:
        width = _positive_int("simd_bits", simd_bits)
        if width % elem_bits:
            raise InputError("simd_bits", simd_bits,
                             f"a multiple of the {elem_bits}-bit {name} element")
        sources["simd_bits"] = "given"
    else:
        for flag, bits in (("avx512f", 512), ("avx", 256), ("sse2", 128), ("asimd", 128)):
            if flag in flags:
                width = bits
                sources["simd_bits"] = f"'{flag}' flag in {cpuinfo_path}"
                break
        else:
            width = 128
            sources["simd_bits"] = (f"ASSUMED 128-bit vectors (SSE2/NEON class): no CPU flags "
                                    f"readable on {platform.machine() or 'this machine'}")
            assumed.append("simd_bits")

    # FMA units
    if fma_units is not None:
        units = _positive_int("fma_units", fma_units)
        sources["fma_units"] = "given"
    elif flags and "fma" not in flags and ("sse2" in flags or "avx" in flags):
        units = 1
        sources["fma_units"] = ("ASSUMED 1: no 'fma' flag, so one vector multiply and one "
                                "vector add per cycle")
        assumed.append("fma_units")
    else:
        units = 2
        sources["fma_units"] = ("ASSUMED 2 vector FMA units per core (typical since Intel "
                                "Haswell and AMD Zen 2); the OS does not report it")
        assumed.append("fma_units")

    lanes = width // elem_bits
    per_cycle = lanes * units * 2
    total = float(peak_flops(n_cores, clock, ops_per_cycle=per_cycle))
    return CpuPeak(flops_per_s=total, dtype=name, cores=n_cores, clock_hz=clock,
                   simd_bits=width, fma_units=units, lanes=lanes, flops_per_cycle=per_cycle,
                   sources=sources, assumed=tuple(assumed))


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: bit layout, range and precision."""

    name: str
    bits: int
    exponent_bits: int
    mantissa_bits: int
    max_value: float
    min_normal: float
    epsilon: float
    note: str = ""

    @property
    def decimal_digits(self) -> float:
        """Significant decimal digits the mantissa carries, log10(2^(mantissa_bits+1))."""
        return (self.mantissa_bits + 1) * math.log10(2)


# name: (stored bits, exponent bits, mantissa bits, finite-only E4M3-style encoding, note)
_FORMATS: dict[str, tuple[int, int, int, bool, str]] = {
    "fp64": (64, 11, 52, False, "IEEE 754 double precision"),
    "fp32": (32, 8, 23, False, "IEEE 754 single precision"),
    "tf32": (19, 8, 10, False, "NVIDIA TensorFloat-32: fp32 range, fp16 mantissa; "
                               "stored as 32 bits, used inside tensor cores"),
    "fp16": (16, 5, 10, False, "IEEE 754 half precision"),
    "bf16": (16, 8, 7, False, "bfloat16: fp32 range with 7 mantissa bits"),
    "fp8_e4m3": (8, 4, 3, True, "OCP FP8 E4M3: no infinities, one NaN pattern"),
    "fp8_e5m2": (8, 5, 2, False, "OCP FP8 E5M2: IEEE-style special values"),
}

#: Names :func:`float_format` accepts, widest first.
FLOAT_FORMATS: tuple[str, ...] = tuple(_FORMATS)


def float_format(name: str) -> FloatFormat:
    """Range and precision of a floating-point format used in deep learning.

    ``max_value`` = (2 − 2^−m)·2^emax with emax = 2^(e−1) − 1 for IEEE-style formats; FP8
    E4M3 gives up infinities, so its largest exponent is one higher and its largest
    mantissa one step lower (448). ``epsilon`` is the gap between 1 and the next number,
    2^−m; ``min_normal`` is 2^(1−bias).

    Parameters
    ----------
    name : str
        One of :data:`FLOAT_FORMATS` (``"fp64"``, ``"fp32"``, ``"tf32"``, ``"fp16"``,
        ``"bf16"``, ``"fp8_e4m3"``, ``"fp8_e5m2"``); ``"float32"``, ``"bfloat16"`` etc. too.

    Examples
    --------
    >>> float_format("fp16").max_value, float_format("bf16").epsilon
    (65504.0, 0.0078125)
    >>> float_format("fp8_e4m3").max_value
    448.0
    """
    key = str(name).strip().lower().replace("-", "_") if isinstance(name, str) else None
    key = {"float64": "fp64", "float32": "fp32", "float16": "fp16", "half": "fp16",
           "bfloat16": "bf16", "e4m3": "fp8_e4m3", "e5m2": "fp8_e5m2"}.get(key or "", key)
    if key not in _FORMATS:
        raise InputError("name", name, f"one of {', '.join(FLOAT_FORMATS)}")
    bits, e, m, finite_only, note = _FORMATS[key]
    bias = 2 ** (e - 1) - 1
    if finite_only:
        emax = 2**e - 1 - bias
        max_value = (2.0 - 2.0 ** (1 - m)) * 2.0**emax
    else:
        emax = bias
        max_value = (2.0 - 2.0**-m) * 2.0**emax
    return FloatFormat(name=key, bits=bits, exponent_bits=e, mantissa_bits=m,
                       max_value=max_value, min_normal=2.0 ** (1 - bias),
                       epsilon=2.0**-m, note=note)


# --------------------------------------------------------------------------- prediction latency

@dataclass(frozen=True)
class PredictionTiming:
    """Timed calls of a prediction function (:func:`prediction_latency`).

    Attributes
    ----------
    batch_size : int
        Rows per call.
    seconds_per_call : Range
        Fastest (low), median (mid) and slowest (high) of the timed repeats, in s.
    calls : int
        Calls per repeat (each repeat's time is divided by it).
    """

    batch_size: int
    seconds_per_call: Range
    calls: int

    @property
    def seconds_per_row(self) -> Range:
        """``seconds_per_call / batch_size``: the cost of one row, overhead shared."""
        return self.seconds_per_call * (1.0 / self.batch_size)

    @property
    def rows_per_s(self) -> float:
        """Throughput of one process at the median: ``batch_size / seconds_per_call.mid``."""
        return self.batch_size / self.seconds_per_call.mid


def prediction_latency(predict: Any, X: ArrayLike, batch_size: int = 1, *, repeats: int = 5,
                       min_seconds: float = 0.05, max_calls: int = 10_000) -> PredictionTiming:
    """Time ``predict`` on batches of ``batch_size`` rows of ``X``, on this machine.

    Each repeat calls ``predict`` on consecutive batches (cycling through ``X``) until
    ``min_seconds`` have passed or ``max_calls`` calls were made, and records the mean
    time per call; the result holds the fastest, median and slowest repeat. One call
    with a single row measures the latency of a request served one at a time, where the
    fixed cost per call (input checks, Python dispatch) dominates; a large batch
    measures the throughput of bulk scoring. Single-threaded timings are the honest
    basis for sizing a server that runs one model process per core.

    Timings vary between machines and runs: use the result to size, not to test.

    Parameters
    ----------
    predict : callable
        ``predict(batch) -> predictions``, e.g. ``model.predict`` or ``model.predict_proba``.
    X : array_like
        Rows to predict, 2-D (at least one row).
    batch_size : int, default 1
        Rows per call (>= 1; at most the number of rows of ``X``).
    repeats : int, default 5
        Timed repeats (>= 1), after one untimed warm-up call.
    min_seconds : float, default 0.05
        Minimum duration of each repeat (> 0).
    max_calls : int, default 10,000
        Maximum calls per repeat (>= 1).

    Returns
    -------
    PredictionTiming

    Examples
    --------
    >>> import numpy as np
    >>> t = prediction_latency(lambda b: b.sum(axis=1), np.ones((100, 4)), batch_size=10,
    ...                        repeats=2, min_seconds=0.001)
    >>> t.batch_size, bool(0 < t.seconds_per_row.mid < t.seconds_per_call.mid)
    (10, True)
    """
    if not callable(predict):
        raise InputError("predict", predict, "a function predict(batch) -> predictions")
    rows = np.asarray(X)
    if rows.ndim != 2 or rows.shape[0] == 0:
        raise InputError("X", f"array of shape {rows.shape}", "a 2-D array with at least one row")
    b = _positive_int("batch_size", batch_size)
    if b > rows.shape[0]:
        raise InputError("batch_size", batch_size, f"at most the rows of X ({rows.shape[0]})")
    r = _positive_int("repeats", repeats)
    cap = _positive_int("max_calls", max_calls)
    floor = float(v.positive("min_seconds", min_seconds))
    starts = np.arange(0, rows.shape[0] - b + 1, b)
    batches = [rows[i:i + b] for i in starts]
    predict(batches[0])                                   # warm-up: caches, lazy imports
    per_call = []
    calls = 0
    for _ in range(r):
        calls = 0
        t0 = time.perf_counter()
        while True:
            predict(batches[calls % len(batches)])
            calls += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= floor or calls >= cap:
                break
        per_call.append(elapsed / calls)
    return PredictionTiming(b, Range(float(min(per_call)), float(np.median(per_call)),
                                     float(max(per_call))), calls)
