"""Published training runs and the default utilization derived from them (issue 8)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import mltk
from mltk.evidence import calibration as cal
from mltk.foundation.errors import MltkError

RUNS = cal.training_runs()


@pytest.fixture(autouse=True)
def _packaged_assumptions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A team's MLTK_ASSUMPTIONS could override the utilization: test the data-derived one."""
    monkeypatch.delenv("MLTK_ASSUMPTIONS", raising=False)


def _run(run_id: str) -> cal.TrainingRun:
    return next(r for r in RUNS if r.run_id == run_id)


@pytest.mark.parametrize("params,tokens,published", [
    (175e9, 300e9, 3.14e23),     # GPT-3 (Patterson et al. 2021, Table 4)
    (540.35e9, 780e9, 2.53e24),  # PaLM 540B: 6ND (Table 22 gives 2.56e24)
    (540.35e9, 780e9, 2.56e24),
    (405e9, 15.6e12, 3.8e25),    # Llama 3.1 405B: 15.6T tokens (Llama Team 2024, Sec. 1)
])
def test_planner_compute_matches_published_totals(params: float, tokens: float,
                                                  published: float) -> None:
    assert mltk.training_flops(params, tokens) == pytest.approx(published, rel=0.02)


@pytest.mark.parametrize("run_id", ["gpt3-175b", "palm-540b", "llama3.1-405b"])
def test_data_file_rows_reproduce_published_totals(run_id: str) -> None:
    run = _run(run_id)
    assert run.planner_flops == pytest.approx(run.reported_flops, rel=0.02)
    assert run.planner_flops == mltk.training_flops(run.params, run.dataset_size, run.epochs)


def test_run_ids_unique_and_every_run_sourced() -> None:
    ids = [r.run_id for r in RUNS]
    assert len(ids) == len(set(ids)) >= 20
    for r in RUNS:
        assert r.source and r.source_detail and r.hours_include, r.run_id
        assert r.peak_flops_per_device > 0, r.run_id  # catalog device and precision exist
        assert r.dataset_unit in ("tokens", "examples"), r.run_id


def test_vision_runs_carry_forward_flops_and_moe_active_params() -> None:
    for r in RUNS:
        if r.dataset_unit == "examples":
            # 6 x params x images is meaningless for CNNs and ViTs: a planner uses FLOP per image
            assert r.forward_flops_per_example and r.forward_flops_per_example > 2 * r.params
            inputs = cal.planner_inputs(r)
            assert inputs["forward_ops"] * inputs["params"] == pytest.approx(
                r.forward_flops_per_example)
        if "moe" in r.architecture:  # GShard activates 0.25%, Llama 4 Scout 17B of 109B
            assert r.active_params and r.active_params < r.params / 5


def test_resnet50_planner_compute() -> None:
    run = _run("resnet50-goyal-256gpu")
    # He et al. 2016: 3.8e9 multiply-adds = 7.6e9 FLOP forward; x3 for training, 90 epochs
    assert run.planner_flops == pytest.approx(7.6e9 * 3 * 1.28e6 * 90)


def test_implied_utilization_is_a_fraction_for_every_run_with_hours() -> None:
    with_hours = [r for r in RUNS if r.device_hours is not None]
    assert len(with_hours) >= 15
    for r in with_hours:
        u = cal.implied_utilization(r)
        assert u is not None and 0 < u <= 1, (r.run_id, u)
        pu = cal.implied_utilization(r, r.planner_flops) if r.planner_flops else 0.5
        assert 0 < pu <= 1, (r.run_id, pu)


def test_implied_utilization_uses_best_known_compute() -> None:
    gpt3 = _run("gpt3-175b")
    assert gpt3.flops == gpt3.reported_flops
    assert cal.implied_utilization(gpt3) == pytest.approx(
        3.14e23 / (3_552_000 * 3600 * mltk.accelerator("V100").peak_flops("fp16")))
    bloom = _run("bloom-176b")  # no published FLOP: the planner's C
    assert bloom.flops == bloom.planner_flops


def test_runs_without_hours_are_not_evidence() -> None:
    ids = {r.run_id for r in cal.calibration_runs()}
    assert "mt-nlg-530b" not in ids and "gemma-7b" not in ids
    assert "gshard-600b" in ids  # reported FLOP and hours, even without a token count


