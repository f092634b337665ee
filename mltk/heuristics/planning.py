"""Planning backwards: from a budget (money, deadline) to the largest training run that fits.

Two questions, each answered with the formulas' single homes:

* :func:`max_training_flops`: given a money budget and/or a deadline, an accelerator, and a
  device count and/or a price per device-hour, the largest training compute C that fits,
  as a :class:`mltk.Range` (the utilization and price ranges carried through), and which
  constraint binds. Money buys device-hours (budget / price); a deadline gives
  devices × deadline of wall-clock device-time; each device-second performs
  peak × utilization FLOP (Hooda (2023) eq. 4 inverted through :func:`mltk.training_time`).
* :func:`compute_optimal_split`: for a transformer language model, the split of C into
  parameters N and training tokens D that Hoffmann et al. (2022, "Chinchilla") found
  compute-optimal: about 20 tokens per parameter, so with C = 6·N·D (Hooda (2023) eq. 3 through
  :func:`mltk.training_flops`), N = sqrt(C / 120) and D = 20·N.

Examples
--------
>>> from mltk.heuristics.planning import compute_optimal_split
>>> s = compute_optimal_split(5.88e23)      # Chinchilla's compute
>>> f"{s.params:.3g} parameters, {s.tokens:.3g} tokens"
'7e+10 parameters, 1.4e+12 tokens'
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.assumptions import assumptions
from ..foundation.errors import InputError
from ..foundation.ranges import Range, to_plain
from ..foundation.units import SECONDS_PER_HOUR
from .compute import training_flops
from .hardware import Accelerator, check_training_precision
from .hardware import accelerator as _lookup
from .rent import device_hour_price
from .timing import training_time
from .utilization import default_utilization
from .utilization import device_hours as _device_hours

__all__ = ["ComputeBudget", "ComputeOptimalSplit", "max_training_flops", "compute_optimal_split",
           "CHINCHILLA_TOKENS_PER_PARAM"]

#: Training tokens per parameter at the compute-optimal point (Hoffmann et al. 2022, Table 3:
#: 20.2 tokens per parameter for their 70B model; about 20 across their fits).
CHINCHILLA_TOKENS_PER_PARAM: float = 20.0

BUDGET = "budget_usd"
DEADLINE = "deadline_s"


@dataclass(frozen=True)
class ComputeBudget:
    """Result of :func:`max_training_flops`; money in the assumptions' currency.

    Attributes
    ----------
    flops : Range
        Largest training compute that fits, in FLOP (low: pessimistic utilization and price).
    binding : str or ndarray of str
        ``"budget_usd"`` or ``"deadline_s"``: the constraint that limits the mid estimate.
    device_hours : Range
        Device-hours the run uses.
    seconds : Range or None
        Wall-clock time of the run in s (None when no device count is known).
    cost_usd : Range or None
        What the run costs (None when no price is known).
    devices_needed : Range or None
        With a money budget and a deadline but no device count: the devices needed to spend
        the budget's device-hours within the deadline.
    flops_by_budget, flops_by_deadline : Range or None
        The compute each constraint alone would allow.
    """

    accelerator: Accelerator
    precision: str
    peak_flops_per_device: float
    utilization: Range
    devices: Any
    price_usd_per_hour: Range | None
    budget_usd: Any
    deadline_s: Any
    flops: Range
    binding: Any
    device_hours: Range
    seconds: Range | None
    cost_usd: Range | None
    devices_needed: Range | None
    flops_by_budget: Range | None
    flops_by_deadline: Range | None
    currency: str = "USD"
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): SI numbers and ``{"low","mid","high"}`` mappings."""
        plain = {f.name: to_plain(getattr(self, f.name)) for f in fields(self)}
        return plain | {"accelerator": self.accelerator.name, "notes": list(self.notes)}


