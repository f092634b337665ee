"""TCO (seed 3.3.4): own a cluster, counted once, against each rent option billed as billed."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mltk
from mltk.heuristics.rent import billed_device_hours, cloud_prices, rent_prices
from mltk.heuristics.tco import capex_per_device, capital_recovery_factor

KW = {"purchase_price_usd": 30000, "cloud_price_usd_per_hour": 3.0,
      "electricity_usd_per_kwh": 0.1, "pue": 1.2, "amortisation_years": 4, "discount_rate": 0.0}

PINNED = """\
    server_usd_per_device: 12000
    networking_fraction_of_capex: 0.15
    storage_usd_per_device: 3000
    hosting_usd_per_kw_year: 1800
    maintenance_fraction_per_year: 0.08
    staff_usd_per_device_year: 1000
    host_power_fraction: 0.5
    idle_power_fraction: 0.3
    cloud_price_factor: [0.45, 0.63, 1.0]
    spot_preemption_overhead: 0.1
    discount_rate: 0.0
    residual_value_fraction: 0.0
    """


@pytest.fixture()
def pinned(tmp_path):
    """Assumptions pinned to the values the hand calculations below use."""
    path = tmp_path / "pinned.yaml"
    path.write_text(textwrap.dedent(PINNED))
    with mltk.using_assumptions(path) as a:
        yield a


def test_breakdown_closed_form() -> None:
    a = mltk.assumptions()
    t = mltk.tco("H100-SXM", devices=8, years=4, utilization=1.0, **KW)
    accel = 8 * 30000
    servers = 8 * a.server_usd_per_device
    assert t.capex_usd["accelerators"] == accel
    assert t.capex_usd["networking"] == pytest.approx((accel + servers) * a.networking_fraction_of_capex)
    it_kw = 8 * 700 * (1 + a.host_power_fraction) / 1000
    assert t.opex_usd_per_year["energy"] == pytest.approx(it_kw * 1.2 * 8760 * 0.1)
    assert t.rent_usd == pytest.approx(8 * 8760 * 4 * 3.0)
    # no cost of capital, no residual value: CapEx once over its 4-year life
    assert t.own_usd == pytest.approx(t.capex_total_usd + 4 * t.opex_total_usd_per_year)
    total = sum(x for _, _, x in t.breakdown())
    assert total == pytest.approx(t.own_usd)


def test_h100_capex_is_the_sum_of_its_parts_counted_once() -> None:
    """The catalog's H100-SXM price is the DGX H100 price / 8, server share included."""
    acc = mltk.accelerator("H100-SXM")
    parts = capex_per_device("H100-SXM")
    assert acc.price_usd == 33600 and acc.server_share_usd == 9200
    assert parts["accelerator"] == 24400 and parts["server"] == 9200    # 33,600 split, not 33,600 + 12,000
    a = mltk.assumptions()
    assert parts["networking"] == pytest.approx(33600 * a.networking_fraction_of_capex)
    assert parts["storage"] == a.storage_usd_per_device
    total = mltk.tco("H100-SXM", devices=1).capex_total_usd
    assert total == pytest.approx(sum(parts.values()))
    assert total == pytest.approx(33600 * (1 + a.networking_fraction_of_capex) + a.storage_usd_per_device)


def test_committed_totals_do_not_depend_on_utilization() -> None:
    low = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.3)
    high = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.9)
    for opt in ("commit_1y", "commit_3y"):
        assert low.rent[opt].total_usd == high.rent[opt].total_usd
        price = low.rent[opt].price_usd_per_device_hour
        assert low.rent[opt].total_usd == pytest.approx(8 * 8760 * 3 * price)   # every hour
    # per busy hour the commitment costs three times more at 30% than at 90%
    assert low.rent["commit_3y"].usd_per_busy_device_hour == pytest.approx(
        3 * high.rent["commit_3y"].usd_per_busy_device_hour)