def test_default_utilization_without_a_plan_is_the_quantiles_of_the_evidence() -> None:
    u = mltk.default_utilization()
    values = [cal.implied_utilization(r) for r in cal.calibration_runs()]
    expected = np.quantile(values, cal.UTILIZATION_QUANTILES)
    assert (u.low, u.mid, u.high) == pytest.approx(tuple(expected))
    assert 0 < u.low < u.mid < u.high <= 1


def test_estimate_uses_the_model_for_its_plan() -> None:
    est = mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM", devices=512)
    pred = cal.predict_utilization("H100-SXM", "bf16", devices=512, params=7e9)
    assert est.utilization == pred.utilization
    assert est.utilization == mltk.default_utilization("H100-SXM", "bf16", 512, 7e9)
    # with a known compute the model size is unknown: the model says so
    est2 = mltk.estimate_training(1, 1, accelerator="H100-SXM", devices=512, flops=1e23)
    assert any("model size not given" in n for n in est2.notes)


def test_adding_runs_moves_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    before = cal.predict_utilization("A100-80GB", "bf16", 2048, 65.2e9).utilization
    fast = dataclasses.replace(_run("llama-65b"), run_id="synthetic-fast",
                               reported_device_hours=1_022_362 * 0.6)  # planner's u ~0.8
    monkeypatch.setattr(cal, "training_runs", lambda: RUNS + (fast,) * 5)
    after = cal.predict_utilization("A100-80GB", "bf16", 2048, 65.2e9).utilization
    assert after.mid > before.mid
    est = mltk.estimate_training(65.2e9, 1.4e12, accelerator="A100-80GB", devices=2048)
    assert est.utilization == after


def test_model_coefficients_have_the_argued_signs() -> None:
    m = cal.fit_utilization_model()
    c = m.coefficients
    assert set(c) == set(cal.FEATURES) == set(cal.FEATURE_REASONS)
    assert c["h100_era"] < 0 and c["h100_era"] < c["a100_era"]
    assert c["fp8"] < 0 and c["fp16"] < 0
    assert c["throughput_hours"] > 0
    # in the formula's domain, with FP16 separated, size and device count carry no effect:
    # their coefficients are kept, and shown, at what the runs say (about a factor 1.0)
    assert abs(c["log10_params_over_1e10"]) < 0.01 and abs(c["log10_devices_over_1024"]) < 0.05
    assert len(m.run_ids) == len(cal.model_runs()) == 39


def test_formula_domain_rule() -> None:
    out = {r.run_id: r.formula_reason for r in RUNS if not cal.formula_applies(r)}
    assert set(out) == {"t5-11b", "llama3.2-1b", "llama3.2-3b", "llama4-maverick"}
    assert "encoder-decoder" in out["t5-11b"]
    assert all("pruned" in out[k] and "logits" in out[k] for k in ("llama3.2-1b", "llama3.2-3b"))
    assert "codistilled" in out["llama4-maverick"]
    assert all(r.formula_reason == "" for r in RUNS if cal.formula_applies(r))
    # never evidence for the model, whatever their hours
    assert not set(out) & set(cal.fit_utilization_model().run_ids)
    # T5's measured compute is below 6PD, as the reason says
    t5 = _run("t5-11b")
    assert t5.planner_flops / t5.reported_flops == pytest.approx(6 * 11e9 * 1e12 / 4.05e22)


def test_interval_is_the_jackknife_plus() -> None:
    m = cal.fit_utilization_model()
    n = len(m.run_ids)
    r = np.abs(m.loo_residuals)
    # miss rate 0.10: ranks floor(0.1 (n+1)) and ceil(0.9 (n+1)) among n values (1-based)
    k_lo, k_hi = int(np.floor(0.1 * (n + 1))), int(np.ceil(0.9 * (n + 1)))
    assert (k_lo, k_hi) == (4, 36)
    assert m.residual_high == pytest.approx(np.sort(r)[k_hi - 1]) == -m.residual_low
    x = np.array([[0, 1, 0, 0, 0, 0, 0]], dtype=float)   # H100 era, bf16, 1e10 params, 1024 devices
    mu = np.asarray(m.loo_intercepts) + np.asarray(m.loo_coefficients) @ x[0]
    p = m.predict("H100-SXM", "bf16", devices=1024, params=1e10)
    assert np.log10(p.utilization.low) == pytest.approx(np.sort(mu - r)[k_lo - 1])
    assert np.log10(p.utilization.high) == pytest.approx(np.sort(mu + r)[k_hi - 1])
    # the left-out fits each miss their run by its residual
    y = {rid: np.log10(cal.planner_utilization(_run(rid))) for rid in m.run_ids}
    fill = m.devices_fill
    for rid, c0, c, e in zip(m.run_ids, m.loo_intercepts, m.loo_coefficients, m.loo_residuals,
                             strict=True):
        assert y[rid] - (c0 + cal._run_features(_run(rid), fill) @ np.asarray(c)) == pytest.approx(e)


