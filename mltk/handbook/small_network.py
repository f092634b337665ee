"""A tiny multilayer perceptron in numpy that counts its own floating-point operations.

The point is the count, not the network: :class:`MLP` tallies every arithmetic
operation it performs, from the shapes of the arrays each numpy call receives, split
into forward pass, backward pass and parameter update, and into matrix products versus
element-wise work. :func:`mlp_flops_per_example` and :func:`mlp_step_flops` give the same
numbers in closed form, so the two can be checked against each other and against the
constants O_f = 2 and O_b = 3 of Hooda (2023) eq. 3 (:func:`mltk.training_flops`).

Counting conventions (one operation per element unless stated):

- matrix product m×k by k×n: 2·m·k·n (:func:`mltk.handbook.cpu_benchmark.matmul_flops`);
- bias add, ReLU (forward max and backward mask), bias-gradient sum: 1 per element;
- softmax: 4 per logit (shift by the row maximum, exponential, row sum, divide);
- cross-entropy: 2 per example (log of the true-class probability, sum over the batch);
- softmax-cross-entropy gradient (p − y)/B: 2 per logit;
- SGD update w ← w − lr·g: 2 per parameter per step.

Transcendental functions count as one operation, as FLOP counts for training compute
conventionally do; the hardware spends more on them, which is one reason element-wise
work takes longer than its FLOP count suggests.

Sources
-------
- Backpropagation: Rumelhart, Hinton and Williams, Nature 323, 533-536 (1986).
- Forward 2·P, backward ≈ 4·P per example: Kaplan et al. 2020, "Scaling Laws for
  Neural Language Models", section 2.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..foundation.errors import InputError
from .cpu_benchmark import matmul_flops

__all__ = ["FlopTally", "MLP", "StepResult", "mlp_params", "mlp_flops_per_example",
           "mlp_step_flops"]

_PHASE_FIELDS = ("forward_matmul", "forward_other", "backward_matmul", "backward_other",
                 "update")


@dataclass
class FlopTally:
    """Floating-point operations by phase (forward, backward, update) and kind.

    ``*_matmul`` counts matrix products, ``*_other`` the element-wise work (bias,
    activation, softmax, loss). All counts are exact integers.

    Examples
    --------
    >>> t = FlopTally(forward_matmul=100, forward_other=10, backward_matmul=200)
    >>> t.forward, t.backward, t.total, t.training_to_forward
    (110, 200, 310, 2.8181818181818183)
    """

    forward_matmul: int = 0
    forward_other: int = 0
    backward_matmul: int = 0
    backward_other: int = 0
    update: int = 0

    @property
    def forward(self) -> int:
        """Forward pass, loss included."""
        return self.forward_matmul + self.forward_other

    @property
    def backward(self) -> int:
        """Backward pass: gradients with respect to activations and parameters."""
        return self.backward_matmul + self.backward_other

    @property
    def matmul(self) -> int:
        """Matrix products, forward and backward."""
        return self.forward_matmul + self.backward_matmul

    @property
    def total(self) -> int:
        """Everything: forward + backward + update."""
        return self.forward + self.backward + self.update

    @property
    def training_to_forward(self) -> float:
        """(forward + backward) / forward: the measured counterpart of O_b = 3."""
        return (self.forward + self.backward) / self.forward

    def __add__(self, other: FlopTally) -> FlopTally:
        return FlopTally(*(getattr(self, f) + getattr(other, f) for f in _PHASE_FIELDS))

    def scaled(self, factor: int) -> FlopTally:
        """Every count multiplied by a whole number (e.g. per example → per batch)."""
        return FlopTally(*(getattr(self, f) * int(factor) for f in _PHASE_FIELDS))

    def as_dict(self) -> dict[str, int]:
        """The five counts and their totals, for tables and ``--json`` output."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d.update(forward=self.forward, backward=self.backward, total=self.total)
        return d


def _layer_sizes(layer_sizes: Any) -> tuple[int, ...]:
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise InputError("layer_sizes", layer_sizes,
                         "a sequence of at least two layer widths, e.g. (64, 32, 10)") from None
    ok = len(sizes) >= 2 and all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and s >= 1 for s in sizes)
    if not ok:
        raise InputError("layer_sizes", layer_sizes,
                         "a sequence of at least two whole-number widths >= 1, e.g. (64, 32, 10)")
    return tuple(int(s) for s in sizes)


def _mm(a: int, b: int, c: int) -> int:
    return int(matmul_flops(a, b, c))


