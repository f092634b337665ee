"""Parallel training layouts, goodput and their validation against published runs."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mltk
from mltk.cli import main
from mltk.evidence.layout_validation import layout_measurements, layout_validation, validation_summary
from mltk.heuristics.goodput import (
    checkpoint_bytes,
    goodput,
    mean_time_between_failures_s,
    young_daly_interval_s,
)
from mltk.heuristics.layouts import (
    Layout,
    Transformer,
    all_gather_seconds,
    all_to_all_seconds,
    evaluate_layout,
    reduce_scatter_seconds,
    ring_all_reduce_seconds,
    search_layouts,
    valid_layouts,
)
from mltk.heuristics.memory import activation_memory_bytes

GPT22B = Transformer(layers=48, hidden=6144, heads=64, vocab=51200, seq_len=2048)
LLAMA70B = Transformer(layers=80, hidden=8192, heads=64, kv_heads=8, ffn_hidden=28672,
                       gated_mlp=True, tied_embeddings=False, vocab=128256, seq_len=4096)


# ------------------------------------------------------------------ collectives (closed forms)

def test_ring_all_reduce_closed_form() -> None:
    # 2(n-1)/n * bytes / bw + 2(n-1) * latency
    assert ring_all_reduce_seconds(1e9, 8, 100e9, 1e-6) == pytest.approx(2 * 7 / 8 * 0.01 + 14e-6)
    assert ring_all_reduce_seconds(4e9, 2, 50e9) == pytest.approx(0.08)
    assert ring_all_reduce_seconds(1e9, 1, 100e9, 1e-3) == 0.0


def test_all_reduce_is_reduce_scatter_plus_all_gather() -> None:
    for n in (2, 8, 64):
        ar = ring_all_reduce_seconds(3e8, n, 25e9, 5e-6)
        assert ar == pytest.approx(reduce_scatter_seconds(3e8, n, 25e9, 5e-6)
                                   + all_gather_seconds(3e8, n, 25e9, 5e-6))
    assert all_to_all_seconds(8e8, 8, 100e9, 1e-6) == pytest.approx(7 / 8 * 8e-3 + 7e-6)


def test_collectives_broadcast_over_arrays() -> None:
    t = ring_all_reduce_seconds(1e9, np.array([1, 2, 4]), 1e11)
    np.testing.assert_allclose(t, [0.0, 0.01, 0.015])


# ------------------------------------------------------------------ model shape

def test_parameter_counts() -> None:
    # GPT-3 175B: 96 * 12 h^2 + V h
    gpt3 = Transformer(layers=96, hidden=12288, heads=96, vocab=51200, seq_len=2048)
    assert gpt3.params == 96 * 12 * 12288**2 + 51200 * 12288
    # Llama 3 70B shape: about 70.6e9 parameters (GQA with 8 KV heads, SwiGLU, untied)
    assert LLAMA70B.params / 1e9 == pytest.approx(70.55, abs=0.05)
    moe = Transformer(layers=2, hidden=64, heads=4, vocab=100, seq_len=16, experts=8,
                      experts_per_token=2)
    assert moe.params - moe.active_params == 2 * 6 * moe.expert_params


def test_model_flops_per_token_palm_convention() -> None:
    m = GPT22B
    assert m.model_flops_per_token == 6 * m.active_params + 12 * 48 * 6144 * 2048


# ------------------------------------------------------------------ memory of a known config

def test_memory_of_known_config() -> None:
    """22B on 8 A100s (tp 8): 16 bytes per parameter / 8, plus Korthikanti's activations."""
    lay = Layout(tp=8, pp=1, dp=1, micro_batch=4, zero_stage=0, recompute="selective",
                 sequence_parallel=True, flash_attention=False)
    r = evaluate_layout(GPT22B, lay, global_batch=4, accelerator="A100-80GB")
    states = r.memory_breakdown_bytes["weights"] + r.memory_breakdown_bytes["gradients_and_optimizer"]
    assert states == pytest.approx(16 * GPT22B.params / 8)
    assert r.memory_breakdown_bytes["weights"] == pytest.approx(2 * GPT22B.params / 8)
    # selective + sequence parallel: 34 s b h / t bytes per layer (Korthikanti et al. 2022)
    assert r.memory_breakdown_bytes["activations"] == pytest.approx(34 * 2048 * 4 * 6144 / 8 * 48)
    assert r.memory_breakdown_bytes["activations"] == pytest.approx(activation_memory_bytes(
        48, 6144, 2048, 4, 64, recompute="selective", tensor_parallel=8, sequence_parallel=True))
    assert r.fits and r.shortfall_bytes == 0.0


