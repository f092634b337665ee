"""The business-case calculator shows what mltk.handbook.business_case computes, and survives bad input."""

from __future__ import annotations

import pytest

from mltk import Range
from mltk.foundation.units import format_money
from mltk.handbook.business_case import business_case
from mltk.widgets.business_case import BusinessCaseCalculator


def test_calculator_matches_business_case() -> None:
    calc = BusinessCaseCalculator()
    calc.set(value_low="200000", value_mid="400000", value_high="700000", build_mid="5",
             serving_usd_per_year="50000", discount_rate="0.1")
    expected = business_case(Range(200_000, 400_000, 700_000), build_months=Range(4, 5, 10),
                             ramp_months=3, team_fte=3, run_fte=1, cost_per_fte_usd_per_year=150_000,
                             training_usd_per_run=2_000, retrains_per_year=12,
                             serving_usd_per_year=50_000, monitoring_usd_per_year=10_000,
                             on_call_usd_per_year=15_000, years=3, discount_rate=0.1)
    assert calc.result.npv_usd == expected.npv_usd
    assert format_money(expected.npv_usd.mid) in calc.results.value
    assert calc.image_png.startswith(b"\x89PNG") and "cumulative net cash" in calc.image.value


@pytest.mark.parametrize("field,text", [("value_mid", "abc"), ("team_fte", "-1"), ("discount_rate", "1.5")])
def test_bad_input_shows_a_message_and_no_number(field: str, text: str) -> None:
    calc = BusinessCaseCalculator()
    calc.set(**{field: text})
    assert calc.result is None and calc.results.value == ""
    assert calc.messages()[field]
    calc.set(**{field: BusinessCaseCalculator().fields[field].text.value})
    assert calc.result is not None and calc.result.npv_usd == BusinessCaseCalculator().result.npv_usd


def test_horizon_beyond_thirty_years_is_reported_in_the_api_words() -> None:
    calc = BusinessCaseCalculator()
    calc.set(years="40")
    assert calc.result is None and "years" in calc.error and "30" in calc.error


def test_range_out_of_order_is_reported() -> None:
    calc = BusinessCaseCalculator()
    calc.set(build_low="12")
    assert calc.result is None and "build" in calc.error
