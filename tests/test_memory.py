"""mltk.heuristics.memory: training state, activations, KV cache, serving footprint, device counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mltk
from mltk.foundation.errors import InputError
from mltk.heuristics.memory import (
    DEFAULT_HEADROOM,
    OPTIMIZERS,
    accelerators_that_fit,
    activation_memory_bytes,
    bytes_per_element,
    devices_needed,
    inference_memory_bytes,
    kv_cache_bytes,
    training_bytes_per_param,
    training_memory_bytes,
)

# --- training state ------------------------------------------------------------------


def test_zero_paper_worked_example() -> None:
    """Rajbhandari et al. (SC20), section 3.1 and Figure 1: 7.5B params, Nd = 64."""
    assert training_memory_bytes(7.5e9) == pytest.approx(120e9)
    per_stage = [training_memory_bytes(7.5e9, zero_stage=s, data_parallel=64) / 1e9
                 for s in (0, 1, 2, 3)]
    assert per_stage == pytest.approx([120, 31.4, 16.6, 1.9], abs=0.05)


def test_bytes_per_param_by_optimizer() -> None:
    totals = {(p, o): training_bytes_per_param(p, o)["total"]
              for p in ("mixed", "fp32") for o in OPTIMIZERS}
    assert totals[("mixed", "adam")] == 16 and totals[("fp32", "adam")] == 16
    assert totals[("mixed", "adamw")] == 16
    assert totals[("fp32", "sgd-momentum")] == 12 and totals[("mixed", "sgd-momentum")] == 12
    assert totals[("fp32", "sgd")] == 8
    assert totals[("mixed", "adam8bit")] == 10     # 2 + 2 + 4 master + 2 (two 8-bit moments)
    assert totals[("mixed", "adafactor")] == 8
    parts = training_bytes_per_param("mixed", "adam")
    assert parts["weights"] + parts["gradients"] + parts["master_weights"] \
        + parts["optimizer_states"] == parts["total"]


def test_optimizer_aliases_and_case() -> None:
    assert training_memory_bytes(1e9, "MIXED", "AdamW") == 16e9
    assert training_memory_bytes(1e9, optimizer="momentum") == 12e9
    assert training_memory_bytes(1e9, precision="amp") == 16e9


def test_training_memory_broadcasts() -> None:
    out = training_memory_bytes(np.array([7e9, 70e9]))
    assert out.tolist() == pytest.approx([112e9, 1120e9])
    grid = training_memory_bytes(np.array([[7e9], [70e9]]), zero_stage=3,
                                 data_parallel=np.array([1, 8, 64]))
    assert grid.shape == (2, 3)
    assert grid[1, 1] == pytest.approx(140e9)


@pytest.mark.parametrize("kwargs", [
    {"params": 0}, {"params": -1}, {"params": float("nan")}, {"params": []},
    {"params": float("inf")}, {"params": True},
    {"params": 1e9, "precision": "fp12"}, {"params": 1e9, "optimizer": "lion"},
    {"params": 1e9, "optimizer": None}, {"params": 1e9, "zero_stage": 4},
    {"params": 1e9, "zero_stage": True}, {"params": 1e9, "zero_stage": 1, "data_parallel": 0.5},
])
def test_training_memory_rejects(kwargs) -> None:
    with pytest.raises(InputError):
        training_memory_bytes(**kwargs)


def test_error_names_parameter_value_and_expectation() -> None:
    with pytest.raises(InputError) as err:
        training_memory_bytes(1e9, optimizer="lion")
    msg = str(err.value)
    assert "optimizer" in msg and "lion" in msg and "adam" in msg
    assert isinstance(err.value, ValueError)


# --- activations ---------------------------------------------------------------------


def _sbh(s, b, h):
    return s * b * h


def test_activation_formula_matches_korthikanti_table_2() -> None:
    """Korthikanti et al. (2022), Table 2, 16-bit activations with dropout."""
    L, h, s, b, a, t = 4, 1024, 2048, 2, 16, 8
    sbh = _sbh(s, b, h)
    cases = [
        ({}, sbh * (34 + 5 * a * s / h)),
        ({"tensor_parallel": t}, sbh * (10 + 24 / t + 5 * a * s / (h * t))),
        ({"tensor_parallel": t, "sequence_parallel": True}, sbh / t * (34 + 5 * a * s / h)),
        ({"tensor_parallel": t, "recompute": "selective"}, sbh * (10 + 24 / t)),
        ({"tensor_parallel": t, "sequence_parallel": True, "recompute": "selective"},
         sbh * 34 / t),
        ({"recompute": "full"}, 2 * sbh),
    ]
    for kwargs, per_layer in cases:
        assert activation_memory_bytes(L, h, s, b, a, **kwargs) == pytest.approx(L * per_layer)


def test_activation_precision_and_dropout() -> None:
    # fp32 doubles every 2-byte term; masks stay 1 byte: (16·4 + 2) sbh + (2·4 + 1) as²b
    assert activation_memory_bytes(1, 1, 1, 1, 1, "fp32") == 66 + 9
    assert activation_memory_bytes(1, 1, 1, 1, 1, dropout=False) == 32 + 2
    assert activation_memory_bytes(1, 1, 1, 1, 1, "fp32", "full") == 4


def test_activation_recompute_ordering() -> None:
    args = (32, 4096, np.array([512, 2048, 8192]), 1, 32)
    none = activation_memory_bytes(*args)
    sel = activation_memory_bytes(*args, recompute="selective")
    full = activation_memory_bytes(*args, recompute="full")
    assert np.all(full < sel) and np.all(sel < none)


@pytest.mark.parametrize("kwargs", [
    {"layers": 0}, {"hidden": -1}, {"seq_len": float("nan")}, {"heads": []},
    {"recompute": "some"}, {"precision": "fp7"}, {"tensor_parallel": 0},
    {"sequence_parallel": "yes"}, {"dropout": 1},
])
def test_activation_rejects(kwargs) -> None:
    args = {"layers": 2, "hidden": 64, "seq_len": 16, "batch": 1, "heads": 4}
    args.update(kwargs)
    with pytest.raises(InputError):
        activation_memory_bytes(**args)


# --- KV cache and serving -------------------------------------------------------------


def test_kv_cache_worked_examples() -> None:
    # Kwon et al. (2023): OPT-13B needs 800 KB per token and 1.6 GB for 2048 tokens
    assert kv_cache_bytes(40, 40, 128, 1) == 2 * 5120 * 40 * 2
    assert kv_cache_bytes(40, 40, 128, 2048) == pytest.approx(1.6e9, rel=0.05)
    # Llama-2-70B: 80 layers, 8 KV heads (grouped-query attention), head_dim 128, bf16
    assert kv_cache_bytes(80, 8, 128, 1) == 327_680
    assert kv_cache_bytes(80, 8, 128, 4096, batch=8, precision="fp8") == 327_680 / 2 * 4096 * 8


def test_kv_cache_broadcasts_over_batch_and_context() -> None:
    grid = kv_cache_bytes(80, 8, 128, np.array([[1024], [4096]]), batch=np.array([1, 8, 64]))
    assert grid.shape == (2, 3)
    assert grid[1, 2] == pytest.approx(327_680 * 4096 * 64)


@pytest.mark.parametrize("kwargs", [
    {"layers": 0}, {"kv_heads": -8}, {"head_dim": float("inf")}, {"tokens": 0},
    {"batch": float("nan")}, {"precision": "int3"},
])
def test_kv_cache_rejects(kwargs) -> None:
    args = {"layers": 80, "kv_heads": 8, "head_dim": 128, "tokens": 10}
    args.update(kwargs)
    with pytest.raises(InputError):
        kv_cache_bytes(**args)


def test_inference_memory() -> None:
    assert inference_memory_bytes(70e9) == 140e9
    assert inference_memory_bytes(70e9, "int4") == 35e9
    assert inference_memory_bytes(70e9, "fp32", kv_cache_bytes=1e9) == 281e9
    with pytest.raises(InputError):
        inference_memory_bytes(70e9, kv_cache_bytes=-1)
    with pytest.raises(InputError):
        inference_memory_bytes(70e9, "int2")


def test_bytes_per_element() -> None:
    assert bytes_per_element("BF16") == 2 and bytes_per_element("half") == 2
    with pytest.raises(InputError):
        bytes_per_element(16)


# --- devices --------------------------------------------------------------------------


def test_devices_needed() -> None:
    assert DEFAULT_HEADROOM == 0.9
    assert devices_needed(140e9, "A100-80GB") == 2
    usable = 81920 * 2**20 * 0.9  # nvidia-smi: 81920 MiB on an A100 80GB (modal-client PR #2797)
    assert devices_needed(usable, "A100-80GB") == 1        # exactly 90 % of the reported memory
    assert devices_needed(usable * 1.001, "A100-80GB") == 2
    assert devices_needed(140e9, "H200") == 2              # 141 GB × 0.9 = 126.9 GB
    assert devices_needed(140e9, "H200", headroom=1.0) == 1
    assert devices_needed(np.array([1e9, 1.12e12]), "H100-SXM").tolist() == [1, 15]
    assert isinstance(devices_needed(1e9, "T4"), int)


@pytest.mark.parametrize("kwargs", [
    {"required_bytes": 0}, {"required_bytes": -1e9}, {"headroom": 0}, {"headroom": 1.2},
    {"accelerator": "Z9000"}, {"required_bytes": float("nan")},
])
def test_devices_needed_rejects(kwargs) -> None:
    args = {"required_bytes": 1e9, "accelerator": "A100-80GB"}
    args.update(kwargs)
    with pytest.raises(InputError):
        devices_needed(**args)


def test_memory_bytes_are_what_nvidia_smi_reports() -> None:
    """nvidia-smi totals in MiB, as listed in modal-labs/modal-client PR #2797 (2025-01-23);
    the H100's 81559MiB also appears in nvidia-smi output in NVIDIA/nccl issue #1264."""
    reported_mib = {"H100-SXM": 81559, "A100-80GB": 81920, "A100-40GB": 40960, "A10": 23028,
                    "L40S": 46068, "L4": 23034, "T4": 15360}
    for name, mib in reported_mib.items():
        assert mltk.accelerator(name).memory_bytes == mib * 2**20, name
    assert mltk.accelerator("H100-SXM").memory_bytes == pytest.approx(85.52e9, rel=1e-4)


