"""Parallel training layouts: memory, step time, MFU and HFU from the model, the cluster and the layout.

A *layout* splits a transformer's training step over ``devices = tp × cp × pp × dp × ep``
accelerators: tensor parallelism (``tp``, Shoeybi et al. 2019), context parallelism (``cp``,
the sequence split across devices), pipeline parallelism (``pp`` stages, each holding
``virtual_stages`` interleaved chunks, Narayanan et al. 2021), data parallelism (``dp``,
optionally with ZeRO stage 1-3 / FSDP sharding, Rajbhandari et al. 2020) and expert
parallelism (``ep``: the experts of a mixture-of-experts layer spread over ``ep`` groups,
which the dense layers see as extra data parallelism, as Megatron-LM folds them).
Devices are placed inner to outer in the order tp, cp, ep, pp, dp: a group stays inside
one node (NVLink) when the product of its own and the inner degrees is at most
``devices_per_node``, and crosses the inter-node network otherwise.

The step time is a sum of explicit terms, each a closed form (see :func:`evaluate_layout`):

* **compute**: matrix-multiply FLOPs at the best measured matmul throughput of the device
  (``mltk/data/matmul_measurements.csv``: the maximum achievable matmul FLOP/s found by a
  shape scan), FlashAttention at its published kernel efficiency
  (:data:`ATTENTION_KERNEL_EFFICIENCY`, the causal half of the scores only), plus the
  memory-bound element-wise work (layer norms, dropout, residuals,
  activation functions, and the attention scores unless FlashAttention keeps them on chip)
  at the catalog's memory bandwidth, then :data:`KERNEL_OVERHEAD` for everything else
  (kernel launches, synchronisation, data loading), the low end of the 15-25 % overhead
  Hooda (2023) observes for well-fed kernels.
* **tensor-parallel communication**: per layer and micro-batch, 2 all-reduces forward and
  2 backward (Megatron's f/g operators), 2 more when the forward is recomputed; with
  sequence parallelism each becomes a reduce-scatter plus an all-gather of the same total
  cost, plus one all-gather redone for selective recomputation (Korthikanti et al. 2022).
  Not overlapped with compute.
* **pipeline bubble**: (pp - 1) / (v · m) of the per-micro-batch busy time for the 1F1B
  schedule with v interleaved stages and m micro-batches (Narayanan et al. 2021, eq. 1-2),
  plus the point-to-point sends between stages (scatter/gather optimisation: 1/tp of the
  activation crosses the network).
* **data-parallel reduction**: fp32 gradients, ring all-reduce (ZeRO 0) or reduce-scatter
  plus all-gather of the bf16 weights (ZeRO 1-3), overlapped with the backward pass of
  the last micro-batch; ZeRO-3 also gathers the weights before each micro-batch.
* **context parallelism**: keys and values all-gathered forward, all-gathered and their
  gradients reduce-scattered backward (the all-gather scheme of Llama 3, Dubey et al. 2024).
* **expert all-to-all**: dispatch and combine, forward and backward, per MoE layer.
* **optimizer**: Adam reads and writes :data:`OPTIMIZER_BYTES_PER_PARAM` bytes per local
  parameter at the memory bandwidth.

Collectives use the textbook ring costs (Thakur et al. 2005; Patarasuk and Yuan 2009) with
the link bandwidth per direction (the catalog's interconnect bandwidth is bidirectional,
so half of it; the inter-node figure from the assumptions file) times the bus efficiency
NCCL achieves on it (:data:`NVLINK_BUS_EFFICIENCY`, :data:`NETWORK_BUS_EFFICIENCY`, from
published nccl-tests runs), and a latency per step from the assumptions file.

Model FLOPs follow the PaLM convention (Chowdhery et al. 2022, appendix B) that Megatron-LM
and Llama 3 use for MFU: 6 × (active parameters) + 12 × layers × hidden × sequence per
token, attention counted without the causal mask; hardware FLOPs add recomputation.

Memory per device: weights, gradients, master weights and Adam states (16 bytes per
parameter in mixed precision, sharded per ZeRO stage; :func:`mltk.training_memory_bytes`),
plus the activations of the micro-batches in flight on the first pipeline stage
(:func:`mltk.activation_memory_bytes`, Korthikanti et al. 2022, times pp for 1F1B and
pp·(1 + (pp-1)/(pp·v)) when interleaved), against the usable memory (catalog memory ×
:data:`mltk.heuristics.memory.DEFAULT_HEADROOM`).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation.checks import integer
from ..foundation.datafiles import read_csv
from ..foundation.errors import InputError
from .hardware import Accelerator
from .hardware import accelerator as _lookup
from .memory import (
    DEFAULT_HEADROOM,
    activation_memory_bytes,
    bytes_per_element,
    kv_cache_bytes,
    training_memory_bytes,
)

__all__ = [
    "Transformer", "Layout", "LayoutResult", "KERNEL_OVERHEAD", "OPTIMIZER_BYTES_PER_PARAM",
    "RECOMPUTE_MODES", "ring_all_reduce_seconds", "all_gather_seconds", "reduce_scatter_seconds",
    "all_to_all_seconds", "matmul_efficiency", "evaluate_layout", "valid_layouts", "search_layouts",
]

#: Fraction added to kernel time for launches, synchronisation and data loading: the low end
#: of the 15-25 % overhead Hooda (2023) observes for well-fed kernels.
KERNEL_OVERHEAD = 0.15
#: Bytes Adam reads and writes per local parameter in its step: fp32 weight, gradient and
#: two moments read (16), weight and moments written (12), a bf16 copy written (2), rounded.
OPTIMIZER_BYTES_PER_PARAM = 32.0
#: Bytes per gradient element in the data-parallel reduction (fp32, as Megatron-LM and
#: Llama 3 reduce gradients).
GRAD_REDUCE_BYTES = bytes_per_element("fp32")
#: Activation recomputation modes (Korthikanti et al. 2022).
RECOMPUTE_MODES: tuple[str, ...] = ("none", "selective", "full")
_ACT_BYTES = bytes_per_element("bf16")   # bf16/fp16 activations and weights on the wire
#: Achieved bus bandwidth of a large NCCL all-reduce over NVLink / the link's bandwidth per
#: direction: 208 GB/s of 300 GB/s on 8 A100 SXM4 (nccl-tests issue #178, "A100 - All reduce
#: performance"; about 200 GB/s in issue #149).
NVLINK_BUS_EFFICIENCY = 208.0 / 300.0
#: The same over the inter-node network: 84.8 GB/s average of 100 GB/s (4 HDR 200 Gb/s per
#: 8 A100s) across 3 nodes (nccl-tests issue #119, "Evaluation of NCCL test result").
NETWORK_BUS_EFFICIENCY = 84.8 / 100.0
#: Fraction of the dense peak a FlashAttention-2 kernel reaches, by catalog device (FLOPs of
#: causal attention counted once, as the kernel papers count them): 50-73 % on A100 (Dao 2023,
#: arXiv:2307.08691; mid-point used), 35 % on H100 (Shah et al. 2024, FlashAttention-3,
#: arXiv:2407.08608, which itself reaches 75 %). H200 has the H100's compute.
ATTENTION_KERNEL_EFFICIENCY: dict[str, float] = {
    "A100-40GB": 0.615, "A100-80GB": 0.615, "H100-SXM": 0.35, "H100-PCIe": 0.35, "H200": 0.35,
}
#: For other devices: their matmul efficiency times the mean of the two published ratios of
#: attention to matmul efficiency (0.615 / 0.859 on A100, 0.35 / 0.801 on H100).
ATTENTION_TO_MATMUL_RATIO = (0.615 / 0.859 + 0.35 / 0.801) / 2.0


@dataclass(frozen=True)
class Transformer:
    """A decoder-only transformer's shape.

    Parameters
    ----------
    layers, hidden, heads : int
        Transformer blocks L, hidden size h, attention (query) heads a.
    vocab, seq_len : int
        Vocabulary size V and training sequence length s in tokens.
    kv_heads : int, optional
        Key/value heads (grouped-query attention); default ``heads`` (multi-head).
    ffn_hidden : int, optional
        Feed-forward inner size; default 4h.
    gated_mlp : bool, default False
        SwiGLU-style feed-forward with three matrices (Llama) instead of two (GPT).
    experts, experts_per_token : int, default 1
        Mixture of experts: feed-forward experts per layer and experts each token visits.
    tied_embeddings : bool, default True
        Whether the output layer shares the input embedding matrix.

    Examples
    --------
    GPT-3 175B (96 layers, h = 12288, 96 heads, V = 51200):

    >>> m = Transformer(layers=96, hidden=12288, heads=96, vocab=51200, seq_len=2048)
    >>> round(m.params / 1e9, 1)
    174.6
    """

    layers: int
    hidden: int
    heads: int
    vocab: int
    seq_len: int
    kv_heads: int | None = None
    ffn_hidden: int | None = None
    gated_mlp: bool = False
    experts: int = 1
    experts_per_token: int = 1
    tied_embeddings: bool = True

    def __post_init__(self) -> None:
        for name in ("layers", "hidden", "heads", "vocab", "seq_len", "experts", "experts_per_token"):
            integer(name, getattr(self, name))
        for name in ("kv_heads", "ffn_hidden"):
            if getattr(self, name) is not None:
                integer(name, getattr(self, name))
        if self.hidden % self.heads:
            raise InputError("hidden", self.hidden, f"a multiple of heads={self.heads}")
        if self.heads % self.kv_heads_:
            raise InputError("kv_heads", self.kv_heads, f"a divisor of heads={self.heads}")
        if self.experts_per_token > self.experts:
            raise InputError("experts_per_token", self.experts_per_token,
                             f"at most experts={self.experts}")

    @property
    def kv_heads_(self) -> int:
        """Key/value heads in force (``heads`` when not given)."""
        return self.heads if self.kv_heads is None else self.kv_heads

    @property
    def ffn(self) -> int:
        """Feed-forward inner size in force (4h when not given)."""
        return 4 * self.hidden if self.ffn_hidden is None else self.ffn_hidden

    @property
    def head_dim(self) -> int:
        """h / a."""
        return self.hidden // self.heads

    @property
    def attention_params_per_layer(self) -> float:
        """Q and output projections (2h²) plus K and V (2·h·kv·d)."""
        h = self.hidden
        return 2.0 * h * h + 2.0 * h * self.kv_heads_ * self.head_dim

    @property
    def expert_params(self) -> float:
        """Parameters of one feed-forward expert (2 or 3 matrices of h × ffn)."""
        return (3.0 if self.gated_mlp else 2.0) * self.hidden * self.ffn

    @property
    def embedding_params(self) -> float:
        """V·h, twice when the output layer is not tied."""
        return self.vocab * self.hidden * (1.0 if self.tied_embeddings else 2.0)

    @property
    def params(self) -> float:
        """All parameters (matrices; biases and norms, under 0.1 %, are left out)."""
        per_layer = self.attention_params_per_layer + self.experts * self.expert_params
        return self.layers * per_layer + self.embedding_params

    @property
    def active_params(self) -> float:
        """Parameters one token uses: attention, ``experts_per_token`` experts, the output layer."""
        per_layer = self.attention_params_per_layer + self.experts_per_token * self.expert_params
        return self.layers * per_layer + self.vocab * self.hidden

    @property
    def model_flops_per_token(self) -> float:
        """Training FLOPs per token, PaLM convention: 6·N_active + 12·L·h·s."""
        return 6.0 * self.active_params + 12.0 * self.layers * self.hidden * self.seq_len


@dataclass(frozen=True)
class Layout:
    """How a training step is split over devices.

    Parameters
    ----------
    tp, pp, dp : int, default 1
        Tensor-, pipeline- and data-parallel degrees.
    ep, cp : int, default 1
        Expert- and context-parallel degrees.
    virtual_stages : int, default 1
        Interleaved pipeline chunks per device (v); 1 is the plain 1F1B schedule.
    micro_batch : int, default 1
        Sequences per micro-batch.
    zero_stage : {0, 1, 2, 3}, default 1
        ZeRO sharding of optimizer states (1), gradients (2) and weights (3, = FSDP) over dp.
    recompute : {"none", "selective", "full"}, default "selective"
    sequence_parallel : bool, default True
        Split layer norms and dropout along the sequence over the tp group.
    flash_attention : bool, default True
        Attention scores stay on chip (Dao et al. 2022): no score traffic or memory, and the
        masked half of causal attention is skipped.
    uneven_stages : bool, default False
        Allow pp × virtual_stages not dividing the layers: the busiest stage then holds
        ceil(layers / (pp·v)) layers per chunk (Llama 3 405B's 126 layers on 16 stages).
    """

    tp: int = 1
    pp: int = 1
    dp: int = 1
    ep: int = 1
    cp: int = 1
    virtual_stages: int = 1
    micro_batch: int = 1
    zero_stage: int = 1
    recompute: str = "selective"
    sequence_parallel: bool = True
    flash_attention: bool = True
    uneven_stages: bool = False

    @property
    def devices(self) -> int:
        """tp × cp × pp × dp × ep."""
        return self.tp * self.cp * self.pp * self.dp * self.ep


@dataclass(frozen=True)
class LayoutResult:
    """One layout evaluated (SI units: bytes, s, FLOP/s)."""

    layout: Layout
    fits: bool
    memory_bytes_per_device: float
    usable_memory_bytes: float
    shortfall_bytes: float
    memory_breakdown_bytes: dict[str, float]
    step_time_s: float
    breakdown_s: dict[str, float]
    tokens_per_s: float
    model_flops_per_s_per_device: float
    hardware_flops_per_s_per_device: float
    mfu: float
    hfu: float
    micro_batches: int
    devices: int
    accelerator: str
    assumptions: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        d = asdict(self)
        d["layout"] = asdict(self.layout)
        return d


# --------------------------------------------------------------------------- collectives

def ring_all_reduce_seconds(bytes_: ArrayLike, n: ArrayLike, bandwidth_bytes_per_s: ArrayLike,
                            latency_s: ArrayLike = 0.0):
    """Time of a ring all-reduce: 2(n-1)/n · bytes / bw + 2(n-1) · latency.

    Each device sends and receives 2(n-1)/n of the buffer (a reduce-scatter then an
    all-gather, Patarasuk and Yuan 2009); ``bandwidth_bytes_per_s`` is per device and per
    direction. n = 1 costs nothing.

    Examples
    --------
    1 GB over 8 devices at 100 GB/s: 2 · 7/8 · 10 ms = 17.5 ms:

    >>> ring_all_reduce_seconds(1e9, 8, 100e9)
    0.0175
    >>> float(ring_all_reduce_seconds(1e9, 1, 100e9))
    0.0
    """
    b, n_, bw, lat = (np.asarray(x, dtype=float) for x in (bytes_, n, bandwidth_bytes_per_s, latency_s))
    out = 2.0 * (n_ - 1.0) / n_ * b / bw + 2.0 * (n_ - 1.0) * lat
    return out if out.ndim else float(out)


def all_gather_seconds(bytes_: ArrayLike, n: ArrayLike, bandwidth_bytes_per_s: ArrayLike,
                       latency_s: ArrayLike = 0.0):
    """Time of a ring all-gather of a ``bytes_`` result: (n-1)/n · bytes / bw + (n-1) · latency.

    Examples
    --------
    >>> all_gather_seconds(1e9, 8, 100e9)
    0.00875
    """
    b, n_, bw, lat = (np.asarray(x, dtype=float) for x in (bytes_, n, bandwidth_bytes_per_s, latency_s))
    out = (n_ - 1.0) / n_ * b / bw + (n_ - 1.0) * lat
    return out if out.ndim else float(out)


def reduce_scatter_seconds(bytes_: ArrayLike, n: ArrayLike, bandwidth_bytes_per_s: ArrayLike,
                           latency_s: ArrayLike = 0.0):
    """Time of a ring reduce-scatter of a ``bytes_`` input: the same cost as an all-gather.

    Examples
    --------
    >>> reduce_scatter_seconds(1e9, 8, 100e9) + all_gather_seconds(1e9, 8, 100e9)
    0.0175
    """
    return all_gather_seconds(bytes_, n, bandwidth_bytes_per_s, latency_s)


def all_to_all_seconds(bytes_: ArrayLike, n: ArrayLike, bandwidth_bytes_per_s: ArrayLike,
                       latency_s: ArrayLike = 0.0):
    """Time of an all-to-all of ``bytes_`` per device: (n-1)/n · bytes / bw + (n-1) · latency.

    Each device keeps 1/n of its buffer and sends the rest, one message per peer
    (pairwise exchange, Thakur et al. 2005).

    Examples
    --------
    >>> all_to_all_seconds(8e8, 8, 100e9, 1e-6)
    0.007007
    """
    b, n_, bw, lat = (np.asarray(x, dtype=float) for x in (bytes_, n, bandwidth_bytes_per_s, latency_s))
    out = (n_ - 1.0) / n_ * b / bw + (n_ - 1.0) * lat
    return out if out.ndim else float(out)


# --------------------------------------------------------------------------- device figures

@cache
def _matmul_rows() -> tuple[tuple[str, str, float, float], ...]:
    rows = []
    for r in read_csv("matmul_measurements.csv"):
        rows.append((r["accelerator"], r["precision"], float(r["achieved_flops"]),
                     float(r["reported_peak_flops"])))
    return tuple(rows)


def matmul_efficiency(accelerator: str | Accelerator, precision: str = "bf16") -> float:
    """Best measured matmul throughput over the catalog's dense peak, for a device and precision.

    From ``mltk/data/matmul_measurements.csv`` (maximum achievable matmul FLOP/s, each row
    with its source); for a device without a measurement, the median over all rows.

    Examples
    --------
    >>> round(matmul_efficiency("A100-80GB"), 3)
    0.859
    >>> round(matmul_efficiency("H100-SXM"), 3)
    0.801
    """
    acc = _lookup(accelerator) if isinstance(accelerator, str) else accelerator
    peak = acc.peak_flops(precision)
    measured = [a / peak for name, p, a, _ in _matmul_rows() if name == acc.name and p == precision]
    if measured:
        return max(measured)
    return statistics.median(a / pk for _, _, a, pk in _matmul_rows())


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _check_layout(model: Transformer, layout: Layout, global_batch: int, devices: int) -> None:
    """Raise InputError naming the parameters and listing valid choices."""
    for name in ("tp", "pp", "dp", "ep", "cp", "virtual_stages", "micro_batch"):
        integer(name, getattr(layout, name))
    if layout.zero_stage not in (0, 1, 2, 3) or isinstance(layout.zero_stage, bool):
        raise InputError("zero_stage", layout.zero_stage, "0, 1, 2 or 3")
    if layout.recompute not in RECOMPUTE_MODES:
        raise InputError("recompute", layout.recompute, f"one of {', '.join(RECOMPUTE_MODES)}")
    if model.heads % layout.tp or model.kv_heads_ % layout.tp and layout.tp % model.kv_heads_:
        ok = [d for d in _divisors(model.heads) if model.kv_heads_ % d == 0 or d % model.kv_heads_ == 0]
        raise InputError("tp", layout.tp, f"a divisor of heads={model.heads} (valid: {ok})")
    stages = layout.pp * layout.virtual_stages
    if model.layers % stages and not layout.uneven_stages:
        ok = [d for d in _divisors(model.layers) if d % layout.virtual_stages == 0]
        raise InputError("pp", layout.pp,
                         f"pp × virtual_stages dividing layers={model.layers} "
                         f"(valid pp × virtual_stages: {ok})")
    if model.experts % layout.ep:
        raise InputError("ep", layout.ep, f"a divisor of experts={model.experts} "
                         f"(valid: {_divisors(model.experts)})")
    if model.seq_len % layout.cp:
        raise InputError("cp", layout.cp, f"a divisor of seq_len={model.seq_len}")
    if layout.devices != devices:
        inner = layout.devices // layout.dp
        hint = (f"valid: dp={devices // inner} for these tp, cp, pp, ep" if devices % inner == 0
                else f"with these tp, cp, pp, ep the devices must be a multiple of {inner}")
        raise InputError("devices", devices,
                         f"tp × cp × pp × dp × ep = {layout.tp} × {layout.cp} × {layout.pp} × "
                         f"{layout.dp} × {layout.ep} = {layout.devices} ({hint})")
    replicas = layout.dp * layout.ep
    if global_batch % (replicas * layout.micro_batch):
        ok = [d for d in _divisors(global_batch // replicas) if d <= 64] if global_batch % replicas == 0 \
            else []
        raise InputError("micro_batch", layout.micro_batch,
                         f"global_batch={global_batch} split over dp × ep = {replicas} replicas in "
                         f"whole micro-batches (valid micro_batch: {ok or 'none: change dp'})")


# --------------------------------------------------------------------------- the model

@dataclass(frozen=True)
class _Cluster:
    peak: float
    eta: float
    eta_attn: float
    mem_bw: float
    memory: float
    intra_bw: float
    inter_bw: float
    intra_lat: float
    inter_lat: float
    per_node: int


def _cluster(accelerator: str | Accelerator, precision: str, devices_per_node: int,
             inter_node_bandwidth_bytes_per_s_per_device: float | None,
             intra_node_latency_s: float | None, inter_node_latency_s: float | None) -> _Cluster:
    from ..foundation.assumptions import assumptions

    a = assumptions()
    inter = (a.inter_node_bandwidth_bytes_per_s_per_device
             if inter_node_bandwidth_bytes_per_s_per_device is None
             else inter_node_bandwidth_bytes_per_s_per_device)
    if isinstance(inter, bool) or not (isinstance(inter, int | float) and math.isfinite(inter) and inter > 0):
        raise InputError("inter_node_bandwidth_bytes_per_s_per_device", inter, "a number > 0")
    lats = []
    for name, given, default in (("intra_node_latency_s", intra_node_latency_s, a.intra_node_latency_s),
                                 ("inter_node_latency_s", inter_node_latency_s, a.inter_node_latency_s)):
        x = default if given is None else given
        if isinstance(x, bool) or not (isinstance(x, int | float) and math.isfinite(x) and x >= 0):
            raise InputError(name, x, "a number of seconds >= 0")
        lats.append(float(x))
    name = accelerator if isinstance(accelerator, str) else accelerator.name
    return _cluster_cached(name, precision, devices_per_node, float(inter), lats[0], lats[1])


@lru_cache(maxsize=256)
def _cluster_cached(name: str, precision: str, per_node: int, inter: float, intra_lat: float,
                    inter_lat: float) -> _Cluster:
    acc = _lookup(name)
    if acc.memory_bytes is None or acc.memory_bandwidth_bytes_per_s is None:
        raise InputError("accelerator", acc.name, "a catalog device with memory size and bandwidth")
    link = acc.interconnect_bandwidth_bytes_per_s
    net = inter * NETWORK_BUS_EFFICIENCY
    intra = link / 2.0 * NVLINK_BUS_EFFICIENCY if link else net   # catalog figure is bidirectional
    eta = matmul_efficiency(acc, precision)
    return _Cluster(peak=acc.peak_flops(precision), eta=eta,
                    eta_attn=ATTENTION_KERNEL_EFFICIENCY.get(acc.name, eta * ATTENTION_TO_MATMUL_RATIO),
                    mem_bw=acc.memory_bandwidth_bytes_per_s,
                    memory=acc.memory_bytes * DEFAULT_HEADROOM, intra_bw=max(intra, net),
                    inter_bw=net, intra_lat=intra_lat, inter_lat=inter_lat, per_node=per_node)


def _link(c: _Cluster, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bandwidth and latency of a group whose devices span ``span`` consecutive ranks."""
    inside = span <= c.per_node
    return np.where(inside, c.intra_bw, c.inter_bw), np.where(inside, c.intra_lat, c.inter_lat)


def _core(m: Transformer, c: _Cluster, global_batch: int, tp: np.ndarray, pp: np.ndarray,
          dp: np.ndarray, ep: np.ndarray, cp: np.ndarray, v: np.ndarray, mb: np.ndarray,
          zero: int, recompute: str, sp: bool, flash: bool,
          uneven: bool = False) -> dict[str, np.ndarray]:
    """The formulas, vectorised over layout arrays (the categorical choices are scalars)."""
    h, a, L, V, f = float(m.hidden), float(m.heads), float(m.layers), float(m.vocab), float(m.ffn)
    s = m.seq_len / cp                               # tokens per device per sequence
    replicas = dp * ep
    n_micro = global_batch / (replicas * mb)         # micro-batches per step per replica
    layers_stage = np.ceil(L / (pp * v)) * v if uneven else L / pp
    e = _ACT_BYTES
    # ---- FLOPs per layer per micro-batch per device (forward)
    dense = m.attention_params_per_layer + m.experts_per_token * m.expert_params
    mm_fwd = 2.0 * mb * s * dense / tp                          # matmuls with weights
    attn_fwd = 4.0 * mb * s * m.seq_len * h / tp                # QK^T and AV (no causal mask)
    # FlashAttention skips the masked half and runs at its own (published) efficiency;
    # without it the scores are batched matmuls at the matmul efficiency.
    attn_eff = c.eta_attn if flash else c.eta
    attn_time_fwd = attn_fwd * (0.5 if flash else 1.0)
    logits_fwd = 2.0 * mb * s * V * h / tp                      # output layer, last stage
    extra_mm = {"none": 0.0, "selective": 0.0, "full": 1.0}[recompute]
    extra_attn = 0.0 if recompute == "none" else 1.0            # selective recomputes attention
    hw_layer = (3.0 + extra_mm) * mm_fwd + (3.0 + extra_attn) * attn_fwd
    layer_kernel_s = (3.0 + extra_mm) * mm_fwd / (c.peak * c.eta) \
        + (3.0 + extra_attn) * attn_time_fwd / (c.peak * attn_eff)
    # ---- memory-bound element-wise traffic per layer per micro-batch per device (bytes)
    sbh = e * mb * s * h
    split_sp = tp if sp else 1.0
    ew_fwd = 10.0 * sbh / split_sp + 2.0 * (f / h) * sbh / tp   # norms, dropout, residual, act.
    scores = 0.0 if flash else e * mb * a * s * m.seq_len / tp
    ew_layer = (3.0 + extra_mm) * ew_fwd + (3.0 + extra_mm) * 6.5 * scores \
        + (4.5 * scores if recompute == "selective" else 0.0)
    compute_mb = (layers_stage * (layer_kernel_s + ew_layer / c.mem_bw)
                  + 3.0 * logits_fwd / pp / (c.peak * c.eta)) * (1.0 + KERNEL_OVERHEAD)
    # ---- tensor parallel: all-reduce equivalents per layer per micro-batch
    tp_bw, tp_lat = _link(c, tp)
    n_ar = 4.0 + (2.0 if recompute == "full" else 0.0) + (1.0 if sp and recompute == "selective" else 0.0)
    tp_mb = np.where(tp > 1, n_ar * layers_stage
                     * ring_all_reduce_seconds(sbh, tp, tp_bw, tp_lat), 0.0)
    # ---- context parallel: all-gather K and V (fwd, bwd) and reduce-scatter their gradients
    cp_bw, cp_lat = _link(c, tp * cp)
    kv_bytes = kv_cache_bytes(1, m.kv_heads_, m.head_dim, m.seq_len, mb, "bf16") / tp   # one layer's K, V
    cp_mb = np.where(cp > 1, 3.0 * layers_stage * all_gather_seconds(kv_bytes, cp, cp_bw, cp_lat), 0.0)
    # ---- expert all-to-all: dispatch + combine, forward and backward
    ep_bw, ep_lat = _link(c, tp * cp * ep)
    a2a_bytes = e * mb * s * h * m.experts_per_token / split_sp
    moe = 1.0 if m.experts > 1 else 0.0
    ep_mb = moe * np.where(ep > 1, 4.0 * layers_stage * all_to_all_seconds(a2a_bytes, ep, ep_bw, ep_lat), 0.0)
    busy_mb = compute_mb + tp_mb + cp_mb + ep_mb
    # ---- pipeline: bubble and point-to-point sends (1/tp crosses the link, then all-gather)
    pp_bw, pp_lat = _link(c, tp * cp * ep * pp)
    p2p_one = sbh / tp / pp_bw + pp_lat
    p2p = np.where(pp > 1, 2.0 * v * n_micro * p2p_one, 0.0)
    bubble = (pp - 1.0) / v * busy_mb               # = (pp-1)/(v·m) of the m·busy_mb of work
    # ---- parameters per device
    dense_params_dev = (L * (m.attention_params_per_layer + 0.0) + m.embedding_params / 1.0) / (tp * pp)
    expert_params_dev = L * m.experts * m.expert_params / (tp * pp * ep)
    params_dev = dense_params_dev + expert_params_dev
    # ---- data parallel reduction, overlapped with the last micro-batch's backward pass
    dp_bw, dp_lat = _link(c, tp * cp * ep * pp * dp)
    g_dense = GRAD_REDUCE_BYTES * dense_params_dev
    g_exp = GRAD_REDUCE_BYTES * expert_params_dev
    n_dense, n_exp = replicas * cp, dp * cp                    # cp ranks also hold the gradients
    if zero == 0:
        t_dp = ring_all_reduce_seconds(g_dense, n_dense, dp_bw, dp_lat) \
            + ring_all_reduce_seconds(g_exp, n_exp, dp_bw, dp_lat)
    else:
        t_dp = reduce_scatter_seconds(g_dense, n_dense, dp_bw, dp_lat) \
            + reduce_scatter_seconds(g_exp, n_exp, dp_bw, dp_lat) \
            + all_gather_seconds(e / GRAD_REDUCE_BYTES * g_dense, n_dense, dp_bw, dp_lat) \
            + all_gather_seconds(e / GRAD_REDUCE_BYTES * g_exp, n_exp, dp_bw, dp_lat)
    t_dp = np.where(n_dense > 1, t_dp, 0.0)
    bwd_last = compute_mb * 2.0 / 3.0
    dp_exposed = np.maximum(0.0, t_dp - bwd_last)
    if zero == 3:   # weights gathered before each micro-batch's forward and backward
        gather = all_gather_seconds(e * params_dev, n_dense, dp_bw, dp_lat)
        dp_exposed = dp_exposed + n_micro * np.maximum(0.0, 2.0 * gather - compute_mb)
    # ---- optimizer step
    shard = 1.0 if zero == 0 else n_dense
    optimizer = OPTIMIZER_BYTES_PER_PARAM * params_dev / shard / c.mem_bw
    compute = n_micro * compute_mb
    breakdown = {
        "compute": compute,
        "tensor_parallel": n_micro * tp_mb,
        "context_parallel": n_micro * cp_mb,
        "expert_all_to_all": n_micro * ep_mb,
        "pipeline_bubble": bubble,
        "pipeline_p2p": p2p,
        "data_parallel_exposed": dp_exposed,
        "optimizer": optimizer,
    }
    step = sum(breakdown.values())
    tokens = global_batch * m.seq_len
    devices = tp * cp * pp * dp * ep
    model_flops = tokens * m.model_flops_per_token
    hw_total = (hw_layer * L / pp * n_micro + 3.0 * logits_fwd / pp * n_micro) * devices
    hw_total = np.maximum(hw_total, model_flops)
    # ---- memory per device
    states = training_memory_bytes(dense_params_dev, "mixed", "adam", zero_stage=zero,
                                   data_parallel=n_dense) \
        + training_memory_bytes(expert_params_dev, "mixed", "adam",
                                zero_stage=zero, data_parallel=n_exp)
    act_mode = "selective" if (flash and recompute == "none") else recompute
    act_layer = activation_memory_bytes(1, h, s, mb, a, "bf16", act_mode,
                                        tensor_parallel=tp, sequence_parallel=sp)
    in_flight = np.where(v > 1, pp * (1.0 + (pp - 1.0) / (pp * v)), pp)
    in_flight = np.minimum(in_flight, np.maximum(n_micro, 1.0))
    activations = act_layer * layers_stage * in_flight
    if recompute == "full":   # plus one layer's working set while it is recomputed
        activations = activations + activation_memory_bytes(1, h, s, mb, a, "bf16", "selective",
                                                            tensor_parallel=tp, sequence_parallel=sp)
    weights_b = e * params_dev / (n_dense if zero == 3 else 1.0)
    total = states + activations
    return {"step": step, "breakdown": breakdown, "tokens_per_s": tokens / step,
            "model_fps": model_flops / step / devices, "hw_fps": hw_total / step / devices,
            "memory": total, "mem_weights": weights_b, "mem_states": states - weights_b,
            "mem_activations": activations, "n_micro": n_micro}


def evaluate_layout(model: Transformer, layout: Layout, *, global_batch: int,
                    accelerator: str | Accelerator, devices: int | None = None,
                    devices_per_node: int = 8, precision: str = "bf16",
                    inter_node_bandwidth_bytes_per_s_per_device: float | None = None,
                    intra_node_latency_s: float | None = None,
                    inter_node_latency_s: float | None = None) -> LayoutResult:
    """Memory per device, step time and its breakdown, throughput, MFU and HFU of one layout.

    Parameters
    ----------
    model : Transformer
    layout : Layout
    global_batch : int
        Sequences per optimizer step.
    accelerator : str or Accelerator
        Catalog device; its peak at ``precision``, memory, memory bandwidth and intra-node
        link (``interconnect_bandwidth_bytes_per_s``, halved: the catalog figure counts both
        directions) are used.
    devices : int, optional
        Total devices; must equal tp × cp × pp × dp × ep (default: that product).
    devices_per_node : int, default 8
        Devices sharing the intra-node link (NVLink domain).
    precision : str, default "bf16"
        Matmul precision (peak and matmul efficiency).
    inter_node_bandwidth_bytes_per_s_per_device, intra_node_latency_s, inter_node_latency_s : float, optional
        Network figures; default from the assumptions file.

    Returns
    -------
    LayoutResult
        ``fits`` is False (with ``shortfall_bytes``) when the layout needs more memory than
        the device offers; that is a result, not an error.

    Raises
    ------
    mltk.foundation.errors.InputError
        tp not dividing the heads, pp × virtual_stages not dividing the layers, the degrees
        not multiplying to ``devices``, a micro-batch that does not divide the batch per
        replica: the message names the parameter and lists valid choices.

    Examples
    --------
    GPT-3 175B on 64 A100s as Korthikanti et al. (2022) ran it (tp 8, pp 8, 3 interleaved
    stages, batch 64, sequence parallelism and selective recomputation, no FlashAttention);
    they measured 51.4 % MFU:

    >>> m = Transformer(layers=96, hidden=12288, heads=96, vocab=51200, seq_len=2048)
    >>> lay = Layout(tp=8, pp=8, dp=1, virtual_stages=3, zero_stage=0, recompute="selective",
    ...              flash_attention=False)
    >>> r = evaluate_layout(m, lay, global_batch=64, accelerator="A100-80GB",
    ...                     inter_node_bandwidth_bytes_per_s_per_device=25e9)
    >>> r.fits, round(r.mfu, 2), round(r.step_time_s, 1)
    (True, 0.54, 13.0)

    A tensor-parallel degree that does not divide the heads is an input error:

    >>> evaluate_layout(m, Layout(tp=5), global_batch=64, accelerator="A100-80GB")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mltk.foundation.errors.InputError: tp=5 is invalid: expected a divisor of heads=96 (valid: [1, 2, ...])
    """
    if not isinstance(model, Transformer):
        raise InputError("model", model, "a mltk Transformer")
    if not isinstance(layout, Layout):
        raise InputError("layout", layout, "a mltk Layout")
    gb = integer("global_batch", global_batch)
    n = layout.devices if devices is None else integer("devices", devices)
    integer("devices_per_node", devices_per_node)
    _check_layout(model, layout, gb, n)
    c = _cluster(accelerator, precision, devices_per_node, inter_node_bandwidth_bytes_per_s_per_device,
                 intra_node_latency_s, inter_node_latency_s)
    arr = {k: np.asarray(float(getattr(layout, k))) for k in ("tp", "pp", "dp", "ep", "cp")}
    r = _core(model, c, gb, arr["tp"], arr["pp"], arr["dp"], arr["ep"], arr["cp"],
              np.asarray(float(layout.virtual_stages)), np.asarray(float(layout.micro_batch)),
              layout.zero_stage, layout.recompute, bool(layout.sequence_parallel),
              bool(layout.flash_attention), bool(layout.uneven_stages))
    mem = float(r["memory"])
    return LayoutResult(
        layout=layout, fits=mem <= c.memory, memory_bytes_per_device=mem,
        usable_memory_bytes=c.memory, shortfall_bytes=max(0.0, mem - c.memory),
        memory_breakdown_bytes={"weights": float(r["mem_weights"]),
                                "gradients_and_optimizer": float(r["mem_states"]),
                                "activations": float(r["mem_activations"])},
        step_time_s=float(r["step"]), breakdown_s={k: float(x) for k, x in r["breakdown"].items()},
        tokens_per_s=float(r["tokens_per_s"]), model_flops_per_s_per_device=float(r["model_fps"]),
        hardware_flops_per_s_per_device=float(r["hw_fps"]), mfu=float(r["model_fps"]) / c.peak,
        hfu=float(r["hw_fps"]) / c.peak, micro_batches=int(round(float(r["n_micro"]))), devices=n,
        accelerator=(accelerator if isinstance(accelerator, str) else accelerator.name),
        assumptions={"matmul_efficiency": c.eta, "attention_kernel_efficiency": c.eta_attn,
                     "kernel_overhead": KERNEL_OVERHEAD,
                     "intra_node_bus_bandwidth_bytes_per_s": c.intra_bw,
                     "inter_node_bus_bandwidth_bytes_per_s_per_device": c.inter_bw,
                     "intra_node_latency_s": c.intra_lat, "inter_node_latency_s": c.inter_lat,
                     "usable_memory_fraction": DEFAULT_HEADROOM})


def valid_layouts(model: Transformer, devices: int, global_batch: int, *, max_tp: int | None = None,
                  micro_batches: tuple[int, ...] | None = None, ep: int = 1, cp: int = 1,
                  virtual_stages: tuple[int, ...] = (1, 2, 3, 4, 6, 8)) -> np.ndarray:
    """Every (tp, pp, dp, v, micro_batch) that satisfies the divisibility rules, as rows.

    tp runs over the divisors of the heads compatible with the KV heads (up to ``max_tp``,
    default no limit), pp over the divisors of the devices, v over ``virtual_stages`` with
    pp × v dividing the layers, the micro-batch over ``micro_batches`` (default every
    divisor of the per-replica batch up to 16).

    Examples
    --------
    >>> m = Transformer(layers=32, hidden=4096, heads=32, vocab=32000, seq_len=4096)
    >>> rows = valid_layouts(m, 16, 64)
    >>> rows.shape[1], bool((rows[:, 0] * rows[:, 1] * rows[:, 2] == 16).all())
    (5, True)
    """
    n = integer("devices", devices)
    gb = integer("global_batch", global_batch)
    out = []
    for tp in _divisors(n):
        if (max_tp is not None and tp > max_tp) or model.heads % tp \
                or (model.kv_heads_ % tp and tp % model.kv_heads_):
            continue
        for pp in _divisors(n // tp):
            if (n // tp // pp) % (ep * cp):
                continue
            dp = n // (tp * pp * ep * cp)
            if gb % (dp * ep):
                continue
            per_replica = gb // (dp * ep)
            mbs = micro_batches if micro_batches is not None else \
                [d for d in _divisors(per_replica) if d <= 16]
            for v in virtual_stages:
                if model.layers % (pp * v) or (v > 1 and pp == 1):
                    continue
                for mb in mbs:
                    if per_replica % mb == 0:
                        out.append((tp, pp, dp, v, mb))
    return np.asarray(out, dtype=float).reshape(-1, 5)


def search_layouts(model: Transformer, devices: int, global_batch: int, *,
                   accelerator: str | Accelerator, top: int = 5, devices_per_node: int = 8,
                   precision: str = "bf16", ep: int = 1, cp: int = 1,
                   zero_stages: tuple[int, ...] = (0, 1, 2, 3),
                   recompute_modes: tuple[str, ...] = RECOMPUTE_MODES, flash_attention: bool = True,
                   inter_node_bandwidth_bytes_per_s_per_device: float | None = None
                   ) -> list[LayoutResult]:
    """The fastest ``top`` layouts that fit, over every valid layout (vectorised).

    Searches every row of :func:`valid_layouts` (tp, pp, dp, interleaving, micro-batch) times
    the ZeRO stages and recomputation modes, with sequence parallelism on; one vectorised
    evaluation per (ZeRO stage, recomputation) pair.

    Returns
    -------
    list of LayoutResult
        Fastest first; empty when nothing fits.

    Examples
    --------
    >>> m = Transformer(layers=32, hidden=4096, heads=32, vocab=32000, seq_len=4096)
    >>> best = search_layouts(m, 16, 64, accelerator="H100-SXM", top=3)
    >>> len(best), all(r.fits for r in best), best[0].step_time_s <= best[-1].step_time_s
    (3, True, True)
    """
    rows = valid_layouts(model, devices, global_batch, ep=ep, cp=cp)
    if rows.size == 0:
        return []
    c = _cluster(accelerator, precision, devices_per_node, inter_node_bandwidth_bytes_per_s_per_device,
                 None, None)
    tp, pp, dp, v, mb = rows.T
    e_arr, c_arr = np.full_like(tp, float(ep)), np.full_like(tp, float(cp))
    candidates: list[tuple[float, int, int, str]] = []
    for zero in zero_stages:
        for rec in recompute_modes:
            r = _core(model, c, global_batch, tp, pp, dp, e_arr, c_arr, v, mb, zero, rec, True,
                      flash_attention)
            ok = np.flatnonzero(r["memory"] <= c.memory)
            for i in ok[np.argsort(r["step"][ok])][:top]:
                candidates.append((float(r["step"][i]), int(i), zero, rec))
    candidates.sort(key=lambda t: t[0])
    out = []
    for _, i, zero, rec in candidates[:top]:
        lay = Layout(tp=int(tp[i]), pp=int(pp[i]), dp=int(dp[i]), ep=ep, cp=cp,
                     virtual_stages=int(v[i]), micro_batch=int(mb[i]), zero_stage=zero,
                     recompute=rec, sequence_parallel=True, flash_attention=flash_attention)
        out.append(evaluate_layout(model, lay, global_batch=global_batch, accelerator=accelerator,
                                   devices=devices, devices_per_node=devices_per_node,
                                   precision=precision,
                                   inter_node_bandwidth_bytes_per_s_per_device=(
                                       inter_node_bandwidth_bytes_per_s_per_device)))
    return out