def test_model_prediction_matches_its_coefficients() -> None:
    m = cal.fit_utilization_model()
    p = m.predict("H100-SXM", "bf16", devices=1024, params=1e10)   # every centred feature 0
    log_mid = m.intercept + m.coefficients["h100_era"]
    assert np.log10(p.utilization.mid) == pytest.approx(log_mid)
    assert p.notes == ()
    t = m.predict("H100-SXM", "bf16", devices=1024, params=1e10, hours_basis="throughput")
    assert t.utilization.mid / p.utilization.mid == pytest.approx(
        10 ** m.coefficients["throughput_hours"])
    f = m.predict("A100-80GB", "fp16", devices=1024, params=1e10)
    b = m.predict("A100-80GB", "bf16", devices=1024, params=1e10)
    assert f.utilization.mid / b.utilization.mid == pytest.approx(10 ** m.coefficients["fp16"])


def test_unseen_device_widens_by_the_generation_spread() -> None:
    m = cal.fit_utilization_model()
    c = m.coefficients
    spread = (max(0, c["a100_era"], c["h100_era"]) - min(0, c["a100_era"], c["h100_era"])) / 2
    assert m.generation_spread_dex == pytest.approx(spread)
    base = m.predict("H100-SXM", "bf16", devices=1024, params=7e10).utilization
    b200 = m.predict("B200", "bf16", devices=1024, params=7e10).utilization   # H100 era, unseen
    assert b200.mid == pytest.approx(base.mid)
    assert np.log10(b200.high / b200.low) == pytest.approx(np.log10(base.high / base.low) + 2 * spread)


def test_unseen_precision_takes_the_middle_of_no_and_full_speedup() -> None:
    # without DeepSeek-V3 no run trained in FP8: the FP8 peak is 2x the BF16 peak, so the
    # achieved FLOP/s lie between the BF16 rate and twice it: the middle moves by -log10(2)/2
    m = cal.fit_utilization_model(tuple(r for r in RUNS if r.run_id != "deepseek-v3"))
    bf = m.predict("H100-SXM", "bf16", devices=1024, params=7e10).utilization
    f8 = m.predict("H100-SXM", "fp8", devices=1024, params=7e10)
    half = np.log10(1.979e15 / 989.4e12) / 2      # H100 SXM dense FP8 over BF16 peak
    assert np.log10(f8.utilization.mid / bf.mid) == pytest.approx(-half)
    assert np.log10(f8.utilization.high / f8.utilization.low) == pytest.approx(
        np.log10(bf.high / bf.low) + 2 * half)
    assert any("fp8" in n and "widened" in n for n in f8.notes)


def test_llama31_70b_on_its_cluster_is_inside_the_range() -> None:
    # Llama 3.1 70B: 15T tokens, 7.0M H100 GPU-hours (model card); not held out here
    est = mltk.estimate_training(70e9, 15e12, accelerator="H100-SXM", devices=2048)
    assert est.device_hours.low < 7.0e6 < est.device_hours.high
    assert est.device_hours.mid == pytest.approx(7.0e6, rel=0.25)


@pytest.mark.parametrize("acc,precision,why", [
    ("B200", "bf16", "B200"), ("TPU-v5p", "bf16", "TPU-v5p"), ("H100-SXM", "tf32", "tf32"),
    ("Trainium", "fp8", "Trainium"),
])
def test_unseen_hardware_gets_a_wider_interval_and_a_note(acc: str, precision: str,
                                                          why: str) -> None:
    base = cal.predict_utilization("H100-SXM", "bf16", devices=1024, params=7e10)
    p = cal.predict_utilization(acc, precision, devices=1024, params=7e10)
    u = p.utilization
    assert np.all(np.isfinite([u.low, u.mid, u.high])) and 0 < u.low < u.mid < u.high <= 1
    assert u.high / u.low > base.utilization.high / base.utilization.low
    assert any(why in n and "widened" in n for n in p.notes)