def test_llama2_70b_with_a_4k_context_fits_on_two_h100s() -> None:
    """Issue 15: with 80e9 bytes the plan said 3 devices; the reported 81,559 MiB holds it on 2."""
    weights = inference_memory_bytes(69e9, "bf16")                 # 138 GB
    kv = kv_cache_bytes(80, 8, 128, 4096, batch=8)                  # 10.7 GB
    assert devices_needed(weights + kv, "H100-SXM") == 2
    assert np.ceil((weights + kv) / (80e9 * 0.9)) == 3             # the decimal figure's answer


def test_devices_needed_divides_the_heads() -> None:
    # 3 devices by memory; 64 heads: tensor parallelism needs a divisor of 64, so 4
    assert devices_needed(170e9, "H100-SXM") == 3
    assert devices_needed(170e9, "H100-SXM", heads=64) == 4
    assert devices_needed(170e9, "H100-SXM", heads=96) == 3        # 3 divides 96
    assert devices_needed(170e9, "H100-SXM", heads=40) == 4        # 40 = 4 x 10
    assert devices_needed(1e9, "H100-SXM", heads=64) == 1
    assert devices_needed(np.array([1.12e12, 170e9]), "H100-SXM", heads=64).tolist() == [16, 4]
    assert devices_needed(1.12e12, "H100-SXM", heads=8) == 16      # two full 8-way groups
    for bad in (0, 2.5, [8, 16]):
        with pytest.raises(InputError, match="heads"):
            devices_needed(170e9, "H100-SXM", heads=bad)