def test_not_fitting_is_a_result_with_a_shortfall() -> None:
    r = evaluate_layout(LLAMA70B, Layout(dp=8, recompute="none", zero_stage=0), global_batch=64,
                        accelerator="A100-80GB")
    assert not r.fits
    assert r.shortfall_bytes == pytest.approx(r.memory_bytes_per_device - r.usable_memory_bytes)
    assert r.shortfall_bytes > 1e11


def test_zero_stages_shard_more_memory() -> None:
    mems = [evaluate_layout(LLAMA70B, Layout(tp=8, dp=16, zero_stage=z), global_batch=128,
                            accelerator="H100-SXM").memory_bytes_per_device for z in (0, 1, 2, 3)]
    assert mems == sorted(mems, reverse=True) and mems[0] > mems[3]


# ------------------------------------------------------------------ step time

def test_step_time_is_sum_of_breakdown_and_throughput_consistent() -> None:
    r = evaluate_layout(LLAMA70B, Layout(tp=8, pp=4, dp=32, virtual_stages=2), global_batch=1024,
                        accelerator="H100-SXM")
    assert r.step_time_s == pytest.approx(sum(r.breakdown_s.values()))
    assert r.tokens_per_s == pytest.approx(1024 * 4096 / r.step_time_s)
    assert r.model_flops_per_s_per_device == pytest.approx(
        1024 * 4096 * LLAMA70B.model_flops_per_token / r.step_time_s / 1024)
    assert r.mfu == pytest.approx(r.model_flops_per_s_per_device / 989.4e12)
    assert 0 < r.mfu <= r.hfu < 1
    assert set(r.breakdown_s) >= {"compute", "tensor_parallel", "pipeline_bubble",
                                  "data_parallel_exposed", "expert_all_to_all"}


def test_pipeline_bubble_follows_narayanan() -> None:
    """Bubble / ideal = (p - 1) / (v m): halving with twice the interleaving."""
    base = dict(tp=8, pp=4, dp=32)
    r1 = evaluate_layout(LLAMA70B, Layout(**base, virtual_stages=1), global_batch=1024,
                         accelerator="H100-SXM")
    r2 = evaluate_layout(LLAMA70B, Layout(**base, virtual_stages=2), global_batch=1024,
                         accelerator="H100-SXM")
    busy = sum(r1.breakdown_s[k] for k in ("compute", "tensor_parallel"))
    assert r1.breakdown_s["pipeline_bubble"] / busy == pytest.approx(3 / 32)
    assert r2.breakdown_s["pipeline_bubble"] == pytest.approx(r1.breakdown_s["pipeline_bubble"] / 2)


def test_moe_pays_all_to_all_only_with_expert_parallelism() -> None:
    moe = Transformer(layers=32, hidden=4096, heads=32, kv_heads=8, ffn_hidden=14336, gated_mlp=True,
                      vocab=32000, seq_len=4096, experts=8, experts_per_token=2)
    r1 = evaluate_layout(moe, Layout(tp=2, dp=8, ep=4), global_batch=256, accelerator="H100-SXM")
    r0 = evaluate_layout(moe, Layout(tp=2, dp=32), global_batch=256, accelerator="H100-SXM")
    assert r1.breakdown_s["expert_all_to_all"] > 0 and r0.breakdown_s["expert_all_to_all"] == 0
    assert r1.memory_breakdown_bytes["weights"] < r0.memory_breakdown_bytes["weights"]


# ------------------------------------------------------------------ bad input

def test_tp_not_dividing_heads_lists_valid_choices() -> None:
    with pytest.raises(ValueError, match=r"tp=5 .*heads=64 \(valid: \[1, 2, 4, 8, 16, 32, 64\]\)"):
        evaluate_layout(LLAMA70B, Layout(tp=5), global_batch=64, accelerator="H100-SXM")


