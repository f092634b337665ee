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


def test_default_range_covers_the_published_runs() -> None:
    checks = val.validate()  # the same call the chapter makes
    assert len(val.checked(checks)) >= 15
    assert val.coverage(checks) >= val.COVERAGE_TARGET == 0.8
    assert val.median_abs_log10_ratio(checks) < val.MEDIAN_LOG10_TARGET == 0.15


def test_leave_one_out_is_reported_for_every_run() -> None:
    loo = val.leave_one_out()
    assert [c.run.run_id for c in loo] == [r.run_id for r in cal.training_runs()]
    runs = cal.training_runs()
    # Each run is checked against a range fit without it ...
    for i, c in enumerate(loo):
        assert c.utilization is None or c.utilization == cal.utilization_from_runs(runs[:i] + runs[i + 1:])
    # ... and the coverage is the share of checked runs whose reported hours fall in their range.
    ranges = [(c.predicted_device_hours, c.reported_device_hours) for c in loo
              if c.predicted_device_hours is not None and c.reported_device_hours is not None]
    inside = [r.low <= hours <= r.high for r, hours in ranges]
    assert len(ranges) == len(val.checked(loo)) >= 15
    assert val.coverage(loo) == pytest.approx(sum(inside) / len(inside))
    assert len(val.outside(loo)) == inside.count(False)


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
