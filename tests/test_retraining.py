"""mltk.handbook.retraining: the drifting stream, the policies, the simulation and its cost."""

from __future__ import annotations

import numpy as np
import pytest

import mltk
from mltk.foundation.errors import InputError
from mltk.foundation.ranges import Range
from mltk.handbook import retraining as rt
from mltk.heuristics.estimate import device_hour_price

pytest.importorskip("sklearn")

N_STEPS, WINDOW = 40, 5


@pytest.fixture(scope="module")
def stream() -> rt.Stream:
    return rt.make_stream(n_steps=N_STEPS, batch_size=300, drift_start=10, drift_steps=20,
                          seed=3)


@pytest.fixture(scope="module")
def results(stream: rt.Stream) -> dict[str, rt.PolicyResult]:
    policies = {"never": rt.Never(), "scheduled": rt.Scheduled(every=10),
                "performance": rt.PerformanceTriggered(min_accuracy=0.85),
                "drift": rt.DriftTriggered(psi_threshold=0.2)}
    return {k: rt.simulate(stream, p, window=WINDOW) for k, p in policies.items()}


# --------------------------------------------------------------------------- the stream

def test_stream_shapes_and_schedule() -> None:
    s = rt.make_stream(n_steps=12, batch_size=20, n_features=3, drift_start=2, drift_steps=4)
    assert s.X.shape == (12, 20, 3) and s.y.shape == (12, 20) and s.n_steps == 12
    np.testing.assert_allclose(s.drift, [0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1, 1, 1, 1])
    assert set(np.unique(s.y)) <= {0, 1}
    sudden = rt.make_stream(n_steps=6, batch_size=10, kind="sudden", drift_start=3)
    np.testing.assert_array_equal(sudden.drift, [0, 0, 0, 1, 1, 1])
    assert not rt.make_stream(n_steps=6, batch_size=10, kind="none").drift.any()


def test_stream_moves_feature_zero_only() -> None:
    s = rt.make_stream(n_steps=30, batch_size=2000, drift_start=5, drift_steps=10,
                       mean_shift=2.0)
    means = s.X.mean(axis=1)
    assert abs(means[0, 0]) < 0.1 and abs(means[-1, 0] - 2.0) < 0.1
    assert np.all(np.abs(means[:, 1:]) < 0.1)


def test_stream_label_noise_and_balance() -> None:
    s = rt.make_stream(n_steps=5, batch_size=4000, kind="none", label_noise=0.1)
    # labels balanced (the boundary passes through the centre of the data)
    assert abs(s.y.mean() - 0.5) < 0.02
    clean = (s.X[:, :, 0] + s.X[:, :, 1] > 0).astype(int)
    assert abs(np.mean(clean != s.y) - 0.1) < 0.01


def test_stream_deterministic() -> None:
    a, b = rt.make_stream(seed=5), rt.make_stream(seed=5)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, rt.make_stream(seed=6).X)


# --------------------------------------------------------------------------- simulation

def test_never_retrain_degrades_under_shift(results: dict[str, rt.PolicyResult]) -> None:
    never = results["never"]
    assert never.n_retrains == 0 and never.deploy_steps == ()
    assert never.accuracy[:5].mean() > 0.9           # before the drift starts
    assert never.accuracy[-10:].mean() < 0.7         # after it has run its course
    np.testing.assert_array_equal(never.steps, np.arange(WINDOW, N_STEPS))


@pytest.mark.parametrize("name", ["scheduled", "performance", "drift"])
def test_retraining_restores_accuracy(results: dict[str, rt.PolicyResult], name: str) -> None:
    never, r = results["never"], results[name]
    assert r.accuracy[-10:].mean() > 0.85
    assert r.accuracy[-10:].mean() > never.accuracy[-10:].mean() + 0.2
    assert r.mean_accuracy > never.mean_accuracy


