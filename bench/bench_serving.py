"""Validation of the serving planner against published measurements, and its speed.

Run: .venv/bin/python bench/bench_serving.py

Prints, for every row of ``mltk/data/serving_measurements.csv``, the planner's error
(predicted / measured - 1) on output tokens/s, time to first token and time per output
token, then the median absolute errors. Target (issue 19): median throughput error at
most 25%. Then times one ``plan_serving`` call (goal: median < 0.5 s).
"""

from __future__ import annotations

import statistics
import time

from mltk.evidence import serving_validation as sv
from mltk.heuristics.serving import plan_serving

TARGET = 0.25


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:+.0%}"


def main() -> None:
    print(f"{'configuration':42s} {'bound':9s} {'tokens/s':>9s} {'TTFT':>6s} {'TPOT':>6s}")
    for c in sv.checks():
        print(f"{c.measurement.id:42s} {c.bound:9s} {_pct(c.throughput_error):>9s} "
              f"{_pct(c.ttft_error):>6s} {_pct(c.tpot_error):>6s}")
    for metric in ("throughput", "ttft", "tpot"):
        n = sum(getattr(c, f"{metric}_error") is not None for c in sv.checks())
        print(f"median |error| {metric:10s} {sv.median_abs_error(metric):6.1%}  ({n} rows)")
    for label, keep in (("one device", lambda d: d == 1), ("tensor-parallel", lambda d: d > 1)):
        errs = [abs(c.throughput_error) for c in sv.checks()
                if c.throughput_error is not None and keep(c.measurement.devices)]
        print(f"median |error| throughput, {label:15s} {statistics.median(errs):6.1%}  ({len(errs)} rows)")
    med = sv.median_abs_error("throughput")
    print(f"throughput target <= {TARGET:.0%}: {'met' if med <= TARGET else 'NOT met'}")
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        plan_serving("Llama-3-70B", "H100-SXM", requests_per_s=200, prompt_tokens=1000,
                     output_tokens=200, ttft_target_s=0.5, tpot_target_s=0.03, weight_precision="fp8")
        times.append(time.perf_counter() - t0)
    print(f"plan_serving median {statistics.median(times) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
