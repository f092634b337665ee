"""Seed eq. 3 (C = O_f O_b P S E) and eq. 4 (T = C / R) generalised."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mltk

pos = st.floats(1e-3, 1e15, allow_nan=False, allow_infinity=False)


def test_gpt3_compute_within_2pct_of_published() -> None:
    # Brown et al. 2020: 3.14e23 FLOP for 175B parameters on 300B tokens
    assert mltk.training_flops(175e9, 300e9) == pytest.approx(3.14e23, rel=0.02)


def test_eq3_is_the_product() -> None:
    assert mltk.training_flops(10, 20, 3, forward_ops=2, backward_factor=3) == 2 * 3 * 10 * 20 * 3


def test_6pd_equals_eq3_for_transformers_without_attention() -> None:
    assert mltk.transformer_training_flops(7e9, 2e12) == mltk.training_flops(7e9, 2e12)


def test_attention_and_recompute_add_compute() -> None:
    base = mltk.transformer_training_flops(1e9, 1e10)
    attn = mltk.transformer_training_flops(1e9, 1e10, layers=24, context=2048, d_model=2048)
    assert attn == pytest.approx(base + 6 * 24 * 2048 * 2048 * 1e10)
    assert mltk.transformer_training_flops(1e9, 1e10, recompute=True) == pytest.approx(base * 4 / 3)


@given(pos, pos, st.floats(0.1, 100), st.floats(1.01, 10))
def test_training_flops_linear(p: float, s: float, e: float, k: float) -> None:
    c = mltk.training_flops(p, s, e)
    assert c > 0
    assert mltk.training_flops(p * k, s, e) == pytest.approx(c * k)
    assert mltk.training_flops(p, s * k, e) == pytest.approx(c * k)
    assert mltk.training_flops(p, s, e * k) == pytest.approx(c * k)


def test_training_time_closed_form() -> None:
    # One P40 at peak: C / R
    assert mltk.training_time(1.176e13 * 3600, 1.176e13) == pytest.approx(3600)
    assert mltk.training_time(1e18, 1e12, devices=10, utilization=0.5) == pytest.approx(2e5)


@given(st.floats(1e10, 1e25), st.floats(1e10, 1e16), st.integers(1, 100000),
       st.floats(0.01, 1.0))
def test_training_time_monotone(c: float, r: float, n: int, u: float) -> None:
    t = mltk.training_time(c, r, n, u)
    assert np.isfinite(t) and t > 0
    assert mltk.training_time(c, r, n + 1, u) < t
    assert mltk.training_time(c * 2, r, n, u) == pytest.approx(2 * t)
    if u < 0.99:
        assert mltk.training_time(c, r, n, min(u * 1.01, 1.0)) < t


def test_vectorised_million_scenarios_shape() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(1e6, 1e12, 1000)
    c = mltk.training_flops(p, 1e9)
    t = mltk.training_time(c, 1e14, devices=rng.integers(1, 1000, 1000), utilization=0.4)
    assert t.shape == (1000,) and np.all(t > 0)


@pytest.mark.parametrize("kwargs,param", [
    ({"params": 0, "dataset_size": 1}, "params"),
    ({"params": -5, "dataset_size": 1}, "params"),
    ({"params": np.nan, "dataset_size": 1}, "params"),
    ({"params": 1, "dataset_size": np.inf}, "dataset_size"),
    ({"params": 1, "dataset_size": 1, "epochs": 0}, "epochs"),
    ({"params": 1, "dataset_size": [1, -1]}, "dataset_size"),
])
def test_training_flops_errors(kwargs, param) -> None:
    with pytest.raises(ValueError, match=param):
        mltk.training_flops(**kwargs)


@pytest.mark.parametrize("kwargs,param", [
    ({"utilization": 0}, "utilization"), ({"utilization": 1.5}, "utilization"),
    ({"utilization": -0.2}, "utilization"), ({"utilization": np.nan}, "utilization"),
    ({"devices": 0}, "devices"), ({"devices": 0.5}, "devices"),
    ({"flops_per_s": 0}, "flops_per_s"), ({"flops": -1}, "flops"),
])
def test_training_time_errors(kwargs, param) -> None:
    args = {"flops": 1e18, "flops_per_s": 1e12} | kwargs
    with pytest.raises(ValueError, match=param):
        mltk.training_time(**args)


def test_error_message_names_value_and_expectation() -> None:
    with pytest.raises(ValueError) as err:
        mltk.training_time(1e18, 1e12, utilization=40)
    msg = str(err.value)
    assert "utilization=40.0" in msg and "(0, 1]" in msg
