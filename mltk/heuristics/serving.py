"""Serving planner: prefill and decode on the roofline, latency targets, batching, cost per token.

A transformer serves a request in two phases. *Prefill* runs the whole prompt through
the model in one pass: thousands of tokens share each weight read, so it is
compute-bound and sets the time to first token (TTFT). *Decode* produces one token per
sequence per step: every step reads all the weights and every sequence's KV cache, so
it is memory-bound until the batch is large, and sets the time per output token (TPOT).
With tensor parallelism over t devices each layer adds two all-reduces of the
activations to every step. This module prices both phases with the roofline of
:mod:`mltk.heuristics.inference`, the KV-cache sizes of :mod:`mltk.heuristics.memory`
and the accelerator catalog, and searches the batch and device count that meet a
latency target at the lowest cost.

One forward pass (a prefill, a decode step, or a continuous-batching step mixing both)
over n new tokens with Σc attended (query, key) pairs costs

- FLOP = 2·P_active·n + 4·L·H·d_h·Σc (dense layers, then attention scores and values),
- bytes per device = P·w/t + kv_token·(tokens of KV read or written)/t_kv,
- time = max(FLOP/(t·R·η_c), bytes/(B_mem·η_m)) + 2·L·(α + 2(t−1)/t · n·h·2 / (B_link·η_l)),

where w is the bytes per weight, t_kv = min(t, KV heads) (a latent cache is not split),
R the dense peak at the compute precision, B_mem the memory bandwidth and B_link the
per-direction link bandwidth (half the catalog's bidirectional figure). Compute and
memory traffic overlap; the tensor-parallel all-reduce sits on the critical path.
Mixture-of-experts models read min(P, P_active·n) weight bytes per pass. With a decode
attention kernel that is not grouped-query-aware (``ServingEfficiency.grouped_kv_reads``
False, e.g. TensorRT-LLM before v0.8) a GQA model's cached tokens are read H/K times.

What is left out, so the figures are a forecast for a well-tuned stack, not a floor:
queueing delay (TTFT at a request rate near capacity grows without bound), CPU-side
scheduling and sampling, kernel launch gaps, speculative decoding, prefix caching and
pipeline parallelism.

Efficiency factors (:func:`default_efficiency`) are stated assumptions with sources,
chosen before the validation (:mod:`mltk.evidence.serving_validation`) and never
fitted to it.

Sources
-------
- Prefill and decode phases, TTFT and TPOT: Databricks/MosaicML, "LLM Inference
  Performance Engineering: Best Practices", 2023; Pope et al., "Efficiently Scaling
  Transformer Inference", MLSys 2023 (2·P FLOP per token, all-reduce per layer).
- Continuous (iteration-level) batching: Yu et al., "Orca", OSDI 2022; chunked prefill
  mixed into decode steps: Agrawal et al., "Sarathi-Serve", OSDI 2024.
- Ring all-reduce moves 2(t−1)/t of the message per device: Patarasuk and Yuan,
  "Bandwidth optimal all-reduce algorithms", JPDC 69(2), 2009.
- Grouped-query decode kernels: NVIDIA, "New XQA-kernel provides 2.4x more Llama-70B
  throughput within the same latency budget", TensorRT-LLM blog, 2024
  (nvidia.github.io/TensorRT-LLM/blogs/XQA-kernel.html).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from statistics import median
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.datafiles import opt_float, read_csv
from ..foundation.errors import InputError
from ..foundation.ranges import Range, to_plain
from .hardware import Accelerator, _precision_name
from .hardware import accelerator as _lookup
from .inference import cost_per_million
from .layouts import ring_all_reduce_seconds
from .memory import (
    DEFAULT_HEADROOM,
    bytes_per_element,
    kv_cache_bytes,
    latent_kv_cache_bytes,
    max_batch_size,
    usable_memory_bytes,
)
from .rent import check_rent_option, device_hour_price

__all__ = [
    "SERVING_PRECISIONS", "ServingEfficiency", "default_efficiency", "ModelShape", "model_shape",
    "model_shapes", "transformer_params", "PassCost", "forward_pass", "allreduce_seconds",
    "ServingEstimate", "generation_estimate", "continuous_batching_estimate", "ServingPlan",
    "plan_serving",
]

#: Weight and KV-cache precisions the planner knows (int4: two numbers per byte).
SERVING_PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "bf16", "fp8", "int8", "int4")

#: Bytes per activation element exchanged by the tensor-parallel all-reduce (fp16/bf16).
ACTIVATION_BYTES = bytes_per_element("bf16")

#: Tensor-parallel degrees tried by :func:`plan_serving` (one 8-device server at most).
TENSOR_PARALLEL_DEGREES: tuple[int, ...] = (1, 2, 4, 8)


# --------------------------------------------------------------------------- assumptions

@dataclass(frozen=True)
class ServingEfficiency:
    """Achievable fractions of the datasheet figures, and the all-reduce latency.

    Attributes
    ----------
    compute : float
        Fraction of the dense peak FLOP/s that matrix multiplications sustain.
    memory : float
        Fraction of the memory bandwidth that weight and KV-cache reads sustain.
    link : float
        Fraction of the per-direction device-to-device bandwidth an all-reduce sustains.
    allreduce_latency_s : float
        Fixed cost of one all-reduce (launch and synchronisation), in seconds.
    sources : dict
        Where each figure comes from.
    grouped_kv_reads : bool, default True
        Whether the decode attention kernel reads each key/value head once for its group
        of query heads (grouped-query-aware kernels: TensorRT-LLM's XQA from v0.8,
        FlashAttention, FlashInfer). False for a kernel that runs one query head at a
        time and so reads the cached keys and values heads/kv_heads times (TensorRT-LLM
        before v0.8, whose XQA kernel raised Llama-70B decode throughput up to 2.4x:
        nvidia.github.io/TensorRT-LLM/blogs/XQA-kernel.html). Reads through the L2
        cache are not credited, so False is the pessimistic end.
    """

    compute: float
    memory: float
    link: float
    allreduce_latency_s: float
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    grouped_kv_reads: bool = True

    def __post_init__(self) -> None:
        for name in ("compute", "memory", "link"):
            v.fraction(name, getattr(self, name))
        v.non_negative("allreduce_latency_s", self.allreduce_latency_s)


@cache
def default_efficiency() -> ServingEfficiency:
    """The planner's efficiency assumptions, each from a published source.

    - ``compute``: the median achieved/peak of the best-shape matrix multiplies in
      ``data/matmul_measurements.csv`` (A100 to B200, bf16 and fp8). Whole forward
      passes add attention and element-wise kernels, so this is an upper end.
    - ``memory``: 0.70, the low end of the 70-85% memory-bandwidth utilization that
      tuned CUDA serving stacks (vLLM, TensorRT-LLM) reach in decode, a rule of thumb
      (open-source-ai.tech glossary, "model bandwidth utilization"); a kernel-level
      profile of a 70B model served on H100s measured weight loads at 78% and KV-cache
      reads at 42% of peak (mikamirai.com, "GPU Memory Bandwidth: What Your Profiler
      Isn't Telling You", 2026).
    - ``link``: 370/450 = 0.82: NCCL reaches about 370 GB/s of the 450 GB/s per-direction
      NVLink 4 line rate, about 20% protocol overhead (NCCL maintainer S. Jeaugey,
      github.com/NVIDIA/nccl-tests issue 212, 2024).
    - ``allreduce_latency_s``: 6 µs, a small all-reduce between two H100s over NVLink
      with CUDA graphs (github.com/NVIDIA/nccl issue 1259, NCCL 2.20.5, 2024).
    - ``grouped_kv_reads``: True, a decode attention kernel that reads each key/value
      head once for its group of query heads, as current stacks do; TensorRT-LLM before
      v0.8 read it once per query head (its XQA kernel, added in v0.8, raised Llama-70B
      throughput up to 2.4x: nvidia.github.io/TensorRT-LLM/blogs/XQA-kernel.html).

    Examples
    --------
    >>> e = default_efficiency()
    >>> round(e.compute, 3), e.memory, round(e.link, 3), e.allreduce_latency_s
    (0.8, 0.7, 0.822, 6e-06)
    """
    rows = read_csv("matmul_measurements.csv")
    compute = median(float(r["achieved_flops"]) / float(r["reported_peak_flops"]) for r in rows)
    return ServingEfficiency(
        compute=compute, memory=0.70, link=370.0 / 450.0, allreduce_latency_s=6e-6,
        sources={
            "compute": f"median achieved/peak of the {len(rows)} rows of data/matmul_measurements.csv",
            "memory": "low end of 70-85% MBU of tuned CUDA stacks (open-source-ai.tech glossary, "
                      "model bandwidth utilization); 78% weight / 42% KV reads measured on H100 "
                      "(mikamirai.com, GPU Memory Bandwidth, 2026)",
            "link": "370 of 450 GB/s NVLink 4 per direction (NVIDIA/nccl-tests issue 212)",
            "allreduce_latency_s": "about 6 us for a small 2-GPU H100 NVLink all-reduce with CUDA "
                                   "graphs (NVIDIA/nccl issue 1259)",
            "grouped_kv_reads": "grouped-query-aware decode attention (TensorRT-LLM XQA from v0.8, "
                                "FlashAttention, FlashInfer); False for per-query-head kernels "
                                "(nvidia.github.io/TensorRT-LLM/blogs/XQA-kernel.html)",
        })


# --------------------------------------------------------------------------- model shapes

def transformer_params(layers: ArrayLike, hidden: ArrayLike, heads: ArrayLike, kv_heads: ArrayLike,
                       head_dim: ArrayLike, intermediate: ArrayLike, vocab: ArrayLike = 0,
                       tied_embeddings: bool = False):
    """Parameters of a Llama-style decoder (gated MLP, no biases; norms left out).

    Per layer: query and output projections 2·h·H·d_h, key and value projections
    2·h·K·d_h, a gated MLP 3·h·f; plus the input embedding and the output layer,
    v·h each (once if tied).

    Examples
    --------
    Llama-2-70B (80 layers, h = 8192, 64 query and 8 key/value heads of 128, f = 28672,
    32,000 tokens), 69 billion, and Llama-2-7B, 6.74 billion:

    >>> round(transformer_params(80, 8192, 64, 8, 128, 28672, 32000) / 1e9, 2)
    68.98
    >>> round(transformer_params(32, 4096, 32, 32, 128, 11008, 32000) / 1e9, 2)
    6.74
    """
    n_layers = v.positive("layers", layers)
    h = v.positive("hidden", hidden)
    a = v.positive("heads", heads)
    k = v.positive("kv_heads", kv_heads)
    d = v.positive("head_dim", head_dim)
    f = v.positive("intermediate", intermediate)
    voc = v.non_negative("vocab", vocab)
    per_layer = 2 * h * a * d + 2 * h * k * d + 3 * h * f
    return v.scalar_or_array(n_layers * per_layer + (1 if tied_embeddings else 2) * voc * h)


@dataclass(frozen=True)
class ModelShape:
    """The shape of a decoder that serving costs depend on.

    ``attention`` is ``"mha"`` (a key/value head per query head), ``"gqa"`` (grouped-query:
    ``kv_heads`` shared by ``heads``) or ``"mla"`` (multi-head latent attention: a
    ``kv_lora_rank`` latent plus a ``rope_head_dim`` rotary key per token and layer).
    """

    name: str
    attention: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    max_context: int
    params: float
    active_params: float
    kv_lora_rank: int = 0
    rope_head_dim: int = 0
    source: str = ""
    notes: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.attention not in ("mha", "gqa", "mla"):
            raise InputError("attention", self.attention, "'mha', 'gqa' or 'mla'")
        for name in ("layers", "hidden", "heads", "kv_heads", "head_dim", "max_context",
                     "params", "active_params"):
            v.positive(name, getattr(self, name))
        if self.active_params > self.params:
            raise InputError("active_params", self.active_params, f"at most params ({self.params:g})")
        if self.attention == "mla":
            v.positive("kv_lora_rank", self.kv_lora_rank)

    def kv_bytes_per_token(self, precision: str = "bf16") -> float:
        """KV-cache bytes one token adds, over all layers.

        Examples
        --------
        >>> model_shape("Llama-2-70B").kv_bytes_per_token("bf16")
        327680.0
        >>> model_shape("Llama-2-7B").kv_bytes_per_token("fp8")
        262144.0
        >>> model_shape("DeepSeek-V3").kv_bytes_per_token()
        70272.0
        """
        if self.attention == "mla":
            return float(latent_kv_cache_bytes(self.layers, self.kv_lora_rank, self.rope_head_dim,
                                               1, 1, precision))
        return float(kv_cache_bytes(self.layers, self.kv_heads, self.head_dim, 1, 1, precision))

    def kv_split(self, tensor_parallel: int) -> int:
        """Devices the KV cache is split over under ``tensor_parallel``-way tensor parallelism."""
        if self.attention == "mla":
            return 1  # the latent is shared by all heads, so every device keeps all of it
        return max(1, min(int(tensor_parallel), self.kv_heads))


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum() or ch == ".")


def _int(text: str) -> int:
    f = opt_float(text)
    return 0 if f is None else int(f)


@cache
def _shapes() -> dict[str, ModelShape]:
    out = {}
    for r in read_csv("model_shapes.csv"):
        layers, hidden, heads, kv = (_int(r[k]) for k in ("layers", "hidden", "heads", "kv_heads"))
        head_dim = _int(r["head_dim"])
        params = opt_float(r["params"])
        if params is None:
            params = float(transformer_params(layers, hidden, heads, kv, head_dim,
                                              _int(r["intermediate"]), _int(r["vocab"])))
        active = opt_float(r["active_params"]) or params
        out[r["name"]] = ModelShape(
            name=r["name"], attention=r["attention"], layers=layers, hidden=hidden, heads=heads,
            kv_heads=kv, head_dim=head_dim, max_context=_int(r["max_context"]), params=params,
            active_params=active, kv_lora_rank=_int(r["kv_lora_rank"]),
            rope_head_dim=_int(r["rope_head_dim"]), source=r["source"], notes=r["notes"],
            aliases=tuple(a.strip() for a in r["aliases"].split(";") if a.strip()))
    return out


def model_shapes() -> list[ModelShape]:
    """Every model of ``data/model_shapes.csv``.

    Examples
    --------
    >>> [m.name for m in model_shapes()][:2]
    ['Llama-2-7B', 'Llama-2-70B']
    """
    return list(_shapes().values())


def model_shape(name: str | ModelShape) -> ModelShape:
    """Look up a model by name or alias (case, spaces and '-' ignored).

    Examples
    --------
    >>> model_shape("llama-3.3-70b-instruct").name
    'Llama-3-70B'
    >>> model_shape("gpt-5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mltk.foundation.errors.InputError: model='gpt-5' is invalid: expected one of Llama-2-7B, ...
    """
    if isinstance(name, ModelShape):
        return name
    if isinstance(name, str):
        k = _key(name)
        for m in _shapes().values():
            if k in {_key(m.name), *(_key(a) for a in m.aliases)}:
                return m
    raise InputError("model", name, f"one of {', '.join(_shapes())} (or a ModelShape)")


# --------------------------------------------------------------------------- one forward pass

def _precision(name: str, value: str) -> str:
    try:
        p = _precision_name(value)
    except InputError:
        p = ""
    if p not in SERVING_PRECISIONS:
        raise InputError(name, value, f"one of {', '.join(SERVING_PRECISIONS)}")
    return p


def _compute_precision(acc: Accelerator, weight_precision: str) -> str:
    """Precision the matrix units run at: fp8 weights on fp8 hardware (W8A8), else 16-bit.

    int8 and int4 weights are taken as weight-only quantization (dequantized to 16 bits
    before the multiply), the common case for int4 (AWQ, GPTQ).
    """
    if weight_precision == "fp8" and "fp8" in acc.precisions:
        return "fp8"
    if weight_precision == "fp32":
        return "fp32"
    for p in (("fp16", "bf16") if weight_precision == "fp16" else ("bf16", "fp16")):
        if p in acc.precisions:
            return p
    return "fp32"


@dataclass(frozen=True)
class PassCost:
    """Time of one forward pass on a tensor-parallel group, and its three terms."""

    seconds: float
    compute_s: float
    memory_s: float
    allreduce_s: float
    flops: float
    bytes_per_device: float

    @property
    def bound(self) -> str:
        """The term that sets the time: ``"compute"``, ``"memory"`` or ``"allreduce"``."""
        terms = {"compute": self.compute_s, "memory": self.memory_s, "allreduce": self.allreduce_s}
        if self.allreduce_s > max(self.compute_s, self.memory_s):
            return "allreduce"
        return max(("compute", "memory"), key=lambda k: terms[k])

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {**{k: to_plain(getattr(self, k)) for k in self.__dataclass_fields__},
                "bound": self.bound}


def allreduce_seconds(message_bytes: ArrayLike, devices: ArrayLike, link_bandwidth_bytes_per_s: ArrayLike,
                      latency_s: ArrayLike = 0.0, link_efficiency: ArrayLike = 1.0):
    """Time of a ring all-reduce: α + 2(n−1)/n × bytes / (bandwidth × η); 0 on one device.

    The bandwidth term is :func:`mltk.heuristics.layouts.ring_all_reduce_seconds` at the
    achieved bandwidth; serving adds one fixed cost α per all-reduce (a calibrated launch and
    synchronisation cost, :class:`ServingEfficiency`) instead of a latency per ring step.

    Parameters
    ----------
    message_bytes : array_like
        Bytes each device contributes (>= 0).
    devices : array_like
        Devices in the group (>= 1).
    link_bandwidth_bytes_per_s : array_like
        Per-direction bandwidth of each device's links (> 0).
    latency_s : array_like, default 0
        Fixed cost per all-reduce (>= 0).
    link_efficiency : array_like, default 1
        Fraction of the bandwidth achieved, in (0, 1].

    Examples
    --------
    A 1 GB all-reduce over 8 devices at 450 GB/s moves 1.75 GB per device:

    >>> round(allreduce_seconds(1e9, 8, 450e9) * 1e3, 3)
    3.889
    >>> allreduce_seconds(1e9, 1, 450e9)
    0.0
    """
    m = v.non_negative("message_bytes", message_bytes)
    n = v.at_least_one("devices", devices)
    bw = v.positive("link_bandwidth_bytes_per_s", link_bandwidth_bytes_per_s)
    a = v.non_negative("latency_s", latency_s)
    eta = v.fraction("link_efficiency", link_efficiency)
    t = a + np.asarray(ring_all_reduce_seconds(m, n, bw * eta))
    return v.scalar_or_array(np.where(n > 1, t, 0.0))


@dataclass(frozen=True)
class _Setup:
    shape: ModelShape
    acc: Accelerator
    tp: int
    weight_precision: str
    kv_precision: str
    compute_precision: str
    eff: ServingEfficiency
    peak: float
    bandwidth: float
    link: float

    @property
    def weight_bytes(self) -> float:
        return self.shape.params * bytes_per_element(self.weight_precision)

    @property
    def kv_token(self) -> float:
        return self.shape.kv_bytes_per_token(self.kv_precision)


def _setup(model: str | ModelShape, accelerator: str | Accelerator, devices: Any,
           weight_precision: str, kv_precision: str | None,
           efficiency: ServingEfficiency | None) -> _Setup:
    shape = model_shape(model)
    acc = _lookup(accelerator)
    n = float(v.at_least_one("devices", devices))
    if not n.is_integer():
        raise InputError("devices", devices, "a whole number of devices")
    wp = _precision("weight_precision", weight_precision)
    if kv_precision is None:
        kp = {"int8": "fp8" if "fp8" in acc.precisions else "bf16", "int4": "bf16"}.get(wp, wp)
    else:
        kp = _precision("kv_precision", kv_precision)
        if kp == "int4":
            raise InputError("kv_precision", kv_precision, "fp32, fp16, bf16, fp8 or int8")
    cp = _compute_precision(acc, wp)
    if acc.memory_bandwidth_bytes_per_s is None or acc.memory_bytes is None:
        raise InputError("accelerator", acc.name, "a device with published memory size and bandwidth")
    if n > 1 and acc.interconnect_bandwidth_bytes_per_s is None:
        raise InputError("devices", int(n), f"1: the catalog has no link bandwidth for {acc.name}")
    link = (acc.interconnect_bandwidth_bytes_per_s or 1.0) / 2.0  # bidirectional -> per direction
    return _Setup(shape, acc, int(n), wp, kp, cp, efficiency or default_efficiency(),
                  acc.peak_flops(cp), acc.memory_bandwidth_bytes_per_s, link)


def _pass(s: _Setup, tokens: Any, attended: Any, kv_tokens: Any) -> PassCost:
    """One forward pass over ``tokens`` new tokens attending ``attended`` (query, key) pairs."""
    m = s.shape
    tokens = np.asarray(tokens, dtype=float)
    flops = 2.0 * m.active_params * tokens + 4.0 * m.layers * m.heads * m.head_dim * np.asarray(attended)
    weights_read = np.minimum(m.params, m.active_params * tokens) * bytes_per_element(s.weight_precision)
    kv = np.asarray(kv_tokens, dtype=float)
    if not s.eff.grouped_kv_reads and m.attention == "gqa":
        # a per-query-head kernel reads the cached (not the new) tokens once per query head
        kv = kv + (m.heads / m.kv_heads - 1.0) * np.maximum(kv - tokens, 0.0)
    moved = weights_read / s.tp + s.kv_token * kv / m.kv_split(s.tp)
    compute = flops / s.tp / (s.peak * s.eff.compute)
    memory = moved / (s.bandwidth * s.eff.memory)
    comm = 2 * m.layers * allreduce_seconds(tokens * m.hidden * ACTIVATION_BYTES, s.tp, s.link,
                                            s.eff.allreduce_latency_s, s.eff.link)
    total = np.maximum(compute, memory) + comm
    f = v.scalar_or_array
    return PassCost(f(total), f(compute), f(memory), f(np.asarray(comm, dtype=float)), f(flops), f(moved))


def forward_pass(model: str | ModelShape, accelerator: str | Accelerator, *, tokens: ArrayLike,
                 attended_pairs: ArrayLike = 0.0, kv_tokens: ArrayLike = 0.0, devices: int = 1,
                 weight_precision: str = "bf16", kv_precision: str | None = None,
                 efficiency: ServingEfficiency | None = None) -> PassCost:
    """Roofline time of one forward pass: the building block of prefill and decode.

    Parameters
    ----------
    model : str or ModelShape
        A model of :func:`model_shapes` or your own :class:`ModelShape`.
    accelerator : str or Accelerator
        Catalog device.
    tokens : array_like
        New tokens in the pass (a decode step: the batch; a prefill: batch × prompt).
    attended_pairs : array_like, default 0
        (query, key) pairs the attention scores (decode: Σ contexts; prefill of p tokens:
        p(p+1)/2 per sequence).
    kv_tokens : array_like, default 0
        Tokens of KV cache read or written (decode: Σ contexts; prefill: the prompt).
    devices : int, default 1
        Tensor-parallel degree.
    weight_precision, kv_precision : str
        Storage precisions (``kv_precision`` defaults to the weights', 16-bit for int4).
    efficiency : ServingEfficiency, optional
        Default :func:`default_efficiency`.

    Examples
    --------
    One decode step of Llama-2-70B in bf16 at batch 1 on one H200 is memory-bound:
    138 GB of weights at 70% of 4.8 TB/s take 41 ms:

    >>> p = forward_pass("Llama-2-70B", "H200", tokens=1)
    >>> round(p.memory_s * 1e3, 1), p.bound
    (41.1, 'memory')
    """
    s = _setup(model, accelerator, devices, weight_precision, kv_precision, efficiency)
    t = v.positive("tokens", tokens)
    return _pass(s, t, v.non_negative("attended_pairs", attended_pairs),
                 v.non_negative("kv_tokens", kv_tokens))


# --------------------------------------------------------------------------- estimates

@dataclass(frozen=True)
class ServingEstimate:
    """Latency, throughput, memory and cost of serving one model on one tensor-parallel group.

    Times in seconds, tokens per second for the whole group, bytes per device, money in
    USD. ``usd_per_million_*`` are None without a price.
    """

    model: str
    accelerator: str
    mode: str
    devices: int
    batch: float
    prompt_tokens: float
    output_tokens: float
    weight_precision: str
    kv_precision: str
    compute_precision: str
    ttft_s: float
    tpot_s: float
    tokens_per_s: float
    input_tokens_per_s: float
    requests_per_s: float
    prefill: PassCost
    decode: PassCost
    kv_cache_bytes_per_sequence_start: float
    kv_cache_bytes_per_sequence_end: float
    memory_bytes_per_device: float
    usable_bytes_per_device: float
    fits: bool
    max_batch: int
    price_usd_per_hour: Any
    usd_per_million_input_tokens: Any
    usd_per_million_output_tokens: Any

    @property
    def bound(self) -> str:
        """What limits the time per output token: the decode step's largest term."""
        return self.decode.bound

    def as_dict(self) -> dict[str, Any]:
        """Plain data (ranges as low/mid/high)."""
        out: dict[str, Any] = {}
        for k in self.__dataclass_fields__:
            x = getattr(self, k)
            out[k] = x.as_dict() if isinstance(x, PassCost) else to_plain(x)
        out["bound"] = self.bound
        return out


def _price(acc: Accelerator, price_usd_per_hour: Any, rent_option: str | None = None) -> Any:
    """The price of a device-hour: given (a float or Range), else a rent option's or the default range.

    ``rent_option`` (``"on_demand"``, ``"commit_1y"``, ``"commit_3y"``, ``"spot"``) picks that
    option's price from :func:`mltk.device_hour_price`; without it the default range (low =
    spot with its preemption overhead, mid = high = on demand). A given price wins: pass
    the owned cost per busy device-hour of :func:`mltk.tco` (``own_usd_per_device_hour``)
    to price owned hardware.
    """
    if rent_option is not None:
        check_rent_option(rent_option)
    if price_usd_per_hour is None:
        return device_hour_price(acc, rent_option)
    if isinstance(price_usd_per_hour, Range | list | tuple | dict):
        return Range.coerce(price_usd_per_hour, "price_usd_per_hour", "positive")
    return float(v.positive("price_usd_per_hour", price_usd_per_hour))


def _costs(price: Any, devices: int, input_rate: float, output_rate: float) -> tuple[Any, Any]:
    if price is None:
        return None, None
    return (cost_per_million(input_rate, price, devices) if input_rate > 0 else None,
            cost_per_million(output_rate, price, devices))


def _whole(name: str, value: Any, minimum: int = 1) -> float:
    x = float(v.at_least_one(name, value)) if minimum == 1 else float(v.positive(name, value))
    if not x.is_integer():
        raise InputError(name, value, f"a whole number >= {minimum}")
    return x


def _check_context(shape: ModelShape, prompt: float, output: float) -> None:
    if prompt + output > shape.max_context:
        raise InputError("prompt_tokens", prompt,
                         f"prompt_tokens + output_tokens <= {shape.max_context}, the context of "
                         f"{shape.name} (got {prompt:g} + {output:g})")


def _memory(s: _Setup, batch: float, context: float, headroom: float) -> tuple[float, float, int]:
    kv_per_device = s.kv_token * context / s.shape.kv_split(s.tp)
    need = s.weight_bytes / s.tp + batch * kv_per_device
    usable = float(usable_memory_bytes(s.acc, headroom))
    max_batch = int(max_batch_size(s.weight_bytes / s.tp, kv_per_device, s.acc, 1, headroom)) \
        if kv_per_device > 0 else 0
    return need, usable, max_batch


def generation_estimate(model: str | ModelShape, accelerator: str | Accelerator, *,
                        prompt_tokens: ArrayLike, output_tokens: ArrayLike, batch: ArrayLike = 1,
                        devices: int = 1, weight_precision: str = "bf16",
                        kv_precision: str | None = None, efficiency: ServingEfficiency | None = None,
                        price_usd_per_hour: Any = None, rent_option: str | None = None,
                        headroom: float = DEFAULT_HEADROOM) -> ServingEstimate:
    """A static batch: ``batch`` prompts prefilled together, then decoded to the end together.

    TTFT is the prefill of batch × prompt tokens; then each of the ``output_tokens`` − 1
    decode steps reads the weights once and every sequence's growing KV cache
    (prompt + k tokens at step k). Throughput is batch × output / (prefill + all steps),
    as offline benchmarks such as TensorRT-LLM's ``gptSessionBenchmark`` measure it.

    Costs split the device time by phase: an input token costs its share of the
    prefill, an output token one decode step's device time divided by the batch.

    Parameters
    ----------
    model : str or ModelShape
        See :func:`model_shape`.
    accelerator : str or Accelerator
        Catalog device.
    prompt_tokens, output_tokens : int
        Tokens per request (prompt >= 1, output >= 1); their sum must fit the model's context.
    batch : int, default 1
        Sequences in the batch (>= 1).
    devices : int, default 1
        Tensor-parallel degree.
    weight_precision : str, default "bf16"
        One of :data:`SERVING_PRECISIONS`; fp8 computes in fp8 where the device can,
        int8/int4 are weight-only (16-bit compute).
    kv_precision : str, optional
        Default: the weights' (fp8 for int8 weights where the device has fp8, bf16 for int4).
    efficiency : ServingEfficiency, optional
        Default :func:`default_efficiency`.
    price_usd_per_hour : float, Range or (low, mid, high), optional
        Price of one device-hour (any rent option, or the owned cost per busy device-hour of
        :func:`mltk.tco`); default :func:`mltk.device_hour_price`.
    rent_option : {"on_demand", "commit_1y", "commit_3y", "spot"}, optional
        Price at that rent option of the catalog or the team's provider (ignored when
        ``price_usd_per_hour`` is given); default: the range spot (low) to on demand.
    headroom : float, default 0.9
        Usable fraction of device memory.

    Returns
    -------
    ServingEstimate

    Raises
    ------
    mltk.foundation.errors.InputError
        For a context longer than the model's, a batch below 1, an unknown precision.

    Examples
    --------
    Llama-2-70B in fp8 on 4 H100-SXM, 64 sequences of 128 + 128 tokens:

    >>> e = generation_estimate("Llama-2-70B", "H100-SXM", prompt_tokens=128, output_tokens=128,
    ...                         batch=64, devices=4, weight_precision="fp8")
    >>> round(e.ttft_s * 1e3), round(e.tpot_s * 1e3, 1), round(e.tokens_per_s), e.bound
    (266, 9.2, 5705, 'memory')
    """
    s = _setup(model, accelerator, devices, weight_precision, kv_precision, efficiency)
    b = _whole("batch", batch)
    p = _whole("prompt_tokens", prompt_tokens)
    o = _whole("output_tokens", output_tokens)
    _check_context(s.shape, p, o)
    prefill = _pass(s, b * p, b * p * (p + 1) / 2, b * p)
    ctx = p + np.arange(1, max(o, 2.0))  # contexts of decode steps 1 .. o-1 (one step if o == 1)
    steps = _pass(s, np.full_like(ctx, b), b * ctx, b * ctx)
    step_s = np.atleast_1d(steps.seconds)
    n_steps = int(o) - 1
    decode_total = float(step_s[:n_steps].sum())
    tpot = float(step_s.mean()) if n_steps == 0 else decode_total / n_steps
    mid = _pass(s, b, b * (p + o / 2), b * (p + o / 2))
    total = prefill.seconds + decode_total
    need, usable, max_batch = _memory(s, b, p + o, headroom)
    price = _price(s.acc, price_usd_per_hour, rent_option)
    c_in, c_out = _costs(price, s.tp, b * p / prefill.seconds, b / tpot)
    return ServingEstimate(
        model=s.shape.name, accelerator=s.acc.name, mode="static batch", devices=s.tp, batch=b,
        prompt_tokens=p, output_tokens=o, weight_precision=s.weight_precision,
        kv_precision=s.kv_precision, compute_precision=s.compute_precision,
        ttft_s=float(prefill.seconds), tpot_s=tpot, tokens_per_s=b * o / total,
        input_tokens_per_s=b * p / total, requests_per_s=b / total, prefill=prefill, decode=mid,
        kv_cache_bytes_per_sequence_start=s.kv_token * p,
        kv_cache_bytes_per_sequence_end=s.kv_token * (p + o),
        memory_bytes_per_device=need, usable_bytes_per_device=usable, fits=need <= usable,
        max_batch=max_batch, price_usd_per_hour=price, usd_per_million_input_tokens=c_in,
        usd_per_million_output_tokens=c_out)


def _mix(prompt_tokens: Any, output_tokens: Any, shares: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.atleast_1d(v.at_least_one("prompt_tokens", prompt_tokens))
    o = np.atleast_1d(v.at_least_one("output_tokens", output_tokens))
    if p.shape != o.shape:
        raise InputError("output_tokens", output_tokens, f"as many entries as prompt_tokens ({p.size})")
    w = np.ones_like(p) if shares is None else np.atleast_1d(v.positive("shares", shares))
    if w.shape != p.shape:
        raise InputError("shares", shares, f"as many entries as prompt_tokens ({p.size})")
    return p, o, w / w.sum()


def continuous_batching_estimate(model: str | ModelShape, accelerator: str | Accelerator, *,
                                 prompt_tokens: ArrayLike, output_tokens: ArrayLike,
                                 batch: ArrayLike = 1, devices: int = 1, shares: ArrayLike | None = None,
                                 weight_precision: str = "bf16", kv_precision: str | None = None,
                                 efficiency: ServingEfficiency | None = None,
                                 price_usd_per_hour: Any = None, rent_option: str | None = None,
                                 headroom: float = DEFAULT_HEADROOM) -> ServingEstimate:
    """Steady state of continuous batching with ``batch`` requests in flight, for a request mix.

    Requests join and leave the batch at every step (Orca's iteration-level scheduling)
    and prompts are prefilled in chunks inside the decode steps (Sarathi-Serve). In steady
    state each step decodes one token for each of the B requests and prefills
    B·E[p]/E[o] prompt tokens (each request's prompt once over its E[o] steps); decode
    tokens attend their request's current context, on average the output-weighted
    E[o·(p + o/2)]/E[o]. TPOT is that step's time; TTFT is a lone prefill of the mean
    prompt plus the step under way (no queueing). Output tokens/s = B / TPOT.

    Costs split each step's device time between the phases in proportion to the time
    each would take alone.

    Parameters
    ----------
    prompt_tokens, output_tokens : int or sequence of int
        Token counts of the request types in the mix (>= 1 each).
    shares : sequence of float, optional
        Relative frequency of each request type (default equal).
    batch : int, default 1
        Requests in flight (the concurrency).
    model, accelerator, devices, weight_precision, kv_precision : see below
        As in :func:`generation_estimate`.
    efficiency, price_usd_per_hour, rent_option, headroom : see below
        As in :func:`generation_estimate`.

    Returns
    -------
    ServingEstimate

    Examples
    --------
    Llama-3-70B in fp8 on 2 H100-SXM, 25 requests of 5000 prompt and 500 output tokens:

    >>> e = continuous_batching_estimate("Llama-3-70B", "H100-SXM", prompt_tokens=5000,
    ...     output_tokens=500, batch=25, devices=2, weight_precision="fp8", kv_precision="bf16")
    >>> round(e.ttft_s * 1e3), round(e.tpot_s * 1e3, 1), round(e.tokens_per_s)
    (296, 27.1, 921)
    """
    s = _setup(model, accelerator, devices, weight_precision, kv_precision, efficiency)
    b = _whole("batch", batch)
    p, o, w = _mix(prompt_tokens, output_tokens, shares)
    for pi, oi in zip(p, o, strict=True):
        _check_context(s.shape, pi, oi)
    mean_p, mean_o = float(w @ p), float(w @ o)
    ctx = float(w @ (o * (p + o / 2)) / mean_o)
    pf_tokens = b * mean_p / mean_o
    pf_pairs = b * float(w @ (p * (p + 1) / 2)) / mean_o
    step = _pass(s, b + pf_tokens, b * ctx + pf_pairs, b * ctx + pf_tokens)
    alone_pf = _pass(s, pf_tokens, pf_pairs, pf_tokens).seconds
    alone_dec = _pass(s, b, b * ctx, b * ctx)
    lone = _pass(s, mean_p, mean_p * (mean_p + 1) / 2, mean_p)
    tpot = float(step.seconds)
    share_in = alone_pf / (alone_pf + alone_dec.seconds)
    need, usable, max_batch = _memory(s, b, float(w @ (p + o)), headroom)
    price = _price(s.acc, price_usd_per_hour, rent_option)
    c_in, c_out = _costs(price, s.tp, pf_tokens / (tpot * share_in), b / (tpot * (1 - share_in)))
    return ServingEstimate(
        model=s.shape.name, accelerator=s.acc.name, mode="continuous batching", devices=s.tp,
        batch=b, prompt_tokens=mean_p, output_tokens=mean_o, weight_precision=s.weight_precision,
        kv_precision=s.kv_precision, compute_precision=s.compute_precision,
        ttft_s=float(lone.seconds) + tpot, tpot_s=tpot, tokens_per_s=b / tpot,
        input_tokens_per_s=pf_tokens / tpot, requests_per_s=b / (mean_o * tpot), prefill=lone,
        decode=step, kv_cache_bytes_per_sequence_start=s.kv_token * mean_p,
        kv_cache_bytes_per_sequence_end=s.kv_token * (mean_p + mean_o),
        memory_bytes_per_device=need, usable_bytes_per_device=usable, fits=need <= usable,
        max_batch=max_batch, price_usd_per_hour=price, usd_per_million_input_tokens=c_in,
        usd_per_million_output_tokens=c_out)


# --------------------------------------------------------------------------- the planner

@dataclass(frozen=True)
class ServingPlan:
    """The cheapest batch and device count meeting a load and latency targets, or why none does.

    ``binding`` names what limits the plan: for a feasible plan what stops a replica
    taking a larger batch (``"tpot_target"``, ``"ttft_target"``, ``"memory_capacity"``,
    ``"max_batch"``), or ``"load"`` where one replica below those limits serves the whole
    load; for an infeasible one the target missed and the term that sets it
    (e.g. ``"tpot_target: memory"``, ``"ttft_target: compute"``, ``"memory_capacity:
    weights"``).
    """

    feasible: bool
    binding: str
    message: str
    model: str
    accelerator: str
    requests_per_s: float
    tensor_parallel: int
    batch: int
    replicas: int
    devices: int
    estimate: ServingEstimate | None
    cost_usd_per_hour: Any

    @property
    def ttft_s(self) -> float | None:
        """Time to first token of the plan (None if infeasible)."""
        return None if self.estimate is None else self.estimate.ttft_s

    @property
    def tpot_s(self) -> float | None:
        """Time per output token of the plan."""
        return None if self.estimate is None else self.estimate.tpot_s

    @property
    def tokens_per_s(self) -> float | None:
        """Output tokens per second at the requested load (all replicas)."""
        if self.estimate is None:
            return None
        return self.requests_per_s * self.estimate.output_tokens

    def as_dict(self) -> dict[str, Any]:
        """Plain data: the summary keys, then the estimate."""
        e = self.estimate
        return {
            "feasible": self.feasible, "binding": self.binding, "message": self.message,
            "model": self.model, "accelerator": self.accelerator,
            "requests_per_s": self.requests_per_s, "tensor_parallel": self.tensor_parallel,
            "batch": self.batch, "replicas": self.replicas, "devices": self.devices,
            "ttft_s": self.ttft_s, "tpot_s": self.tpot_s, "tokens_per_s": self.tokens_per_s,
            "usd_per_million_input_tokens": None if e is None else to_plain(e.usd_per_million_input_tokens),
            "usd_per_million_output_tokens": None if e is None else to_plain(e.usd_per_million_output_tokens),
            "cost_usd_per_hour": to_plain(self.cost_usd_per_hour),
            "estimate": None if e is None else e.as_dict(),
        }


def _batches(limit: int) -> list[int]:
    out, b = [], 1
    while b <= limit:
        out.append(b)
        b *= 2
    if out and out[-1] != limit:
        out.append(limit)
    return out


def plan_serving(model: str | ModelShape, accelerator: str | Accelerator, *, requests_per_s: float,
                 prompt_tokens: ArrayLike, output_tokens: ArrayLike, shares: ArrayLike | None = None,
                 ttft_target_s: float | None = None, tpot_target_s: float | None = None,
                 weight_precision: str = "bf16", kv_precision: str | None = None,
                 efficiency: ServingEfficiency | None = None, price_usd_per_hour: Any = None,
                 rent_option: str | None = None,
                 tensor_parallel: tuple[int, ...] = TENSOR_PARALLEL_DEGREES, max_batch: int = 1024,
                 headroom: float = DEFAULT_HEADROOM) -> ServingPlan:
    """Batch, tensor-parallel degree and replicas that serve a load within latency targets, cheapest.

    For each tensor-parallel degree whose devices hold the weights, and each batch
    (powers of two up to what memory holds and ``max_batch``), the steady state of
    :func:`continuous_batching_estimate` gives TTFT, TPOT and requests per second per
    replica; replicas = ceil(load / per-replica rate). The plan meeting both targets
    with the fewest devices wins (ties: the lower TPOT). Queueing is not modelled, so
    leave margin below a TTFT target at high load.

    Parameters
    ----------
    requests_per_s : float
        Load to serve (> 0).
    ttft_target_s, tpot_target_s : float, optional
        Latency targets in seconds (> 0); None for no target.
    tensor_parallel : tuple of int, default (1, 2, 4, 8)
        Degrees to try.
    max_batch : int, default 1024
        Largest batch a replica may run.
    model, accelerator, prompt_tokens, output_tokens, shares : see below
        As in :func:`continuous_batching_estimate`.
    weight_precision, kv_precision, efficiency, price_usd_per_hour, rent_option, headroom : see below
        As in :func:`continuous_batching_estimate`.

    Returns
    -------
    ServingPlan
        ``feasible`` False with ``binding`` naming the term when no configuration meets
        the targets on this device.

    Examples
    --------
    200 requests per second of Llama-3-70B (1000 prompt, 200 output tokens), first token
    under 500 ms and 30 ms per output token, on H100-SXM in fp8:

    >>> plan = plan_serving("Llama-3-70B", "H100-SXM", requests_per_s=200, prompt_tokens=1000,
    ...                     output_tokens=200, ttft_target_s=0.5, tpot_target_s=0.03,
    ...                     weight_precision="fp8")
    >>> plan.feasible, plan.tensor_parallel, plan.batch, plan.devices, plan.binding
    (True, 2, 64, 28, 'tpot_target')

    A 5 ms per-token target cannot be met: reading the weights takes longer.

    >>> plan_serving("Llama-3-70B", "H100-SXM", requests_per_s=1, prompt_tokens=1000,
    ...              output_tokens=200, tpot_target_s=0.005).binding
    'tpot_target: memory'
    """
    rate = float(v.positive("requests_per_s", requests_per_s))
    ttft_t = None if ttft_target_s is None else float(v.positive("ttft_target_s", ttft_target_s))
    tpot_t = None if tpot_target_s is None else float(v.positive("tpot_target_s", tpot_target_s))
    cap = int(_whole("max_batch", max_batch))
    degrees = sorted({int(_whole("tensor_parallel", t)) for t in tensor_parallel})
    shape, acc = model_shape(model), _lookup(accelerator)
    p, o, w = _mix(prompt_tokens, output_tokens, shares)
    price = _price(acc, price_usd_per_hour, rent_option)
    mid_price = None if price is None else float(Range.of(price).mid)
    common = dict(prompt_tokens=p, output_tokens=o, shares=w, weight_precision=weight_precision,
                  kv_precision=kv_precision, efficiency=efficiency, price_usd_per_hour=price,
                  headroom=headroom)

    best: tuple[tuple[float, float], ServingPlan] | None = None
    closest: ServingEstimate | None = None   # batch 1 at the largest degree that fits
    for t in degrees:
        if t > 1 and acc.interconnect_bandwidth_bytes_per_s is None:
            continue
        one = continuous_batching_estimate(shape, acc, batch=1, devices=t, **common)
        if one.max_batch < 1:
            continue
        closest = one
        limit = min(one.max_batch, cap)
        feasible: list[ServingEstimate] = []
        stop = "max_batch" if limit == cap else "memory_capacity"
        for b in _batches(limit):
            e = one if b == 1 else continuous_batching_estimate(shape, acc, batch=b, devices=t, **common)
            if tpot_t is not None and e.tpot_s > tpot_t:
                stop = "tpot_target"
                break
            if ttft_t is not None and e.ttft_s > ttft_t:
                stop = "ttft_target"
                break
            feasible.append(e)
        for e in feasible:
            replicas = math.ceil(rate / e.requests_per_s - 1e-9)
            n = replicas * t
            key = (n * (mid_price or 1.0), e.tpot_s)
            if best is None or key < best[0]:
                binding = "load" if replicas == 1 and e is not feasible[-1] else stop
                why = ("one replica below its limits serves the load" if binding == "load"
                       else f"a larger batch is limited by {stop}")
                msg = (f"{n} x {acc.name}: {replicas} replica(s) of tensor-parallel {t} at batch "
                       f"{int(e.batch)}; {why}")
                best = (key, ServingPlan(True, binding, msg, shape.name, acc.name, rate, t, int(e.batch),
                                         replicas, n, e, None if price is None else price * n))
    if best is not None:
        return best[1]

    # nothing meets the targets: say which term is binding
    if closest is None:
        binding = "memory_capacity: weights"
        msg = (f"{shape.name} in {weight_precision} does not fit on {max(degrees)} x {acc.name} "
               f"with room for one sequence's KV cache")
    else:
        if tpot_t is not None and closest.tpot_s > tpot_t:
            binding = f"tpot_target: {closest.decode.bound}"
            msg = (f"even at batch 1 on {closest.devices} x {acc.name} a token takes "
                   f"{closest.tpot_s * 1e3:.3g} ms (target {tpot_t * 1e3:.3g} ms), set by "
                   f"{closest.decode.bound}")
        else:
            assert ttft_t is not None
            binding = f"ttft_target: {closest.prefill.bound}"
            msg = (f"even at batch 1 on {closest.devices} x {acc.name} the first token takes "
                   f"{closest.ttft_s * 1e3:.3g} ms (target {ttft_t * 1e3:.3g} ms), set by "
                   f"prefill {closest.prefill.bound}")
    return ServingPlan(False, binding, f"cannot meet the target on this device: {msg}", shape.name,
                       acc.name, rate, 0, 0, 0, 0, None, None)