def test_on_demand_and_spot_are_proportional_to_busy_hours() -> None:
    low = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.3)
    high = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.9)
    od = low.rent["on_demand"].price_usd_per_device_hour
    assert low.rent["on_demand"].total_usd == pytest.approx(8 * 8760 * 3 * 0.3 * od)
    assert high.rent["on_demand"].total_usd == pytest.approx(3 * low.rent["on_demand"].total_usd)
    assert low.rent["on_demand"].usd_per_busy_device_hour == pytest.approx(od)
    spot = low.rent["spot"]
    overhead = mltk.assumptions().spot_preemption_overhead
    assert spot.total_usd == pytest.approx(low.busy_device_hours * (1 + overhead)
                                           * spot.price_usd_per_device_hour)


def test_a_commitment_is_billed_for_whole_terms() -> None:
    assert billed_device_hours("commit_3y", 8, 1, 0.5) == 8 * 8760 * 3
    assert billed_device_hours("commit_1y", 8, 1.5, 0.5) == 8 * 8760 * 2
    assert billed_device_hours("commit_1y", 8, 3, 0.5) == 8 * 8760 * 3


def test_worked_break_even_checked_by_hand(pinned) -> None:
    """One device, one year, no electricity cost: own(u) is flat, on-demand rises with u.

    CapEx: 20,000 device + 12,000 server, networking 15% of 32,000 = 4,800, storage 3,000:
    39,800, charged in full (a one-year life, no cost of capital).
    OpEx: hosting 0.7 kW x 1.5 x 1,800 = 1,890; maintenance 8% x 39,800 = 3,184; staff 1,000.
    Own = 39,800 + 6,074 = 45,874. On-demand at 10 USD/h: 87,600 x u.
    Break-even: u = 45,874 / 87,600 = 0.52367.
    A 1-year commitment at 0.63 x 10: 8,760 x 6.3 = 55,188 > 45,874 at any u: owning wins.
    """
    t = mltk.tco("H100-SXM", devices=1, years=1, utilization=0.5, purchase_price_usd=20000,
                 cloud_price_usd_per_hour=10.0, electricity_usd_per_kwh=0.0, amortisation_years=1)
    assert t.capex_total_usd == pytest.approx(39800)
    assert t.opex_total_usd_per_year == pytest.approx(6074)
    assert t.own_usd == pytest.approx(45874)
    assert float(t.rent["on_demand"].break_even_utilization) == pytest.approx(45874 / 87600)
    assert float(t.rent["on_demand"].break_even_utilization) == pytest.approx(0.52367, abs=1e-5)
    assert t.rent["commit_1y"].total_usd == pytest.approx(55188)
    assert t.rent["commit_1y"].break_even_utilization == 0.0
    assert t.rent["commit_1y"].own_wins_above
    # flat own against a flat commitment: a dearer purchase makes the commitment always cheaper
    dear = mltk.tco("H100-SXM", devices=1, years=1, utilization=0.5, purchase_price_usd=60000,
                    cloud_price_usd_per_hour=10.0, electricity_usd_per_kwh=0.0, amortisation_years=1)
    assert dear.own_usd > dear.rent["commit_1y"].total_usd
    assert np.isinf(dear.rent["commit_1y"].break_even_utilization)
    # payback against on-demand at 50% busy: 39,800 / (43,800 - 6,074) = 1.055 years
    assert float(t.rent["on_demand"].break_even_years) == pytest.approx(39800 / (43800 - 6074))


def test_break_even_utilization_is_where_costs_cross() -> None:
    t = mltk.tco("H100-SXM", devices=64, years=4, utilization=0.5, **KW)
    u = float(t.break_even_utilization)
    assert 0 < u < 1
    at = mltk.tco("H100-SXM", devices=64, years=4, utilization=u, **KW)
    assert at.own_usd == pytest.approx(at.rent_usd, rel=1e-6)
    above = mltk.tco("H100-SXM", devices=64, years=4, utilization=min(u * 1.2, 1), **KW)
    assert above.own_usd < above.rent_usd
    for opt, r in t.rent.items():
        if r.own_wins_above and 0 < r.break_even_utilization < 1:
            at = mltk.tco("H100-SXM", devices=64, years=4, utilization=float(r.break_even_utilization), **KW)
            assert at.own_usd == pytest.approx(at.rent[opt].total_usd, rel=1e-6), opt


