"""TCO (seed 3.3.4): CapEx + OpEx against renting the same device-hours."""

from __future__ import annotations

import numpy as np
import pytest

import mltk

KW = {"purchase_price_usd": 30000, "cloud_price_usd_per_hour": 3.0,
      "electricity_usd_per_kwh": 0.1, "pue": 1.2, "amortisation_years": 4}


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
    assert t.own_usd == pytest.approx(t.capex_total_usd + 4 * t.opex_total_usd_per_year)
    total = sum(x for _, _, x in t.breakdown())
    assert total == pytest.approx(t.own_usd)


def test_break_even_utilization_is_where_costs_cross() -> None:
    t = mltk.tco("H100-SXM", devices=64, years=4, utilization=0.5, **KW)
    u = float(t.break_even_utilization)
    assert 0 < u < 1
    at = mltk.tco("H100-SXM", devices=64, years=4, utilization=u, **KW)
    assert at.own_usd == pytest.approx(at.rent_usd, rel=1e-6)
    above = mltk.tco("H100-SXM", devices=64, years=4, utilization=min(u * 1.2, 1), **KW)
    assert above.own_usd < above.rent_usd


def test_break_even_years() -> None:
    t = mltk.tco("H100-SXM", devices=64, years=4, utilization=0.9, **KW)
    y = float(t.break_even_years)
    saving = 64 * 8760 * 0.9 * 3.0 - t.opex_total_usd_per_year
    assert y == pytest.approx(t.capex_total_usd / saving)


def test_cheap_cloud_never_breaks_even() -> None:
    t = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.5, purchase_price_usd=30000,
                 cloud_price_usd_per_hour=0.01)
    assert np.isinf(t.break_even_years) and t.break_even_utilization > 1


def test_vectorised_over_utilization() -> None:
    u = np.linspace(0.1, 1.0, 10)
    t = mltk.tco("H100-SXM", devices=8, years=3, utilization=u, **KW)
    assert t.own_usd.shape == (10,)
    assert np.all(np.diff(t.rent_usd) > 0)


@pytest.mark.parametrize("kwargs,param", [
    ({"devices": 0}, "devices"), ({"years": -1}, "years"), ({"utilization": 0}, "utilization"),
    ({"purchase_price_usd": -1}, "purchase_price_usd"), ({"pue": 0.9}, "pue"),
    ({"cloud_price_usd_per_hour": np.nan}, "cloud_price_usd_per_hour"),
])
def test_errors(kwargs, param) -> None:
    with pytest.raises(ValueError, match=param):
        mltk.tco("H100-SXM", **(KW | kwargs))


def test_missing_price_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="purchase_price_usd"):
        mltk.tco("P100", cloud_price_usd_per_hour=1.0)
