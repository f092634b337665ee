"""Memory sizing: training state, activations, KV cache, serving footprint and device counts.

Every function returns bytes (or a device count) and broadcasts over numpy arrays.

Sources
-------
- Training state per parameter (mixed-precision Adam = 16 bytes) and ZeRO sharding:
  Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training Trillion Parameter
  Models", SC20; fp32 master weights: Micikevicius et al., "Mixed Precision Training",
  ICLR 2018; 8-bit optimizer states: Dettmers et al., ICLR 2022; factored second
  moments: Shazeer and Stern, "Adafactor", ICML 2018.
- Activations: Korthikanti et al., "Reducing Activation Recomputation in Large
  Transformer Models", MLSys 2023; full recomputation: Chen et al. 2016.
- KV cache: Kwon et al., "Efficient Memory Management for Large Language Model
  Serving with PagedAttention", SOSP 2023; Pope et al., "Efficiently Scaling
  Transformer Inference", MLSys 2023.
- Default headroom 0.9: vLLM's default ``gpu_memory_utilization``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.errors import InputError
from .hardware import Accelerator, _precision_name, accelerators
from .hardware import accelerator as _lookup

__all__ = [
    "BYTES_PER_ELEMENT", "OPTIMIZERS", "TRAINING_PRECISIONS", "DEFAULT_HEADROOM", "DeviceFit",
    "bytes_per_element", "training_bytes_per_param", "training_memory_bytes",
    "activation_memory_bytes", "kv_cache_bytes", "latent_kv_cache_bytes", "inference_memory_bytes",
    "devices_needed",
    "accelerators_that_fit", "max_batch_size", "usable_memory_bytes",
]

#: Bytes to store one number at each precision (int4/fp4 pack two numbers per byte).
BYTES_PER_ELEMENT: dict[str, float] = {
    "fp64": 8.0, "fp32": 4.0, "tf32": 4.0, "fp16": 2.0, "bf16": 2.0,
    "fp8": 1.0, "int8": 1.0, "int4": 0.5, "fp4": 0.5,
}

#: Optimizer state kept per parameter, in fp32 numbers (4 bytes each) unless noted.
#: ``adam8bit`` keeps both moments in 8 bits (Dettmers et al. 2022): 2 bytes in all;
#: ``adafactor`` without momentum keeps factored row/column second moments, which
#: grow with rows + columns rather than their product: about 0 bytes per parameter.
_OPTIMIZER_STATE_BYTES: dict[str, float] = {
    "adam": 8.0, "adamw": 8.0, "sgd": 0.0, "sgd-momentum": 4.0, "adam8bit": 2.0,
    "adafactor": 0.0,
}
_OPTIMIZER_ALIASES = {"momentum": "sgd-momentum", "sgdmomentum": "sgd-momentum",
                      "sgd_momentum": "sgd-momentum", "adam-8bit": "adam8bit",
                      "adam_8bit": "adam8bit", "8bit-adam": "adam8bit", "adamw8bit": "adam8bit"}

#: Optimizers :func:`training_memory_bytes` knows.
OPTIMIZERS: tuple[str, ...] = tuple(_OPTIMIZER_STATE_BYTES)

#: Training precisions: ``mixed`` (fp16/bf16 weights and gradients with fp32 master
#: weights and fp32 optimizer states) and ``fp32`` (everything in fp32).
TRAINING_PRECISIONS: tuple[str, ...] = ("mixed", "fp32")

#: Fraction of device memory a plan may fill; the rest is runtime overhead (CUDA
#: context, allocator fragmentation, workspace, temporary activations). 0.9 is vLLM's
#: default ``gpu_memory_utilization``.
DEFAULT_HEADROOM = 0.9


def _choice(name: str, value: Any, options: dict[str, Any], aliases: dict[str, str]) -> str:
    if isinstance(value, str):
        key = value.strip().lower()
        key = aliases.get(key, key)
        if key in options:
            return key
    raise InputError(name, value, f"one of {', '.join(options)}")


def bytes_per_element(precision: str) -> float:
    """Bytes per number stored at ``precision`` (``"bf16"`` → 2, ``"int4"`` → 0.5).

    Raises
    ------
    mltk.foundation.errors.InputError
        For a precision not in :data:`BYTES_PER_ELEMENT` (names and aliases as
    :data:`mltk.heuristics.hardware.PRECISIONS` reads them).

    Examples
    --------
    >>> bytes_per_element("bf16"), bytes_per_element("float32"), bytes_per_element("int4")
    (2.0, 4.0, 0.5)
    """
    return BYTES_PER_ELEMENT[_precision_name(precision)]


def training_bytes_per_param(precision: str = "mixed", optimizer: str = "adam") -> dict[str, float]:
    """Bytes of training state per parameter, by component.

    ``mixed``: fp16/bf16 weights (2) and gradients (2), fp32 master weights (4) and the
    optimizer's fp32 states (Adam: momentum 4 + variance 4), 16 bytes in all for Adam
    (Rajbhandari et al. 2020, section 3.1). ``fp32``: weights 4, gradients 4, states.

    Parameters
    ----------
    precision : {"mixed", "fp32"}
    optimizer : {"adam", "adamw", "sgd", "sgd-momentum", "adam8bit", "adafactor"}

    Returns
    -------
    dict
        ``weights``, ``gradients``, ``master_weights``, ``optimizer_states`` and ``total``.

    Examples
    --------
    >>> training_bytes_per_param("mixed", "adam")["total"]
    16.0
    >>> b = training_bytes_per_param("fp32", "sgd-momentum")
    >>> b["weights"], b["gradients"], b["master_weights"], b["optimizer_states"], b["total"]
    (4.0, 4.0, 0.0, 4.0, 12.0)
    """
    p = _choice("precision", precision, dict.fromkeys(TRAINING_PRECISIONS),
                {"amp": "mixed", "mixed-precision": "mixed", "float32": "fp32"})
    o = _choice("optimizer", optimizer, _OPTIMIZER_STATE_BYTES, _OPTIMIZER_ALIASES)
    w, g, master = (2.0, 2.0, 4.0) if p == "mixed" else (4.0, 4.0, 0.0)
    states = _OPTIMIZER_STATE_BYTES[o]
    return {"weights": w, "gradients": g, "master_weights": master,
            "optimizer_states": states, "total": w + g + master + states}


def training_memory_bytes(params: ArrayLike, precision: str = "mixed", optimizer: str = "adam",
                          *, zero_stage: int = 0, data_parallel: ArrayLike = 1):
    """Bytes per device for weights, gradients and optimizer state during training.

    Activations come on top (:func:`activation_memory_bytes`). With ZeRO data
    parallelism over ``data_parallel`` devices, stage 1 shards the optimizer state
    (master weights included), stage 2 also the gradients, stage 3 also the weights
    (Rajbhandari et al. 2020).

    Parameters
    ----------
    params : array_like
        Number of parameters (> 0).
    precision : {"mixed", "fp32"}, default "mixed"
        ``mixed`` = fp16/bf16 weights and gradients with fp32 master weights and states.
    optimizer : str, default "adam"
        One of :data:`OPTIMIZERS`.
    zero_stage : {0, 1, 2, 3}, default 0
        ZeRO stage; 0 means every device holds a full copy.
    data_parallel : array_like, default 1
        Number of data-parallel devices sharing the state (>= 1).

    Returns
    -------
    float or ndarray
        Bytes per device.

    Raises
    ------
    mltk.foundation.errors.InputError
        For non-positive or non-finite ``params``, ``data_parallel`` < 1, an unknown
        precision, optimizer or ZeRO stage.

    Examples
    --------
    ZeRO's worked example, a 7.5B-parameter model trained with mixed-precision Adam
    needs 120 GB, and on 64 devices 31.4 GB (stage 1), 16.6 GB (stage 2), 1.9 GB (stage 3):

    >>> training_memory_bytes(7.5e9) / 1e9
    120.0
    >>> [round(training_memory_bytes(7.5e9, zero_stage=s, data_parallel=64) / 1e9, 1)
    ...  for s in (1, 2, 3)]
    [31.4, 16.6, 1.9]
    """
    p = v.positive("params", params)
    n = v.at_least_one("data_parallel", data_parallel)
    if isinstance(zero_stage, bool) or zero_stage not in (0, 1, 2, 3):
        raise InputError("zero_stage", zero_stage, "0, 1, 2 or 3")
    b = training_bytes_per_param(precision, optimizer)
    w, g, k = b["weights"], b["gradients"], b["master_weights"] + b["optimizer_states"]
    if zero_stage == 0:
        per_param = w + g + k + 0 * n
    elif zero_stage == 1:
        per_param = w + g + k / n
    elif zero_stage == 2:
        per_param = w + (g + k) / n
    else:
        per_param = (w + g + k) / n
    return v.scalar_or_array(p * per_param)


def activation_memory_bytes(layers: ArrayLike, hidden: ArrayLike, seq_len: ArrayLike,
                            batch: ArrayLike, heads: ArrayLike, precision: str = "bf16",
                            recompute: str = "none", *, tensor_parallel: ArrayLike = 1,
                            sequence_parallel: bool = False, dropout: bool = True):
    """Bytes of activations a transformer stores for the backward pass (Korthikanti et al.).

    Per layer, with s = ``seq_len``, b = ``batch``, h = ``hidden``, a = ``heads`` and
    16-bit activations, the paper's count is s·b·h·(34 + 5·a·s/h) bytes without
    recomputation, 34·s·b·h with selective recomputation (the attention scores are
    recomputed, as FlashAttention-style kernels also do) and 2·s·b·h with full
    recomputation (only each layer's input is kept, Chen et al. 2016). Tensor
    parallelism over t devices divides 24·s·b·h and the attention term by t;
    sequence parallelism divides the remaining 10·s·b·h too. For other precisions
    the 16-bit terms scale with the element size; dropout masks take 1 byte each.
    Embeddings and the output layer are not counted.

    Parameters
    ----------
    layers, hidden, seq_len, batch, heads : array_like
        Transformer layers L, hidden size h, sequence length s in tokens, micro-batch
        size b in sequences, attention heads a (all > 0).
    precision : str, default "bf16"
        Precision of stored activations.
    recompute : {"none", "selective", "full"}, default "none"
    tensor_parallel : array_like, default 1
        Tensor-parallel degree t (>= 1); the result is per device.
    sequence_parallel : bool, default False
        Whether the non-tensor-parallel regions are split along the sequence too.
    dropout : bool, default True
        Whether dropout masks are stored (the paper assumes so).

    Returns
    -------
    float or ndarray
        Bytes per device for all ``layers``.

    Examples
    --------
    One layer with s·b·h = 1 and a·s/h = 1: 34 + 5 = 39 bytes, 34 selective, 2 full:

    >>> [activation_memory_bytes(1, 1, 1, 1, 1, recompute=r) for r in ("none", "selective", "full")]
    [39.0, 34.0, 2.0]

    A 7B-class model (32 layers, h = 4096, 32 heads) at 4096 tokens, in GiB: the
    attention scores dominate until they are recomputed:

    >>> [activation_memory_bytes(32, 4096, 4096, 1, 32, recompute=r) / 2**30
    ...  for r in ("none", "selective", "full")]
    [97.0, 17.0, 1.0]
    """
    n_layers = v.positive("layers", layers)
    h = v.positive("hidden", hidden)
    s = v.positive("seq_len", seq_len)
    b = v.positive("batch", batch)
    a = v.positive("heads", heads)
    t = v.at_least_one("tensor_parallel", tensor_parallel)
    e = bytes_per_element(precision)
    mode = _choice("recompute", recompute, dict.fromkeys(("none", "selective", "full")),
                   {"no": "none", "off": "none", "checkpointing": "full"})
    for flag_name, flag in (("sequence_parallel", sequence_parallel), ("dropout", dropout)):
        if not isinstance(flag, bool | np.bool_):
            raise InputError(flag_name, flag, "True or False")
    mask = 1.0 if dropout else 0.0
    sbh = s * b * h
    split_by = t if sequence_parallel else 1.0
    if mode == "full":
        per_layer = e * sbh / split_by
    else:
        unsplit = (4 * e + 2 * mask) * sbh / split_by   # layer-norm, QKV and MLP inputs, masks
        split = 12 * e * sbh / t                       # Q, K, V, projections, MLP inner
        per_layer = unsplit + split
        if mode == "none":
            attn = (2 * e + mask) if dropout else e    # softmax output (+ mask, dropout output)
            per_layer = per_layer + attn * a * s * s * b / t
    return v.scalar_or_array(n_layers * per_layer)


def kv_cache_bytes(layers: ArrayLike, kv_heads: ArrayLike, head_dim: ArrayLike,
                   tokens: ArrayLike, batch: ArrayLike = 1, precision: str = "bf16"):
    """Bytes of the key/value cache of a transformer decoder.

    2 (K and V) × layers × kv_heads × head_dim × tokens × batch × bytes per element.

    Parameters
    ----------
    layers : array_like
        Transformer layers (> 0).
    kv_heads : array_like
        Key/value heads: equal to the attention heads for multi-head attention, fewer
        with grouped-query attention, 1 with multi-query attention (> 0).
    head_dim : array_like
        Dimension of each head (> 0).
    tokens : array_like
        Cached tokens per sequence: prompt plus generated so far (> 0).
    batch : array_like, default 1
        Concurrent sequences (> 0).
    precision : str, default "bf16"
        Precision of the cache.

    Returns
    -------
    float or ndarray
        Bytes.

    Examples
    --------
    OPT-13B (40 layers, 40 heads of 128): 800 KB per token, 1.6 GB for 2048 tokens,
    as Kwon et al. (2023) compute it; Llama-2-70B (80 layers, 8 KV heads of 128):

    >>> kv_cache_bytes(40, 40, 128, 1)
    819200.0
    >>> kv_cache_bytes(40, 40, 128, 2048) / 1e9
    1.6777216
    >>> kv_cache_bytes(80, 8, 128, 1)
    327680.0
    """
    kv = v.positive("kv_heads", kv_heads)
    d = v.positive("head_dim", head_dim)
    return _cache_bytes(layers, 2.0 * kv * d, tokens, batch, precision)


def _cache_bytes(layers: ArrayLike, numbers_per_token_layer: Any, tokens: ArrayLike,
                 batch: ArrayLike, precision: str):
    """layers × numbers cached per token and layer × tokens × batch × bytes per element.

    The one product behind :func:`kv_cache_bytes` and :func:`latent_kv_cache_bytes`, which
    differ only in what a layer caches per token; checks ``layers``, ``tokens``, ``batch``.
    """
    n_layers = v.positive("layers", layers)
    n_tokens = v.positive("tokens", tokens)
    b = v.positive("batch", batch)
    e = bytes_per_element(precision)
    return v.scalar_or_array(n_layers * numbers_per_token_layer * n_tokens * b * e)


def latent_kv_cache_bytes(layers: ArrayLike, latent_dim: ArrayLike, rope_dim: ArrayLike,
                          tokens: ArrayLike, batch: ArrayLike = 1, precision: str = "bf16"):
    """Bytes of the cache of multi-head latent attention (MLA, DeepSeek-V2/V3).

    MLA caches one compressed latent vector of ``latent_dim`` numbers per token and layer,
    from which keys and values are re-projected, plus a decoupled rotary key of
    ``rope_dim`` numbers shared by all heads: layers × (latent_dim + rope_dim) × tokens ×
    batch × bytes per element (DeepSeek-AI, "DeepSeek-V2", 2024, section 2.1).

    Parameters
    ----------
    layers, latent_dim, rope_dim : array_like
        Transformer layers (> 0), ``kv_lora_rank`` d_c (> 0), ``qk_rope_head_dim`` (>= 0).
    tokens, batch : array_like
        Cached tokens per sequence and concurrent sequences (> 0).
    precision : str, default "bf16"

    Returns
    -------
    float or ndarray
        Bytes.

    Examples
    --------
    DeepSeek-V3 (61 layers, d_c = 512, rotary 64) in bf16 caches 70 KB per token, a
    fifth of Llama-2-70B's grouped-query cache (327,680 bytes, :func:`kv_cache_bytes`):

    >>> latent_kv_cache_bytes(61, 512, 64, 1)
    70272.0
    """
    dc = v.positive("latent_dim", latent_dim)
    dr = v.non_negative("rope_dim", rope_dim)
    return _cache_bytes(layers, dc + dr, tokens, batch, precision)


def inference_memory_bytes(params: ArrayLike, precision: str = "bf16",
                           kv_cache_bytes: ArrayLike = 0.0):
    """Bytes to serve a model: weights at ``precision`` plus the KV cache.

    Runtime overhead (CUDA context, allocator fragmentation, activation workspace)
    is left to the ``headroom`` of :func:`devices_needed`.

    Parameters
    ----------
    params : array_like
        Number of parameters (> 0).
    precision : str, default "bf16"
        Weight precision (``"int8"``, ``"int4"`` for weight-only quantization).
    kv_cache_bytes : array_like, default 0
        Bytes of KV cache to hold (>= 0), e.g. from :func:`kv_cache_bytes`.

    Returns
    -------
    float or ndarray
        Bytes.

    Examples
    --------
    >>> inference_memory_bytes(70e9, "bf16") / 1e9
    140.0
    >>> inference_memory_bytes(7e9, "int4", kv_cache_bytes=2e9) / 1e9
    5.5
    """
    p = v.positive("params", params)
    kv = v.non_negative("kv_cache_bytes", kv_cache_bytes)
    return v.scalar_or_array(p * bytes_per_element(precision) + kv)


def usable_memory_bytes(accelerator: str | Accelerator, headroom: ArrayLike = DEFAULT_HEADROOM,
                        devices: ArrayLike = 1):
    """Memory a workload may plan to use on ``devices`` devices: memory × headroom × devices.

    Examples
    --------
    >>> round(usable_memory_bytes("A100-80GB") / 1e9, 2)  # 81,920 MiB x 0.9
    77.31
    """
    acc = _lookup(accelerator)
    if acc.memory_bytes is None:
        raise InputError("accelerator", acc.name, "a catalog device with a published memory size")
    u = v.fraction("headroom", headroom)
    n = v.at_least_one("devices", devices)
    return v.scalar_or_array(acc.memory_bytes * u * n)


def _tp_degree(n: int, heads: int) -> int:
    """Smallest count >= n a tensor-parallel layout can use with ``heads`` attention heads."""
    for d in range(n, heads + 1):
        if heads % d == 0:
            return d
    return int(math.ceil(n / heads)) * heads  # beyond the head count: whole TP groups x pipeline stages


def devices_needed(required_bytes: ArrayLike, accelerator: str | Accelerator,
                   headroom: ArrayLike = DEFAULT_HEADROOM, *, heads: int | None = None):
    """Smallest number of ``accelerator`` devices whose memory holds ``required_bytes``.

    n = ceil(required_bytes / (memory_bytes × headroom)). ``headroom`` is the fraction
    of each device a plan may fill; the rest goes to the runtime (CUDA context,
    fragmentation, workspace). The count assumes the bytes split evenly (tensor,
    pipeline or ZeRO-3 sharding) and ignores replicated buffers.

    With ``heads`` (the model's attention heads) the count is a degree tensor
    parallelism can use: the smallest count >= n that divides ``heads``, because
    tensor parallelism gives every device the same number of whole heads (vLLM and
    Megatron-LM refuse a degree that does not divide them). Past ``heads`` devices the
    count is the next multiple of ``heads`` (full tensor-parallel groups, pipelined).
    So a 64-head model that needs 3 devices by memory is served on 4.

    Parameters
    ----------
    required_bytes : array_like
        Bytes to hold (> 0).
    accelerator : str or Accelerator
        Catalog name, e.g. ``"H100-SXM"``.
    headroom : array_like, default 0.9
        Usable fraction of device memory, in (0, 1].
    heads : int, optional
        Attention heads of the model (>= 1); round the count up to a divisor of them.

    Returns
    -------
    int or ndarray of int

    Examples
    --------
    Llama-2-70B in bf16 (140 GB of weights) on 80 GB devices (memory as nvidia-smi reports it):

    >>> devices_needed(140e9, "A100-80GB")
    2
    >>> devices_needed([10e9, 140e9, 1.12e12], "H100-SXM").tolist()
    [1, 2, 15]
    >>> devices_needed([1.12e12, 170e9], "H100-SXM", heads=64).tolist()  # 15 -> 16, 3 -> 4
    [16, 4]
    """
    need = v.positive("required_bytes", required_bytes)
    usable = usable_memory_bytes(accelerator, headroom)
    n = np.ceil(need / usable - 1e-12).astype(int)
    if heads is not None:
        h = v.at_least_one("heads", heads)
        if np.ndim(h) != 0 or float(h) != int(h):
            raise InputError("heads", heads, "a whole number of attention heads (>= 1)")
        n = np.vectorize(lambda k: _tp_degree(int(k), int(h)), otypes=[int])(n)
    return int(n) if n.ndim == 0 else n


def max_batch_size(weights_bytes: ArrayLike, kv_cache_bytes_per_sequence: ArrayLike,
                   accelerator: str | Accelerator, devices: ArrayLike = 1,
                   headroom: ArrayLike = DEFAULT_HEADROOM):
    """Most sequences whose KV caches fit beside the weights on ``devices`` devices.

    B = floor((devices × memory × headroom − weights) / kv_per_sequence), and 0 when the
    weights alone do not fit. This is the memory ceiling on the decode batch: past it
    a server must queue requests, shorten contexts or add devices.

    Parameters
    ----------
    weights_bytes : array_like
        Bytes of weights (> 0), e.g. from :func:`inference_memory_bytes`.
    kv_cache_bytes_per_sequence : array_like
        KV-cache bytes of one full-length sequence (> 0), from :func:`kv_cache_bytes`.
    accelerator : str or Accelerator
        Catalog name.
    devices : array_like, default 1
        Devices sharing the model (>= 1).
    headroom : array_like, default 0.9
        Usable fraction of device memory, in (0, 1].

    Returns
    -------
    int or ndarray of int

    Examples
    --------
    Llama-2-70B in bf16 on 8 H100-SXM with 4096-token sequences (1.34 GB of KV each):

    >>> max_batch_size(140e9, kv_cache_bytes(80, 8, 128, 4096), "H100-SXM", devices=8)
    354
    >>> max_batch_size(140e9, 1e9, "H100-SXM")  # the weights alone do not fit
    0
    """
    w = v.positive("weights_bytes", weights_bytes)
    kv = v.positive("kv_cache_bytes_per_sequence", kv_cache_bytes_per_sequence)
    free = usable_memory_bytes(accelerator, headroom, devices) - w
    out = np.floor(np.maximum(free, 0.0) / kv + 1e-12).astype(int)
    return int(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class DeviceFit:
    """One row of :func:`accelerators_that_fit`."""

    accelerator: Accelerator
    devices: int
    usable_bytes_per_device: float

    @property
    def name(self) -> str:
        """The catalog name."""
        return self.accelerator.name


def accelerators_that_fit(required_bytes: float, headroom: float = DEFAULT_HEADROOM,
                          max_devices: int | None = 8) -> list[DeviceFit]:
    """Catalog devices that can hold ``required_bytes`` with at most ``max_devices`` of them.

    Sorted by the number of devices, then by memory per device.

    Parameters
    ----------
    required_bytes : float
        Bytes to hold (> 0).
    headroom : float, default 0.9
        Usable fraction of device memory, in (0, 1].
    max_devices : int or None, default 8
        Largest acceptable count (one 8-GPU server by default); None for no limit.

    Returns
    -------
    list of DeviceFit

    Examples
    --------
    >>> fits = accelerators_that_fit(140e9, max_devices=2)
    >>> [(f.name, f.devices) for f in fits][:3]
    [('MI325X', 1), ('TPU7x', 1), ('MI300X', 1)]
    """
    need = float(v.positive("required_bytes", required_bytes))
    u = float(v.fraction("headroom", headroom))
    if max_devices is not None:
        if isinstance(max_devices, bool) or not float(max_devices).is_integer():
            raise InputError("max_devices", max_devices, "a whole number >= 1 or None")
        v.at_least_one("max_devices", max_devices)
    out = []
    for acc in accelerators():
        if acc.memory_bytes is None:
            continue
        usable = usable_memory_bytes(acc, u)
        n = math.ceil(need / usable - 1e-12)
        if max_devices is None or n <= max_devices:
            out.append(DeviceFit(acc, n, usable))
    return sorted(out, key=lambda f: (f.devices, -f.accelerator.memory_bytes, f.name))
