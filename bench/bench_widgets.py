"""Benchmark: one calculator update, plot redraw included (goal: median < 100 ms).

Run: .venv/bin/python bench/bench_widgets.py
"""

from __future__ import annotations

import statistics
import time

from mltk.widgets import (
    ComputeCalculator,
    PeakCalculator,
    ProjectEstimator,
    TCOCalculator,
    TimeCalculator,
)
from mltk.widgets.serving import ServingCalculator

CASES = [
    (PeakCalculator, "cores", ["3840", "5120", "6912"]),
    (ComputeCalculator, "params", ["7e9", "13e9", "70e9"]),
    (TimeCalculator, "devices", ["128", "256", "512"]),
    (TCOCalculator, "devices", ["16", "32", "64"]),
    (ProjectEstimator, "devices", ["128", "256", "512"]),
    (ServingCalculator, "requests_per_s", ["50", "100", "200"]),
]


def main(repeats: int = 30) -> None:
    for cls, field, values in CASES:
        calc = cls()
        for v in values:  # warm up caches (fonts, catalog)
            calc.set(**{field: v})
        times = []
        for i in range(repeats):
            t0 = time.perf_counter()
            calc.set(**{field: values[i % len(values)]})
            times.append(time.perf_counter() - t0)
        assert calc.result is not None
        print(f"{cls.__name__:18s} median {statistics.median(times) * 1e3:6.1f} ms   "
              f"p90 {sorted(times)[int(0.9 * len(times))] * 1e3:6.1f} ms")


if __name__ == "__main__":
    main()