def test_break_even_years_is_the_discounted_payback() -> None:
    t = mltk.tco("H100-SXM", devices=64, years=4, utilization=0.9, **KW)
    saving = 64 * 8760 * 0.9 * 3.0 - t.opex_total_usd_per_year
    assert float(t.break_even_years) == pytest.approx(t.capex_total_usd / saving)
    r = 0.08
    d = mltk.tco("H100-SXM", devices=64, years=4, utilization=0.9, **(KW | {"discount_rate": r}))
    y = float(d.break_even_years)
    # the savings of y years, discounted at r, repay the CapEx exactly
    assert saving * (1 - (1 + r) ** -y) / r == pytest.approx(d.capex_total_usd)
    assert y > float(t.break_even_years)


def test_cost_of_capital_and_residual_value() -> None:
    assert capital_recovery_factor(0.0, 4) == 0.25
    assert capital_recovery_factor(0.08, 4) == pytest.approx(0.08 * 1.08**4 / (1.08**4 - 1))
    base = mltk.tco("H100-SXM", devices=8, years=4, **KW)
    dear = mltk.tco("H100-SXM", devices=8, years=4, **(KW | {"discount_rate": 0.1}))
    resale = mltk.tco("H100-SXM", devices=8, years=4, **(KW | {"residual_value_fraction": 0.2}))
    assert dear.own_usd > base.own_usd > resale.own_usd
    assert base.own_usd - resale.own_usd == pytest.approx(8 * (30000 + 12000) * 0.2)


def test_default_h100_cluster_owning_wins_at_60_percent() -> None:
    t = mltk.tco("H100-SXM")   # 8 devices, 3 years, 60% busy
    assert set(t.rent) == {"on_demand", "commit_1y", "commit_3y", "spot"}
    assert all(t.own_usd < r.total_usd for r in t.rent.values())
    assert t.rent["on_demand"].break_even_utilization < 0.6
    assert t.own_co2e_kg.mid == pytest.approx(t.own_energy_kwh.mid * mltk.carbon_intensity().mid / 1000)


def test_price_table_has_two_provider_classes_and_regional_prices() -> None:
    rows = cloud_prices()
    assert {"hyperscaler", "gpu_cloud"} <= {r.provider_class for r in rows}
    assert all(r.source and r.date for r in rows)
    h100 = [r.price_usd_per_device_hour for r in cloud_prices("H100-SXM") if r.option == "on_demand"]
    assert max(h100) / min(h100) > 2          # hyperscalers vs specialised GPU clouds
    h200 = {r.region: r.price_usd_per_device_hour for r in cloud_prices("H200", provider="gcp")
            if r.option == "on_demand"}
    assert h200["europe-west1"] > h200["us-central1"]
    lam = rent_prices("H100-SXM", provider="lambda")
    assert lam["on_demand"].price_usd_per_device_hour == 3.99
    assert lam["commit_1y"].basis.startswith("derived")


def test_cheap_cloud_never_breaks_even() -> None:
    t = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.5, purchase_price_usd=30000,
                 cloud_price_usd_per_hour=0.01)
    assert np.isinf(t.break_even_years) and t.break_even_utilization > 1


def test_vectorised_over_utilization() -> None:
    u = np.linspace(0.1, 1.0, 10)
    t = mltk.tco("H100-SXM", devices=8, years=3, utilization=u, **KW)
    assert t.own_usd.shape == (10,)
    assert np.all(np.diff(t.rent_usd) > 0)
    assert np.all(np.diff(t.rent["commit_1y"].total_usd) == 0)      # flat
    assert np.all(np.isfinite(t.own_usd)) and np.all(t.own_usd > 0)


