"""Heuristics against reality: predictions vs published device-hours, and R = 2NC vs vendors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import mltk
from mltk.evidence import calibration as cal
from mltk.evidence import out_of_sample as val

U = mltk.Range(0.3, 0.4, 0.5)


@pytest.fixture(autouse=True)
def _packaged_assumptions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLTK_ASSUMPTIONS", raising=False)


def test_in_sample_figures() -> None:
    checks = val.validate()  # the same call the chapter makes
    assert len(val.checked(checks)) == 43
    assert len(val.in_domain(checks)) == len(cal.model_runs()) == 39
    # in sample, each in-domain run misses by its residual from the full fit
    m = cal.fit_utilization_model()
    beta = np.array([m.coefficients[f] for f in cal.FEATURES])
    for c in val.in_domain(checks):
        fitted = m.intercept + cal._run_features(c.run, m.devices_fill) @ beta
        assert -np.log10(c.ratio) == pytest.approx(np.log10(c.planner_utilization) - fitted)
    assert val.coverage(val.in_domain(checks)) == pytest.approx(37 / 39)
    assert val.median_abs_log10_ratio(val.in_domain(checks)) == pytest.approx(0.046, abs=0.0005)


LOO = val.leave_one_out()


def test_leave_one_out_figures() -> None:
    # Measured out of sample (issue 12 targets: coverage >= 0.90, median <= 0.07, width <= 0.30).
    # On the runs the formula describes the range covers 37 of 39; with the encoder-decoder
    # and the pruned-and-distilled runs too, 38 of 43. Stated, not tuned away.
    assert len(val.checked(LOO)) == 43 and len(val.in_domain(LOO)) == 39
    assert val.coverage(LOO) == pytest.approx(38 / 43)
    assert val.coverage(val.in_domain(LOO)) == pytest.approx(37 / 39)
    assert val.median_abs_log10_ratio(LOO) == pytest.approx(0.077, abs=0.0005)
    assert val.median_abs_log10_ratio(val.in_domain(LOO)) == pytest.approx(0.074, abs=0.0005)
    assert val.mean_width_log10(LOO) == pytest.approx(0.501, abs=0.0005)
    assert val.mean_width_log10(val.in_domain(LOO)) == pytest.approx(0.510, abs=0.0005)
    assert {c.run.run_id for c in val.outside(LOO)} == {
        "t5-11b", "llama3.1-8b", "llama3.2-1b", "llama3.2-3b", "phi-2"}
    # an in-domain run left out and needing no widening misses by its leave-one-out residual
    m = cal.fit_utilization_model()
    loo_residual = dict(zip(m.run_ids, m.loo_residuals, strict=True))
    plain = [c for c in val.in_domain(LOO) if not c.notes]
    assert len(plain) >= 30
    for c in plain:
        assert -np.log10(c.ratio) == pytest.approx(loo_residual[c.run.run_id])
    # out-of-domain runs are checked and say why the estimate does not apply
    for c in val.checked(LOO):
        assert c.run.formula_applies == (not any("domain" in n for n in c.notes)), c.run.run_id


def test_leave_one_out_never_sees_the_run() -> None:
    assert [c.run.run_id for c in LOO] == [r.run_id for r in cal.training_runs()]
    runs = cal.training_runs()
    first = next(i for i, r in enumerate(runs) if r.run_id == "opt-175b")
    model = cal.fit_utilization_model(runs[:first] + runs[first + 1:])
    assert "opt-175b" not in model.run_ids
    c = val.check_run(runs[first], model=model)
    assert LOO[first].predicted_device_hours == c.predicted_device_hours
    # DeepSeek-V3 is the only FP8 run: left out, the model has no FP8 evidence and says so
    v3 = next(c for c in LOO if c.run.run_id == "deepseek-v3")
    assert any("fp8" in n and "widened" in n for n in v3.notes)
    assert v3.inside


def test_prediction_ignores_reported_hours_and_flops() -> None:
    for run in cal.training_runs():
        tampered = dataclasses.replace(run, reported_device_hours=1.0, reported_flops=1.0,
                                       reported_wallclock_days=None, reported_mfu=None)
        a, b = val.check_run(run, U), val.check_run(tampered, U)
        assert a.planner_flops == b.planner_flops
        assert a.predicted_device_hours == b.predicted_device_hours


def test_prediction_is_estimate_training_with_planner_inputs() -> None:
    run = next(r for r in cal.training_runs() if r.run_id == "vit-h14-jft")
    c = val.check_run(run, U)
    c_expected = run.forward_flops_per_example * 3 * run.dataset_size * run.epochs
    assert c.planner_flops == pytest.approx(c_expected)
    est = mltk.estimate_training(flops=c_expected, params=1, dataset_size=1,
                                 accelerator="TPU-v3", precision="bf16", utilization=U)
    assert c.predicted_device_hours.mid == pytest.approx(est.device_hours.mid)
    # device-hours do not depend on how many devices share the work
    assert c.predicted_device_hours.mid == pytest.approx(c_expected / (0.4 * 123e12 * 3600))


def test_ratio_inside_and_planner_utilization_agree() -> None:
    for c in val.checked(val.validate(utilization=U)):
        p = c.predicted_device_hours
        assert c.ratio == pytest.approx(c.reported_device_hours / p.mid)
        assert c.inside == (p.low <= c.reported_device_hours <= p.high)
        assert c.inside == (U.low <= c.planner_utilization <= U.high)
    assert val.coverage(val.validate(utilization=(1e-3, 0.4, 1.0))) == 1.0


def test_unchecked_runs_say_why() -> None:
    checks = val.validate()
    for c in checks:
        assert c.checked == (c.reason == ""), c.run.run_id
    reasons = {c.run.run_id: c.reason for c in checks if not c.checked}
    assert "gshard-600b" in reasons and "not published" in reasons["gshard-600b"]
    assert "device-hours" in reasons["mt-nlg-530b"]


def test_outside_lists_the_misses() -> None:
    checks = val.validate()
    out = val.outside(checks)
    assert len(out) == round((1 - val.coverage(checks)) * len(val.checked(checks)))
    assert all(c.inside is False for c in out)


def test_table_has_one_row_per_run() -> None:
    rows = val.table()
    assert len(rows) == len(cal.training_runs())
    md = val.markdown_table().splitlines()
    assert len(md) == len(rows) + 2
    assert all(line.count("|") >= 8 for line in md)


def test_fp32_formula_matches_vendor_figures_within_one_percent() -> None:
    checks = val.fp32_formula_check()
    with_cores = [a for a in mltk.accelerators() if a.cuda_cores is not None]
    assert [c.name for c in checks] == [a.name for a in with_cores]
    assert len(checks) >= 10
    for c in checks:
        assert c.formula_flops == mltk.peak_flops(c.cuda_cores, c.boost_clock_hz)
        assert c.ratio == pytest.approx(1.0, abs=0.01), c.name
    assert np.all([c.vendor_flops > 0 for c in checks])


def test_pooled_leave_one_out_checks_each_run_against_the_others_pooled_range() -> None:
    from mltk.evidence import calibration as cal
    from mltk.evidence import out_of_sample as val

    runs = cal.training_runs()
    pooled = val.pooled_leave_one_out()
    assert len(pooled) == len(runs)
    i = next(k for k, c in enumerate(pooled) if c.checked)
    expected = cal.utilization_from_runs(runs[:i] + runs[i + 1:])
    assert pooled[i].utilization.as_dict() == expected.as_dict()
