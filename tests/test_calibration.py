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
        if "moe" in r.architecture:
            assert r.active_params and r.active_params < r.params / 10


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


def test_default_utilization_is_the_quantiles_of_the_evidence() -> None:
    u = mltk.default_utilization()
    values = [cal.implied_utilization(r) for r in cal.calibration_runs()]
    expected = np.quantile(values, cal.UTILIZATION_QUANTILES)
    assert (u.low, u.mid, u.high) == pytest.approx(tuple(expected))
    assert 0 < u.low < u.mid < u.high <= 1
    assert mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM").utilization == u


def test_adding_a_run_moves_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    before = mltk.default_utilization()
    fast = dataclasses.replace(_run("llama-65b"), run_id="synthetic-fast",
                               reported_device_hours=1_022_362 * 0.6)  # implied ~0.8
    monkeypatch.setattr(cal, "training_runs", lambda: RUNS + (fast,) * 5)
    after = mltk.default_utilization()
    assert after.high > before.high and after.mid >= before.mid
    est = mltk.estimate_training(65.2e9, 1.4e12, accelerator="A100-80GB", devices=2048)
    assert est.utilization == after


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
