"""Calculators: driven programmatically, their results equal direct mltk calls; bad input shows a message."""

from __future__ import annotations

import pytest

import mltk
from mltk import Range
from mltk.widgets import (
    ComputeCalculator,
    PeakCalculator,
    ProjectEstimator,
    TCOCalculator,
    TimeCalculator,
    parse_number,
)


def test_peak_calculator_matches_mltk() -> None:
    c = PeakCalculator()
    assert c.result["formula"] == mltk.peak_flops(3840, 1.531e9)
    assert "11.8 TFLOP/s" in c.results.value
    c.set(cores="6912", clock_ghz="1.41", accelerator="A100-80GB", precision="bf16")
    assert c.result["formula"] == mltk.peak_flops(6912, 1.41e9)
    assert c.result["catalog"] == mltk.accelerator("A100-80GB").peak_flops("bf16")
    assert c.image_png[:4] == b"\x89PNG"
    assert '<img alt="Bar chart' in c.image.value and "base64," in c.image.value


def test_compute_calculator_matches_mltk() -> None:
    c = ComputeCalculator()
    c.set(params="175e9", dataset_size="300e9", epochs="1")
    assert c.result == mltk.training_flops(175e9, 300e9)
    assert "315 ZFLOP" in c.results.value


def test_time_calculator_matches_mltk() -> None:
    c = TimeCalculator()
    c.set(flops="3.14e23", devices="1024", accelerator="V100", precision="fp16",
          u_low="0.2", u_mid="0.3", u_high="0.4")
    peak = mltk.accelerator("V100").peak_flops("fp16")
    assert c.result.mid == pytest.approx(mltk.training_time(3.14e23, peak, 1024, 0.3))
    assert c.result.low == pytest.approx(mltk.training_time(3.14e23, peak, 1024, 0.4))


def test_tco_calculator_matches_mltk() -> None:
    c = TCOCalculator()
    c.set(devices="16", years="2", utilization="0.5", purchase_price_usd="25000",
          cloud_price_usd_per_hour="2.5")
    direct = mltk.tco("H100-SXM", devices=16, years=2, utilization=0.5,
                      purchase_price_usd=25000, cloud_price_usd_per_hour=2.5)
    assert c.result.own_usd == pytest.approx(direct.own_usd)
    assert c.result.rent_usd == pytest.approx(direct.rent_usd)
    assert mltk.assumptions().format_money(direct.own_usd) in c.results.value


def test_calculators_speak_the_team_currency(tmp_path) -> None:
    """Money, units and the TCO plot's axis follow the assumptions file's currency."""
    team = tmp_path / "team.yaml"
    team.write_text("currency: EUR\n")
    with mltk.using_assumptions(team) as asm:
        c = TCOCalculator()
        est = ProjectEstimator()
        time_calc = TimeCalculator()
    assert asm.format_money(c.result.own_usd).startswith("EUR ")
    assert asm.format_money(c.result.own_usd) in c.results.value
    assert c._fig.axes[0].get_ylabel() == "EUR over the period"
    assert "EUR per device-hour" in c.fields["cloud_price_usd_per_hour"].box.children[1].value
    assert asm.format_money(est.result.cost_usd.mid) in est.results.value
    assert "$" not in est.results.value
    # device-hours shown by the time calculator: n · T / 3600 at the mid utilization
    mid_hours = 256 * time_calc.result.mid / 3600
    assert mltk.format_si(mid_hours, "h") in time_calc.results.value


def test_project_estimator_matches_mltk() -> None:
    c = ProjectEstimator()
    c.set(params="65.2e9", dataset_size="1.4e12", accelerator="A100-80GB", devices="2048",
          u_low="0.3", u_mid="0.4", u_high="0.5", price_usd_per_hour="2", pue="1.2",
          electricity_usd_per_kwh="0.1")
    direct = mltk.estimate_training(65.2e9, 1.4e12, accelerator="A100-80GB", devices=2048,
                                    utilization=Range(0.3, 0.4, 0.5), price_usd_per_hour=2,
                                    pue=1.2, electricity_usd_per_kwh=0.1)
    for attr in ("seconds", "device_hours", "energy_kwh", "cost_usd"):
        got, want = getattr(c.result, attr), getattr(direct, attr)
        assert (got.low, got.mid, got.high) == pytest.approx((want.low, want.mid, want.high))
    assert mltk.format_duration(direct.seconds.mid) in c.results.value
    assert mltk.assumptions().format_money(direct.cost_usd.mid) in c.results.value


def test_defaults_use_assumptions_and_calibration() -> None:
    c = ProjectEstimator()
    assert c.result.utilization.as_dict() == pytest.approx(
        mltk.default_utilization("H100-SXM", "bf16", devices=256, params=7e9).as_dict(), rel=1e-2)


BAD = [
    ("devices", ""), ("devices", "abc"), ("devices", "0"), ("devices", "-4"),
    ("params", "1e9x"), ("params", "nan"), ("params", "inf"), ("u_mid", "1.5"),
    ("epochs", "0"), ("pue", "0.5"), ("price_usd_per_hour", "-1"),
]


@pytest.mark.parametrize("field,text", BAD)
def test_bad_input_shows_message_not_number(field: str, text: str) -> None:
    c = ProjectEstimator()
    c.set(**{field: text})
    assert c.result is None
    assert "⚠" in c.messages()[field]
    assert c.results.value == ""


def test_inconsistent_utilization_range_is_reported() -> None:
    c = ProjectEstimator()
    c.set(u_low="0.6", u_mid="0.4", u_high="0.5")
    assert c.result is None and "low <= mid <= high" in c.error


def test_precision_the_device_lacks() -> None:
    c = ProjectEstimator()
    c.set(accelerator="V100", precision="bf16")
    assert c.result is None
    assert "V100 has no bf16" in c.messages()["precision"]
    c.set(precision="fp16")
    assert c.result is not None and c.messages()["precision"] == ""


@pytest.mark.parametrize("cls", [PeakCalculator, ComputeCalculator, TimeCalculator,
                                 TCOCalculator, ProjectEstimator])
def test_every_calculator_recovers_after_bad_input(cls) -> None:
    c = cls()
    key = next(iter(c.fields))
    good = c.fields[key].text.value
    c.set(**{key: "oops"})
    assert c.result is None and "⚠" in c.messages()[key]
    c.set(**{key: good})
    assert c.result is not None and c.messages()[key] == ""


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="no field"):
        ComputeCalculator().set(colour="red")


def test_parse_number() -> None:
    assert parse_number(" 7e9 ", "params") == 7e9
    assert parse_number("1_000", "params") == 1000
    with pytest.raises(ValueError, match="params: enter a number"):
        parse_number("", "params")
    with pytest.raises(ValueError, match="greater than 0"):
        parse_number("0", "params")
