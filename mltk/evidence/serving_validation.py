"""The serving planner against published measurements (``data/serving_measurements.csv``).

Each row is a published configuration: a model on a tensor-parallel group of one
accelerator type at a stated batch (or concurrency), prompt and output length. The
planner predicts it with its default efficiency assumptions, never fitted to these rows:

- ``static_batch`` rows (TensorRT-LLM ``gptSessionBenchmark``, vLLM ``benchmark_latency``): output tokens/s of
  :func:`mltk.heuristics.serving.generation_estimate`.
- ``first_token`` rows: the TTFT of the same function at batch 1.
- ``concurrency`` rows (NVIDIA NIM with a fixed number of requests in flight):
  :func:`mltk.heuristics.serving.continuous_batching_estimate`, whose output tokens/s a
  closed loop of clients sees as batch × output / (TTFT + (output − 1) × TPOT).

Where a row's ``grouped_kv_attention`` is ``no`` (TensorRT-LLM before v0.8, which had
no grouped-query decode kernel), the prediction uses the default efficiency with
``grouped_kv_reads=False``: the software measured, not a fitted factor.

The error of a figure is predicted / measured − 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from statistics import median

from ..foundation.datafiles import opt_float, read_csv
from ..heuristics.serving import continuous_batching_estimate, default_efficiency, generation_estimate

__all__ = ["ServingMeasurement", "ServingCheck", "serving_measurements", "check", "checks",
           "median_abs_error", "table"]


@dataclass(frozen=True)
class ServingMeasurement:
    """One row of ``data/serving_measurements.csv``."""

    id: str
    kind: str
    model: str
    accelerator: str
    devices: int
    weight_precision: str
    kv_precision: str
    batch: int
    prompt_tokens: int
    output_tokens: int
    output_tokens_per_s: float | None
    ttft_s: float | None
    tpot_s: float | None
    software: str
    grouped_kv_attention: bool
    source: str
    source_detail: str
    verified: bool
    notes: str


@cache
def serving_measurements() -> tuple[ServingMeasurement, ...]:
    """Every row of the file.

    Examples
    --------
    >>> rows = serving_measurements()
    >>> len(rows) >= 30, {r.kind for r in rows} == {"static_batch", "first_token", "concurrency"}
    (True, True)
    """
    out = []
    for r in read_csv("serving_measurements.csv"):
        out.append(ServingMeasurement(
            id=r["id"], kind=r["kind"], model=r["model"], accelerator=r["accelerator"],
            devices=int(r["devices"]), weight_precision=r["weight_precision"],
            kv_precision=r["kv_precision"], batch=int(r["batch"]),
            prompt_tokens=int(r["prompt_tokens"]), output_tokens=int(r["output_tokens"]),
            output_tokens_per_s=opt_float(r["measured_output_tokens_per_s"]),
            ttft_s=opt_float(r["measured_ttft_s"]), tpot_s=opt_float(r["measured_tpot_s"]),
            software=r["software"], grouped_kv_attention=r["grouped_kv_attention"] != "no",
            source=r["source"], source_detail=r["source_detail"],
            verified=r["verified"] == "yes", notes=r["notes"]))
    return tuple(out)


@dataclass(frozen=True)
class ServingCheck:
    """A measurement with the planner's prediction; errors are predicted / measured − 1."""

    measurement: ServingMeasurement
    predicted_tokens_per_s: float | None
    predicted_ttft_s: float
    predicted_tpot_s: float
    bound: str

    def _err(self, pred: float | None, meas: float | None) -> float | None:
        return None if pred is None or meas is None else pred / meas - 1.0

    @property
    def throughput_error(self) -> float | None:
        """Relative error of output tokens/s (None where not measured)."""
        return self._err(self.predicted_tokens_per_s, self.measurement.output_tokens_per_s)

    @property
    def ttft_error(self) -> float | None:
        """Relative error of the time to first token (None where not measured)."""
        return self._err(self.predicted_ttft_s, self.measurement.ttft_s)

    @property
    def tpot_error(self) -> float | None:
        """Relative error of the time per output token (None where not measured)."""
        return self._err(self.predicted_tpot_s, self.measurement.tpot_s)


def check(m: ServingMeasurement) -> ServingCheck:
    """Predict one measurement with the default assumptions.

    Examples
    --------
    >>> c = check([m for m in serving_measurements() if m.kind == "first_token"][0])
    >>> c.measurement.model, c.predicted_ttft_s > 0
    ('Llama-2-70B', True)
    """
    kw = dict(prompt_tokens=m.prompt_tokens, output_tokens=m.output_tokens, batch=m.batch,
              devices=m.devices, weight_precision=m.weight_precision, kv_precision=m.kv_precision,
              price_usd_per_hour=1.0,
              efficiency=replace(default_efficiency(), grouped_kv_reads=m.grouped_kv_attention))
    if m.kind == "concurrency":
        e = continuous_batching_estimate(m.model, m.accelerator, **kw)
        loop = m.batch * m.output_tokens / (e.ttft_s + (m.output_tokens - 1) * e.tpot_s)
        return ServingCheck(m, loop, e.ttft_s, e.tpot_s, e.bound)
    e = generation_estimate(m.model, m.accelerator, **kw)
    tput = e.tokens_per_s if m.kind == "static_batch" else None
    return ServingCheck(m, tput, e.ttft_s, e.tpot_s, e.bound)


@cache
def checks() -> tuple[ServingCheck, ...]:
    """Every measurement with its prediction."""
    return tuple(check(m) for m in serving_measurements())


def median_abs_error(metric: str = "throughput") -> float:
    """Median |predicted / measured − 1| over the rows that measure ``metric``.

    ``metric`` is ``"throughput"``, ``"ttft"`` or ``"tpot"``.

    Examples
    --------
    >>> 0 < median_abs_error("throughput") < 1
    True
    """
    errs = [getattr(c, f"{metric}_error") for c in checks()]
    vals = [abs(e) for e in errs if e is not None]
    return median(vals)


def table() -> list[dict[str, object]]:
    """One plain row per measurement: configuration, measured, predicted, errors, source."""
    rows = []
    for c in checks():
        m = c.measurement
        rows.append({
            "id": m.id, "model": m.model, "accelerator": m.accelerator, "devices": m.devices,
            "precision": m.weight_precision, "batch": m.batch, "prompt_tokens": m.prompt_tokens,
            "output_tokens": m.output_tokens,
            "measured_tokens_per_s": m.output_tokens_per_s,
            "predicted_tokens_per_s": c.predicted_tokens_per_s,
            "throughput_error": c.throughput_error,
            "measured_ttft_s": m.ttft_s, "predicted_ttft_s": c.predicted_ttft_s, "ttft_error": c.ttft_error,
            "measured_tpot_s": m.tpot_s, "predicted_tpot_s": c.predicted_tpot_s, "tpot_error": c.tpot_error,
            "bound": c.bound, "software": m.software, "source": m.source,
        })
    return rows
