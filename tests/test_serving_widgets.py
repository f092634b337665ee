"""Serving calculator: its results equal direct mltk calls; bad input shows a message."""

from __future__ import annotations

import pytest

from mltk.heuristics.serving import plan_serving
from mltk.widgets.serving import ServingCalculator


def test_serving_calculator_matches_plan_serving() -> None:
    c = ServingCalculator()
    c.set(requests_per_s="100", ttft_target_s="0.4", tpot_target_s="0.04", price_usd_per_hour="3")
    direct = plan_serving("Llama-3-70B", "H100-SXM", requests_per_s=100, prompt_tokens=1000,
                          output_tokens=200, ttft_target_s=0.4, tpot_target_s=0.04,
                          weight_precision="fp8", price_usd_per_hour=3.0)
    assert c.result.devices == direct.devices and c.result.batch == direct.batch
    assert c.result.tpot_s == pytest.approx(direct.tpot_s)
    assert f"{direct.devices} × H100-SXM" in c.results.value
    assert c.image_png[:4] == b"\x89PNG" and "alt=" in c.image.value


def test_serving_calculator_infeasible_and_bad_input() -> None:
    c = ServingCalculator()
    c.set(tpot_target_s="0.001")
    assert not c.result.feasible and "cannot meet the target" in c.results.value
    assert "tpot_target" in c.results.value
    c.set(tpot_target_s="0")
    assert c.result is None and c.messages()["tpot_target_s"]
    c.set(tpot_target_s="0.05", model="Llama-2-70B", prompt_tokens="5000")
    assert c.result is None and "4096" in c.error
