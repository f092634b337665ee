"""Serving calculator (ipywidgets): UI only, every number from :mod:`mltk.heuristics.serving`.

Examples
--------
>>> calc = ServingCalculator()
>>> calc.set(requests_per_s="50", tpot_target_s="0.04")
>>> calc.result.feasible, calc.result.tpot_s <= 0.04
(True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..foundation.assumptions import assumptions
from ..foundation.units import format_si
from ..heuristics.estimate import device_hour_price
from ..heuristics.serving import (
    SERVING_PRECISIONS,
    continuous_batching_estimate,
    model_shapes,
    plan_serving,
)
from .training import _Calculator, _device_names, _table

__all__ = ["ServingCalculator"]


class ServingCalculator(_Calculator):
    """Load and latency targets in; batch, devices, latency and cost per input and output token out."""

    title = "Serving planner: latency targets, batch, devices, cost per token"

    def _build(self) -> None:
        price = device_hour_price("H100-SXM")
        self._choice("model", "model", [m.name for m in model_shapes()], "Llama-3-70B")
        self._choice("accelerator", "accelerator", _device_names(), "H100-SXM")
        self._choice("weight_precision", "weight precision", list(SERVING_PRECISIONS), "fp8")
        self._field("prompt_tokens", "prompt tokens", "1000", "per request", constraint="at_least_one")
        self._field("output_tokens", "output tokens", "200", "per request", constraint="at_least_one")
        self._field("requests_per_s", "requests per second", "200")
        self._field("ttft_target_s", "first-token target", "0.5", "s")
        self._field("tpot_target_s", "per-token target", "0.03", "s")
        self._field("price_usd_per_hour", "price per device-hour", f"{price.mid:.4g}",
                    f"{assumptions().currency}, at your rent option")

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> Any:
        for key in ("prompt_tokens", "output_tokens"):
            if not float(values[key]).is_integer():
                raise ValueError(f"{key.replace('_', ' ')} must be a whole number")
        return plan_serving(choices["model"], choices["accelerator"],
                            weight_precision=choices["weight_precision"], **values)

    def _render(self, plan: Any, values: dict[str, float], choices: dict[str, str]) -> str:
        if not plan.feasible:
            return _table([("result", "cannot meet the target on this device"),
                           ("binding term", plan.binding), ("why", plan.message)])
        e = plan.estimate
        format_money = assumptions().format_money
        return _table([
            ("layout", f"{plan.replicas} × tensor-parallel {plan.tensor_parallel} = "
                       f"{plan.devices} × {plan.accelerator}, batch {plan.batch}"),
            ("time to first token", f"{e.ttft_s * 1e3:.3g} ms"),
            ("time per output token", f"{e.tpot_s * 1e3:.3g} ms ({e.bound}-bound)"),
            ("output tokens/s", format_si(plan.tokens_per_s)),
            ("per million input tokens", format_money(e.usd_per_million_input_tokens)),
            ("per million output tokens", format_money(e.usd_per_million_output_tokens)),
            ("cost per hour", format_money(plan.cost_usd_per_hour)),
            ("binding term", plan.binding),
        ])

    def _alt(self, plan: Any, values: dict[str, float], choices: dict[str, str]) -> str:
        if not plan.feasible:
            return "Empty plot: no configuration meets the targets."
        return (f"Line chart of time per output token against batch for tensor-parallel "
                f"{plan.tensor_parallel}, rising with the batch; the chosen batch {plan.batch} is "
                f"marked below the {values['tpot_target_s'] * 1e3:.3g} ms target line.")

    def _draw(self, ax: Any, plan: Any, values: dict[str, float], choices: dict[str, str]) -> None:
        if not plan.feasible:
            ax.text(0.5, 0.5, "no configuration meets the targets", ha="center", transform=ax.transAxes)
            return
        e = plan.estimate
        batches = np.unique(np.geomspace(1, max(2 * plan.batch, 8), 9).astype(int))
        tpot = [continuous_batching_estimate(
            choices["model"], choices["accelerator"], prompt_tokens=values["prompt_tokens"],
            output_tokens=values["output_tokens"], batch=int(b), devices=plan.tensor_parallel,
            weight_precision=choices["weight_precision"], price_usd_per_hour=1.0).tpot_s * 1e3
            for b in batches]
        ax.plot(batches, tpot, "-o", ms=3)
        ax.axhline(values["tpot_target_s"] * 1e3, color="k", ls=":", lw=1)
        ax.plot([plan.batch], [e.tpot_s * 1e3], "o", color="tab:orange")
        ax.set_xscale("log")
        ax.set_xlabel("batch (requests in flight)")
        ax.set_ylabel("ms per output token")
        ax.grid(alpha=0.3)
