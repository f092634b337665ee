"""Continuous training, simulated: a drifting stream, a model that ages, retraining policies.

A small, seeded and deterministic laboratory for the "Continuous Training" chapter:

- :func:`make_stream` draws batches whose input distribution moves (feature 0's mean
  shifts) while the decision boundary rotates, as when the world a model describes
  changes under it.
- Policies say when to retrain: :class:`Never`, :class:`Scheduled`,
  :class:`PerformanceTriggered` (labelled accuracy falls below a floor),
  :class:`DriftTriggered` (the PSI of an input feature, :func:`mltk.handbook.drift.psi`,
  exceeds a threshold) and :class:`EstimatedPerformanceTriggered` (the accuracy
  estimated without labels, :func:`mltk.handbook.label_free_monitoring.estimate_performance`,
  falls below a floor).
- :func:`simulate` runs one policy over the stream with a scikit-learn logistic
  regression, optionally behind a validation gate and with labels that arrive
  ``label_delay`` steps after the inputs, and returns accuracy over time and the
  retraining steps.
- :func:`retraining_cost` prices one retraining with :func:`mltk.estimate_training`;
  :meth:`PolicyResult.cost` multiplies it by the number of retrainings.

scikit-learn is needed by :func:`simulate` only (imported on first use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..foundation import checks as v
from ..foundation.errors import InputError
from ..foundation.ranges import Range
from ..heuristics.estimate import estimate_training
from .drift import PSI_THRESHOLDS, psi
from .label_free_monitoring import estimate_performance

__all__ = ["Stream", "make_stream", "Policy", "Never", "Scheduled", "PerformanceTriggered",
           "DriftTriggered", "EstimatedPerformanceTriggered", "PolicyResult", "simulate",
           "compare_policies", "retraining_cost",
           "DRIFT_KINDS"]

#: Shapes of the drift schedule :func:`make_stream` knows.
DRIFT_KINDS: tuple[str, ...] = ("gradual", "sudden", "none")


# --------------------------------------------------------------------------- the stream

@dataclass(frozen=True)
class Stream:
    """Batches of a labelled data stream.

    Attributes
    ----------
    X : ndarray, shape (n_steps, batch_size, n_features)
        Inputs of each batch.
    y : ndarray, shape (n_steps, batch_size)
        Binary labels (0/1).
    drift : ndarray, shape (n_steps,)
        Drift amount at each step, from 0 (the training-time world) to 1 (fully moved).
    """

    X: NDArray[np.float64]
    y: NDArray[np.int64]
    drift: NDArray[np.float64]

    @property
    def n_steps(self) -> int:
        """Number of batches."""
        return int(self.X.shape[0])


def make_stream(n_steps: int = 60, batch_size: int = 400, n_features: int = 4, *,
                kind: str = "gradual", drift_start: int = 15, drift_steps: int = 30,
                mean_shift: float = 2.0, rotation_deg: float = 60.0,
                label_noise: float = 0.05, seed: int = 0) -> Stream:
    """Draw a seeded stream whose inputs and decision boundary move over time.

    At step t the drift amount s(t) goes from 0 to 1: a linear ramp over ``drift_steps``
    steps from ``drift_start`` (``"gradual"``), a jump at ``drift_start``
    (``"sudden"``), or stays 0 (``"none"``). Inputs are standard normal with feature 0's
    mean moved by ``s * mean_shift`` (covariate shift); the label is the side of a
    hyperplane through the data's centre whose normal, initially (1, 1, 0, ...)/sqrt(2),
    turns by ``s * rotation_deg`` degrees in the plane of features 0 and 1 (concept
    drift). A fraction ``label_noise`` of labels is flipped, so even a perfect model
    scores about 1 - label_noise.

    Parameters
    ----------
    n_steps, batch_size, n_features : int
        Number of batches (>= 2), rows per batch (>= 10), features (>= 2; the extra
        features carry no signal).
    kind : {"gradual", "sudden", "none"}
        Shape of the drift schedule.
    drift_start, drift_steps : int
        Step where drift begins (>= 0) and length of the gradual ramp (>= 1).
    mean_shift : float
        Final shift of feature 0's mean, in standard deviations (>= 0).
    rotation_deg : float
        Final rotation of the decision boundary, in degrees (>= 0).
    label_noise : float
        Fraction of labels flipped, in [0, 0.5).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same stream.

    Returns
    -------
    Stream

    Examples
    --------
    >>> s = make_stream(n_steps=20, batch_size=50, drift_start=5, drift_steps=10)
    >>> s.X.shape, s.y.shape
    ((20, 50, 4), (20, 50))
    >>> s.drift[[0, 5, 10, 15, 19]].tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    n = v.integer("n_steps", n_steps, 2)
    b = v.integer("batch_size", batch_size, 10)
    d = v.integer("n_features", n_features, 2)
    start = v.integer("drift_start", drift_start, 0)
    ramp = v.integer("drift_steps", drift_steps, 1)
    if kind not in DRIFT_KINDS:
        raise InputError("kind", kind, f"one of {', '.join(DRIFT_KINDS)}")
    shift = float(v.non_negative("mean_shift", mean_shift))
    rot = float(v.non_negative("rotation_deg", rotation_deg))
    noise = float(v.non_negative("label_noise", label_noise))
    if noise >= 0.5:
        raise InputError("label_noise", label_noise, "a fraction in [0, 0.5)")

    t = np.arange(n, dtype=float)
    if kind == "gradual":
        s = np.clip((t - start) / ramp, 0.0, 1.0)
    elif kind == "sudden":
        s = (t >= start).astype(float)
    else:
        s = np.zeros(n)

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, b, d))
    X[:, :, 0] += (s * shift)[:, None]
    angle = np.deg2rad(45.0 + s * rot)          # normal starts at 45 degrees: (1, 1)/sqrt(2)
    centred0 = X[:, :, 0] - (s * shift)[:, None]
    score = np.cos(angle)[:, None] * centred0 + np.sin(angle)[:, None] * X[:, :, 1]
    y = (score > 0).astype(np.int64)
    flip = rng.random((n, b)) < noise
    y[flip] = 1 - y[flip]
    return Stream(X=X, y=y, drift=s)


