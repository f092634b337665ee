"""Sourcing data: what a labelled dataset costs in annotator time and money."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.units import SECONDS_PER_HOUR

__all__ = ["LabellingCost", "labelling_cost"]


@dataclass(frozen=True)
class LabellingCost:
    """Annotator effort and cost of a labelling job (scalars or broadcast arrays).

    Attributes
    ----------
    labels : float or ndarray
        Number of individual labels collected: examples times labels per example.
    labelling_seconds : float or ndarray
        Annotator seconds spent producing those labels.
    overhead_seconds : float or ndarray
        Extra seconds for quality assurance: guidelines, training, gold questions,
        review and adjudication of disagreements.
    seconds : float or ndarray
        Total annotator seconds, ``labelling_seconds + overhead_seconds``.
    hours : float or ndarray
        Total annotator hours, ``seconds / 3600``.
    cost_usd : float or ndarray
        Total cost in USD at the hourly rate.
    """

    labels: Any
    labelling_seconds: Any
    overhead_seconds: Any
    seconds: Any
    hours: Any
    cost_usd: Any


def labelling_cost(examples: ArrayLike, seconds_per_label: ArrayLike,
                   labels_per_example: ArrayLike = 1, *, hourly_rate_usd: ArrayLike,
                   overhead_fraction: ArrayLike = 0.0) -> LabellingCost:
    """Annotator time and cost to label ``examples`` items.

    The model is deliberately simple and transparent::

        labels   = examples * labels_per_example
        seconds  = labels * seconds_per_label * (1 + overhead_fraction)
        cost_usd = seconds / 3600 * hourly_rate_usd

    ``labels_per_example`` is the redundancy: 3 means every item is labelled by three
    annotators (to vote or measure agreement); a fractional value such as 1.2 means
    that 20% of items receive a second label for quality control.
    ``overhead_fraction`` is the quality-assurance time (writing guidelines, training
    annotators, gold questions, review and adjudication) as a fraction of the raw
    labelling time. Every argument broadcasts, so a sweep is an array.

    There is no default rate on purpose: use the loaded hourly cost your annotators
    or vendor actually charge.

    Parameters
    ----------
    examples : array_like
        Number of items to label (> 0).
    seconds_per_label : array_like
        Median seconds one annotator needs for one label (> 0); time a pilot batch.
    labels_per_example : array_like, default 1
        Average number of independent labels per item (>= 1).
    hourly_rate_usd : array_like
        Loaded cost of one annotator hour in USD (>= 0), keyword only.
    overhead_fraction : array_like, default 0.0
        Quality-assurance time as a fraction of labelling time (>= 0).

    Returns
    -------
    LabellingCost
        Labels, seconds (labelling, overhead, total), hours and cost in USD.

    Raises
    ------
    InputError
        If an argument is out of range; the message names the parameter.

    Examples
    --------
    Ten thousand images, 30 s per label, three labels each, 20 USD/h, 25% QA overhead:

    >>> job = labelling_cost(10_000, 30, labels_per_example=3, hourly_rate_usd=20,
    ...                      overhead_fraction=0.25)
    >>> job.labels, job.hours, job.cost_usd
    (30000.0, 312.5, 6250.0)

    A sweep over dataset sizes is one call:

    >>> labelling_cost([1_000, 10_000], 36, hourly_rate_usd=25).cost_usd
    array([ 250., 2500.])
    """
    n = v.positive("examples", examples)
    s = v.positive("seconds_per_label", seconds_per_label)
    k = v.at_least_one("labels_per_example", labels_per_example)
    rate = v.non_negative("hourly_rate_usd", hourly_rate_usd)
    qa = v.non_negative("overhead_fraction", overhead_fraction)
    labels = n * k
    labelling_seconds = labels * s
    overhead_seconds = labelling_seconds * qa
    seconds = labelling_seconds + overhead_seconds
    hours = seconds / SECONDS_PER_HOUR
    cost = hours * rate
    shape = np.broadcast_shapes(n.shape, s.shape, k.shape, rate.shape, qa.shape)

    def out(x: np.ndarray) -> Any:
        return v.scalar_or_array(np.broadcast_to(x, shape).astype(float))

    return LabellingCost(labels=out(labels), labelling_seconds=out(labelling_seconds),
                         overhead_seconds=out(overhead_seconds), seconds=out(seconds),
                         hours=out(hours), cost_usd=out(cost))