def mlp_params(layer_sizes: Sequence[int]) -> int:
    """Trainable parameters (weights and biases) of a dense network.

    Examples
    --------
    >>> mlp_params((64, 32, 10))
    2410
    """
    s = _layer_sizes(layer_sizes)
    return sum(n_in * n_out + n_out for n_in, n_out in zip(s[:-1], s[1:], strict=True))


def mlp_flops_per_example(layer_sizes: Sequence[int], *, input_grad: bool = False) -> FlopTally:
    """Closed-form operations per training example of :class:`MLP` (update excluded).

    Forward: 2 per weight (matrix products), plus biases, ReLUs, softmax and loss.
    Backward: 2 per weight for the weight gradients, and 2 per weight for the gradients
    with respect to each layer's input, except the first layer, whose input is the data
    and needs no gradient (``input_grad=True`` computes it anyway, as when the network
    sits on top of an embedding or another network).

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from input to output, e.g. ``(64, 32, 10)``.
    input_grad : bool, default False
        Also count the gradient with respect to the network's input.

    Examples
    --------
    >>> t = mlp_flops_per_example((64, 32, 10))
    >>> t.forward_matmul, t.backward_matmul
    (4736, 5376)
    >>> mlp_flops_per_example((64, 32, 10), input_grad=True).backward_matmul
    9472
    """
    s = _layer_sizes(layer_sizes)
    pairs = list(zip(s[:-1], s[1:], strict=True))
    hidden = sum(s[1:-1])
    k = s[-1]
    fm = sum(_mm(1, a, b) for a, b in pairs)
    act_grad = sum(_mm(1, b, a) for i, (a, b) in enumerate(pairs) if i > 0 or input_grad)
    return FlopTally(
        forward_matmul=fm,
        forward_other=sum(s[1:]) + hidden + 4 * k + 2,
        backward_matmul=fm + act_grad,
        backward_other=2 * k + sum(s[1:]) + hidden,
        update=0,
    )


