"""mltk.heuristics.inference: roofline, decode latency and throughput, cost per million."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mltk
from mltk import Range
from mltk.foundation.errors import InputError
from mltk.heuristics.inference import (
    arithmetic_intensity,
    bandwidth_utilization,
    cost_per_million,
    critical_batch_size,
    decode_estimate,
    ridge_point,
    roofline_flops,
)
from mltk.heuristics.memory import kv_cache_bytes

# --- roofline ------------------------------------------------------------------------


def test_roofline_two_regimes() -> None:
    peak, bw = 312e12, 1.5e12
    assert ridge_point(peak, bw) == 208
    assert roofline_flops(1, peak, bw) == 1.5e12                  # memory-bound: I × B
    assert roofline_flops(208, peak, bw) == pytest.approx(peak)   # the ridge
    assert roofline_flops(1e4, peak, bw) == peak                  # compute-bound: flat roof
    assert arithmetic_intensity(312e12, 1.5e12) == 208


def test_roofline_broadcasts() -> None:
    out = roofline_flops(np.logspace(-1, 4, 7)[:, None], np.array([1e14, 1e15]), 2e12)
    assert out.shape == (7, 2)
    assert np.all(np.diff(out, axis=0) >= 0)


@pytest.mark.parametrize("args", [
    (0, 1e14, 1e12), (-1, 1e14, 1e12), (1, float("nan"), 1e12), (1, 1e14, 0), ([], 1e14, 1e12),
])
def test_roofline_rejects(args) -> None:
    with pytest.raises(InputError):
        roofline_flops(*args)


def test_critical_batch() -> None:
    # The ratio of A100 compute to bandwidth: decode needs about 208 sequences per
    # step (bf16 weights) before it stops being limited by reading the weights.
    assert critical_batch_size(312e12, 1.5e12) == 208
    assert critical_batch_size(312e12, 1.5e12, bytes_per_param=1) == 104


# --- decode --------------------------------------------------------------------------


def test_decode_small_batch_is_memory_bound() -> None:
    est = decode_estimate(7e9, "A100-80GB")
    acc = mltk.accelerator("A100-80GB")
    assert est.memory_bound is True
    assert est.bytes_per_step == 14e9
    assert est.flops_per_step == 14e9
    assert est.seconds_per_token == pytest.approx(14e9 / acc.memory_bandwidth_bytes_per_s)
    assert est.intensity == 1.0


def test_decode_large_batch_becomes_compute_bound() -> None:
    acc = mltk.accelerator("H100-SXM")
    b_star = critical_batch_size(acc.peak_flops("bf16"), acc.memory_bandwidth_bytes_per_s)
    below = decode_estimate(7e9, acc, batch=math.floor(b_star * 0.9))
    above = decode_estimate(7e9, acc, batch=math.ceil(b_star * 1.1))
    assert below.memory_bound and not above.memory_bound
    assert above.tokens_per_s == pytest.approx(acc.peak_flops("bf16") / (2 * 7e9))


def test_decode_kv_cache_keeps_long_context_memory_bound() -> None:
    kv = kv_cache_bytes(32, 32, 128, 32_768)     # a 7B multi-head model at 32k tokens
    est = decode_estimate(7e9, "H100-SXM", batch=np.array([1, 64, 1024]), kv_cache_bytes=kv)
    assert est.memory_bound.all()
    short = decode_estimate(7e9, "H100-SXM", batch=1024)
    assert not short.memory_bound


def test_decode_roofline_is_a_floor_on_pope_et_al_latency() -> None:
    """PaLM 540B, int8 weights on 64 TPU v4 chips: 29 ms per token measured (Pope et al.).

    The ideal roofline (weights read once at full bandwidth) must be faster than what
    a real system achieved, and not absurdly so.
    """
    est = decode_estimate(540e9, "TPU-v4", precision="bf16", weight_precision="int8",
                          devices=64)
    assert est.memory_bound
    assert 0.029 / 10 < est.seconds_per_token < 0.029


def test_decode_efficiency_and_devices() -> None:
    base = decode_estimate(70e9, "H100-SXM", devices=8)
    half = decode_estimate(70e9, "H100-SXM", devices=8, efficiency=0.5)
    assert half.seconds_per_token == pytest.approx(2 * base.seconds_per_token)
    one = decode_estimate(70e9, "H100-SXM")
    assert one.seconds_per_token == pytest.approx(8 * base.seconds_per_token)


def test_decode_explicit_device_figures() -> None:
    est = decode_estimate(52e9, peak_flops=312e12, bandwidth_bytes_per_s=1.5e12)
    assert est.seconds_per_token == pytest.approx(2 * 52e9 / 1.5e12)
    assert set(est.as_dict()) >= {"seconds_per_token", "tokens_per_s", "memory_bound"}


def test_decode_broadcasts() -> None:
    est = decode_estimate(np.array([[7e9], [70e9]]), "H200", batch=np.array([1, 8, 64, 512]),
                          devices=np.array([[1], [8]]))
    assert est.tokens_per_s.shape == (2, 4)
    assert np.all(np.isfinite(est.tokens_per_s)) and np.all(est.tokens_per_s > 0)
    assert np.all(np.diff(est.tokens_per_s, axis=1) > 0)


@pytest.mark.parametrize("kwargs", [
    {"params": 0}, {"params": float("nan")}, {"batch": 0}, {"kv_cache_bytes": -1},
    {"devices": 0.5}, {"efficiency": 0}, {"efficiency": 1.5}, {"precision": "fp9"},
    {"weight_precision": "int3"}, {"accelerator": None}, {"accelerator": "nope"},
    {"accelerator": "P40", "precision": "bf16"},
])
def test_decode_rejects(kwargs) -> None:
    args = {"params": 7e9, "accelerator": "A100-80GB"}
    args.update(kwargs)
    with pytest.raises(InputError):
        decode_estimate(**args)


# --- utilization and cost ------------------------------------------------------------


def test_bandwidth_utilization_databricks_example() -> None:
    # 7B in 16 bits (14 GB) at 14 ms per output token on a 2 TB/s device: MBU 50 %
    assert bandwidth_utilization(14e9, 0.014, 2e12) == pytest.approx(0.5)


def test_cost_per_million_scalar_and_array() -> None:
    assert cost_per_million(1000, 3.6) == pytest.approx(1.0)
    assert cost_per_million(1000, 3.6, devices=8) == pytest.approx(8.0)
    out = cost_per_million(np.array([100, 1000, 10_000]), 3.6)
    assert out.tolist() == pytest.approx([10, 1, 0.1])


def test_cost_per_million_ranges() -> None:
    r = cost_per_million(Range(500, 1000, 2000), Range(1.8, 2.7, 3.6), devices=2)
    assert (r.low, r.mid, r.high) == pytest.approx((0.5, 1.5, 4.0))
    price = mltk.device_hour_price("H100-SXM")
    tps = decode_estimate(7e9, "H100-SXM", batch=64).tokens_per_s
    c = cost_per_million(tps, price)
    assert c.low <= c.mid <= c.high
    assert c.high == pytest.approx(price.high * 1e6 / 3600 / tps)


@pytest.mark.parametrize("args", [
    (0, 1.0), (-5, 1.0), (100, 0), (100, float("nan")), (Range(0, 1, 2), 1.0), ([], 1.0),
])
def test_cost_per_million_rejects(args) -> None:
    with pytest.raises(InputError):
        cost_per_million(*args)


# --- properties ----------------------------------------------------------------------

pos = st.floats(min_value=1e-3, max_value=1e18, allow_nan=False, allow_infinity=False)


@given(i=pos, peak=pos, bw=pos)
def test_roofline_never_exceeds_either_roof(i, peak, bw) -> None:
    r = roofline_flops(i, peak, bw)
    assert 0 < r <= peak * (1 + 1e-12)
    assert r <= i * bw * (1 + 1e-12)


@given(params=st.floats(1e6, 2e12), batch=st.integers(1, 4096),
       kv=st.floats(0, 1e10), eff=st.floats(0.05, 1.0))
def test_decode_throughput_grows_with_batch_and_stays_finite(params, batch, kv, eff) -> None:
    a = decode_estimate(params, "H100-SXM", batch=batch, kv_cache_bytes=kv, efficiency=eff)
    b = decode_estimate(params, "H100-SXM", batch=batch + 1, kv_cache_bytes=kv, efficiency=eff)
    for est in (a, b):
        assert math.isfinite(est.seconds_per_token) and est.seconds_per_token > 0
        assert math.isfinite(est.tokens_per_s) and est.tokens_per_s > 0
    assert b.tokens_per_s >= a.tokens_per_s * (1 - 1e-12)
    assert b.seconds_per_token >= a.seconds_per_token * (1 - 1e-12)