@dataclass(frozen=True)
class ComputeOptimalSplit:
    """Result of :func:`compute_optimal_split`: C = 6·N·D with D = ``tokens_per_param``·N."""

    flops: Any
    params: Any
    tokens: Any
    tokens_per_param: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON); ranges as ``{"low","mid","high"}``."""
        return {f.name: to_plain(getattr(self, f.name)) for f in fields(self)}


def _flops_per_device_second(peak: float, u: Range) -> Range:
    # Hooda (2023) eq. 4 inverted: training_time is linear in C, so one second of one device
    # performs 1 / training_time(1 FLOP) FLOP.
    return u.map(lambda x: 1.0 / training_time(1.0, peak, 1, x))


def _tidy(r: Range | None) -> Range | None:
    """Python floats for scalar ends (a readable repr); arrays stay arrays."""
    if r is None:
        return None
    return Range(*(float(x) if np.ndim(x) == 0 else np.asarray(x, float) for x in r))


def _minimum(a: Range, b: Range) -> Range:
    return Range(np.minimum(a.low, b.low), np.minimum(a.mid, b.mid), np.minimum(a.high, b.high))


def max_training_flops(accelerator: str | Accelerator, *, budget_usd: ArrayLike | None = None,
                       deadline_s: ArrayLike | None = None, devices: ArrayLike | None = None,
                       price_usd_per_hour: Any = None, precision: str = "bf16",
                       utilization: Any = None, rent_option: str | None = None) -> ComputeBudget:
    """Largest training compute that fits a money budget and/or a deadline.

    Money buys device-hours H = ``budget_usd`` / price; a deadline T on n devices gives
    H = n·T / 3600. Each device-hour performs 3600 · R · u FLOP (Hooda (2023) eq. 4, T = C / (R·n·u),
    inverted through :func:`mltk.training_time`), with R the dense peak at ``precision``
    and u the end-to-end utilization. With both constraints the smaller compute wins and
    ``binding`` names it. The low end pairs the lowest utilization with the highest price,
    so a run of ``flops.low`` fits even when both turn out badly.

    Parameters
    ----------
    accelerator : str or Accelerator
        Catalog name, e.g. ``"H100-SXM"``.
    budget_usd : array_like, optional
        Money available for device-hours (> 0), in the assumptions' currency.
    deadline_s : array_like, optional
        Wall-clock time available for training, in s (> 0). Needs ``devices``.
    devices : array_like, optional
        Accelerators used at once (>= 1). With a budget and a deadline but no devices, the
        result reports ``devices_needed`` instead.
    price_usd_per_hour : float, (low, mid, high) or Range, optional
        Price of one device-hour (> 0); default :func:`mltk.device_hour_price` (the team's
        assumptions, else on-demand with spot at the low end, from the price table).
    rent_option : str, optional
        Price the device-hours at one rent option instead (``"on_demand"``, ``"spot"``, or
        a commitment the team already holds, ``"commit_1y"``/``"commit_3y"``).
    precision : str, default "bf16"
        Precision whose dense peak is R.
    utilization : float, (low, mid, high) or Range, optional
        End-to-end fraction of peak, in (0, 1]; default
        :func:`mltk.evidence.calibration.default_utilization` for this accelerator,
        precision and device count (model size unknown).

    Returns
    -------
    ComputeBudget

    Raises
    ------
    mltk.foundation.errors.InputError
        Naming the parameter: neither budget nor deadline, a deadline without devices,
        a budget with no known price, or a value out of range.

    References
    ----------
    Hooda (2023) eq. 4; Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models".

    Examples
    --------
    One million dollars at 2 USD per H100-hour, 40% utilization:

    >>> b = max_training_flops("H100-SXM", budget_usd=1e6, price_usd_per_hour=2.0,
    ...                        utilization=0.4)
    >>> f"{b.flops.mid:.3e} FLOP in {b.device_hours.mid:,.0f} device-hours"
    '7.124e+23 FLOP in 500,000 device-hours'

    Add 512 devices and a 30-day deadline: the deadline binds.

    >>> b = max_training_flops("H100-SXM", budget_usd=1e6, deadline_s=30 * 86400,
    ...                        devices=512, price_usd_per_hour=2.0, utilization=0.4)
    >>> b.binding, f"{b.flops.mid:.3e}"
    ('deadline_s', '5.252e+23')
    """
    acc = _lookup(accelerator)
    if budget_usd is None and deadline_s is None:
        raise InputError("budget_usd", None, "a money budget and/or a deadline_s in seconds")
    check_training_precision(precision)
    peak = acc.peak_flops(precision)
    pos = v.positive
    budget = None if budget_usd is None else v.scalar_or_array(pos("budget_usd", budget_usd))
    deadline = None if deadline_s is None else v.scalar_or_array(pos("deadline_s", deadline_s))
    n = None if devices is None else v.scalar_or_array(v.at_least_one("devices", devices))
    if deadline is not None and budget is None and n is None:
        raise InputError("devices", None, "a device count when the only constraint is deadline_s")

    u = (default_utilization(acc.name, precision, n) if utilization is None
         else Range.coerce(utilization, "utilization", "fraction"))
    if price_usd_per_hour is not None:
        price: Range | None = Range.coerce(price_usd_per_hour, "price_usd_per_hour", "positive")
    else:
        price = device_hour_price(acc, rent_option)
    if budget is not None and price is None:
        raise InputError("price_usd_per_hour", None,
                         f"a price per device-hour: the catalog has none for {acc.name}")

    per_hour = _flops_per_device_second(peak, u) * SECONDS_PER_HOUR  # FLOP per device-hour
    notes: list[str] = []
    by_budget = by_deadline = None
    dh_budget = dh_deadline = None
    if budget is not None:
        assert price is not None
        dh_budget = Range.point(budget) / price          # low: highest price
        by_budget = dh_budget * per_hour
    if deadline is not None and n is not None:
        dh_deadline = Range.point(_device_hours(deadline, n))
        by_deadline = dh_deadline * per_hour

    if by_budget is not None and by_deadline is not None:
        assert dh_budget is not None and dh_deadline is not None
        flops = _minimum(by_budget, by_deadline)
        device_hours = _minimum(dh_budget, dh_deadline)
        binding: Any = np.where(np.asarray(by_budget.mid) <= np.asarray(by_deadline.mid),
                                BUDGET, DEADLINE)
        binding = binding.item() if binding.ndim == 0 else binding
        ends = {BUDGET if np.all(a <= b) else DEADLINE if np.all(b < a) else "mixed"
                for a, b in zip(by_budget, by_deadline, strict=True)}
        if len(ends) > 1 and np.ndim(by_budget.mid) == 0:
            notes.append("the binding constraint changes across the range: money binds at "
                         "high prices, the deadline at low ones")
    elif by_budget is not None:
        assert dh_budget is not None
        flops, device_hours, binding = by_budget, dh_budget, BUDGET
    else:
        assert by_deadline is not None and dh_deadline is not None
        flops, device_hours, binding = by_deadline, dh_deadline, DEADLINE

    seconds = None if n is None else device_hours * (SECONDS_PER_HOUR / np.asarray(n, float))
    devices_needed = None
    if n is None and deadline is not None:
        devices_needed = device_hours * (SECONDS_PER_HOUR / np.asarray(deadline, float))
        notes.append("no device count given: devices_needed spends the budget within the deadline")
    cost = None
    if price is not None:
        # Each end is one scenario: (low utilization, high price), (mid, mid), (high, low).
        # Its cost is the budget where money binds, else the deadline's hours at that price.
        def spent(p: Any) -> Any:
            c = np.inf if budget is None else np.asarray(budget, float)
            if dh_deadline is not None:
                c = np.minimum(c, dh_deadline.mid * p)
            return v.scalar_or_array(np.asarray(c, float))
        cost = Range(spent(price.low), spent(price.mid), spent(price.high))
    t = _tidy
    return ComputeBudget(accelerator=acc, precision=precision, peak_flops_per_device=peak,
                         utilization=u, devices=n, price_usd_per_hour=price, budget_usd=budget,
                         deadline_s=deadline, flops=t(flops), binding=binding,
                         device_hours=t(device_hours), seconds=t(seconds), cost_usd=t(cost),
                         devices_needed=t(devices_needed), flops_by_budget=t(by_budget),
                         flops_by_deadline=t(by_deadline), currency=assumptions().currency,
                         notes=notes)


def compute_optimal_split(flops: Any, tokens_per_param: ArrayLike = CHINCHILLA_TOKENS_PER_PARAM
                          ) -> ComputeOptimalSplit:
    """Compute-optimal parameters and tokens for a transformer language model (Chinchilla).

    Hoffmann et al. (2022) found that, for a fixed compute budget, loss is lowest when
    parameters N and training tokens D grow in equal proportion, at about 20 tokens per
    parameter. With C = 6·N·D (Hooda (2023) eq. 3 with O_f = 2, O_b = 3, one epoch, computed by
    :func:`mltk.training_flops`) and D = r·N, C = 6·r·N², so N = sqrt(C / (6·r)) and
    D = r·N; for r = 20, N = sqrt(C / 120).

    The assumption holds for dense decoder-only transformers trained once over their
    data; Kaplan et al. (2020) fitted a different law (parameters growing faster than
    data). Models meant to serve many requests are often trained past this point
    (more tokens, fewer parameters) because inference then costs less.

    Parameters
    ----------
    flops : array_like, (low, mid, high) or Range
        Training compute C in FLOP (> 0). A Range gives Ranges back.
    tokens_per_param : array_like, default 20
        Tokens per parameter r (> 0).

    Returns
    -------
    ComputeOptimalSplit
        ``params`` N and ``tokens`` D, with ``training_flops(N, D) == C``.

    References
    ----------
    Hoffmann et al. (2022), Training Compute-Optimal Large Language Models, arXiv:2203.15556.

    Examples
    --------
    Chinchilla: 70B parameters on 1.4T tokens, C = 6 · 70e9 · 1.4e12 = 5.88e23 FLOP.

    >>> s = compute_optimal_split(5.88e23)
    >>> round(s.params / 1e9), round(s.tokens / 1e12, 2)
    (70, 1.4)

    A range of compute gives ranges back:

    >>> r = compute_optimal_split((1e23, 2e23, 4e23)).params
    >>> f"{r.low:.3g} – {r.high:.3g} parameters"
    '2.89e+10 – 5.77e+10 parameters'
    """
    r = v.scalar_or_array(v.positive("tokens_per_param", tokens_per_param))
    per_param_squared = training_flops(1.0, r)  # C for N = 1: C(N) = C(1) · N²

    def split(c: Any) -> Any:
        c = v.scalar_or_array(v.positive("flops", c))
        return v.scalar_or_array(np.sqrt(np.asarray(c, float) / per_param_squared))

    if isinstance(flops, Range | list | tuple) and (isinstance(flops, Range) or len(flops) == 3):
        c = Range.coerce(flops, "flops", "positive")
        params: Any = _tidy(c.map(split))
        tokens: Any = _tidy(params * r)
        return ComputeOptimalSplit(flops=c, params=params, tokens=tokens,
                                   tokens_per_param=float(np.asarray(r).mean()))
    n_opt = split(flops)
    return ComputeOptimalSplit(flops=v.scalar_or_array(v.positive("flops", flops)), params=n_opt,
                               tokens=v.scalar_or_array(np.asarray(n_opt) * r),
                               tokens_per_param=float(np.asarray(r).mean()))