def mlp_step_flops(layer_sizes: Sequence[int], batch_size: int, *,
                   input_grad: bool = False) -> FlopTally:
    """Closed-form operations of one :meth:`MLP.train_step` on a batch (update included).

    Examples
    --------
    >>> t = mlp_step_flops((64, 32, 10), 32)
    >>> t.update == 2 * mlp_params((64, 32, 10))
    True
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) \
            or batch_size < 1:
        raise InputError("batch_size", batch_size, "a whole number >= 1")
    per = mlp_flops_per_example(layer_sizes, input_grad=input_grad).scaled(int(batch_size))
    per.update = 2 * mlp_params(layer_sizes)
    return per


@dataclass(frozen=True)
class StepResult:
    """Loss before the update and the operations one training step performed."""

    loss: float
    tally: FlopTally


class MLP:
    """Dense ReLU network with a softmax output, trained by plain SGD, counting its FLOP.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from input to output, e.g. ``(64, 32, 10)`` for 64 features and 10 classes.
    seed : int, default 0
        Seed of the He-normal weight initialisation (biases start at 0).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    >>> net = MLP((4, 5, 3))
    >>> step = net.train_step(x, y, learning_rate=0.1)
    >>> step.tally == mlp_step_flops((4, 5, 3), 8)
    True
    """

    def __init__(self, layer_sizes: Sequence[int], *, seed: int = 0) -> None:
        self.layer_sizes = _layer_sizes(layer_sizes)
        rng = np.random.default_rng(seed)
        self.weights: list[NDArray[np.float64]] = [
            rng.standard_normal((a, b)) * np.sqrt(2.0 / a)
            for a, b in zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True)]
        self.biases: list[NDArray[np.float64]] = [np.zeros(b) for b in self.layer_sizes[1:]]
        self._cache: tuple[list[NDArray[np.float64]], list[NDArray[np.float64]],
                           NDArray[np.float64]] | None = None

    @property
    def params(self) -> int:
        """Trainable parameters (:func:`mlp_params`)."""
        return mlp_params(self.layer_sizes)

    # -- input checks -------------------------------------------------------------------
    def _x(self, x: ArrayLike) -> NDArray[np.float64]:
        arr = np.asarray(x, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != self.layer_sizes[0] or arr.shape[0] < 1:
            raise InputError("x", f"array of shape {arr.shape}",
                             f"a 2-D array (examples, {self.layer_sizes[0]})")
        if not np.isfinite(arr).all():
            raise InputError("x", "array with NaN or inf", "finite features")
        return arr

    def _y(self, y: ArrayLike, batch: int) -> NDArray[np.intp]:
        arr = np.asarray(y)
        k = self.layer_sizes[-1]
        if arr.shape != (batch,) or not np.issubdtype(arr.dtype, np.integer) \
                or arr.min() < 0 or arr.max() >= k:
            raise InputError("y", f"array of shape {arr.shape}",
                             f"{batch} integer class labels in [0, {k - 1}]")
        return arr.astype(np.intp)

    # -- the network -----------------------------------------------------------------------
    def forward(self, x: ArrayLike, tally: FlopTally | None = None) -> NDArray[np.float64]:
        """Class probabilities for a batch ``x`` (examples × features); caches activations."""
        t = tally if tally is not None else FlopTally()
        a = self._x(x)
        acts, pre = [a], []
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            t.forward_matmul += _mm(a.shape[0], a.shape[1], w.shape[1])
            z = a @ w
            t.forward_other += z.size  # bias add
            z = z + b
            pre.append(z)
            if i < last:
                t.forward_other += z.size  # ReLU
                a = np.maximum(z, 0.0)
                acts.append(a)
        # softmax: shift, exp, row sum, divide (4 per logit)
        t.forward_other += 4 * z.size
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        self._cache = (acts, pre, p)
        return p

    def loss(self, x: ArrayLike, y: ArrayLike, tally: FlopTally | None = None) -> float:
        """Mean cross-entropy of the batch (runs :meth:`forward`)."""
        t = tally if tally is not None else FlopTally()
        p = self.forward(x, t)
        labels = self._y(y, p.shape[0])
        t.forward_other += 2 * p.shape[0]  # log of the true-class probability, batch sum
        # (the tiny constant guarding against log(0) is a numerical guard, not counted)
        return float(-np.log(p[np.arange(p.shape[0]), labels] + 1e-300).mean())

    def backward(self, y: ArrayLike, tally: FlopTally | None = None, *,
                 input_grad: bool = False
                 ) -> tuple[list[tuple[NDArray[np.float64], NDArray[np.float64]]],
                            NDArray[np.float64] | None]:
        """Gradients of the mean cross-entropy of the last :meth:`forward` batch.

        Returns
        -------
        grads : list of (dW, db)
            One pair per layer, in layer order.
        dx : ndarray or None
            Gradient with respect to the input, when ``input_grad`` is true.
        """
        if self._cache is None:
            raise InputError("y", "backward() before forward()", "a forward pass first")
        t = tally if tally is not None else FlopTally()
        acts, pre, p = self._cache
        batch, k = p.shape
        labels = self._y(y, batch)
        onehot = np.zeros_like(p)
        onehot[np.arange(batch), labels] = 1.0
        t.backward_other += 2 * p.size  # (p - y) / B
        dz = (p - onehot) / batch
        grads: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
        dx = None
        for i in range(len(self.weights) - 1, -1, -1):
            a_in, w = acts[i], self.weights[i]
            t.backward_matmul += _mm(a_in.shape[1], batch, w.shape[1])
            dw = a_in.T @ dz
            t.backward_other += dz.size  # bias gradient: sum over the batch
            db = dz.sum(axis=0)
            grads.append((dw, db))
            if i > 0 or input_grad:
                t.backward_matmul += _mm(batch, w.shape[1], w.shape[0])
                da = dz @ w.T
                if i > 0:
                    t.backward_other += da.size  # ReLU gradient mask
                    dz = np.where(pre[i - 1] > 0.0, da, 0.0)
                else:
                    dx = da
        grads.reverse()
        return grads, dx

    def train_step(self, x: ArrayLike, y: ArrayLike, learning_rate: float = 0.1, *,
                   input_grad: bool = False) -> StepResult:
        """One SGD step on a batch; returns the loss before the step and its FLOP tally."""
        if not (isinstance(learning_rate, int | float) and np.isfinite(learning_rate)
                and learning_rate > 0):
            raise InputError("learning_rate", learning_rate, "a finite number > 0")
        t = FlopTally()
        loss = self.loss(x, y, t)
        grads, _ = self.backward(y, t, input_grad=input_grad)
        for (dw, db), w, b in zip(grads, self.weights, self.biases, strict=True):
            t.update += 2 * (dw.size + db.size)  # w -= lr * g
            w -= learning_rate * dw
            b -= learning_rate * db
        return StepResult(loss=loss, tally=t)

    def predict(self, x: ArrayLike) -> NDArray[np.intp]:
        """Most probable class per example."""
        return np.argmax(self.forward(x), axis=1)

    def accuracy(self, x: ArrayLike, y: ArrayLike) -> float:
        """Fraction of examples classified correctly."""
        pred = self.predict(x)
        return float(np.mean(pred == self._y(y, pred.shape[0])))