def test_pp_not_dividing_layers_lists_valid_choices() -> None:
    with pytest.raises(ValueError, match=r"pp=3 .*layers=80 .*\[1, 2, 4, 5, 8, 10, 16, 20, 40, 80\]"):
        evaluate_layout(LLAMA70B, Layout(pp=3), global_batch=64, accelerator="H100-SXM")


def test_degrees_must_multiply_to_devices() -> None:
    expected = (r"devices=100 .*tp × cp × pp × dp × ep = 8 × 1 × 2 × 4 × 1 = 64 "
                r"\(with these tp, cp, pp, ep the devices must be a multiple of 16\)")
    with pytest.raises(ValueError, match=expected):
        evaluate_layout(LLAMA70B, Layout(tp=8, pp=2, dp=4), global_batch=64, accelerator="H100-SXM",
                        devices=100)
    with pytest.raises(ValueError, match=r"valid: dp=8 for these tp, cp, pp, ep"):
        evaluate_layout(LLAMA70B, Layout(tp=8, pp=2, dp=4), global_batch=64, accelerator="H100-SXM",
                        devices=128)


def test_micro_batch_must_divide_batch() -> None:
    with pytest.raises(ValueError, match=r"micro_batch=3 .*valid micro_batch: \[1, 2, 4, 8\]"):
        evaluate_layout(LLAMA70B, Layout(tp=8, dp=8, micro_batch=3), global_batch=64,
                        accelerator="H100-SXM")
    with pytest.raises(ValueError, match="recompute"):
        evaluate_layout(LLAMA70B, Layout(tp=8, recompute="some"), global_batch=8,
                        accelerator="H100-SXM")
    with pytest.raises(ValueError, match="kv_heads"):
        Transformer(layers=2, hidden=64, heads=8, kv_heads=3, vocab=10, seq_len=8)


# ------------------------------------------------------------------ search

def test_search_returns_fastest_fitting_layouts() -> None:
    best = search_layouts(LLAMA70B, 256, 512, accelerator="H100-SXM", top=4)
    assert len(best) == 4 and all(r.fits for r in best)
    times = [r.step_time_s for r in best]
    assert times == sorted(times)
    # no valid layout that fits is faster than the first (same search space, evaluated one by one)
    rows = valid_layouts(LLAMA70B, 256, 512)
    tp, pp, dp, v, mb = rows[np.random.default_rng(0).choice(len(rows), 20, replace=False)].T
    for i in range(20):
        r = evaluate_layout(LLAMA70B, Layout(tp=int(tp[i]), pp=int(pp[i]), dp=int(dp[i]),
                                             virtual_stages=int(v[i]), micro_batch=int(mb[i])),
                            global_batch=512, accelerator="H100-SXM")
        assert not r.fits or r.step_time_s >= times[0] - 1e-9


def test_search_nothing_fits_is_empty() -> None:
    huge = Transformer(layers=8, hidden=65536, heads=64, vocab=1000, seq_len=2048)
    assert search_layouts(huge, 2, 2, accelerator="T4", precision="fp16") == []


# ------------------------------------------------------------------ properties

layouts = st.builds(
    dict, tp=st.sampled_from([1, 2, 4, 8]), pp=st.sampled_from([1, 2, 4, 8]),
    dp=st.sampled_from([1, 2, 4, 16]), v=st.sampled_from([1, 2]), mb=st.sampled_from([1, 2, 4]),
    zero=st.sampled_from([0, 1, 2, 3]), rec=st.sampled_from(["none", "selective", "full"]),
    flash=st.booleans())


@settings(max_examples=60, deadline=None)
@given(layouts)
def test_results_are_finite_positive_and_consistent(p: dict) -> None:
    v = p["v"] if p["pp"] > 1 else 1
    lay = Layout(tp=p["tp"], pp=p["pp"], dp=p["dp"], virtual_stages=v, micro_batch=p["mb"],
                 zero_stage=p["zero"], recompute=p["rec"], flash_attention=p["flash"])
    r = evaluate_layout(LLAMA70B, lay, global_batch=64 * p["dp"], accelerator="H100-SXM")
    assert all(math.isfinite(x) and x >= 0 for x in r.breakdown_s.values())
    assert all(math.isfinite(x) and x > 0 for x in r.memory_breakdown_bytes.values())
    assert r.step_time_s > 0 and 0 < r.mfu <= r.hfu
    assert r.fits == (r.shortfall_bytes == 0)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["none", "selective", "full"]), st.sampled_from([1, 2, 4]))