# --------------------------------------------------------------------------- policies

class Policy(Protocol):
    """When to retrain. ``fires`` sees what a production system would see after step t.

    :func:`simulate` passes ``since_retrain``, ``accuracy`` (on the newest labelled batch
    the serving model predicted; NaN while none has arrived), ``current`` and
    ``reference`` inputs, and, to a ``fires`` that names it or takes ``**kwargs``,
    ``estimated_accuracy`` (CBPE on the current batch, no labels needed).
    """

    @property
    def name(self) -> str: ...

    def fires(self, *, since_retrain: int, accuracy: float, current: NDArray[np.float64],
              reference: NDArray[np.float64]) -> bool: ...


@dataclass(frozen=True)
class Never:
    """Train once, never again (the baseline)."""

    @property
    def name(self) -> str:
        return "never"

    def fires(self, **_: Any) -> bool:
        return False


@dataclass(frozen=True)
class Scheduled:
    """Retrain every ``every`` steps, whatever the data say (a cron job)."""

    every: int = 10

    def __post_init__(self) -> None:
        v.integer("every", self.every, 1)

    @property
    def name(self) -> str:
        return f"every {self.every} steps"

    def fires(self, *, since_retrain: int, **_: Any) -> bool:
        return since_retrain >= self.every


@dataclass(frozen=True)
class _AccuracyFloor:
    """An accuracy floor with a cooldown: the fields, their checks and the test that both
    :class:`PerformanceTriggered` and :class:`EstimatedPerformanceTriggered` apply."""

    min_accuracy: float = 0.85
    cooldown: int = 3

    def __post_init__(self) -> None:
        v.fraction("min_accuracy", self.min_accuracy)
        v.integer("cooldown", self.cooldown, 1)

    def _below(self, since_retrain: int, accuracy: float) -> bool:
        return since_retrain >= self.cooldown and accuracy < self.min_accuracy


