"""Build or adapt: the compute, memory and token cost of adapting a pre-trained model.

Four ways to get a capable model for a language, vision or code task, from cheapest to
dearest up front: prompt a pre-trained model, add retrieval (retrieval-augmented
generation: more input tokens per request), fine-tune it (all weights, or a few low-rank
adapters), or train one from scratch. This module prices each with the formulas the
rest of :mod:`mltk.heuristics` already has:

- Fine-tuning compute is eq. 3 (:func:`mltk.training_flops`) with ``backward_factor``
  3 for full fine-tuning (6·P·D) and 2 for LoRA, whose frozen weights need activation
  gradients but no weight gradients (4·P·D; the adapters' own FLOPs are negligible).
- LoRA adds ``rank·(d_in + d_out)`` trainable parameters per adapted matrix (Hu et al.,
  "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022).
- Serving cost per token is :func:`mltk.heuristics.inference.decode_estimate` (output
  tokens, memory-bound) and a compute-bound prefill (input tokens, 2·P FLOP each),
  priced by :func:`mltk.heuristics.inference.cost_per_million`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.errors import InputError
from ..foundation.ranges import Range, to_plain
from .compute import training_flops
from .hardware import Accelerator
from .hardware import accelerator as _lookup
from .inference import cost_per_million, decode_estimate
from .memory import bytes_per_element, training_memory_bytes
from .rent import device_hour_price

__all__ = ["FINETUNE_METHODS", "lora_params", "finetune_flops", "finetune_memory_bytes",
           "cost_per_request", "TokenCosts", "self_hosted_token_costs"]

#: Fine-tuning methods: ``full`` updates every weight; ``lora`` trains low-rank adapters
#: on frozen bf16 weights; ``qlora`` the same on frozen 4-bit weights (Dettmers et al. 2023).
FINETUNE_METHODS: tuple[str, ...] = ("full", "lora", "qlora")

_BACKWARD_FACTOR = {"full": 3.0, "lora": 2.0, "qlora": 2.0}
_FROZEN_PRECISION = {"lora": "bf16", "qlora": "int4"}


def _method(method: str) -> str:
    key = str(method).strip().lower()
    if key not in FINETUNE_METHODS:
        raise InputError("method", method, f"one of {', '.join(FINETUNE_METHODS)}")
    return key


def lora_params(d_in: ArrayLike, d_out: ArrayLike, rank: ArrayLike, matrices: ArrayLike = 1,
                layers: ArrayLike = 1) -> Any:
    """Trainable parameters LoRA adds: ``rank·(d_in + d_out)`` per adapted matrix.

    Each adapted weight W (d_out × d_in) gets ``B @ A`` with A (rank × d_in) and
    B (d_out × rank) (Hu et al. 2022, section 4.1).

    Parameters
    ----------
    d_in, d_out : array_like
        Input and output width of each adapted matrix (> 0).
    rank : array_like
        Rank r of the update (> 0).
    matrices : array_like, default 1
        Adapted matrices per layer (e.g. 2 for the query and value projections).
    layers : array_like, default 1
        Layers adapted.

    Examples
    --------
    Hu et al.'s 18M-parameter budget on GPT-3 175B: rank 4 on W_q and W_v, width 12,288,
    96 layers ("roughly 35MB if stored in FP16"):

    >>> n = lora_params(12288, 12288, rank=4, matrices=2, layers=96)
    >>> n, round(n * 2 / 2**20, 1)
    (18874368.0, 36.0)
    """
    a = v.positive("d_in", d_in)
    b = v.positive("d_out", d_out)
    r = v.positive("rank", rank)
    m = v.positive("matrices", matrices)
    n = v.positive("layers", layers)
    return v.scalar_or_array(r * (a + b) * m * n)


def finetune_flops(params: ArrayLike, tokens: ArrayLike, epochs: ArrayLike = 1,
                   method: str = "full") -> Any:
    """Training FLOPs of a fine-tuning run: 6·P·D in full, 4·P·D with (Q)LoRA.

    Eq. 3 of the handbook (:func:`mltk.training_flops`) with ``backward_factor`` 3 for
    full fine-tuning and 2 for adapters on frozen weights: the backward pass still
    propagates activation gradients through every frozen matrix (2·P per token) but
    skips their weight gradients (another 2·P). Hu et al. (2022) measure a 25% higher
    training throughput for LoRA on GPT-3 175B, consistent with this third less work.

    Examples
    --------
    >>> finetune_flops(7e9, 1e7) / 1e18, finetune_flops(7e9, 1e7, method="lora") / 1e18
    (0.42, 0.28)
    """
    m = _method(method)
    return training_flops(params, tokens, epochs, forward_ops=2, backward_factor=_BACKWARD_FACTOR[m])


def finetune_memory_bytes(params: ArrayLike, method: str = "full",
                          adapter_params: ArrayLike = 0.0) -> Any:
    """Device memory for weights, gradients and optimizer state while fine-tuning.

    ``full``: mixed-precision Adam, 16 bytes per parameter
    (:func:`mltk.heuristics.memory.training_memory_bytes`). ``lora``: frozen bf16
    weights (2 bytes per parameter) plus 16 bytes per adapter parameter. ``qlora``:
    frozen 4-bit weights (0.5 bytes per parameter; quantization constants ignored) plus
    the adapters. Activations come on top in every case.

    Examples
    --------
    A 7B model: full fine-tuning needs 112 GB of state; LoRA with 20M adapter parameters
    14.3 GB; QLoRA 3.8 GB:

    >>> [round(finetune_memory_bytes(7e9, m, adapter_params=2e7) / 1e9, 2)
    ...  for m in ("full", "lora", "qlora")]
    [112.0, 14.32, 3.82]
    """
    m = _method(method)
    a = v.non_negative("adapter_params", adapter_params)
    if m == "full":
        full = np.asarray(training_memory_bytes(params, "mixed", "adam"), dtype=float)
        return v.scalar_or_array(full + 0 * a)
    p = v.positive("params", params)
    frozen = p * bytes_per_element(_FROZEN_PRECISION[m])
    return v.scalar_or_array(frozen + a * training_memory_bytes(1.0, "mixed", "adam"))


def cost_per_request(input_tokens: ArrayLike, output_tokens: ArrayLike,
                     usd_per_million_input: Any, usd_per_million_output: Any) -> Any:
    """USD per request: tokens in and out, each at its price per million tokens.

    Retrieval-augmented generation enters here: the retrieved passages are extra input
    tokens on every request. Prices may be :class:`mltk.Range`; the result then is too.

    Examples
    --------
    >>> cost_per_request(1_500, 300, usd_per_million_input=0.5, usd_per_million_output=2.0)
    0.00135
    """
    i = v.non_negative("input_tokens", input_tokens)
    o = v.non_negative("output_tokens", output_tokens)
    if isinstance(usd_per_million_input, Range) or isinstance(usd_per_million_output, Range):
        pi, po = Range.of(usd_per_million_input), Range.of(usd_per_million_output)
        for name, r in (("usd_per_million_input", pi), ("usd_per_million_output", po)):
            for part in r:
                v.non_negative(name, part)
        return Range(*(v.scalar_or_array((i * a + o * b) / 1e6) for a, b in zip(pi, po, strict=True)))
    pi = v.non_negative("usd_per_million_input", usd_per_million_input)
    po = v.non_negative("usd_per_million_output", usd_per_million_output)
    return v.scalar_or_array((i * pi + o * po) / 1e6)


@dataclass(frozen=True)
class TokenCosts:
    """Self-hosted serving cost per million tokens; see :func:`self_hosted_token_costs`."""

    accelerator: str
    params: float
    batch: float
    devices: float
    input_tokens_per_s: Any
    output_tokens_per_s: Any
    usd_per_million_input: Range
    usd_per_million_output: Range

    def as_dict(self) -> dict[str, Any]:
        """Plain data (Python floats where scalar)."""
        return {k: to_plain(getattr(self, k)) for k in self.__dataclass_fields__}

    def latency_s(self, input_tokens: ArrayLike, output_tokens: ArrayLike) -> Any:
        """Roofline floor on one request's latency: prefill, then one decode step per output token.

        ``input_tokens / input_tokens_per_s + output_tokens * batch / output_tokens_per_s``
        (a decode step serves the whole batch, so one sequence waits ``batch /
        output_tokens_per_s`` per token). Queueing and network time come on top.

        Examples
        --------
        >>> c = self_hosted_token_costs(7e9, "H100-SXM", batch=32, price_usd_per_hour=4.0)
        >>> round(c.latency_s(500, 200), 2)   # 14 ms prefill + 200 steps of 8.4 ms
        1.69
        """
        i = v.non_negative("input_tokens", input_tokens)
        o = v.non_negative("output_tokens", output_tokens)
        return v.scalar_or_array(i / self.input_tokens_per_s
                                 + o * self.batch / np.asarray(self.output_tokens_per_s))

    def cost_per_request_usd(self, input_tokens: ArrayLike, output_tokens: ArrayLike) -> Range:
        """USD per request at these token prices (:func:`cost_per_request`)."""
        return cost_per_request(input_tokens, output_tokens, self.usd_per_million_input,
                                self.usd_per_million_output)


def self_hosted_token_costs(params: float, accelerator: str | Accelerator, *, batch: float = 32,
                            devices: float = 1, precision: str = "bf16",
                            weight_precision: str | None = None, kv_cache_bytes: float = 0.0,
                            efficiency: float = 0.5, price_usd_per_hour: Any = None) -> TokenCosts:
    """Cost per million input and output tokens of serving a dense model on rented devices.

    Output tokens: the roofline decode step of :func:`decode_estimate` at ``batch``
    sequences. Input tokens (the prompt, and retrieved passages in RAG): prefill is a
    large matrix product, compute-bound, 2·P FLOP per token at ``efficiency`` of the
    dense peak. Both priced with :func:`cost_per_million` at ``price_usd_per_hour`` (default
    :func:`mltk.device_hour_price`, a Range). Assumes the devices are busy: idle hours
    raise the real cost in proportion.

    Parameters
    ----------
    params : float
        Model parameters (> 0).
    accelerator : str or Accelerator
        Catalog device.
    batch : float, default 32
        Sequences decoded together.
    devices : float, default 1
        Devices the model is split over.
    precision, weight_precision : str
        Compute precision and weight storage precision (see :func:`decode_estimate`).
    kv_cache_bytes : float, default 0
        KV-cache bytes read per sequence per step.
    efficiency : float, default 0.5
        Fraction of peak compute and bandwidth achieved, in (0, 1]; Databricks (2023)
        measure memory-bandwidth utilization around 0.5 to 0.6 for decoding.
    price_usd_per_hour : float or Range, optional
        Price of one device-hour.

    Examples
    --------
    A 7B model in bf16 on one H100-SXM (3.35 TB/s, 989 TFLOP/s dense bf16) at half of
    peak, 32 sequences at a time, 4 USD per device-hour: a decode step reads 14 GB in
    8.4 ms (3,829 output tokens/s); prefill runs at 35,336 input tokens/s:

    >>> c = self_hosted_token_costs(7e9, "H100-SXM", batch=32, price_usd_per_hour=4.0)
    >>> round(c.usd_per_million_output.mid, 3), round(c.usd_per_million_input.mid, 4)
    (0.29, 0.0314)
    """
    acc = _lookup(accelerator)
    p = float(v.positive("params", params))
    eta = float(v.fraction("efficiency", efficiency))
    n = float(v.at_least_one("devices", devices))
    dec = decode_estimate(p, acc, precision=precision, weight_precision=weight_precision,
                          batch=batch, kv_cache_bytes=kv_cache_bytes, devices=n, efficiency=eta)
    prefill = float(np.asarray(acc.peak_flops(precision))) * n * eta / (2.0 * p)
    price = price_usd_per_hour if price_usd_per_hour is not None else device_hour_price(acc)
    if price is None:
        raise InputError("price_usd_per_hour", None, f"a price: the catalog has none for {acc.name}")
    return TokenCosts(
        accelerator=acc.name, params=p, batch=float(batch), devices=n,
        input_tokens_per_s=prefill, output_tokens_per_s=dec.tokens_per_s,
        usd_per_million_input=Range.of(cost_per_million(prefill, Range.of(price), devices=n)),
        usd_per_million_output=Range.of(cost_per_million(dec.tokens_per_s, Range.of(price),
                                                         devices=n)))