def test_more_recomputation_uses_less_memory_and_more_time(rec: str, tp: int) -> None:
    order = ["none", "selective", "full"]
    i = order.index(rec)
    rs = [evaluate_layout(GPT22B, Layout(tp=tp, dp=8 // tp, recompute=m, flash_attention=False),
                          global_batch=64, accelerator="A100-80GB") for m in order]
    if i < 2:
        assert rs[i + 1].memory_breakdown_bytes["activations"] < rs[i].memory_breakdown_bytes["activations"]
        assert rs[i + 1].hfu * rs[i + 1].step_time_s > rs[i].hfu * rs[i].step_time_s


# ------------------------------------------------------------------ validation against published runs

def test_validation_rows_carry_sources() -> None:
    rows = layout_measurements()
    assert {r.id.split("-")[0] for r in rows} >= {"korthikanti", "llama3"}
    assert all(r.source and r.source_detail for r in rows)


@pytest.mark.parametrize("row", [r for r in layout_validation() if r["id"].startswith("korthikanti")],
                         ids=lambda r: str(r["id"]))
def test_megatron_configurations_within_15_percent(row: dict) -> None:
    """Korthikanti et al. (2022) step times on 8 to 512 A100s, within the stated 15 %."""
    assert abs(row["error"]) <= 0.15


@pytest.mark.parametrize("row", [r for r in layout_validation() if r["id"].startswith("narayanan-t1")],
                         ids=lambda r: str(r["id"]))
def test_megatron_weak_scaling_table_within_20_percent(row: dict) -> None:
    """Narayanan et al. (2021) Table 1, 1.7B to 1T parameters on 32 to 3,072 A100s."""
    assert abs(row["error"]) <= 0.20


def test_narayanan_table1_trillion_row_is_163_tflops() -> None:
    """The 1T row: 163 teraFLOP/s per GPU counted with recomputation (eq. 3) is 52 % of peak."""
    from mltk.evidence.layout_validation import megatron_flops_per_step

    m = [r for r in layout_measurements() if r.id == "narayanan-t1-1008b"][0]
    assert m.devices == 3072 and m.layout.tp * m.layout.pp == 512
    step = megatron_flops_per_step(m.model, m.global_batch) / (163e12 * m.devices)
    assert m.measured_model_flops_per_s_per_device == pytest.approx(
        m.global_batch * 2048 * m.model.model_flops_per_token / step / m.devices)
    assert 163e12 / 312e12 == pytest.approx(0.52, abs=0.005)


def test_megatron_22b_measured_mfu_matches_the_readme() -> None:
    """The 1.10 s iteration of the 22B model is the 41.5 % MFU the Megatron-LM README reports."""
    row = [r for r in layout_validation() if r["id"] == "korthikanti-22b-seqsel"][0]
    assert row["measured_flops_per_s"] / 312e12 == pytest.approx(0.415, abs=0.005)


def test_llama3_8k_configurations_within_15_percent() -> None:
    rows = [r for r in layout_validation() if r["id"].startswith("llama3-405b-8k")]
    assert len(rows) == 2 and all(abs(r["error"]) <= 0.15 for r in rows)


def test_validation_summary_is_what_the_rows_say() -> None:
    s = validation_summary()
    errs = sorted(abs(r["error"]) for r in layout_validation())
    assert s["worst_abs_error"] == errs[-1]
    assert s["median_abs_error"] <= 0.10


# ------------------------------------------------------------------ goodput

def test_llama3_failure_rate_gives_three_hour_mtbf() -> None:
    rate = 419 / (54 * 24 * 16384)
    assert mltk.assumptions().failure_rate_per_device_hour == pytest.approx(rate, rel=0.01)
    assert mean_time_between_failures_s(16384) / 3600 == pytest.approx(3.09, abs=0.02)


def test_young_daly_interval() -> None:
    # Young's first order: sqrt(2 delta M); Daly's correction is small when delta << M
    d, m = 30.0, 36000.0
    young = math.sqrt(2 * d * m)
    assert young_daly_interval_s(d, m) == pytest.approx(young * (1 + math.sqrt(d / (2 * m)) / 3
                                                                 + d / (2 * m) / 9) - d)
    assert abs(young_daly_interval_s(d, m) / young - 1) < 0.05
    assert young_daly_interval_s(1e5, 1e3) == 1e3


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-7, 1e-3), st.floats(1e-7, 1e-3), st.integers(8, 100_000))
def test_goodput_falls_with_failure_rate(r1: float, r2: float, n: int) -> None:
    lo, hi = sorted((r1, r2))
    g_lo = goodput(30 * 86400, n, 70e9, failure_rate_per_device_hour=lo, restart_s=300,
                   write_bytes_per_s=1e11)
    g_hi = goodput(30 * 86400, n, 70e9, failure_rate_per_device_hour=hi, restart_s=300,
                   write_bytes_per_s=1e11)
    assert 0 < g_hi.goodput <= g_lo.goodput <= 1
    assert g_lo.effective_training_s >= 30 * 86400