@pytest.mark.parametrize("kwargs,param", [
    ({"devices": 0}, "devices"), ({"years": -1}, "years"), ({"years": 0}, "years"),
    ({"utilization": 0}, "utilization"), ({"utilization": 1.5}, "utilization"),
    ({"purchase_price_usd": -1}, "purchase_price_usd"), ({"pue": 0.9}, "pue"),
    ({"cloud_price_usd_per_hour": np.nan}, "cloud_price_usd_per_hour"),
    ({"rent_options": ["reserved"]}, "rent_option"), ({"discount_rate": -0.1}, "discount_rate"),
])
def test_errors(kwargs, param) -> None:
    with pytest.raises(ValueError, match=param):
        mltk.tco("H100-SXM", **(KW | kwargs))


def test_a_price_row_without_a_source_is_refused(tmp_path) -> None:
    table = tmp_path / "quotes.csv"
    table.write_text("provider,provider_class,region,accelerator,instance,devices_per_instance,"
                     "option,price_usd_per_device_hour,date,source,notes\n"
                     "acme,gpu_cloud,any,H100-SXM,8x,8,on_demand,2.0,2026-01-01,,\n")
    asm = tmp_path / "a.yaml"
    asm.write_text("cloud_provider: acme\ncloud_prices_path: quotes.csv\n")
    with mltk.using_assumptions(asm):
        with pytest.raises(ValueError, match=r"quotes.csv line 2 \(acme, H100-SXM, on_demand\)"):
            mltk.tco("H100-SXM")
    table.write_text(table.read_text().replace(",2026-01-01,,", ",2026-01-01,our quote 42,"))
    with mltk.using_assumptions(asm):
        t = mltk.tco("H100-SXM")
    assert t.rent["on_demand"].price_usd_per_device_hour == 2.0 and t.rent["on_demand"].provider == "acme"


def test_missing_price_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="purchase_price_usd"):
        mltk.tco("P100", cloud_price_usd_per_hour=1.0)


def test_json_never_holds_nan_or_negative_costs() -> None:
    d = mltk.tco("H100-SXM").as_dict()
    for opt in d["rent"].values():
        assert opt["total_usd"] > 0 and math.isfinite(opt["usd_per_busy_device_hour"])
    assert set(d["break_even_utilization"]) == {"on_demand", "commit_1y", "commit_3y", "spot"}


@settings(max_examples=40, deadline=None)
@given(price=st.floats(1.0, 20.0), purchase=st.floats(5e3, 8e4), years=st.floats(0.5, 6.0),
       tariff=st.floats(0.0, 0.4))
def test_on_demand_break_even_is_where_the_lines_meet(price, purchase, years, tariff) -> None:
    kw = {"purchase_price_usd": purchase, "cloud_price_usd_per_hour": price,
          "electricity_usd_per_kwh": tariff, "years": years, "devices": 4}
    t = mltk.tco("H100-SXM", utilization=0.5, **kw)
    u = float(t.rent["on_demand"].break_even_utilization)
    assert u > 0
    if u < 1:
        at = mltk.tco("H100-SXM", utilization=u, **kw)
        assert at.own_usd == pytest.approx(at.rent["on_demand"].total_usd, rel=1e-9)
    for r in t.rent.values():
        assert r.total_usd > 0 and np.isfinite(r.total_usd)
    assert t.own_usd > 0


def test_break_even_case_names_which_way_the_break_even_cuts() -> None:
    """One rule, worded by the CLI, the calculator and the TCO page."""
    t = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.6)
    cases = {name: r.break_even_case for name, r in t.rent.items()}
    for name, r in t.rent.items():
        u = float(r.break_even_utilization)
        if cases[name] == "own_above":
            assert 0 < u <= 1 and r.own_wins_above
            # owning is cheaper just above the break-even, renting just below
            hi, lo = mltk.tco("H100-SXM", 8, 3, min(u * 1.05, 1.0)), mltk.tco("H100-SXM", 8, 3, u * 0.95)
            assert hi.own_usd < hi.rent[name].total_usd and lo.own_usd > lo.rent[name].total_usd
        elif cases[name] == "own_always":
            assert u == 0 or (not r.own_wins_above and u > 1)
    assert cases["on_demand"] == "own_above"
