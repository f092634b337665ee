"""Build or adapt: LoRA parameter counts (Hu et al. 2022), fine-tuning FLOPs and memory, token costs."""

from __future__ import annotations

import pytest

import mltk
from mltk import InputError, Range
from mltk.heuristics.adaptation import (
    cost_per_request,
    finetune_flops,
    finetune_memory_bytes,
    lora_params,
    self_hosted_token_costs,
)
from mltk.heuristics.inference import cost_per_million, decode_estimate


def test_lora_params_match_hu_et_al_budget_on_gpt3() -> None:
    # Hu et al. (2022), section 7.1: an 18M budget is r=8 on one attention matrix type or
    # r=4 on two, for all 96 layers of GPT-3 175B (d_model 12,288)
    one_type = lora_params(12288, 12288, rank=8, matrices=1, layers=96)
    two_types = lora_params(12288, 12288, rank=4, matrices=2, layers=96)
    assert one_type == two_types == 2 * 8 * 12288 * 96
    assert 18e6 <= two_types < 19e6
    # "reduce the number of trainable parameters by 10,000 times": 175B / 18.9M is ~9,300
    assert 175e9 / two_types == pytest.approx(1e4, rel=0.1)


def test_lora_params_of_a_rectangular_matrix() -> None:
    assert lora_params(4096, 11008, rank=16) == 16 * (4096 + 11008)


def test_finetune_flops_are_eq3_with_the_backward_factor() -> None:
    assert finetune_flops(7e9, 1e7) == pytest.approx(6 * 7e9 * 1e7)
    assert finetune_flops(7e9, 1e7, method="lora") == pytest.approx(4 * 7e9 * 1e7)
    assert finetune_flops(7e9, 1e7, 3, method="QLoRA") == pytest.approx(3 * 4 * 7e9 * 1e7)
    assert finetune_flops(7e9, 1e7) == mltk.training_flops(7e9, 1e7)


def test_finetune_memory_closed_forms() -> None:
    assert finetune_memory_bytes(7.5e9) == pytest.approx(120e9)  # ZeRO's 16 bytes/param example
    assert finetune_memory_bytes(65e9, "lora") == pytest.approx(130e9)
    # QLoRA fits a 65B model's frozen weights (32.5 GB) on one 48 GB GPU (Dettmers et al. 2023)
    q = finetune_memory_bytes(65e9, "qlora", adapter_params=lora_params(8192, 8192, 64, 4, 80))
    assert 32.5e9 < q < 48e9


def test_cost_per_request_adds_retrieved_context() -> None:
    plain = cost_per_request(500, 200, 1.0, 4.0)
    rag = cost_per_request(500 + 4 * 500, 200, 1.0, 4.0)
    assert plain == pytest.approx((500 * 1 + 200 * 4) / 1e6)
    assert rag - plain == pytest.approx(2000 / 1e6)
    r = cost_per_request(1000, 100, Range(0.5, 1, 2), 3.0)
    assert isinstance(r, Range)
    # input tokens at 0.5, 1 and 2 USD per million, plus 100 output tokens at 3
    assert (r.low, r.mid, r.high) == pytest.approx((800e-6, 1300e-6, 2300e-6))


def test_self_hosted_costs_agree_with_the_inference_module() -> None:
    c = self_hosted_token_costs(7e9, "A100-80GB", batch=16, efficiency=0.6, price_usd_per_hour=2.0)
    d = decode_estimate(7e9, "A100-80GB", batch=16, efficiency=0.6)
    assert c.output_tokens_per_s == pytest.approx(d.tokens_per_s)
    assert c.usd_per_million_output.mid == pytest.approx(cost_per_million(d.tokens_per_s, 2.0))
    peak = mltk.accelerator("A100-80GB").peak_flops("bf16")
    assert c.input_tokens_per_s == pytest.approx(peak * 0.6 / (2 * 7e9))
    # the default price is mltk.device_hour_price, a range
    r = self_hosted_token_costs(7e9, "A100-80GB")
    price = mltk.device_hour_price("A100-80GB")
    d32 = decode_estimate(7e9, "A100-80GB", batch=32, efficiency=0.5)
    assert r.usd_per_million_output.mid == pytest.approx(cost_per_million(d32.tokens_per_s, price.mid))
    assert r.usd_per_million_output.low <= r.usd_per_million_output.mid <= r.usd_per_million_output.high


@pytest.mark.parametrize("call", [
    lambda: lora_params(0, 10, 4),
    lambda: finetune_flops(7e9, 1e7, method="adapters"),
    lambda: finetune_memory_bytes(7e9, "lora", adapter_params=-1),
    lambda: cost_per_request(-1, 10, 1, 1),
    lambda: self_hosted_token_costs(7e9, "H100-SXM", efficiency=1.5),
])
def test_bad_input_raises(call) -> None:
    with pytest.raises(InputError):
        call()


def test_latency_is_prefill_plus_one_step_per_output_token() -> None:
    c = self_hosted_token_costs(7e9, "H100-SXM", batch=32, efficiency=0.5, price_usd_per_hour=4.0)
    step = decode_estimate(7e9, "H100-SXM", batch=32, efficiency=0.5).seconds_per_token
    prefill = 2 * 7e9 / (mltk.accelerator("H100-SXM").peak_flops("bf16") * 0.5)
    assert c.latency_s(500, 200) == pytest.approx(500 * prefill + 200 * step)
    r = c.cost_per_request_usd(500, 200)
    assert r.mid == pytest.approx(cost_per_request(500, 200, c.usd_per_million_input.mid,
                                                   c.usd_per_million_output.mid))