def test_retrain_counts(results: dict[str, rt.PolicyResult]) -> None:
    # scored steps 5..39; the clock starts at the end of the warm-up (step 4)
    assert results["scheduled"].retrain_steps == (14, 24, 34)
    assert results["scheduled"].n_retrains == 3
    for name in ("performance", "drift"):
        r = results[name]
        assert r.n_retrains >= 1
        assert min(r.retrain_steps) > 10                 # nothing fires before the drift
        assert np.all(np.diff(r.retrain_steps) >= 3)     # the cooldown holds
        assert set(r.deploy_steps) <= set(r.retrain_steps)


def test_no_drift_no_triggered_retrains() -> None:
    calm = rt.make_stream(n_steps=30, batch_size=300, kind="none", seed=1)
    for policy in (rt.PerformanceTriggered(0.85), rt.DriftTriggered(0.2)):
        assert rt.simulate(calm, policy).n_retrains == 0


def test_drift_trigger_blind_to_pure_concept_drift() -> None:
    # the boundary turns but the inputs stay put: PSI sees nothing, accuracy does
    concept = rt.make_stream(n_steps=30, batch_size=300, drift_start=8, drift_steps=8,
                             mean_shift=0.0, rotation_deg=90.0, seed=2)
    assert rt.simulate(concept, rt.DriftTriggered(0.2)).n_retrains == 0
    assert rt.simulate(concept, rt.PerformanceTriggered(0.85)).n_retrains >= 1


def test_gate_off_deploys_every_candidate(stream: rt.Stream) -> None:
    r = rt.simulate(stream, rt.Scheduled(every=7), gate=False)
    assert r.deploy_steps == r.retrain_steps == (11, 18, 25, 32, 39)


def test_simulation_deterministic(stream: rt.Stream) -> None:
    a = rt.simulate(stream, rt.DriftTriggered(0.2))
    b = rt.simulate(stream, rt.DriftTriggered(0.2))
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    assert a.retrain_steps == b.retrain_steps and a.deploy_steps == b.deploy_steps


def test_compare_policies(stream: rt.Stream) -> None:
    out = rt.compare_policies(stream, [rt.Never(), rt.Scheduled(20)], window=3)
    assert [r.policy for r in out] == ["never", "every 20 steps"]
    assert out[1].retrain_steps == (22,)


# --------------------------------------------------------------------------- cost

def test_cost_from_estimate_training() -> None:
    args = dict(params=3.5e8, dataset_size=2e9, epochs=1)
    kw = dict(accelerator="A100-80GB", devices=4, precision="bf16")
    per = rt.retraining_cost(**args, **kw)
    assert per == mltk.estimate_training(**args, **kw).cost_usd
    r = rt.PolicyResult("p", np.arange(4), np.ones(4), (1, 2, 3), (1, 3))
    total = r.cost(per)
    assert total.mid == pytest.approx(3 * per.mid)
    assert total.low <= total.mid <= total.high
    assert rt.PolicyResult("p", np.arange(2), np.ones(2), (), ()).cost(per).mid == 0
    assert r.cost(100.0) == Range.point(300.0)


def test_cost_without_a_price() -> None:
    unpriced = [a for a in mltk.accelerators() if device_hour_price(a) is None]
    if not unpriced:
        pytest.skip("every catalog device has a price")
    acc = unpriced[0]
    prec = acc.precisions[0]
    with pytest.raises(InputError) as info:
        rt.retraining_cost(1e8, 1e9, accelerator=acc.name, precision=prec)
    assert info.value.parameter == "price_usd_per_hour"
    priced = rt.retraining_cost(1e8, 1e9, accelerator=acc.name, precision=prec,
                                price_usd_per_hour=1.0)
    assert priced.mid > 0


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call, parameter", [
    (lambda: rt.make_stream(n_steps=1), "n_steps"),
    (lambda: rt.make_stream(batch_size=5), "batch_size"),
    (lambda: rt.make_stream(n_features=1), "n_features"),
    (lambda: rt.make_stream(n_steps=2.5), "n_steps"),
    (lambda: rt.make_stream(kind="cyclic"), "kind"),
    (lambda: rt.make_stream(drift_steps=0), "drift_steps"),
    (lambda: rt.make_stream(mean_shift=-1), "mean_shift"),
    (lambda: rt.make_stream(label_noise=0.5), "label_noise"),
    (lambda: rt.Scheduled(every=0), "every"),
    (lambda: rt.PerformanceTriggered(min_accuracy=1.5), "min_accuracy"),
    (lambda: rt.PerformanceTriggered(cooldown=0), "cooldown"),
    (lambda: rt.DriftTriggered(psi_threshold=0), "psi_threshold"),
    (lambda: rt.DriftTriggered(bins=1), "bins"),
    (lambda: rt.simulate(rt.make_stream(n_steps=4, batch_size=10), rt.Never(), window=4),
     "window"),
    (lambda: rt.simulate(rt.make_stream(n_steps=4, batch_size=10), rt.Never(), window=0),
     "window"),
])
def test_input_errors_name_the_parameter(call, parameter: str) -> None:
    with pytest.raises(InputError) as info:
        call()
    assert info.value.parameter == parameter


