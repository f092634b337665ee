"""Matrix-product FLOP accounting, the timed product's result (never its speed), the
CPU peak arithmetic, and the floating-point formats."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mltk
from mltk.foundation.errors import InputError
from mltk.handbook.cpu_benchmark import (
    FLOAT_FORMATS,
    CpuPeak,
    MatmulResult,
    _parse_cpuinfo,
    cpu_peak_flops,
    float_format,
    matmul_bytes,
    matmul_flops,
    matmul_throughput,
)

CPUINFO_X86 = """\
processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz
cpu MHz\t\t: 1200.000
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse sse2 avx avx2 fma

processor\t: 1
model name\t: Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse sse2 avx avx2 fma

processor\t: 2
model name\t: Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz
physical id\t: 0
core id\t\t: 1
flags\t\t: fpu sse sse2 avx avx2 fma
"""


def test_matmul_flops_is_two_m_k_n() -> None:
    assert matmul_flops(3, 4, 5) == 120.0
    assert matmul_flops(1024, 1024, 1024) == 2 * 1024**3
    np.testing.assert_array_equal(matmul_flops([1, 2], 3, 4), [24.0, 48.0])
    with pytest.raises(InputError, match="k="):
        matmul_flops(2, 0, 2)


def test_matmul_bytes_and_intensity() -> None:
    n = 512
    b = matmul_bytes(n, n, n, 4)
    assert b == 3 * n * n * 4
    # intensity of a square float32 product grows as n/6
    assert matmul_flops(n, n, n) / b == pytest.approx(n / 6)
    with pytest.raises(InputError, match="bytes_per_element"):
        matmul_bytes(2, 2, 2, 0)


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, np.dtype("float64")])
def test_matmul_throughput_accounting(dtype: object) -> None:
    r = matmul_throughput(16, dtype, repeats=2)
    assert isinstance(r, MatmulResult)
    assert r.flops == matmul_flops(16, 16, 16) == 2 * 16**3
    assert r.dtype in ("float32", "float64")
    assert len(r.times_s) == 2 and r.seconds == max(min(r.times_s), 1e-9)
    assert r.flops_per_s == r.flops / r.seconds
    assert math.isfinite(r.flops_per_s) and r.flops_per_s > 0
    assert r.threads is None


def test_matmul_throughput_with_thread_limit() -> None:
    pytest.importorskip("threadpoolctl")
    assert matmul_throughput(8, repeats=1, threads=1).threads == 1


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"n": 0}, "n"), ({"n": 2.5}, "n"), ({"n": True}, "n"),
    ({"n": 4, "dtype": "float16"}, "dtype"), ({"n": 4, "dtype": "int32"}, "dtype"),
    ({"n": 4, "repeats": 0}, "repeats"), ({"n": 4, "threads": 0}, "threads"),
])
def test_matmul_throughput_rejects_bad_input(kwargs: dict, param: str) -> None:
    with pytest.raises(InputError, match=f"^{param}="):
        matmul_throughput(**kwargs)


def test_cpu_peak_arithmetic_given_inputs() -> None:
    p = cpu_peak_flops("float64", cores=2, clock_hz=2.45e9, simd_bits=256, fma_units=2)
    assert isinstance(p, CpuPeak)
    assert (p.lanes, p.flops_per_cycle) == (4, 16)
    assert p.flops_per_s == 2 * 2.45e9 * 16
    assert p.flops_per_s == mltk.peak_flops(2, 2.45e9, ops_per_cycle=16)
    assert p.assumed == ()
    assert set(p.sources.values()) == {"given"}
    p32 = cpu_peak_flops("float32", cores=8, clock_hz=3e9, simd_bits=512, fma_units=2)
    assert (p32.lanes, p32.flops_per_cycle, p32.flops_per_s) == (16, 64, 8 * 3e9 * 64)
    # float32 doubles the lanes, hence the peak
    p64 = cpu_peak_flops("float64", cores=8, clock_hz=3e9, simd_bits=512, fma_units=2)
    assert p32.flops_per_s == 2 * p64.flops_per_s
    assert "8 cores × 3 GHz × 64 FLOP/cycle" in p32.derivation


def test_cpu_peak_reads_cpuinfo(tmp_path) -> None:
    f = tmp_path / "cpuinfo"
    f.write_text(CPUINFO_X86)
    info = _parse_cpuinfo(CPUINFO_X86)
    assert info["physical_cores"] == 2 and info["processors"] == 3
    assert {"avx", "fma"} <= info["flags"] and info["mhz"] == 1200.0
    p = cpu_peak_flops("float32", cpuinfo_path=f, clock_hz=2.5e9)
    assert p.simd_bits == 256 and "avx" in p.sources["simd_bits"]
    assert p.cores <= 2
    assert p.fma_units == 2 and p.assumed == ("fma_units",)
    assert p.flops_per_s == p.cores * 2.5e9 * 8 * 2 * 2


def test_cpu_peak_without_fma_flag_assumes_one_unit(tmp_path) -> None:
    f = tmp_path / "cpuinfo"
    f.write_text(CPUINFO_X86.replace(" fma", ""))
    p = cpu_peak_flops("float64", cpuinfo_path=f, cores=1, clock_hz=2e9)
    assert p.fma_units == 1 and p.flops_per_cycle == 4 * 1 * 2


def test_cpu_peak_falls_back_to_labelled_assumptions(tmp_path) -> None:
    p = cpu_peak_flops("float64", cpuinfo_path=tmp_path / "missing")
    assert p.flops_per_s > 0
    assert "simd_bits" in p.assumed and "fma_units" in p.assumed
    assert "ASSUMED" in p.sources["simd_bits"]
    assert p.simd_bits == 128 and p.lanes == 2


def test_cpu_peak_on_this_machine_is_well_formed() -> None:
    p = cpu_peak_flops()
    assert p.cores >= 1 and p.clock_hz >= 1e6 and p.flops_per_cycle >= 2
    assert set(p.sources) == {"cores", "clock_hz", "simd_bits", "fma_units"}
    assert p.flops_per_s == p.cores * p.clock_hz * p.flops_per_cycle


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"cores": 0}, "cores"), ({"clock_hz": 2.4}, "clock_hz"), ({"simd_bits": 100}, "simd_bits"),
    ({"simd_bits": 32}, "simd_bits"), ({"fma_units": 0}, "fma_units"), ({"dtype": "fp8"}, "dtype"),
])
def test_cpu_peak_rejects_bad_input(kwargs: dict, param: str) -> None:
    with pytest.raises(InputError, match=f"^{param}="):
        cpu_peak_flops(**kwargs)


@pytest.mark.parametrize(("name", "np_type"),
                         [("fp16", np.float16), ("fp32", np.float32), ("fp64", np.float64)])
def test_float_formats_agree_with_numpy(name: str, np_type: type) -> None:
    f, fi = float_format(name), np.finfo(np_type)
    assert f.max_value == float(fi.max)
    assert f.min_normal == float(fi.smallest_normal)
    assert f.epsilon == float(fi.eps)
    assert f.bits == fi.bits and f.mantissa_bits == fi.nmant and f.exponent_bits == fi.nexp


def test_deep_learning_formats() -> None:
    bf16, fp32 = float_format("bfloat16"), float_format("fp32")
    assert bf16.exponent_bits == fp32.exponent_bits == 8
    assert bf16.max_value == pytest.approx(fp32.max_value, rel=1e-2)
    assert float_format("tf32").epsilon == float_format("fp16").epsilon == 2.0**-10
    assert float_format("e4m3").max_value == 448.0
    assert float_format("fp8_e5m2").max_value == 57344.0
    assert FLOAT_FORMATS[0] == "fp64"
    assert all(float_format(n).decimal_digits > 0 for n in FLOAT_FORMATS)
    with pytest.raises(InputError, match="name"):
        float_format("fp4")


# --------------------------------------------------------------------------- prediction latency

def test_prediction_latency_counts_rows_and_calls() -> None:
    import time as _time

    from mltk.handbook.cpu_benchmark import prediction_latency

    seen = []

    def slow(batch):
        seen.append(len(batch))
        _time.sleep(0.002)
        return batch[:, 0]

    X = np.arange(40.0).reshape(20, 2)
    t = prediction_latency(slow, X, batch_size=5, repeats=3, min_seconds=0.01)
    assert set(seen) == {5}                       # every call gets a full batch
    # a 2 ms sleep per call: the time per call is at least that, per row a fifth of it
    assert t.seconds_per_call.low >= 0.002
    assert t.seconds_per_row.mid == pytest.approx(t.seconds_per_call.mid / 5)
    assert t.rows_per_s == pytest.approx(5 / t.seconds_per_call.mid)
    assert t.seconds_per_call.low <= t.seconds_per_call.mid <= t.seconds_per_call.high


def test_prediction_latency_stops_at_max_calls() -> None:
    from mltk.handbook.cpu_benchmark import prediction_latency

    t = prediction_latency(lambda b: b, np.ones((3, 1)), repeats=1, min_seconds=10.0,
                           max_calls=7)
    assert t.calls == 7


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"predict": 3}, "predict"),
    ({"X": np.ones(4)}, "X"),
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 9}, "batch_size"),
    ({"repeats": 0}, "repeats"),
    ({"min_seconds": 0}, "min_seconds"),
])
def test_prediction_latency_rejects_bad_input(kwargs, param) -> None:
    from mltk.handbook.cpu_benchmark import prediction_latency

    args = {"predict": lambda b: b, "X": np.ones((4, 2))} | kwargs
    with pytest.raises(ValueError, match=rf"^{param}="):
        prediction_latency(args.pop("predict"), args.pop("X"), **args)
