"""Checkpoint interval (Young 1974) and goodput: closed forms and the optimum property."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mltk import InputError
from mltk.heuristics.reliability import cluster_mtbf_s, goodput_fraction, optimal_checkpoint_interval_s


def test_young_interval_closed_form() -> None:
    assert optimal_checkpoint_interval_s(60, 86400) == pytest.approx(np.sqrt(2 * 60 * 86400))


def test_goodput_at_the_optimum_is_the_closed_form() -> None:
    d, m, r = 30.0, 3 * 3600.0, 300.0
    assert goodput_fraction(d, m, r) == pytest.approx(1 - np.sqrt(2 * d / m) - r / m)


@given(st.floats(1, 600), st.floats(3600, 1e7), st.floats(0.2, 5).filter(lambda k: abs(k - 1) > 1e-3))
def test_young_interval_maximises_first_order_goodput(d: float, m: float, k: float) -> None:
    tau = optimal_checkpoint_interval_s(d, m)
    assert goodput_fraction(d, m) >= goodput_fraction(d, m, interval_s=k * tau) - 1e-12


def test_llama3_cluster_mtbf() -> None:
    # Dubey et al. (2024): 419 unexpected interruptions in 54 days on 16,384 H100s
    per_gpu = 54 * 86400 / 419 * 16384
    assert cluster_mtbf_s(per_gpu, 16384) == pytest.approx(54 * 86400 / 419)
    assert cluster_mtbf_s(per_gpu, 2 * 16384) == pytest.approx(54 * 86400 / 419 / 2)


def test_goodput_floors_at_zero_when_failures_outpace_checkpoints() -> None:
    assert goodput_fraction(3600, 600, restart_s=600) == 0.0


@pytest.mark.parametrize("call", [lambda: cluster_mtbf_s(0, 8), lambda: cluster_mtbf_s(1e6, 0.5),
                                  lambda: optimal_checkpoint_interval_s(-1, 10),
                                  lambda: goodput_fraction(60, 86400, restart_s=-1),
                                  lambda: goodput_fraction(60, 86400, interval_s=0)])
def test_bad_input(call) -> None:
    with pytest.raises(InputError):
        call()
