"""estimate_training: compute, time, device-hours, energy and cost as ranges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mltk
from mltk import Range

U = (0.3, 0.4, 0.5)


def test_llama65b_matches_closed_form() -> None:
    est = mltk.estimate_training(65.2e9, 1.4e12, accelerator="A100-80GB", devices=2048,
                                 precision="bf16", utilization=U, price_usd_per_hour=2.0, pue=1.2)
    c = 6 * 65.2e9 * 1.4e12
    assert est.flops == pytest.approx(c)
    assert est.seconds.mid == pytest.approx(c / (312e12 * 2048 * 0.4))
    assert est.seconds.low == pytest.approx(c / (312e12 * 2048 * 0.5))
    assert est.device_hours.mid == pytest.approx(est.seconds.mid * 2048 / 3600)
    host = mltk.assumptions().host_power_fraction  # one energy convention: TDP x (1 + host) x PUE
    assert est.energy_kwh.mid == pytest.approx(est.device_hours.mid * 0.4 * (1 + host) * 1.2)
    assert est.cost_usd.mid == pytest.approx(est.device_hours.mid * 2.0)
    # Touvron et al. 2023 report 1,022,362 A100-80GB GPU-hours for LLaMA-65B
    assert est.device_hours.low < 1_022_362 < est.device_hours.high


def test_default_utilization_comes_from_published_runs() -> None:
    est = mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM", devices=512)
    u = mltk.default_utilization("H100-SXM", "bf16", devices=512, params=7e9)
    assert est.utilization == u
    assert 0 < u.low < u.mid < u.high <= 1
    for r in (est.seconds, est.device_hours, est.energy_kwh, est.cost_usd):
        assert r.low <= r.mid <= r.high
        assert np.isfinite(r.low) and r.low > 0


def test_one_off_run_is_priced_on_demand_with_spot_at_the_low_end() -> None:
    """A one-off run gets no commitment price: mid/high on-demand, low spot plus its overhead."""
    est = mltk.estimate_training(1e9, 1e10, accelerator="H100-SXM", utilization=0.5)
    prices = mltk.rent_prices("H100-SXM")  # gcp us-central1 by default: 10.9791 on demand, 6.571 spot
    od = prices["on_demand"].price_usd_per_device_hour
    spot = prices["spot"].price_usd_per_device_hour * (1 + mltk.assumptions().spot_preemption_overhead)
    assert est.price_usd_per_hour.high == pytest.approx(od) == pytest.approx(10.9791)
    assert est.price_usd_per_hour.low == pytest.approx(spot) == pytest.approx(6.571 * 1.1)
    assert est.cost_usd.mid == pytest.approx(est.device_hours.mid * od)
    assert est.price_usd_per_hour.low > prices["commit_3y"].price_usd_per_device_hour


def test_naming_a_commitment_prices_the_run_at_it() -> None:
    est = mltk.estimate_training(1e9, 1e10, accelerator="H100-SXM", utilization=0.5,
                                 rent_option="commit_1y")
    p = mltk.rent_prices("H100-SXM")["commit_1y"].price_usd_per_device_hour
    assert est.price_usd_per_hour == mltk.Range.point(p)
    assert est.rent_option == "commit_1y"
    with pytest.raises(ValueError, match="rent_option"):
        mltk.estimate_training(1e9, 1e10, accelerator="H100-SXM", rent_option="reserved")
    given = mltk.estimate_training(1e9, 1e10, accelerator="H100-SXM", utilization=0.5,
                                   price_usd_per_hour=2.0, rent_option="spot")
    assert given.cost_usd.mid == pytest.approx(given.device_hours.mid * 2.0)


def test_training_in_an_inference_precision_is_refused() -> None:
    with pytest.raises(mltk.UnsupportedPrecisionError, match="bf16") as err:
        mltk.estimate_training(7e9, 1e11, accelerator="H100-SXM", precision="int8")
    assert "int8" in str(err.value) and "fp8" in str(err.value)
    with pytest.raises(mltk.UnsupportedPrecisionError, match="fp4"):
        mltk.estimate_training(7e9, 1e11, accelerator="B200", precision="fp4")
    assert mltk.accelerator("B200").peak_flops("fp4") == 9e15  # still usable for inference


def test_co2e_is_energy_times_grid_intensity() -> None:
    est = mltk.estimate_training(7e9, 1e11, accelerator="H100-SXM", devices=8, utilization=0.4)
    g = mltk.carbon_intensity()  # us-central1, 430 gCO2e/kWh (Google, 2023)
    assert g.mid == 430.0
    assert est.co2e_kg.mid == pytest.approx(est.energy_kwh.mid * 0.430)
    assert est.co2e_kg.low <= est.co2e_kg.mid <= est.co2e_kg.high


def test_no_price_gives_none_and_a_note() -> None:
    est = mltk.estimate_training(1e9, 1e10, accelerator="P100", precision="fp32", utilization=0.5)
    assert est.cost_usd is None
    assert any("price" in n for n in est.notes)


def test_known_flops_override() -> None:
    est = mltk.estimate_training(1, 1, flops=3.14e23, accelerator="V100", devices=10000,
                                 precision="fp16", utilization=0.2)
    assert est.flops == 3.14e23


def test_summary_and_dict() -> None:
    est = mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM", devices=512, utilization=U)
    text = est.summary()
    assert "ZFLOP" in text and "days" in text
    d = est.as_dict()
    assert d["accelerator"] == "H100-SXM" and d["seconds"]["low"] <= d["seconds"]["high"]


@settings(max_examples=40, deadline=None)
@given(st.floats(1e6, 1e12), st.floats(1e6, 1e13), st.integers(1, 4096))
def test_more_devices_less_time_same_device_hours(p: float, s: float, n: int) -> None:
    a = mltk.estimate_training(p, s, accelerator="A100-80GB", devices=n, utilization=U)
    b = mltk.estimate_training(p, s, accelerator="A100-80GB", devices=n * 2, utilization=U)
    assert b.seconds.mid == pytest.approx(a.seconds.mid / 2)
    assert b.device_hours.mid == pytest.approx(a.device_hours.mid)


def test_broadcasting_over_devices() -> None:
    est = mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM",
                                 devices=np.array([64, 128, 256]), utilization=U)
    assert est.seconds.mid.shape == (3,)
    assert np.all(np.diff(est.seconds.mid) < 0)


@pytest.mark.parametrize("kwargs,param", [
    ({"utilization": 0}, "utilization"), ({"utilization": (0.2, 0.5, 1.2)}, "utilization"),
    ({"devices": 0}, "devices"), ({"params": -1}, "params"), ({"dataset_size": np.nan}, "dataset_size"),
    ({"precision": "bf16", "accelerator": "V100"}, "precision"), ({"pue": 0.8}, "pue"),
    ({"accelerator": "H100"}, "accelerator"), ({"price_usd_per_hour": -2}, "price_usd_per_hour"),
    ({"utilization": (0.5, 0.4, 0.3)}, "utilization.*low <= mid <= high"),
])
def test_errors(kwargs, param) -> None:
    args = {"params": 1e9, "dataset_size": 1e10, "accelerator": "A100-80GB",
            "utilization": 0.4} | kwargs
    with pytest.raises(ValueError, match=param):
        mltk.estimate_training(**args)


def test_device_without_tdp_still_estimates_time() -> None:
    acc = next((a for a in mltk.accelerators() if a.tdp_w is None), None)
    if acc is None:
        pytest.skip("every catalog device has a TDP")
    train = [p for p in acc.precisions if p in mltk.TRAINING_PRECISIONS]
    est = mltk.estimate_training(1e9, 1e10, accelerator=acc.name, precision=train[-1],
                                 utilization=0.4)
    assert est.energy_kwh is None and est.seconds.mid > 0


def test_range_arithmetic() -> None:
    r = Range(1, 2, 4)
    assert (r * 2).high == 8
    assert (r / Range(1, 2, 4)).low == 0.25
    assert (r + 1).mid == 3
    with pytest.raises(ValueError):
        Range(3, 2, 1)
    with pytest.raises(ValueError):
        Range(np.nan, 1, 2)
    assert r.contains(3) and not r.contains(5)