@dataclass(frozen=True)
class PerformanceTriggered(_AccuracyFloor):
    """Retrain when the accuracy on the latest labelled batch falls below ``min_accuracy``.

    ``cooldown`` steps must pass between retrainings, so a floor the data cannot reach
    does not retrain at every step. With labels that arrive late the accuracy it sees is
    that of an old batch, and it cannot fire until the first labels of the serving model
    come in (NaN compares as not below the floor).
    """

    @property
    def name(self) -> str:
        return f"accuracy < {self.min_accuracy:g}"

    def fires(self, *, since_retrain: int, accuracy: float, **_: Any) -> bool:
        return self._below(since_retrain, accuracy)


@dataclass(frozen=True)
class DriftTriggered:
    """Retrain when any input feature's PSI against the training inputs exceeds a threshold.

    Needs no labels to fire (labels are still needed to retrain). It sees covariate
    shift only: a boundary that moves while the inputs stay put goes unnoticed.
    """

    psi_threshold: float = PSI_THRESHOLDS[1]  # the "major shift" line of the rule of thumb
    cooldown: int = 3
    bins: int = 10

    def __post_init__(self) -> None:
        v.positive("psi_threshold", self.psi_threshold)
        v.integer("cooldown", self.cooldown, 1)
        v.integer("bins", self.bins, 2)

    @property
    def name(self) -> str:
        return f"PSI > {self.psi_threshold:g}"

    def max_psi(self, current: NDArray[np.float64], reference: NDArray[np.float64]) -> float:
        """Largest PSI over the features (columns)."""
        return max(psi(reference[:, j], current[:, j], self.bins)
                   for j in range(reference.shape[1]))

    def fires(self, *, since_retrain: int, current: NDArray[np.float64],
              reference: NDArray[np.float64], **_: Any) -> bool:
        return since_retrain >= self.cooldown and \
            self.max_psi(current, reference) > self.psi_threshold


@dataclass(frozen=True)
class EstimatedPerformanceTriggered(_AccuracyFloor):
    """Retrain when the accuracy *estimated without labels* falls below ``min_accuracy``.

    The estimate is confidence-based performance estimation (CBPE,
    :func:`mltk.handbook.label_free_monitoring.estimate_performance`) on the model's
    predicted probabilities for the current batch, so it fires without waiting for
    labels. It is only as good as the model's calibration in the new data: it sees the
    model's growing uncertainty under covariate shift and misses concept shift.
    """

    @property
    def name(self) -> str:
        return f"estimated accuracy < {self.min_accuracy:g}"

    def fires(self, *, since_retrain: int, estimated_accuracy: float, **_: Any) -> bool:
        return self._below(since_retrain, estimated_accuracy)


# --------------------------------------------------------------------------- simulation

@dataclass(frozen=True)
class PolicyResult:
    """What :func:`simulate` saw.

    Attributes
    ----------
    policy : str
        The policy's name.
    steps : ndarray
        Steps at which the deployed model was scored (after the warm-up window).
    accuracy : ndarray
        Accuracy of the deployed model on each of those batches, before its labels were used.
    retrain_steps : tuple of int
        Steps after which a model was trained (each costs one training run).
    deploy_steps : tuple of int
        Steps after which the new model passed the gate and replaced the old one.
    estimated_accuracy : ndarray or None
        CBPE estimate of each batch's accuracy, made before its labels arrived.
    label_delay : int
        Steps between a batch's inputs and its labels.
    """

    policy: str
    steps: NDArray[np.int64]
    accuracy: NDArray[np.float64]
    retrain_steps: tuple[int, ...]
    deploy_steps: tuple[int, ...]
    estimated_accuracy: NDArray[np.float64] | None = None
    label_delay: int = 0

    @property
    def n_retrains(self) -> int:
        """Number of training runs paid for."""
        return len(self.retrain_steps)

    @property
    def mean_accuracy(self) -> float:
        """Mean accuracy over the scored steps."""
        return float(self.accuracy.mean())

    def cost(self, per_retrain: Range | float) -> Range:
        """Total retraining cost: ``per_retrain`` (e.g. :func:`retraining_cost`) times retrains.

        Examples
        --------
        >>> r = PolicyResult("x", np.arange(3), np.ones(3), (1, 2), (1,))
        >>> r.cost(Range(10.0, 20.0, 40.0))
        Range(low=20.0, mid=40.0, high=80.0)
        """
        return Range.of(per_retrain) * self.n_retrains


