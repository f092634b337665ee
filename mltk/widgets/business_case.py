"""Business-case calculator (ipywidgets): UI only, every number from :mod:`mltk.handbook.business_case`.

Kept apart from :mod:`mltk.widgets` so the calculators of the training chapters and this
one can change independently; it reuses their plumbing (fields, messages, in-place plot).

Examples
--------
>>> calc = BusinessCaseCalculator()
>>> calc.result.verdict
'test'
>>> calc.set(value_low="800000", value_mid="900000", value_high="1000000")
>>> calc.result.verdict
'go'
>>> calc.set(value_mid="abc")
>>> calc.result is None and "value" in calc.error + "".join(calc.messages().values())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..foundation.assumptions import assumptions
from ..foundation.ranges import Range
from ..handbook.business_case import BusinessCase, business_case
from .training import _Calculator, _range_text, _table

__all__ = ["BusinessCaseCalculator"]


def _payback_text(months: float | None) -> str:
    return "not within the horizon" if months is None else f"{months:.1f} months"


def _money(usd: float, digits: int = 3) -> str:
    """Money in the team's currency (the assumptions file's formatter)."""
    return assumptions().format_money(usd, digits=digits)


class BusinessCaseCalculator(_Calculator):
    """Value at stake against the full cost: NPV and payback as ranges, and a go/no-go."""

    title = "Business case: is the model worth it?"
    plot_size = (5.4, 2.8)

    def _build(self) -> None:
        nn = "non_negative"
        cur = assumptions().currency  # amounts are in the team's currency, as _money prints them
        self._field("value_low", "value low", "300000", f"{cur} per year at full adoption", constraint=nn)
        self._field("value_mid", "value expected", "600000", f"{cur} per year", constraint="non_negative")
        self._field("value_high", "value high", "900000", f"{cur} per year", constraint="non_negative")
        self._field("build_low", "build time low", "4", "months to first value", constraint="non_negative")
        self._field("build_mid", "build time expected", "6", "months", constraint="non_negative")
        self._field("build_high", "build time high", "10", "months", constraint="non_negative")
        self._field("ramp_months", "adoption ramp", "3", "months to full use", constraint="non_negative")
        self._field("team_fte", "build team", "3", "people", constraint="non_negative")
        self._field("run_fte", "maintenance team", "1", "people after launch", constraint="non_negative")
        self._field("cost_per_fte_usd_per_year", "cost per person", "150000",
                    f"{cur} per year, fully loaded")
        self._field("training_usd_per_run", "training run", "2000", f"{cur} per run", constraint=nn)
        self._field("retrains_per_year", "retraining", "12", "runs per year", constraint="non_negative")
        self._field("serving_usd_per_year", "serving", "20000", f"{cur} per year", constraint="non_negative")
        self._field("monitoring_usd_per_year", "monitoring", "10000", f"{cur} per year", constraint=nn)
        self._field("on_call_usd_per_year", "on-call", "15000", f"{cur} per year", constraint="non_negative")
        self._field("years", "horizon", "3", "years (at most 30)")
        self._field("discount_rate", "discount rate", "0.08", "per year", constraint="unit_interval")

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> BusinessCase:
        for key in ("value", "build"):
            lo, mi, hi = (values[f"{key}_{k}"] for k in ("low", "mid", "high"))
            if not lo <= mi <= hi:
                raise ValueError(f"{key}: expected low <= expected <= high")
        rest = {k: x for k, x in values.items() if not k.startswith(("value_", "build_"))}
        return business_case(
            Range(values["value_low"], values["value_mid"], values["value_high"]),
            build_months=Range(values["build_low"], values["build_mid"], values["build_high"]),
            **rest)

    def _render(self, result: BusinessCase, values: dict[str, float], choices: dict[str, str]) -> str:
        pay = result.payback_months
        rows = [
            ("verdict", result.headline),
            ("net present value", _range_text(result.npv_usd, _money)),
            ("payback (expected)", _payback_text(pay["expected"])),
            ("payback (pessimistic – optimistic)",
             f"{_payback_text(pay['pessimistic'])} – {_payback_text(pay['optimistic'])}"),
            ("total cost of ownership", _range_text(result.tco_usd, _money)),
            ("value over the horizon", _range_text(result.value_usd, _money)),
            ("break-even value", _money(result.break_even_value_usd_per_year) + " per year"),
        ]
        if result.most_sensitive_input is not None:
            name, lo, hi = result.most_sensitive_input
            rows.append(("input that moves NPV most", f"{name} ({_money(lo)} to "
                                                      f"{_money(hi)})"))
        return _table(rows)

    def _alt(self, result: BusinessCase, values: dict[str, float], choices: dict[str, str]) -> str:
        return ("Line chart of the cumulative net cash flow month by month, falling while the "
                "team builds and rising after launch, with a band from pessimistic to optimistic "
                f"inputs; expected payback {_payback_text(result.payback_months['expected'])}.")

    def _draw(self, ax: Any, result: BusinessCase, values: dict[str, float],
              choices: dict[str, str]) -> None:
        cum = result.cumulative_usd
        months = np.arange(1, len(cum["expected"]) + 1)
        ax.fill_between(months, cum["pessimistic"], cum["optimistic"], alpha=0.2,
                        label="pessimistic to optimistic")
        ax.plot(months, cum["expected"], color="k", label="expected")
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xlabel("month")
        ax.set_ylabel("cumulative net cash")
        ax.yaxis.set_major_formatter(lambda v, _: _money(v))
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
