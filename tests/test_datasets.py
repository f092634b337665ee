"""mltk.handbook.datasets: labelling cost (closed form, broadcasting, validation)."""

from __future__ import annotations

import numpy as np
import pytest

from mltk.foundation.errors import InputError
from mltk.handbook.datasets import LabellingCost, labelling_cost


def test_hand_computed_job() -> None:
    # 2,000 items x 2 labels x 45 s = 180,000 s; +10% QA = 198,000 s = 55 h; x 18 USD = 990 USD
    job = labelling_cost(2_000, 45, labels_per_example=2, hourly_rate_usd=18,
                         overhead_fraction=0.10)
    assert isinstance(job, LabellingCost)
    assert job.labels == 4_000
    assert job.labelling_seconds == pytest.approx(180_000)
    assert job.overhead_seconds == pytest.approx(18_000)
    assert job.seconds == pytest.approx(198_000)
    assert job.hours == pytest.approx(55.0)
    assert job.cost_usd == pytest.approx(990.0)
    assert isinstance(job.cost_usd, float)


def test_defaults_are_one_label_and_no_overhead() -> None:
    job = labelling_cost(3_600, 1, hourly_rate_usd=10)
    assert job.labels == 3_600
    assert job.overhead_seconds == 0
    assert job.hours == pytest.approx(1.0)
    assert job.cost_usd == pytest.approx(10.0)


def test_cost_is_linear_in_every_factor() -> None:
    base = labelling_cost(1_000, 20, 1, hourly_rate_usd=15).cost_usd
    assert labelling_cost(2_000, 20, 1, hourly_rate_usd=15).cost_usd == pytest.approx(2 * base)
    assert labelling_cost(1_000, 60, 1, hourly_rate_usd=15).cost_usd == pytest.approx(3 * base)
    assert labelling_cost(1_000, 20, 5, hourly_rate_usd=15).cost_usd == pytest.approx(5 * base)
    assert labelling_cost(1_000, 20, 1, hourly_rate_usd=45).cost_usd == pytest.approx(3 * base)
    assert labelling_cost(1_000, 20, 1, hourly_rate_usd=15,
                          overhead_fraction=0.5).cost_usd == pytest.approx(1.5 * base)


def test_broadcasts_a_grid() -> None:
    job = labelling_cost(np.array([[100], [1_000]]), [10, 30, 60], hourly_rate_usd=36)
    assert job.cost_usd.shape == (2, 3)
    np.testing.assert_allclose(job.cost_usd, [[10, 30, 60], [100, 300, 600]])
    assert job.labels.shape == (2, 3)


def test_fractional_redundancy() -> None:
    # 20% of items double-labelled: 1.2 labels per item on average
    assert labelling_cost(1_000, 10, 1.2, hourly_rate_usd=0).labels == pytest.approx(1_200)


@pytest.mark.parametrize("kwargs, name", [
    (dict(examples=0, seconds_per_label=10), "examples"),
    (dict(examples=-5, seconds_per_label=10), "examples"),
    (dict(examples=10, seconds_per_label=0), "seconds_per_label"),
    (dict(examples=10, seconds_per_label=10, labels_per_example=0.5), "labels_per_example"),
    (dict(examples=10, seconds_per_label=10, hourly_rate_usd=-1), "hourly_rate_usd"),
    (dict(examples=10, seconds_per_label=10, overhead_fraction=-0.1), "overhead_fraction"),
    (dict(examples=[10, float("nan")], seconds_per_label=10), "examples"),
    (dict(examples="many", seconds_per_label=10), "examples"),
])
def test_bad_input_names_the_parameter(kwargs: dict, name: str) -> None:
    kwargs.setdefault("hourly_rate_usd", 20)
    with pytest.raises(ValueError, match=name):
        labelling_cost(**kwargs)
    with pytest.raises(InputError):
        labelling_cost(**kwargs)


def test_rate_is_required() -> None:
    with pytest.raises(TypeError):
        labelling_cost(10, 10)  # type: ignore[call-arg]