def test_accelerators_that_fit() -> None:
    fits = accelerators_that_fit(140e9, max_devices=8)
    names = [f.name for f in fits]
    assert "L40S" in names and "T4" not in names and names[0] == "MI325X"  # T4 would need 10
    counts = [f.devices for f in fits]
    assert counts == sorted(counts) and max(counts) <= 8
    for f in fits:
        assert f.devices == devices_needed(140e9, f.accelerator)
    everything = accelerators_that_fit(140e9, max_devices=None)
    assert len(everything) == sum(a.memory_bytes is not None for a in mltk.accelerators())
    with pytest.raises(InputError):
        accelerators_that_fit(140e9, max_devices=0)
    with pytest.raises(InputError):
        accelerators_that_fit(140e9, max_devices=2.5)


def test_lazy_top_level_names() -> None:
    assert mltk.training_memory_bytes(7.5e9) == pytest.approx(120e9)
    assert mltk.kv_cache_bytes(80, 8, 128, 1) == 327_680
    assert mltk.inference_memory_bytes(1e9) == 2e9
    assert mltk.activation_memory_bytes(1, 1, 1, 1, 1) == 39


# --- properties -----------------------------------------------------------------------

counts = st.floats(min_value=1, max_value=1e13, allow_nan=False, allow_infinity=False)


