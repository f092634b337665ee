"""Is the model worth building? Net present value, payback and a go/no-go over the full cost.

A machine learning project is an investment: a team is paid for months before the model
earns anything, and afterwards the model keeps costing money (people who maintain it,
an on-call rota, serving, monitoring, retraining) for as long as it earns. This module
turns those cash flows into the two numbers a finance team asks for, net present value
(NPV) and payback period, and states each as a range.

Formulas are the textbook closed forms (Brealey, Myers and Allen, *Principles of
Corporate Finance*, ch. 2 and 5), written here with NumPy rather than taken from
``numpy-financial``: the package would add a dependency for two one-line sums, and the
month grid below needs fractional launch dates, which its period-based functions do not
model. :func:`npv` agrees with ``numpy_financial.npv`` (first flow undiscounted), which
the tests check against that package's documented example.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..foundation import checks as v
from ..foundation.errors import InputError
from ..foundation.ranges import Range, to_plain

__all__ = ["npv", "payback_period", "monthly_rate", "BusinessCase", "business_case",
           "VERDICTS"]

#: Every verdict :func:`business_case` can return, with its headline.
VERDICTS: Mapping[str, str] = {
    "go": "Go: the case pays even with pessimistic inputs",
    "no-go": "No-go: the case loses money even with optimistic inputs",
    "test": "Not decided: the range straddles zero; test the assumptions that move it most",
}


def _flows(name: str, cash_flows_usd: ArrayLike) -> NDArray[np.float64]:
    arr = v._as_float_array(name, cash_flows_usd)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(name, cash_flows_usd, "a non-empty one-dimensional sequence of amounts")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(name, v._shown(arr, bad), "finite amounts of money (USD)")
    return arr


def _rate(name: str, rate: ArrayLike) -> float:
    r = float(v._as_float_array(name, rate))
    if not np.isfinite(r) or r <= -1:
        raise InputError(name, rate, "a finite rate greater than -1 (e.g. 0.08 for 8%)")
    return r


def npv(cash_flows_usd: ArrayLike, rate_per_period: float) -> float:
    """Net present value: ``sum(CF_t / (1 + r)**t)`` for ``t = 0, 1, ...``.

    The first flow is at time 0 and is not discounted, as in ``numpy_financial.npv``
    and spreadsheet ``NPV`` with the first flow added outside.

    Parameters
    ----------
    cash_flows_usd : array_like
        Net cash flow of each period, in USD (costs negative).
    rate_per_period : float
        Discount rate per period (> -1), e.g. 0.08 per year.

    Returns
    -------
    float
        NPV in USD.

    Examples
    --------
    numpy-financial's documented example (8% a year, an investment of 40,000 returning
    5,000, 8,000, 12,000 and 30,000):

    >>> round(npv([-40_000, 5_000, 8_000, 12_000, 30_000], 0.08), 2)
    3065.22
    """
    cf = _flows("cash_flows_usd", cash_flows_usd)
    r = _rate("rate_per_period", rate_per_period)
    t = np.arange(cf.size)
    return float(np.sum(cf / (1.0 + r) ** t))


def payback_period(cash_flows_usd: ArrayLike, rate_per_period: float = 0.0) -> float | None:
    """Periods until the cumulative (discounted) cash flow first turns non-negative.

    Flow ``t`` is received at the end of period ``t`` (flow 0 at time 0). The payback is
    the first time the cumulative sum, once negative, comes back to zero; within that
    period the crossing is interpolated linearly.
    With ``rate_per_period = 0`` this is the simple payback period; with a positive rate
    the discounted payback period.

    Returns
    -------
    float or None
        Periods (>= 0), or None if the project never pays back within the flows given.

    Examples
    --------
    >>> payback_period([-100, 30, 30, 30, 30])   # -10 after 3 periods, +20 after 4
    3.3333333333333335
    >>> payback_period([-100, 30, 30]) is None
    True
    """
    cf = _flows("cash_flows_usd", cash_flows_usd)
    r = _rate("rate_per_period", rate_per_period)
    disc = cf / (1.0 + r) ** np.arange(cf.size)
    cum = np.cumsum(disc)
    negative = np.nonzero(cum < 0)[0]
    if negative.size == 0:
        return 0.0
    after = np.nonzero(cum[negative[0]:] >= 0)[0]
    if after.size == 0:
        return None
    k = int(negative[0] + after[0])
    return float(k - 1 + (-cum[k - 1]) / disc[k])


def monthly_rate(annual_rate: float) -> float:
    """The monthly rate that compounds to ``annual_rate``: ``(1 + r)**(1/12) - 1``.

    Examples
    --------
    >>> round((1 + monthly_rate(0.08)) ** 12 - 1, 12)
    0.08
    """
    r = _rate("annual_rate", annual_rate)
    return float((1.0 + r) ** (1.0 / 12.0) - 1.0)


# -- the business case ------------------------------------------------------------------

#: Inputs of :func:`business_case`, and which end of each range is the optimistic one.
_VALUE_LIKE = ("value_usd_per_year",)
_COST_LIKE = ("build_months", "ramp_months", "team_fte", "run_fte", "cost_per_fte_usd_per_year",
              "training_usd_per_run", "retrains_per_year", "serving_usd_per_year",
              "monitoring_usd_per_year", "on_call_usd_per_year")


def _adoption_integral(t: NDArray[np.float64], launch: float, ramp: float) -> NDArray[np.float64]:
    """Integral from 0 to t of the adoption curve: 0 before launch, linear to 1 over ``ramp``."""
    s = np.clip(t - launch, 0.0, None)
    if ramp <= 0:
        return s
    return np.where(s <= ramp, s**2 / (2 * ramp), ramp / 2 + (s - ramp))


def _monthly(p: dict[str, float], months: int) -> dict[str, NDArray[np.float64]]:
    """Signed monthly cash flows (month m covers [m, m+1)) by line item, for one scenario."""
    edges = np.arange(months + 1, dtype=float)
    b = p["build_months"]
    live = np.diff(np.clip(edges - b, 0.0, None))            # fraction of each month in service
    building = 1.0 - live
    adoption = np.diff(_adoption_integral(edges, b, p["ramp_months"]))
    fte_month = p["cost_per_fte_usd_per_year"] / 12.0
    first_training = np.zeros(months)
    if b < months:
        first_training[int(np.floor(b))] = p["training_usd_per_run"]
    return {
        "value": p["value_usd_per_year"] / 12.0 * adoption,
        "build team": -p["team_fte"] * fte_month * building,
        "first training run": -first_training,
        "maintenance team": -p["run_fte"] * fte_month * live,
        "on-call": -p["on_call_usd_per_year"] / 12.0 * live,
        "retraining": -p["training_usd_per_run"] * p["retrains_per_year"] / 12.0 * live,
        "serving": -p["serving_usd_per_year"] / 12.0 * live,
        "monitoring": -p["monitoring_usd_per_year"] / 12.0 * live,
    }


def _scenario_npv(p: dict[str, float], months: int, r_month: float) -> tuple[float, float | None,
                                                                              dict[str, Any]]:
    items = _monthly(p, months)
    net = sum(items.values())
    flows = np.concatenate([[0.0], net])                 # month m's flow arrives at its end
    return (npv(flows, r_month), payback_period(flows, 0.0), items)


#: How each uncertain input of :func:`business_case` is named for people (pages, calculators).
SENSITIVITY_LABELS = {"value_usd_per_year": "the value at stake", "build_months": "the build time",
                      "serving_usd_per_year": "serving", "on_call_usd_per_year": "on-call",
                      "training_usd_per_run": "training"}


@dataclass(frozen=True)
class BusinessCase:
    """Result of :func:`business_case`; money in USD over the whole horizon.

    Attributes
    ----------
    npv_usd : Range
        Net present value: pessimistic (low), expected (mid), optimistic (high) inputs.
    payback_months : dict
        Simple payback in months for ``"pessimistic"``, ``"expected"`` and
        ``"optimistic"`` inputs; None where the project does not pay back in the horizon.
    value_usd : Range
        Undiscounted value earned over the horizon.
    costs_usd : dict of str to Range
        Undiscounted cost of each line item over the horizon (positive numbers).
    tco_usd : Range
        Total cost of ownership: the sum of ``costs_usd``.
    break_even_value_usd_per_year : float
        Yearly value at full adoption that makes the expected NPV exactly zero.
    sensitivity : dict of str to (float, float)
        Expected NPV with one input moved to its pessimistic and its optimistic end,
        the others at their expected value (a tornado chart's bars), for inputs given as ranges.
    verdict, headline : str
        ``"go"`` (pessimistic NPV > 0), ``"no-go"`` (optimistic NPV < 0) or ``"test"``.
    monthly_usd : dict of str to ndarray
        Expected-case signed monthly cash flow of each line item.
    cumulative_usd : dict of str to ndarray
        Undiscounted cumulative net cash flow at the end of each month, for
        ``"pessimistic"``, ``"expected"`` and ``"optimistic"`` inputs.
    """

    npv_usd: Range
    payback_months: dict[str, float | None]
    value_usd: Range
    costs_usd: dict[str, Range]
    tco_usd: Range
    break_even_value_usd_per_year: float
    sensitivity: dict[str, tuple[float, float]]
    verdict: str
    headline: str
    years: float
    discount_rate: float
    monthly_usd: dict[str, Any] = field(repr=False)
    cumulative_usd: dict[str, Any] = field(repr=False)

    @property
    def most_sensitive_input(self) -> tuple[str, float, float] | None:
        """The input whose range moves the expected NPV most, for people.

        Returns
        -------
        (label, npv_pessimistic_usd, npv_optimistic_usd) or None
            ``label`` from :data:`SENSITIVITY_LABELS` (the argument name where it has none);
            None when no input was given as a range.
        """
        if not self.sensitivity:
            return None
        name, (lo, hi) = max(self.sensitivity.items(), key=lambda kv: kv[1][1] - kv[1][0])
        return SENSITIVITY_LABELS.get(name, name), lo, hi

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {k: to_plain(getattr(self, k)) for k in self.__dataclass_fields__}


def _inputs(values: dict[str, Any]) -> dict[str, Range]:
    out = {}
    for name, value in values.items():
        r = Range.of(value)
        for part in r:
            arr = np.asarray(part, dtype=float)
            if arr.ndim != 0:
                raise InputError(name, value, "a number or a (low, mid, high) range, not an array")
            if not np.isfinite(arr) or arr < 0:
                raise InputError(name, value, "a finite number >= 0, or a range of them")
        out[name] = r
    if out["cost_per_fte_usd_per_year"].low <= 0 and (out["team_fte"].high > 0):
        raise InputError("cost_per_fte_usd_per_year", values["cost_per_fte_usd_per_year"],
                         "a positive yearly cost per person")
    return out


def business_case(value_usd_per_year: Any, *, build_months: Any, team_fte: Any,
                  cost_per_fte_usd_per_year: Any, run_fte: Any = 0.0, ramp_months: Any = 0.0,
                  training_usd_per_run: Any = 0.0, retrains_per_year: Any = 0.0,
                  serving_usd_per_year: Any = 0.0, monitoring_usd_per_year: Any = 0.0,
                  on_call_usd_per_year: Any = 0.0, years: float = 3.0,
                  discount_rate: float = 0.08) -> BusinessCase:
    """Go/no-go for a model: value at stake against the full cost, as NPV and payback.

    Month by month over ``years``: a team of ``team_fte`` people builds for
    ``build_months`` (time to first value); at launch the first training run is paid and
    value starts, rising linearly to ``value_usd_per_year`` over ``ramp_months``
    (adoption); from launch on the model costs its maintenance team, on-call, serving,
    monitoring and retraining. Flows are discounted monthly at the rate that compounds to
    ``discount_rate`` a year, each month's flow at its end.

    Every input may be a number, a ``(low, mid, high)`` tuple or a :class:`mltk.Range`.
    The pessimistic case takes low value and high costs and delays; the optimistic case
    the reverse.

    Parameters
    ----------
    value_usd_per_year : number or range
        Yearly value at full adoption against today's process, in USD (>= 0), e.g. the
        uplift of :func:`mltk.handbook.business_value.classifier_value` over the baseline.
    build_months : number or range
        Months from the start of work to the first value in production (>= 0).
    team_fte : number or range
        People (full-time equivalents) building the model.
    cost_per_fte_usd_per_year : number or range
        Fully loaded yearly cost of one person (salary, overheads), in USD (> 0).
    run_fte : number or range, default 0
        People maintaining the model after launch (fixes, retraining, reviews).
    ramp_months : number or range, default 0
        Months from launch to full adoption.
    training_usd_per_run : number or range, default 0
        Cost of one training run, e.g. ``mltk.estimate_training(...).cost_usd``.
    retrains_per_year : number or range, default 0
        Scheduled retraining runs per year after launch.
    serving_usd_per_year, monitoring_usd_per_year, on_call_usd_per_year : number or range
        Yearly running costs after launch, in USD.
    years : float, default 3
        Horizon (> 0, at most 30).
    discount_rate : float, default 0.08
        Yearly discount rate (the company's cost of capital or hurdle rate, > -1).

    Returns
    -------
    BusinessCase

    Raises
    ------
    InputError
        For negative or non-finite inputs, a horizon outside (0, 30] years, or a rate <= -1.

    Examples
    --------
    A model worth 600k USD a year, built by three people in six months, run by one.
    Building costs 6 x 3 x 12.5k = 225k; afterwards it nets 50k - 12.5k = 37.5k a month,
    so it pays back six months after launch:

    >>> case = business_case(600_000, build_months=6, team_fte=3,
    ...                      cost_per_fte_usd_per_year=150_000, run_fte=1, years=3)
    >>> case.verdict, case.payback_months["expected"]
    ('go', 12.0)
    """
    horizon = float(v.positive("years", years))
    if horizon > 30:
        raise InputError("years", years, "a horizon of at most 30 years")
    rate = _rate("discount_rate", discount_rate)
    raw = dict(value_usd_per_year=value_usd_per_year, build_months=build_months,
               team_fte=team_fte, cost_per_fte_usd_per_year=cost_per_fte_usd_per_year,
               run_fte=run_fte, ramp_months=ramp_months,
               training_usd_per_run=training_usd_per_run, retrains_per_year=retrains_per_year,
               serving_usd_per_year=serving_usd_per_year,
               monitoring_usd_per_year=monitoring_usd_per_year,
               on_call_usd_per_year=on_call_usd_per_year)
    ranges = _inputs(raw)
    months = int(np.ceil(horizon * 12 - 1e-9))
    r_month = monthly_rate(rate)

    def scenario(kind: str) -> dict[str, float]:
        pick = {"pessimistic": ("low", "high"), "expected": ("mid", "mid"),
                "optimistic": ("high", "low")}[kind]
        return {k: float(getattr(r, pick[0] if k in _VALUE_LIKE else pick[1]))
                for k, r in ranges.items()}

    results = {kind: _scenario_npv(scenario(kind), months, r_month)
               for kind in ("pessimistic", "expected", "optimistic")}
    npv_range = Range(*(results[k][0] for k in ("pessimistic", "expected", "optimistic")))

    def totals(kind: str) -> dict[str, float]:
        return {k: float(abs(x.sum())) for k, x in results[kind][2].items()}

    tot = {k: totals(k) for k in results}
    items = [k for k in tot["expected"] if k != "value"]
    costs = {k: Range(*sorted((tot["optimistic"][k], tot["expected"][k], tot["pessimistic"][k])))
             for k in items}
    tco_range = Range(*sorted(sum(tot[s][k] for k in items)
                              for s in ("optimistic", "expected", "pessimistic")))
    value_range = Range(*sorted(tot[s]["value"] for s in ("pessimistic", "expected", "optimistic")))

    # NPV is linear in the yearly value: solve NPV(value) = 0 for the expected inputs.
    mid = scenario("expected")
    npv_without_value = _scenario_npv(mid | {"value_usd_per_year": 0.0}, months, r_month)[0]
    npv_per_usd = _scenario_npv(mid | {"value_usd_per_year": 1.0}, months, r_month)[0] \
        - npv_without_value
    break_even = float(-npv_without_value / npv_per_usd) if npv_per_usd > 0 else float("nan")
    if not np.isfinite(break_even):   # no value can arrive inside the horizon
        raise InputError("build_months", build_months, f"less than the horizon of {horizon:g} years")

    sensitivity = {}
    for name, r in ranges.items():
        if r.low == r.high:
            continue
        pess, opt = (r.low, r.high) if name in _VALUE_LIKE else (r.high, r.low)
        sensitivity[name] = (_scenario_npv(mid | {name: float(pess)}, months, r_month)[0],
                             _scenario_npv(mid | {name: float(opt)}, months, r_month)[0])

    verdict = "go" if npv_range.low > 0 else "no-go" if npv_range.high < 0 else "test"
    return BusinessCase(
        npv_usd=npv_range,
        payback_months={k: results[k][1] for k in results},
        value_usd=value_range, costs_usd=costs, tco_usd=tco_range,
        break_even_value_usd_per_year=break_even, sensitivity=sensitivity,
        verdict=verdict, headline=VERDICTS[verdict], years=horizon, discount_rate=rate,
        monthly_usd=results["expected"][2],
        cumulative_usd={k: np.cumsum(sum(results[k][2].values())) for k in results})
