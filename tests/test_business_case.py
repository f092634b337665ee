"""Business case: NPV and payback against closed forms and numpy-financial's documented example."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mltk import InputError, Range
from mltk.handbook.business_case import business_case, monthly_rate, npv, payback_period


def test_npv_matches_numpy_financial_documented_example() -> None:
    # numpy_financial.npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000]) = 3065.2226681795255
    assert npv([-40_000, 5_000, 8_000, 12_000, 30_000], 0.08) == pytest.approx(3065.2226681795, rel=1e-12)


@given(st.floats(0.001, 0.5), st.integers(1, 40), st.floats(1, 1e6))
def test_npv_of_a_level_annuity_is_the_closed_form(rate: float, n: int, amount: float) -> None:
    flows = [0.0] + [amount] * n
    annuity = amount * (1 - (1 + rate) ** -n) / rate
    assert npv(flows, rate) == pytest.approx(annuity, rel=1e-9)


def test_zero_rate_npv_is_the_sum() -> None:
    assert npv([-3, 1, 1, 1.5], 0.0) == pytest.approx(0.5)


def test_payback_interpolates_inside_the_period() -> None:
    assert payback_period([-100, 30, 30, 30, 30]) == pytest.approx(3 + 1 / 3)
    assert payback_period([-100, 30, 30]) is None
    assert payback_period([0, 5, 5]) == 0.0
    # leading zeros (nothing spent yet) do not count as paid back
    assert payback_period([0, -10, 5, 10]) == pytest.approx(2.5)


def test_discounted_payback_is_later_than_simple() -> None:
    flows = [-100, 30, 30, 30, 30, 30]
    assert payback_period(flows, 0.1) > payback_period(flows)
    # discounted payback: cumulative discounted flows cross zero between 4 and 5
    disc = np.array(flows) / 1.1 ** np.arange(6)
    cum = np.cumsum(disc)
    assert payback_period(flows, 0.1) == pytest.approx(4 + -cum[4] / disc[5])


def test_monthly_rate_compounds_to_the_annual_rate() -> None:
    assert (1 + monthly_rate(0.12)) ** 12 == pytest.approx(1.12)


@pytest.mark.parametrize("flows,rate", [([], 0.1), ([1, float("nan")], 0.1), ([[1, 2]], 0.1),
                                        ([1, 2], -1.0), ([1, 2], float("inf"))])
def test_bad_flows_and_rates_raise(flows: list, rate: float) -> None:
    with pytest.raises(InputError):
        npv(flows, rate)


def test_business_case_closed_form_without_discounting() -> None:
    # build 6 months x 3 people x 12.5k; then +50k value - 12.5k maintenance a month for 30 months
    case = business_case(600_000, build_months=6, team_fte=3, cost_per_fte_usd_per_year=150_000,
                         run_fte=1, years=3, discount_rate=0.0)
    assert case.npv_usd.mid == pytest.approx(-225_000 + 30 * 37_500)
    assert case.payback_months["expected"] == pytest.approx(12.0)
    assert case.tco_usd.mid == pytest.approx(225_000 + 30 * 12_500)
    assert case.value_usd.mid == pytest.approx(30 * 50_000)
    # break-even value: 30 months of value/12 must cover 225k + 375k
    assert case.break_even_value_usd_per_year == pytest.approx(600_000 / 30 * 12)
    assert case.verdict == "go"


def test_business_case_discounting_matches_npv_of_the_monthly_flows() -> None:
    case = business_case(600_000, build_months=6, team_fte=3, cost_per_fte_usd_per_year=150_000,
                         run_fte=1, years=3, discount_rate=0.08)
    flows = [0.0] + [-37_500.0] * 6 + [37_500.0] * 30
    assert case.npv_usd.mid == pytest.approx(npv(flows, monthly_rate(0.08)))


def test_ramp_and_fractional_launch_integrate_exactly() -> None:
    # launch at 1.5 months, linear adoption over 2 months: value earned by month 36 is
    # (36 - 1.5 - 2) full months plus half of the 2-month ramp
    case = business_case(120_000, build_months=1.5, ramp_months=2, team_fte=1,
                         cost_per_fte_usd_per_year=120_000, years=3, discount_rate=0.0)
    assert case.value_usd.mid == pytest.approx(10_000 * (36 - 1.5 - 2 + 1))
    assert case.costs_usd["build team"].mid == pytest.approx(1.5 * 10_000)


def test_ranges_give_ordered_npv_a_verdict_and_a_sensitivity() -> None:
    case = business_case((200_000, 500_000, 800_000), build_months=(4, 6, 12), team_fte=3,
                         cost_per_fte_usd_per_year=150_000, run_fte=1,
                         training_usd_per_run=Range(1_000, 2_000, 5_000), retrains_per_year=12)
    assert case.npv_usd.low < 0 < case.npv_usd.high
    assert case.verdict == "test"
    assert set(case.sensitivity) == {"value_usd_per_year", "build_months", "training_usd_per_run"}
    for pess, opt in case.sensitivity.values():
        assert pess <= case.npv_usd.mid <= opt
    assert case.payback_months["optimistic"] < case.payback_months["expected"]


def test_a_case_that_cannot_pay_is_no_go() -> None:
    case = business_case((10_000, 20_000, 30_000), build_months=6, team_fte=4,
                         cost_per_fte_usd_per_year=150_000, run_fte=1)
    assert case.verdict == "no-go" and case.payback_months["optimistic"] is None


@pytest.mark.parametrize("kw", [dict(years=0), dict(years=31), dict(discount_rate=-1.5),
                                dict(team_fte=-1), dict(value_usd_per_year=float("nan")),
                                dict(build_months=40), dict(serving_usd_per_year=(3, 2, 1))])
def test_business_case_rejects_bad_input(kw: dict) -> None:
    args = dict(value_usd_per_year=1e5, build_months=3, team_fte=1, cost_per_fte_usd_per_year=1e5)
    with pytest.raises(InputError):
        business_case(**(args | kw))


def test_as_dict_is_plain_data() -> None:
    import json

    case = business_case(1e5, build_months=3, team_fte=1, cost_per_fte_usd_per_year=1e5)
    json.dumps({k: x for k, x in case.as_dict().items() if k != "monthly_usd"})
