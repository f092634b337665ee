"""Benchmark: ``python -m mltk estimate ...`` as a whole process (goal: median < 0.5 s).

Run: .venv/bin/python bench/bench_cli.py [runs]

Each run starts a fresh interpreter, so the figure includes Python start-up, ``import mltk``
(numpy), loading the catalog, the published runs and the assumptions file, the estimate
and the JSON output. The baseline line shows what a bare interpreter and ``import numpy``
cost on this machine, for scale: on a busy machine every figure grows.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

GOAL_S = 0.5
ESTIMATE = ["-m", "mltk", "estimate", "--params", "7e9", "--dataset-size", "2e12",
            "--accelerator", "H100-SXM", "--devices", "512", "--json"]


def wall(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
    return times


def main(runs: int = 15) -> None:
    wall(ESTIMATE, 2)  # warm the file cache
    out = subprocess.run([sys.executable, *ESTIMATE], capture_output=True, text=True).stdout
    assert json.loads(out)["flops"] > 0
    bare = statistics.median(wall(["-c", "pass"], runs))
    numpy = statistics.median(wall(["-c", "import numpy"], runs))
    times = wall(ESTIMATE, runs)
    median = statistics.median(times)
    print(f"python -m mltk estimate ... --json: median {median:.3f} s over {runs} runs "
          f"(min {min(times):.3f} s, max {max(times):.3f} s); goal < {GOAL_S} s: "
          f"{'met' if median < GOAL_S else 'NOT met'}")
    print(f"baseline: bare interpreter {bare:.3f} s, import numpy {numpy:.3f} s "
          f"(mltk's own share ≈ {median - numpy:.3f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
