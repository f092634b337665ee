"""Planning backwards: the largest compute a budget allows, and the Chinchilla split."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mltk
from mltk import Range
from mltk.foundation.errors import InputError, UnknownAcceleratorError
from mltk.heuristics.planning import (
    CHINCHILLA_TOKENS_PER_PARAM,
    compute_optimal_split,
    max_training_flops,
)

U = (0.3, 0.4, 0.5)
PRICE = (2.0, 2.5, 3.5)
H100_BF16 = 989.4e12


# --------------------------------------------------------------------------- Chinchilla

def test_chinchilla_70b_compute_and_split() -> None:
    """Hoffmann et al. 2022: Chinchilla, 70B parameters on 1.4T tokens."""
    c = mltk.training_flops(70e9, 1.4e12)
    assert c == pytest.approx(5.88e23)
    s = compute_optimal_split(c)
    assert s.params == pytest.approx(70e9, rel=1e-9)
    assert s.tokens == pytest.approx(1.4e12, rel=1e-9)
    assert s.tokens_per_param == CHINCHILLA_TOKENS_PER_PARAM == 20


# Hoffmann et al. 2022, Table 3 (Approach 1): FLOPs, compute-optimal parameters and tokens.
# The paper's fit is close to, not exactly, 20 tokens per parameter: allow 10%.
TABLE3 = [
    (1.92e19, 400e6, 8.0e9), (1.21e20, 1e9, 20.2e9), (1.23e22, 10e9, 205.1e9),
    (5.76e23, 67e9, 1.5e12), (3.85e24, 175e9, 3.7e12), (9.90e24, 280e9, 5.9e12),
    (3.43e25, 520e9, 11.0e12), (1.27e26, 1e12, 21.2e12), (1.30e28, 10e12, 216.2e12),
]


@pytest.mark.parametrize(("flops", "params", "tokens"), TABLE3,
                         ids=[f"hoffmann2022-table3-{p:.0e}" for _, p, _ in TABLE3])
def test_split_follows_hoffmann_table3(flops: float, params: float, tokens: float) -> None:
    s = compute_optimal_split(flops)
    assert s.params == pytest.approx(params, rel=0.10)
    assert s.tokens == pytest.approx(tokens, rel=0.10)


def test_split_of_a_range_and_of_an_array() -> None:
    s = compute_optimal_split(Range(1e22, 1e23, 1e24))
    assert isinstance(s.params, Range) and isinstance(s.tokens, Range)
    assert s.params.low < s.params.mid < s.params.high
    assert s.params.mid == pytest.approx(math.sqrt(1e23 / 120))
    assert compute_optimal_split((1e22, 1e23, 1e24)).params == s.params
    arr = compute_optimal_split(np.array([1.2e21, 1.2e23]))
    np.testing.assert_allclose(arr.params, [math.sqrt(1e19), math.sqrt(1e21)])
    json.dumps(s.as_dict())


def test_tokens_per_param_is_a_parameter() -> None:
    s = compute_optimal_split(5.88e23, tokens_per_param=80)
    assert s.tokens / s.params == pytest.approx(80)
    assert mltk.training_flops(s.params, s.tokens) == pytest.approx(5.88e23)
    assert s.params < compute_optimal_split(5.88e23).params


@given(st.floats(1e12, 1e30), st.floats(0.5, 500))
def test_split_inverts_training_flops(c: float, ratio: float) -> None:
    s = compute_optimal_split(c, ratio)
    assert mltk.training_flops(s.params, s.tokens) == pytest.approx(c, rel=1e-9)
    assert s.tokens == pytest.approx(ratio * s.params, rel=1e-12)


@pytest.mark.parametrize(("kwargs", "parameter"), [
    ({"flops": -1.0}, "flops"), ({"flops": 0.0}, "flops"), ({"flops": "many"}, "flops"),
    ({"flops": 1e23, "tokens_per_param": 0}, "tokens_per_param"),
    ({"flops": (3e23, 2e23, 4e23)}, "flops"),
])
def test_split_rejects_bad_input(kwargs: dict, parameter: str) -> None:
    with pytest.raises(InputError) as info:
        compute_optimal_split(**kwargs)
    assert info.value.parameter == parameter


# --------------------------------------------------------------------------- largest compute

def test_budget_buys_device_hours_at_the_price() -> None:
    b = max_training_flops("H100-SXM", budget_usd=1e6, price_usd_per_hour=2.0, utilization=0.4)
    assert b.binding == "budget_usd"
    assert b.device_hours.mid == pytest.approx(5e5)
    assert b.flops.mid == pytest.approx(5e5 * 3600 * H100_BF16 * 0.4)
    assert b.seconds is None and b.devices_needed is None
    assert b.cost_usd == Range.point(1e6)


def test_budget_range_pairs_low_utilization_with_high_price() -> None:
    b = max_training_flops("H100-SXM", budget_usd=1e6, price_usd_per_hour=PRICE, utilization=U)
    assert b.flops.low == pytest.approx(1e6 / 3.5 * 3600 * H100_BF16 * 0.3)
    assert b.flops.mid == pytest.approx(1e6 / 2.5 * 3600 * H100_BF16 * 0.4)
    assert b.flops.high == pytest.approx(1e6 / 2.0 * 3600 * H100_BF16 * 0.5)
    assert b.utilization == Range(*U) and b.price_usd_per_hour == Range(*PRICE)


def test_deadline_gives_devices_times_time_times_peak_times_utilization() -> None:
    b = max_training_flops("A100-80GB", deadline_s=21 * 86400, devices=2048, utilization=U)
    assert b.binding == "deadline_s"
    assert b.flops.mid == pytest.approx(2048 * 21 * 86400 * 312e12 * 0.4)
    assert b.seconds == Range.point(21 * 86400.0)
    assert b.device_hours.mid == pytest.approx(2048 * 21 * 24)


def test_binding_constraint_is_the_smaller_compute() -> None:
    kw = {"devices": 512, "price_usd_per_hour": 2.0, "utilization": 0.4}
    day = 86400.0
    money = max_training_flops("H100-SXM", budget_usd=1e5, deadline_s=90 * day, **kw)
    assert money.binding == "budget_usd"
    assert money.flops == money.flops_by_budget
    assert money.flops.mid < money.flops_by_deadline.mid
    assert money.seconds.mid < 90 * day
    time = max_training_flops("H100-SXM", budget_usd=1e8, deadline_s=7 * day, **kw)
    assert time.binding == "deadline_s"
    assert time.flops == time.flops_by_deadline
    assert time.cost_usd.mid == pytest.approx(512 * 7 * 24 * 2.0)
    assert time.cost_usd.mid < 1e8


def test_binding_can_change_across_the_price_range() -> None:
    # 512 devices × 30 days = 368,640 device-hours; 1M buys 285,714 to 500,000 of them.
    b = max_training_flops("H100-SXM", budget_usd=1e6, deadline_s=30 * 86400, devices=512,
                           price_usd_per_hour=(2.0, 2.5, 3.5), utilization=U)
    assert b.binding == "deadline_s"   # at the mid price the budget buys 400,000 h
    assert b.flops.low == pytest.approx(b.flops_by_budget.low)
    assert b.flops.high == pytest.approx(b.flops_by_deadline.high)
    assert any("binding constraint changes" in n for n in b.notes)
    assert b.cost_usd.high == pytest.approx(1e6)          # high price: the budget runs out
    assert b.cost_usd.low == pytest.approx(512 * 30 * 24 * 2.0)


def test_budget_and_deadline_without_devices_gives_devices_needed() -> None:
    b = max_training_flops("H100-SXM", budget_usd=1e6, deadline_s=30 * 86400,
                           price_usd_per_hour=PRICE, utilization=U)
    assert b.binding == "budget_usd" and b.seconds is None
    assert b.devices_needed.mid == pytest.approx(1e6 / 2.5 / (30 * 24))
    assert b.devices_needed.low < b.devices_needed.high


def test_defaults_come_from_calibration_and_assumptions() -> None:
    b = max_training_flops("H100-SXM", budget_usd=1e6)
    assert b.utilization == mltk.default_utilization("H100-SXM", "bf16")
    assert b.price_usd_per_hour == mltk.device_hour_price("H100-SXM")
    assert b.currency == mltk.assumptions().currency
    assert b.flops.low <= b.flops.mid <= b.flops.high


def test_team_prices_from_the_assumptions_file(tmp_path, monkeypatch) -> None:
    f = tmp_path / "team.yaml"
    f.write_text("prices_usd_per_device_hour:\n  H100-SXM: 1.25\n")
    monkeypatch.setenv("MLTK_ASSUMPTIONS", str(f))
    b = max_training_flops("H100-SXM", budget_usd=1e6, utilization=0.4)
    assert b.price_usd_per_hour == Range.point(1.25)
    assert b.device_hours.mid == pytest.approx(8e5)


def test_arrays_broadcast() -> None:
    budgets = np.array([1e4, 1e6, 1e8])
    b = max_training_flops("H100-SXM", budget_usd=budgets, deadline_s=30 * 86400, devices=512,
                           price_usd_per_hour=2.0, utilization=0.4)
    assert list(b.binding) == ["budget_usd", "deadline_s", "deadline_s"]
    assert np.all(np.diff(b.flops.mid) >= 0)
    json.dumps(b.as_dict())


# --------------------------------------------------------------------------- round trips

def test_plan_then_estimate_fits_the_budget() -> None:
    b = max_training_flops("H100-SXM", budget_usd=2e6, devices=1024, price_usd_per_hour=PRICE,
                           utilization=U)
    kw = {"accelerator": "H100-SXM", "devices": 1024, "utilization": U,
          "price_usd_per_hour": PRICE}
    mid = mltk.estimate_training(1, 1, flops=b.flops.mid, **kw)
    assert mid.cost_usd.mid == pytest.approx(2e6)
    assert mid.seconds.mid == pytest.approx(b.seconds.mid)
    # the pessimistic compute fits the budget even at low utilization and the high price
    safe = mltk.estimate_training(1, 1, flops=b.flops.low, **kw)
    assert safe.cost_usd.high == pytest.approx(2e6)
    # and the compute-optimal model for the mid compute costs the budget too
    s = compute_optimal_split(b.flops.mid)
    model = mltk.estimate_training(s.params, s.tokens, **kw)
    assert model.cost_usd.mid == pytest.approx(2e6)


def test_plan_then_estimate_meets_the_deadline() -> None:
    b = max_training_flops("TPU-v5p", deadline_s=14 * 86400, devices=256, utilization=U)
    est = mltk.estimate_training(1, 1, flops=b.flops.low, accelerator="TPU-v5p", devices=256,
                                 utilization=U)
    assert est.seconds.high == pytest.approx(14 * 86400)


# --------------------------------------------------------------------------- properties

budgets = st.floats(1e3, 1e10)
counts = st.integers(1, 100_000)
fractions = st.floats(0.01, 1.0)


@settings(max_examples=60)
@given(budgets, budgets, st.floats(3600, 1e8), counts, fractions)
def test_more_budget_never_less_compute(b1: float, b2: float, deadline: float, n: int,
                                        u: float) -> None:
    lo, hi = sorted((b1, b2))
    kw = {"deadline_s": deadline, "devices": n, "price_usd_per_hour": 2.0, "utilization": u}
    a = max_training_flops("H100-SXM", budget_usd=lo, **kw)
    b = max_training_flops("H100-SXM", budget_usd=hi, **kw)
    for x, y in zip(a.flops, b.flops, strict=True):
        assert x <= y * (1 + 1e-12)
    only_money = max_training_flops("H100-SXM", budget_usd=hi, price_usd_per_hour=2.0,
                                    utilization=u)
    assert b.flops.mid <= only_money.flops.mid * (1 + 1e-12)


@settings(max_examples=60)
@given(counts, counts, st.floats(3600, 1e8), st.one_of(st.none(), budgets), fractions)
def test_more_devices_never_less_compute(n1: int, n2: int, deadline: float,
                                         budget: float | None, u: float) -> None:
    lo, hi = sorted((n1, n2))
    kw = {"deadline_s": deadline, "budget_usd": budget, "price_usd_per_hour": 3.0,
          "utilization": u}
    a = max_training_flops("A100-80GB", devices=lo, **kw)
    b = max_training_flops("A100-80GB", devices=hi, **kw)
    assert a.flops.mid <= b.flops.mid * (1 + 1e-12)
    assert a.flops.low <= a.flops.mid <= a.flops.high


@given(st.floats(3600, 1e8), st.floats(3600, 1e8), counts)
def test_more_time_never_less_compute(t1: float, t2: float, n: int) -> None:
    lo, hi = sorted((t1, t2))
    a = max_training_flops("B200", deadline_s=lo, devices=n, utilization=U)
    b = max_training_flops("B200", deadline_s=hi, devices=n, utilization=U)
    assert a.flops.high <= b.flops.high * (1 + 1e-12)


# --------------------------------------------------------------------------- validation

@pytest.mark.parametrize(("kwargs", "parameter"), [
    ({}, "budget_usd"),
    ({"deadline_s": 86400}, "devices"),
    ({"budget_usd": -5}, "budget_usd"),
    ({"budget_usd": float("nan")}, "budget_usd"),
    ({"budget_usd": True}, "budget_usd"),
    ({"deadline_s": 0, "devices": 8}, "deadline_s"),
    ({"deadline_s": 86400, "devices": 0}, "devices"),
    ({"budget_usd": 1e6, "utilization": 1.5}, "utilization"),
    ({"budget_usd": 1e6, "utilization": (0.5, 0.4, 0.6)}, "utilization"),
    ({"budget_usd": 1e6, "price_usd_per_hour": 0}, "price_usd_per_hour"),
    ({"budget_usd": 1e6, "price_usd_per_hour": (3, 2, 4)}, "price_usd_per_hour"),
    ({"budget_usd": 1e6, "precision": "fp4"}, "precision"),
    ({"budget_usd": 1e6, "precision": "int4"}, "precision"),
])
def test_bad_input_names_the_parameter(kwargs: dict, parameter: str) -> None:
    with pytest.raises(InputError) as info:
        max_training_flops("H100-SXM", **kwargs)
    assert info.value.parameter == parameter
    assert parameter in str(info.value)


def test_unknown_accelerator_and_missing_price() -> None:
    with pytest.raises(UnknownAcceleratorError, match="H100-SXM"):
        max_training_flops("H100", budget_usd=1e6)
    with pytest.raises(InputError, match="price_usd_per_hour"):
        max_training_flops("P100", budget_usd=1e6, precision="fp32", utilization=0.4)
    # a deadline needs no price
    b = max_training_flops("P100", deadline_s=3600, devices=8, precision="fp32", utilization=0.4)
    assert b.cost_usd is None