# --------------------------------------------------------------------------- label delay

@pytest.mark.parametrize("delay", [1, 3, 6])
def test_label_delay_postpones_the_performance_trigger_by_exactly_the_delay(
        stream: rt.Stream, delay: int) -> None:
    perf = rt.PerformanceTriggered(min_accuracy=0.85)
    on_time = rt.simulate(stream, perf, window=WINDOW)
    late = rt.simulate(stream, perf, window=WINDOW, label_delay=delay)
    # Before the first retraining both runs serve the same model, so the first reading
    # below the floor is the same batch, seen `delay` steps later.
    assert late.retrain_steps[0] == on_time.retrain_steps[0] + delay
    assert late.label_delay == delay and on_time.label_delay == 0


def test_label_delay_does_not_move_the_drift_trigger(stream: rt.Stream) -> None:
    drift = rt.DriftTriggered(psi_threshold=0.2)
    firsts = {rt.simulate(stream, drift, window=WINDOW, label_delay=d).retrain_steps[0]
              for d in (0, 4, 8)}
    assert len(firsts) == 1


def test_label_delay_zero_is_the_default(stream: rt.Stream,
                                         results: dict[str, rt.PolicyResult]) -> None:
    r = rt.simulate(stream, rt.PerformanceTriggered(min_accuracy=0.85), window=WINDOW,
                    label_delay=0)
    assert r.retrain_steps == results["performance"].retrain_steps
    np.testing.assert_array_equal(r.accuracy, results["performance"].accuracy)


def test_estimated_accuracy_is_cbpe_of_the_served_model(stream: rt.Stream) -> None:
    from sklearn.linear_model import LogisticRegression

    from mltk.handbook.label_free_monitoring import estimate_performance

    r = rt.simulate(stream, rt.Never(), window=WINDOW)
    model = LogisticRegression().fit(stream.X[:WINDOW].reshape(-1, 4), stream.y[:WINDOW].ravel())
    t = WINDOW + 7
    expected = estimate_performance(model.predict_proba(stream.X[t])[:, 1]).accuracy.mid
    assert r.estimated_accuracy[7] == pytest.approx(expected)


def test_estimated_performance_trigger_fires_on_the_estimate(stream: rt.Stream) -> None:
    always = rt.simulate(stream, rt.EstimatedPerformanceTriggered(0.999, cooldown=2),
                         window=WINDOW)
    # the estimate never reaches 0.999: it fires as soon as the cooldown allows
    assert always.retrain_steps[:3] == (WINDOW + 1, WINDOW + 3, WINDOW + 5)
    assert rt.simulate(stream, rt.EstimatedPerformanceTriggered(0.01), window=WINDOW
                       ).n_retrains == 0


def test_custom_policy_without_kwargs_still_works(stream: rt.Stream) -> None:
    class Old:
        name = "old"

        def fires(self, *, since_retrain, accuracy, current, reference):  # noqa: ANN001
            return since_retrain >= 12

    assert rt.simulate(stream, Old(), window=WINDOW, label_delay=2).n_retrains > 0


@pytest.mark.parametrize("delay", [-1, 1.5, N_STEPS - WINDOW])
def test_label_delay_bad_input(stream: rt.Stream, delay: object) -> None:
    with pytest.raises(InputError, match="label_delay"):
        rt.simulate(stream, rt.Never(), window=WINDOW, label_delay=delay)
