"""Benchmark: ``python -m mltk estimate ...`` as a whole process (goal: median < 0.5 s).

Run: .venv/bin/python bench/bench_cli.py [runs]

Each run starts a fresh interpreter, so the figure includes Python start-up, ``import mltk``
(numpy), loading the catalog, the published runs and the assumptions file, the estimate
and the JSON output. The baseline line shows what a bare interpreter and ``import numpy``
cost on this machine, for scale: on a busy machine every figure grows.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time

GOAL_S = 0.5
ESTIMATE = ["-m", "mltk", "estimate", "--params", "7e9", "--dataset-size", "2e12",
            "--accelerator", "H100-SXM", "--devices", "512", "--json"]


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (user + system) of ``runs`` fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        c0, t0 = _child_cpu(), time.perf_counter()
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        cpus.append(_child_cpu() - c0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
    return walls, cpus


def wall(args: list[str], runs: int) -> list[float]:
    return timed(args, runs)[0]


def main(runs: int = 15) -> None:
    wall(ESTIMATE, 2)  # warm the file cache
    out = subprocess.run([sys.executable, *ESTIMATE], capture_output=True, text=True).stdout
    assert json.loads(out)["flops"] > 0
    med = statistics.median
    bare = timed(["-c", "pass"], runs)
    numpy = timed(["-c", "import numpy"], runs)
    times, cpu = timed(ESTIMATE, runs)
    print(f"python -m mltk estimate ... --json: median {med(times):.3f} s wall "
          f"({med(cpu):.3f} s CPU) over {runs} runs (min {min(times):.3f} s); goal < {GOAL_S} s: "
          f"{'met' if med(times) < GOAL_S else 'NOT met'}")
    print(f"baseline: bare interpreter {med(bare[0]):.3f} s wall ({med(bare[1]):.3f} s CPU), "
          f"import numpy {med(numpy[0]):.3f} s wall ({med(numpy[1]):.3f} s CPU)")
    print(f"mltk's own share (CPU, estimate minus import numpy): "
          f"{med(cpu) - med(numpy[1]):.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
