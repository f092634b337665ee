"""One home per rule: constraints, ranges, money, device names and device-hours on every face."""

from __future__ import annotations

import io

import numpy as np
import pytest

import mltk
from mltk import InputError, Range
from mltk.cli import main
from mltk.foundation.assumptions import load_assumptions
from mltk.foundation.checks import CONSTRAINTS, check, expected
from mltk.foundation.device_names import catalog_names, resolve_device_name
from mltk.foundation.errors import AssumptionsError
from mltk.heuristics.utilization import device_hours
from mltk.widgets import ProjectEstimator

ORDER = "expected low <= mid <= high"


@pytest.mark.parametrize(("constraint", "good", "bad"), [
    ("positive", [1e-9, 5.0], [0.0, -1.0, np.inf, np.nan]),
    ("non_negative", [0.0, 3.0], [-1e-9, np.inf]),
    ("fraction", [1e-6, 1.0], [0.0, 1.0 + 1e-9, np.nan]),
    ("unit_interval", [0.0, 1.0], [-0.1, 1.1]),
    ("at_least_one", [1.0, 2048], [0.999, -np.inf]),
])
def test_each_constraint_accepts_its_values_and_names_the_bad_one(constraint, good, bad) -> None:
    assert check("x", good, constraint).tolist() == [float(g) for g in good]
    for b in bad:
        with pytest.raises(InputError) as info:
            check("x", [*good, b], constraint)
        assert info.value.parameter == "x"
        assert info.value.expected == expected(constraint) == CONSTRAINTS[constraint][1]
        assert np.isnan(info.value.value) if np.isnan(b) else info.value.value == b


def test_range_coerce_reads_every_spelling_the_same() -> None:
    want = Range(0.2, 0.4, 0.5)
    for spelling in ((0.2, 0.4, 0.5), [0.2, 0.4, 0.5], {"low": 0.2, "mid": 0.4, "high": 0.5}, want):
        assert Range.coerce(spelling, "utilization", "fraction") == want
    assert Range.coerce(0.3, "utilization", "fraction") == Range(0.3, 0.3, 0.3)
    with pytest.raises(InputError, match="one number or three"):
        Range.coerce([0.2, 0.4], "utilization")


def test_an_unordered_range_reads_the_same_on_every_face(tmp_path) -> None:
    with pytest.raises(InputError) as api:
        mltk.estimate_training(1e9, 1e10, utilization=(0.5, 0.4, 0.6))
    assert str(api.value).endswith(ORDER)

    err = io.StringIO()
    assert main(["estimate", "--params", "1e9", "--dataset-size", "1e10", "--accelerator", "H100-SXM",
                 "--utilization", "0.5", "0.4", "0.6"], stdout=io.StringIO(), stderr=err) == 2
    assert "argument --utilization: 0.5 0.4 0.6 is invalid: " + ORDER in err.getvalue()

    team = tmp_path / "team.yaml"
    team.write_text("utilization: [0.5, 0.4, 0.6]\n")
    with pytest.raises(AssumptionsError) as asm:
        load_assumptions(team)
    assert str(asm.value).endswith(ORDER)

    calc = ProjectEstimator()
    calc.set(u_low="0.5", u_mid="0.4", u_high="0.6")
    assert calc.result is None and calc.error.endswith(ORDER)


def test_format_money_is_pure_and_the_configured_formatter_lives_on_the_assumptions(tmp_path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("currency: EUR\n")
    with mltk.using_assumptions(team) as asm:
        assert mltk.format_money(2.5e6) == "$2.5M"            # no hidden read of the file
        assert mltk.format_money(2.5e6, currency="CHF ") == "CHF 2.5M"
        assert asm.format_money(2.5e6) == mltk.assumptions().format_money(2.5e6) == "EUR 2.5M"
        est = mltk.estimate_training(1e9, 2e10, accelerator="H100-SXM")
    assert est.currency == "EUR"
    assert f"cost          {asm.format_money(est.cost_usd.mid)} (" in est.summary()


def test_every_catalog_spelling_resolves_in_the_foundation_as_in_the_catalog() -> None:
    names = catalog_names()
    assert list(names) == [a.name for a in mltk.accelerators()]
    for acc in mltk.accelerators():
        for spelling in (acc.name, acc.name.lower(), f"NVIDIA {acc.name}", *acc.aliases):
            assert resolve_device_name(spelling) == acc.name == mltk.accelerator(spelling).name


def test_device_hours_is_devices_times_hours() -> None:
    assert device_hours(86400.0, 512) == 512 * 24
    est = mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM", devices=512, utilization=0.4)
    assert est.device_hours == device_hours(est.seconds, 512)
    assert est.device_hours.mid == pytest.approx(512 * est.seconds.mid / 3600)
    with pytest.raises(InputError, match="devices"):
        device_hours(3600.0, 0)


def test_a_bad_field_reads_the_same_in_a_calculator_as_in_the_api() -> None:
    with pytest.raises(InputError) as api:
        mltk.estimate_training(1e9, 1e10, devices=0)
    calc = ProjectEstimator()
    calc.set(devices="0")
    assert calc.result is None
    assert f"expected {api.value.expected}" in calc.messages()["devices"]
    assert api.value.expected == expected("at_least_one")