def test_model_bad_input() -> None:
    with pytest.raises(mltk.InputError, match="hours_basis"):
        cal.predict_utilization("H100-SXM", hours_basis="billed")
    with pytest.raises(mltk.InputError, match="params"):
        cal.predict_utilization("H100-SXM", params=-1)
    with pytest.raises(mltk.InputError, match="devices"):
        cal.predict_utilization("H100-SXM", devices=0)
    with pytest.raises(mltk.UnsupportedPrecisionError):
        cal.predict_utilization("V100", "fp8")
    with pytest.raises(MltkError, match="at least"):
        cal.fit_utilization_model(RUNS[:5])


def test_model_broadcasts_over_sizes() -> None:
    p = cal.predict_utilization("A100-80GB", "bf16", devices=512, params=[1e9, 1e10, 1e11])
    assert np.shape(p.utilization.mid) == (3,)
    # each factor 10 in size moves the utilization by the size coefficient (about nothing)
    c = cal.fit_utilization_model().coefficients["log10_params_over_1e10"]
    assert np.diff(np.log10(p.utilization.mid)) == pytest.approx([c, c])


def test_assumptions_file_overrides_the_data(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "team.yaml"
    f.write_text("utilization: [0.2, 0.3, 0.4]\n")
    monkeypatch.setenv("MLTK_ASSUMPTIONS", str(f))
    assert mltk.default_utilization() == mltk.Range(0.2, 0.3, 0.4)


def test_too_few_runs_is_an_error() -> None:
    with pytest.raises(MltkError, match="at least"):
        cal.utilization_from_runs(RUNS[:2])


def test_seed_kernel_efficiency_is_above_end_to_end_utilization() -> None:
    k = cal.seed_kernel_efficiency()
    assert k.low == 0.75 and k.high == 0.85
    assert mltk.default_utilization().high < k.low
    assert cal.predict_utilization("H100-SXM", devices=2048, params=7e10).utilization.high < k.low


def test_every_run_with_hours_states_its_hours_basis() -> None:
    for r in RUNS:
        if r.device_hours is not None:
            assert r.hours_basis in cal.HOURS_BASES, r.run_id
        else:
            assert r.hours_basis == "", r.run_id
    assert len(RUNS) >= 40
    # DeepSeek's H800 is an H100 SXM5 with NVLink cut to 400 GB/s: same tensor peaks
    h800, h100 = mltk.accelerator("H800"), mltk.accelerator("H100-SXM")
    assert h800.peak_flops("fp8") == h100.peak_flops("fp8") == 1.979e15
    assert h800.interconnect_bandwidth_bytes_per_s == 4e11 < h100.interconnect_bandwidth_bytes_per_s
    assert cal.GENERATIONS[cal.accelerator_generation("H800")][0] == "H100 era"


def test_deepseek_v3_reproduces_its_published_rate() -> None:
    # 2,664K GPU-hours of pre-training over 14.8T tokens = 180K per trillion (DeepSeek-V3 report)
    v3 = _run("deepseek-v3")
    assert 2.664e6 / (v3.dataset_size / 1e12) == pytest.approx(180e3, rel=0.001)
    assert v3.planner_flops == pytest.approx(6 * 37e9 * 14.8e12)
    assert cal.planner_utilization(v3) == pytest.approx(
        6 * 37e9 * 14.8e12 / (2.788e6 * 3600 * 1.979e15))


@pytest.mark.parametrize(("n", "alpha", "ranks"), [
    (19, 0.10, (2, 18)),   # floor(0.1*20) = 2, ceil(0.9*20) = 18
    (39, 0.10, (4, 36)),   # floor(4.0) = 4, ceil(36.0) = 36
    (5, 0.10, (1, 5)),     # floor(0.6) = 0 clipped to 1; ceil(5.4) = 6 clipped to 5
    (10, 0.25, (2, 9)),    # floor(2.75) = 2, ceil(8.25) = 9
])
def test_jackknife_plus_ranks(n, alpha, ranks):
    assert cal.jackknife_plus_ranks(n, alpha) == ranks
    assert cal._order_stat_ranks(n, alpha) == (ranks[0] - 1, ranks[1] - 1)


@pytest.mark.parametrize(("n", "alpha"), [(0, 0.1), (2.5, 0.1), (10, 0.0), (10, 1.0), (10, -0.1)])
def test_jackknife_plus_ranks_rejects_bad_input(n, alpha):
    with pytest.raises(ValueError):
        cal.jackknife_plus_ranks(n, alpha)
