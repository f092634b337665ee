"""Training compute: Hooda (2023) eq. 3, C = O_f · O_b · P · S · E."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v

__all__ = ["training_flops", "transformer_training_flops"]


def training_flops(params: ArrayLike, dataset_size: ArrayLike, epochs: ArrayLike = 1,
                   forward_ops: ArrayLike = 2, backward_factor: ArrayLike = 3):
    """Operations to train a network: Hooda (2023) eq. 3, C = O_f · O_b · P · S · E.

    A dense layer does one multiply and one add per parameter per example in the
    forward pass (``forward_ops`` O_f = 2); the backward pass costs about twice the
    forward pass, so forward plus backward is ``backward_factor`` O_b = 3 times it.

    Parameters
    ----------
    params : array_like
        Trainable parameters P (count, > 0).
    dataset_size : array_like
        Examples (or tokens, for language models) per epoch S (> 0).
    epochs : array_like, default 1
        Passes over the data E (> 0; fractions allowed).
    forward_ops : array_like, default 2
        Operations per parameter per example in the forward pass O_f.
    backward_factor : array_like, default 3
        Ratio of forward+backward cost to forward cost O_b.

    Returns
    -------
    float or ndarray
        Training compute C in FLOP.

    Examples
    --------
    GPT-3 175B on 300 billion tokens (Brown et al. 2020 report 3.14e23 FLOP):

    >>> f"{training_flops(175e9, 300e9):.3e}"
    '3.150e+23'
    """
    p = v.positive("params", params)
    s = v.positive("dataset_size", dataset_size)
    e = v.positive("epochs", epochs)
    of = v.positive("forward_ops", forward_ops)
    ob = v.positive("backward_factor", backward_factor)
    return v.scalar_or_array(of * ob * p * s * e)


def transformer_training_flops(params: ArrayLike, tokens: ArrayLike, *, layers: ArrayLike = 0,
                               context: ArrayLike = 0, d_model: ArrayLike = 0,
                               recompute: bool = False):
    """Transformer training compute 6·P·D, plus attention and activation recomputation.

    With ``layers``, ``context`` and ``d_model`` given, the attention score and
    weighted-sum products add 6 · layers · context · d_model FLOP per token
    (Kaplan et al. 2020, Table 1: forward 2·n_layer·n_ctx·d_attn, times 3 for training).
    ``recompute=True`` re-runs the forward pass during backward (full activation
    checkpointing), turning the factor 6 into 8. The dense part is :func:`training_flops`
    with S in tokens (O_f = 2, O_b = 3, or 4 with recomputation).

    Examples
    --------
    >>> f"{transformer_training_flops(175e9, 300e9):.3e}"
    '3.150e+23'
    >>> f"{transformer_training_flops(175e9, 300e9, layers=96, context=2048, d_model=12288):.3e}"
    '3.194e+23'
    >>> transformer_training_flops(1e9, 2e10, recompute=True) == 8 * 1e9 * 2e10
    True
    """
    p = v.positive("params", params)
    d = v.positive("tokens", tokens)
    n_l = v.non_negative("layers", layers)
    n_c = v.non_negative("context", context)
    d_m = v.non_negative("d_model", d_model)
    passes = 4.0 if recompute else 3.0
    dense = training_flops(p, d, forward_ops=2, backward_factor=passes)  # Hooda (2023) eq. 3: 6PD (8PD)
    attention = passes * 2.0 * n_l * n_c * d_m * d
    return v.scalar_or_array(np.asarray(dense) + attention)