@given(params=counts, dp=st.integers(1, 4096),
       optimizer=st.sampled_from(OPTIMIZERS), precision=st.sampled_from(("mixed", "fp32")))
def test_zero_stages_never_increase_memory(params, dp, optimizer, precision) -> None:
    per_stage = [training_memory_bytes(params, precision, optimizer, zero_stage=s,
                                       data_parallel=dp) for s in (0, 1, 2, 3)]
    assert all(math.isfinite(x) and x > 0 for x in per_stage)
    assert all(a >= b * (1 - 1e-12) for a, b in zip(per_stage, per_stage[1:], strict=False))
    assert per_stage[3] == pytest.approx(per_stage[0] / dp)


@given(layers=st.integers(1, 200), kv=st.integers(1, 128), d=st.sampled_from([64, 128, 256]),
       tokens=st.integers(1, 1_000_000), batch=st.integers(1, 512))
def test_kv_cache_is_linear_in_tokens_and_batch(layers, kv, d, tokens, batch) -> None:
    one = kv_cache_bytes(layers, kv, d, 1)
    assert kv_cache_bytes(layers, kv, d, tokens, batch) == pytest.approx(one * tokens * batch)


@given(required=st.floats(1e6, 1e14), headroom=st.floats(0.05, 1.0))
def test_devices_needed_is_the_smallest_that_fits(required, headroom) -> None:
    n = devices_needed(required, "H100-SXM", headroom)
    usable = mltk.accelerator("H100-SXM").memory_bytes * headroom
    assert n >= 1
    assert n * usable >= required * (1 - 1e-9)
    assert (n - 1) * usable < required * (1 + 1e-9)


def test_max_batch_size() -> None:
    from mltk.heuristics.memory import max_batch_size
    kv = kv_cache_bytes(80, 8, 128, 4096)
    b = max_batch_size(140e9, kv, "H100-SXM", devices=8)
    usable = 8 * 81559 * 2**20 * 0.9  # nvidia-smi reports 81559 MiB per H100 80GB HBM3
    assert b == 354
    assert 140e9 + b * kv <= usable < 140e9 + (b + 1) * kv
    assert max_batch_size(140e9, kv, "H100-SXM") == 0
    assert max_batch_size(14e9, kv, "A100-80GB", devices=np.array([1, 2])).tolist() == [47, 104]
    with pytest.raises(InputError):
        max_batch_size(0, kv, "H100-SXM")
    with pytest.raises(InputError):
        max_batch_size(14e9, 0, "H100-SXM")
    with pytest.raises(InputError):
        max_batch_size(14e9, kv, "H100-SXM", headroom=0)


def test_usable_memory_bytes() -> None:
    from mltk.heuristics.memory import DEFAULT_HEADROOM, usable_memory_bytes

    acc = mltk.accelerator("H100-SXM")
    assert usable_memory_bytes(acc, devices=8) == pytest.approx(8 * acc.memory_bytes * DEFAULT_HEADROOM)
    with pytest.raises(ValueError, match="headroom"):
        usable_memory_bytes("H100-SXM", headroom=1.5)
    with pytest.raises(ValueError, match="devices"):
        usable_memory_bytes("H100-SXM", devices=0)
