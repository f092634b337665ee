"""mltk.handbook.learning: power-law learning curves, recovery of known parameters, extrapolation."""

from __future__ import annotations

import numpy as np
import pytest

from mltk.foundation.errors import InputError
from mltk.handbook.learning import LearningCurve, fit_learning_curve, power_law


def test_power_law_closed_form() -> None:
    assert power_law(100, 2.0, 0.5, 0.05) == pytest.approx(0.25)
    np.testing.assert_allclose(power_law([1, 4], 1.0, 0.5, 0.0), [1.0, 0.5])


@pytest.mark.parametrize("a, b, c", [(2.0, 0.5, 0.05), (30.0, 1.2, 0.01), (0.8, 0.3, 0.0)])
def test_recovers_exact_power_law(a: float, b: float, c: float) -> None:
    n = np.geomspace(50, 20_000, 9)
    curve = fit_learning_curve(n, a * n ** -b + c)
    assert curve.a == pytest.approx(a, rel=1e-3)
    assert curve.b == pytest.approx(b, rel=1e-3)
    assert curve.c == pytest.approx(c, abs=1e-4)


def test_recovers_noisy_power_law_within_tolerance() -> None:
    rng = np.random.default_rng(42)
    n = np.geomspace(100, 50_000, 12)
    truth = 5.0 * n ** -0.6 + 0.03
    noisy = truth * (1 + 0.02 * rng.standard_normal(n.size))  # 2% relative noise
    curve = fit_learning_curve(n, noisy)
    assert curve.b == pytest.approx(0.6, rel=0.15)
    assert curve.c == pytest.approx(0.03, abs=0.005)
    assert np.isfinite(curve.b_stderr) and curve.b_stderr > 0
    # extrapolation one decade beyond the data stays close to the truth
    assert curve.predict(500_000) == pytest.approx(5.0 * 500_000 ** -0.6 + 0.03, rel=0.1)


def test_examples_for_inverts_predict() -> None:
    curve = LearningCurve(2.0, 0.5, 0.05, 0, 0, 0, np.array([]), np.array([]))
    assert curve.examples_for(0.07) == pytest.approx(10_000)
    targets = np.array([0.25, 0.1, 0.06])
    np.testing.assert_allclose(curve.predict(curve.examples_for(targets)), targets)


def test_order_of_points_does_not_matter() -> None:
    n = np.array([100, 200, 400, 800, 1600, 3200.0])
    e = 2.0 * n ** -0.5 + 0.05
    shuffled = fit_learning_curve(n[::-1], e[::-1])
    assert shuffled.b == pytest.approx(0.5, rel=1e-3)
    assert list(shuffled.sizes) == sorted(n)


def test_unweighted_fit_also_recovers() -> None:
    n = np.geomspace(50, 20_000, 9)
    curve = fit_learning_curve(n, 3.0 * n ** -0.7 + 0.02, relative_weights=False)
    assert curve.b == pytest.approx(0.7, rel=1e-2)


def test_target_below_floor_is_a_clear_error() -> None:
    curve = LearningCurve(2.0, 0.5, 0.05, 0, 0, 0, np.array([]), np.array([]))
    with pytest.raises(InputError, match=r"target_error=0\.05 .*floor c = 0\.05"):
        curve.examples_for(0.05)
    with pytest.raises(ValueError, match="target_error"):
        curve.examples_for([0.1, 0.01])


def test_flat_curve_has_no_answer() -> None:
    curve = LearningCurve(1.0, 0.0, 0.1, 0, 0, 0, np.array([]), np.array([]))
    with pytest.raises(ValueError, match="target_error"):
        curve.examples_for(0.5)


@pytest.mark.parametrize("sizes, errors, name", [
    ([100, 200, 400], [0.3, 0.2, 0.1], "sizes"),              # too few points
    ([100, 100, 200, 200, 400], [0.3] * 5, "sizes"),          # too few distinct sizes
    ([0, 100, 200, 400], [0.4, 0.3, 0.2, 0.1], "sizes"),      # non-positive size
    ([100, 200, 400, 800], [0.4, 0.3, -0.2, 0.1], "errors"),  # negative error
    ([100, 200, 400, 800], [0.4, 0.3, 0.2], "errors"),        # length mismatch
    ([100, 200, 400, 800], [0, 0, 0, 0], "errors"),           # nothing to fit
    ([[100, 200], [400, 800]], [[0.4, 0.3], [0.2, 0.1]], "sizes"),  # not 1-D
])
def test_bad_input_names_the_parameter(sizes, errors, name) -> None:
    with pytest.raises(ValueError, match=name):
        fit_learning_curve(sizes, errors)


def test_predict_validates_n() -> None:
    curve = LearningCurve(2.0, 0.5, 0.05, 0, 0, 0, np.array([]), np.array([]))
    with pytest.raises(ValueError, match="n="):
        curve.predict(0)