def _fit(X: NDArray[np.float64], y: NDArray[np.int64]) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(X, y)


def _single_thread() -> Any:
    """Limit BLAS/OpenMP to one thread: these tiny fits are several times slower threaded."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as err:  # pragma: no cover - both come with scikit-learn
        raise ImportError("mltk.retraining.simulate needs scikit-learn: "
                          "pip install scikit-learn") from err
    return threadpool_limits(limits=1)


def simulate(stream: Stream, policy: Policy, *, window: int = 5, gate: bool = True,
             label_delay: int = 0) -> PolicyResult:
    """Run ``policy`` over ``stream``: score, decide, maybe retrain, step after step.

    The first model is trained on batches 0 .. window-1 (the history before launch).
    At each later step t the deployed model predicts batch t; the labels of batch t
    arrive ``label_delay`` steps later, so at step t the newest labelled batch is
    h = t - label_delay. The policy then decides, seeing the accuracy of the model that
    served batch h (NaN if h was served by an older model than the one now deployed, or
    predates launch), the inputs of batch t and the CBPE estimate on batch t.
    A retraining fits a logistic regression on the latest ``window`` *labelled*
    batches (fewer at the start of the stream). With ``gate=True`` batch h is held out:
    the candidate trains on the ``window`` batches before it and replaces the deployed
    model only if it scores at least as well on h (a validation gate; a rejected
    candidate still costs a training run). With ``gate=False`` it trains on the latest
    ``window`` labelled batches, h included, and always deploys.
    ``accuracy`` in the result is always the realised accuracy of batch t, whatever the
    delay: the truth the policy could not yet see.

    Deterministic: the same stream and policy give the same result.

    Parameters
    ----------
    stream : Stream
        From :func:`make_stream`.
    policy : Policy
        :class:`Never`, :class:`Scheduled`, :class:`PerformanceTriggered`,
        :class:`DriftTriggered`, or any object with ``name`` and ``fires(...)``.
    window : int, default 5
        Batches per training set (>= 1, fewer than the stream's steps).
    gate : bool, default True
        Hold out the newest batch and deploy only candidates that do not score worse.
    label_delay : int, default 0
        Steps between a batch's inputs and its labels (>= 0, fewer than the stream's
        steps minus ``window``).

    Returns
    -------
    PolicyResult

    Examples
    --------
    >>> s = make_stream(n_steps=30, batch_size=200, drift_start=8, drift_steps=10)
    >>> never = simulate(s, Never())
    >>> never.n_retrains, bool(never.accuracy[:3].mean() > never.accuracy[-3:].mean() + 0.15)
    (0, True)
    >>> simulate(s, Scheduled(every=5)).retrain_steps
    (9, 14, 19, 24, 29)

    With labels five steps late, the performance trigger fires later:

    >>> perf = PerformanceTriggered(min_accuracy=0.85)
    >>> simulate(s, perf).retrain_steps[0], simulate(s, perf, label_delay=5).retrain_steps[0]
    (10, 15)
    """
    w = v.integer("window", window, 1)
    if w >= stream.n_steps:
        raise InputError("window", window, f"fewer batches than the stream has ({stream.n_steps})")
    delay = v.integer("label_delay", label_delay, 0)
    if delay >= stream.n_steps - w:
        raise InputError("label_delay", label_delay,
                         f"fewer steps than the stream has after the first window "
                         f"({stream.n_steps - w})")
    with _single_thread():
        return _simulate(stream, policy, w, gate, delay)


def _accepts(policy: Policy, name: str) -> bool:
    """Whether ``policy.fires`` takes keyword ``name`` (or ``**kwargs``)."""
    import inspect

    try:
        params = inspect.signature(policy.fires).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def _simulate(stream: Stream, policy: Policy, w: int, gate: bool, delay: int = 0
              ) -> PolicyResult:
    X, y = stream.X, stream.y
    d = X.shape[2]

    def flat(a: int, b: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        a = max(a, 0)
        return X[a:b].reshape(-1, d), y[a:b].reshape(-1)

    ref_X, ref_y = flat(0, w)
    model = _fit(ref_X, ref_y)
    last = w - 1           # step of the last retraining
    served_from = w        # first step the deployed model served
    steps = np.arange(w, stream.n_steps)
    acc = np.empty(steps.size)
    est = np.empty(steps.size)
    retrains: list[int] = []
    deploys: list[int] = []
    wants_estimate = _accepts(policy, "estimated_accuracy")
    for i, t in enumerate(steps):
        proba = model.predict_proba(X[t])[:, 1]
        acc[i] = float(np.mean((proba >= 0.5) == y[t]))
        est[i] = estimate_performance(proba).accuracy.mid
        h = int(t - delay)                       # newest batch whose labels have arrived
        seen = acc[i - delay] if h >= served_from else float("nan")
        extra = {"estimated_accuracy": est[i]} if wants_estimate else {}
        if not policy.fires(since_retrain=int(t - last), accuracy=seen, current=X[t],
                            reference=ref_X, **extra):
            continue
        retrains.append(int(t))
        last = int(t)
        if gate:
            cand_X, cand_y = flat(h - w, h)
            if cand_y.size == 0 or np.unique(cand_y).size < 2:
                continue
            candidate = _fit(cand_X, cand_y)
            champion = float(np.mean(model.predict(X[h]) == y[h]))
            if float(np.mean(candidate.predict(X[h]) == y[h])) < champion:
                continue
        else:
            cand_X, cand_y = flat(h - w + 1, h + 1)
            candidate = _fit(cand_X, cand_y)
        model, ref_X = candidate, cand_X
        served_from = int(t) + 1
        deploys.append(int(t))
    return PolicyResult(policy=policy.name, steps=steps, accuracy=acc,
                        retrain_steps=tuple(retrains), deploy_steps=tuple(deploys),
                        estimated_accuracy=est, label_delay=delay)


def compare_policies(stream: Stream, policies: list[Policy], **kwargs: Any
                     ) -> list[PolicyResult]:
    """:func:`simulate` each policy on the same stream (keyword arguments passed on)."""
    return [simulate(stream, p, **kwargs) for p in policies]


def retraining_cost(params: ArrayLike, dataset_size: ArrayLike, epochs: ArrayLike = 1,
                    accelerator: str = "A100-80GB", devices: ArrayLike = 1,
                    precision: str = "bf16", **kwargs: Any) -> Range:
    """Cost of one retraining run in USD, from :func:`mltk.estimate_training`.

    A thin wrapper: it returns ``estimate_training(...).cost_usd`` and raises a clear
    error where no price per device-hour is known (pass ``price_usd_per_hour=``).

    Examples
    --------
    >>> c = retraining_cost(1e8, 1e9, accelerator="A100-80GB", devices=1,
    ...                     price_usd_per_hour=2.0)
    >>> bool(c.low <= c.mid <= c.high)
    True
    """
    est = estimate_training(params, dataset_size, epochs, accelerator=accelerator,
                            devices=devices, precision=precision, **kwargs)
    if est.cost_usd is None:
        raise InputError("price_usd_per_hour", None,
                         f"a price per device-hour: none is known for {est.accelerator.name}")
    return est.cost_usd
