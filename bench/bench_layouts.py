"""Benchmark: the layout model's speed and its error against published training runs.

Run: .venv/bin/python bench/bench_layouts.py

Goals: one layout evaluation (``mltk.evaluate_layout``) in < 1 ms; a search over every
valid layout of a 1,024-device job (``mltk.search_layouts``: every tp, pp, dp, interleaving
and micro-batch, times the ZeRO stages and recomputation modes) in < 1 s; against the
published configurations in ``mltk/data/layout_measurements.csv``, a median absolute error
of per-device throughput <= 10 % and no configuration worse than 25 %.
"""

from __future__ import annotations

import sys
import time

from mltk.evidence.layout_validation import layout_validation, validation_summary
from mltk.heuristics.layouts import (
    RECOMPUTE_MODES,
    Layout,
    Transformer,
    evaluate_layout,
    search_layouts,
    valid_layouts,
)

GOAL_EVAL_S = 1e-3
GOAL_SEARCH_S = 1.0
GOAL_MEDIAN = 0.10
GOAL_WORST = 0.25

LLAMA70B = Transformer(layers=80, hidden=8192, heads=64, kv_heads=8, ffn_hidden=28672, gated_mlp=True,
                       tied_embeddings=False, vocab=128256, seq_len=4096)
GPT175B = Transformer(layers=96, hidden=12288, heads=96, vocab=51200, seq_len=2048)


def best_of(fn, number: int, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def main() -> int:
    ok = True
    print("validation against published runs (per-device model FLOP/s)")
    rows = layout_validation()
    width = max(len(str(r["id"])) for r in rows)
    for r in rows:
        print(f"  {str(r['id']).ljust(width)}  measured {r['measured_flops_per_s'] / 1e12:6.1f} TFLOP/s"
              f"  predicted {r['predicted_flops_per_s'] / 1e12:6.1f}  error {100 * r['error']:+6.1f}%")
    summary = validation_summary()
    median, worst = summary["median_abs_error"], summary["worst_abs_error"]
    print(f"  median |error| {100 * median:.1f}% (goal <= {100 * GOAL_MEDIAN:.0f}%), "
          f"worst {100 * worst:.1f}% (goal <= {100 * GOAL_WORST:.0f}%), "
          f"{int(summary['configurations'])} configurations")
    ok &= median <= GOAL_MEDIAN and worst <= GOAL_WORST

    lay = Layout(tp=8, pp=4, dp=32, virtual_stages=2)
    evaluate_layout(LLAMA70B, lay, global_batch=1024, accelerator="H100-SXM")
    t_eval = best_of(lambda: evaluate_layout(LLAMA70B, lay, global_batch=1024, accelerator="H100-SXM"),
                     200)
    print(f"one evaluation: {t_eval * 1e3:.3f} ms (goal < {GOAL_EVAL_S * 1e3:.0f} ms)")
    ok &= t_eval < GOAL_EVAL_S

    for name, model, batch in (("Llama-3-70B shape", LLAMA70B, 1024), ("GPT-3 175B", GPT175B, 1536)):
        n_rows = len(valid_layouts(model, 1024, batch))
        n_all = n_rows * 4 * len(RECOMPUTE_MODES)
        t_search = best_of(lambda m=model, b=batch: search_layouts(m, 1024, b, accelerator="H100-SXM"), 1, 3)
        best = search_layouts(model, 1024, batch, accelerator="H100-SXM", top=1)[0].layout
        print(f"search, {name}, 1,024 H100s, batch {batch}: {n_all} layouts in {t_search:.3f} s "
              f"(goal < {GOAL_SEARCH_S:.0f} s); fastest tp {best.tp} pp {best.pp} v {best.virtual_stages}"
              f" dp {best.dp} mb {best.micro_batch} ZeRO {best.zero_stage} {best.recompute}")
        ok &= t_search < GOAL_SEARCH_S
    print("all goals met" if ok else "some goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