def test_checkpoint_size() -> None:
    assert checkpoint_bytes(70e9) == 14 * 70e9


# ------------------------------------------------------------------ command line

BASE = ["layout", "--layers", "80", "--hidden", "8192", "--heads", "64", "--kv-heads", "8",
        "--ffn-hidden", "28672", "--gated-mlp", "--untied-embeddings", "--vocab", "128256",
        "--seq-len", "4096", "--global-batch", "1024", "--accelerator", "H100-SXM",
        "--devices", "1024", "--devices-per-node", "8"]


def test_cli_json_has_the_documented_keys(capsys) -> None:
    code = main([*BASE, "--tp", "8", "--pp", "4", "--virtual-stages", "2", "--precision", "bf16",
                 "--recompute", "selective", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    d = json.loads(out)
    for key in ("fits", "memory_bytes_per_device", "step_time_s", "tokens_per_s",
                "model_flops_per_s_per_device", "hardware_flops_per_s_per_device", "mfu", "hfu",
                "breakdown_s"):
        assert key in d
    r = evaluate_layout(LLAMA70B, Layout(tp=8, pp=4, dp=32, virtual_stages=2), global_batch=1024,
                        accelerator="H100-SXM")
    assert d["step_time_s"] == pytest.approx(r.step_time_s)
    assert d["layout"]["dp"] == 32


def test_cli_search_and_errors(capsys) -> None:
    assert main([*BASE, "--search", "--top", "2", "--json"]) == 0
    d = json.loads(capsys.readouterr()[0])
    assert len(d["layouts"]) == 2 and d["layouts"][0]["fits"]
    assert main([*BASE, "--tp", "3"]) == 2
    err = capsys.readouterr()[1]
    assert "--tp: 3 is invalid" in err and "valid: [1, 2, 4, 8" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ calculator (UI only)

def test_layout_calculator_shows_the_library_result() -> None:
    from mltk.widgets.layout import LayoutCalculator

    calc = LayoutCalculator()
    r = evaluate_layout(LLAMA70B, Layout(tp=8, pp=4, dp=32, virtual_stages=2), global_batch=1024,
                        accelerator="H100-SXM")
    assert calc.result.step_time_s == pytest.approx(r.step_time_s)
    assert calc.image_png.startswith(b"\x89PNG")
    # a GPT-3-style plain MLP 4h wide: the choice, not the width, decides the matrices
    calc.set(mlp="plain", ffn_hidden=str(4 * 8192))
    plain = evaluate_layout(replace(LLAMA70B, gated_mlp=False, ffn_hidden=4 * 8192),
                            Layout(tp=8, pp=4, dp=32, virtual_stages=2), global_batch=1024,
                            accelerator="H100-SXM")
    assert calc.result.step_time_s == pytest.approx(plain.step_time_s)
    calc.set(mlp="gated")
    gated = evaluate_layout(replace(LLAMA70B, ffn_hidden=4 * 8192),
                            Layout(tp=8, pp=4, dp=32, virtual_stages=2), global_batch=1024,
                            accelerator="H100-SXM")
    assert calc.result.step_time_s == pytest.approx(gated.step_time_s)
    assert gated.step_time_s > plain.step_time_s
    calc.set(pp="3")
    assert calc.result is None and "layers=80" in calc.error
    calc.set(pp="4", devices="1000")
    assert calc.result is None and "devices" in calc.error
