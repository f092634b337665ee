"""The counting MLP: its tallies equal the closed form, gradients are right, it learns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mltk
from mltk.foundation.errors import InputError
from mltk.handbook.small_network import MLP, FlopTally, mlp_flops_per_example, mlp_params, mlp_step_flops


def _data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = rng.integers(0, k, n)
    return x, y


def test_reachable_from_package() -> None:
    assert mltk.handbook.small_network.MLP is MLP


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 12), min_size=2, max_size=5),
       batch=st.integers(1, 9), input_grad=st.booleans())
def test_counted_equals_closed_form(sizes: list[int], batch: int, input_grad: bool) -> None:
    if sizes[-1] < 2:
        sizes[-1] = 2
    x, y = _data(batch, sizes[0], sizes[-1])
    net = MLP(sizes, seed=1)
    step = net.train_step(x, y, 0.05, input_grad=input_grad)
    assert step.tally == mlp_step_flops(sizes, batch, input_grad=input_grad)
    per = mlp_flops_per_example(sizes, input_grad=input_grad)
    assert step.tally.forward == batch * per.forward
    assert step.tally.backward == batch * per.backward
    assert step.tally.update == 2 * mlp_params(sizes)


def test_matmul_counts_are_two_and_four_per_weight() -> None:
    sizes = (20, 30, 40, 5)
    weights = 20 * 30 + 30 * 40 + 40 * 5
    t = mlp_flops_per_example(sizes, input_grad=True)
    assert t.forward_matmul == 2 * weights
    assert t.backward_matmul == 4 * weights
    # without the input gradient the first layer saves 2 per weight
    t0 = mlp_flops_per_example(sizes)
    assert t.backward_matmul - t0.backward_matmul == 2 * 20 * 30


def test_ratio_tends_to_three_as_layers_widen() -> None:
    ratios = [mlp_flops_per_example((64, w, w, 10)).training_to_forward
              for w in (16, 64, 256, 1024, 4096)]
    assert all(a < b for a, b in zip(ratios, ratios[1:], strict=False))
    assert ratios[-1] == pytest.approx(3.0, abs=0.03)
    assert all(r < 3.0 for r in ratios)
    # with the input gradient, the matrix products alone are exactly 3x forward
    t = mlp_flops_per_example((64, 256, 10), input_grad=True)
    assert (t.forward_matmul + t.backward_matmul) / t.forward_matmul == 3.0


def test_flop_per_parameter_tends_to_six() -> None:
    sizes = (512, 4096, 4096, 512)
    t = mlp_flops_per_example(sizes, input_grad=True)
    assert (t.forward + t.backward) / mlp_params(sizes) == pytest.approx(6.0, rel=2e-3)


def test_matches_eq3_with_measured_constants() -> None:
    sizes = (64, 32, 32, 10)
    p = mlp_params(sizes)
    per = mlp_flops_per_example(sizes)
    of = per.forward / p
    ob = per.training_to_forward
    n, epochs = 1000, 3
    counted = (per.forward + per.backward) * n * epochs
    assert mltk.training_flops(p, n, epochs, forward_ops=of, backward_factor=ob) == \
        pytest.approx(counted, rel=1e-12)


def test_gradients_match_finite_differences() -> None:
    sizes = (5, 7, 6, 3)
    x, y = _data(4, 5, 3, seed=3)
    net = MLP(sizes, seed=2)
    net.forward(x)
    grads, dx = net.backward(y, input_grad=True)
    eps = 1e-6
    for layer, (dw, db) in enumerate(grads):
        for arr, grad in ((net.weights[layer], dw), (net.biases[layer], db)):
            flat, gflat = arr.reshape(-1), grad.reshape(-1)
            for idx in range(0, flat.size, max(1, flat.size // 7)):
                old = flat[idx]
                flat[idx] = old + eps
                up = net.loss(x, y)
                flat[idx] = old - eps
                down = net.loss(x, y)
                flat[idx] = old
                assert gflat[idx] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)
    # gradient with respect to the input
    assert dx is not None
    for i, j in ((0, 0), (3, 4), (2, 1)):
        xp, xm = x.copy(), x.copy()
        xp[i, j] += eps
        xm[i, j] -= eps
        num = (net.loss(xp, y) - net.loss(xm, y)) / (2 * eps)
        assert dx[i, j] == pytest.approx(num, rel=1e-5, abs=1e-8)


def test_loss_decreases_and_learns_separable_problem() -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 4)) * 3
    y = rng.integers(0, 3, 300)
    x = centres[y] + rng.standard_normal((300, 4)) * 0.5
    net = MLP((4, 16, 3), seed=0)
    losses = [net.train_step(x, y, 0.2).loss for _ in range(60)]
    assert losses[-1] < 0.5 * losses[0]
    assert net.accuracy(x, y) > 0.9


def test_tally_arithmetic() -> None:
    a = FlopTally(1, 2, 3, 4, 5)
    assert (a + a).total == 2 * a.total
    assert a.scaled(3).forward == 9
    d = a.as_dict()
    assert d["total"] == 15 and d["forward_matmul"] == 1


@pytest.mark.parametrize("bad", [(64,), [], (64, 0, 10), (64, 2.5, 10), "abc", 5, (3, True)])
def test_bad_layer_sizes(bad: object) -> None:
    with pytest.raises(InputError, match="layer_sizes"):
        mlp_params(bad)  # type: ignore[arg-type]


def test_bad_inputs_raise_input_error() -> None:
    net = MLP((4, 3, 2))
    x, y = _data(5, 4, 2)
    with pytest.raises(InputError, match="x"):
        net.forward(np.ones((5, 3)))
    with pytest.raises(InputError, match="y"):
        net.loss(x, np.array([0, 1, 2, 0, 1]))  # label 2 with 2 classes
    with pytest.raises(InputError, match="learning_rate"):
        net.train_step(x, y, learning_rate=-1.0)
    with pytest.raises(InputError, match="batch_size"):
        mlp_step_flops((4, 3, 2), 0)
    with pytest.raises(InputError):
        MLP((4, 3, 2)).backward(y)  # no forward pass yet
