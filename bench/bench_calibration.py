"""Benchmark: the utilization model measured out of sample on the project's published runs.

Run: .venv/bin/python bench/bench_calibration.py

Prints, for the nested leave-one-out check (each run predicted by a model fit without it,
whose jackknife+ interval comes from the leave-one-out fits of the other runs):
coverage of the low-high device-hours range, median |log10(predicted / reported)| and
mean interval width log10(high / low), against the targets of issue 12 (>= 0.90,
<= 0.07, <= 0.30), on every checkable run and on the runs inside the formula's domain
(``formula_applies``); the same figures in-sample and for the pooled range that the model
replaced; the coefficients; and the seconds the leave-one-out check takes.
"""

from __future__ import annotations

import time
import warnings

from mltk.evidence import calibration as cal
from mltk.evidence import out_of_sample as val


def figures(checks: tuple[val.RunCheck, ...]) -> tuple[float, float, float]:
    return (val.coverage(checks), val.median_abs_log10_ratio(checks), val.mean_width_log10(checks))


def main() -> None:
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    loo = val.leave_one_out()
    seconds = time.perf_counter() - start
    ins, pooled = val.validate(), val.pooled_leave_one_out()
    rows = [("leave-one-out, all runs", figures(val.checked(loo)), len(val.checked(loo))),
            ("leave-one-out, in domain", figures(val.in_domain(loo)), len(val.in_domain(loo))),
            ("in-sample, all runs", figures(val.checked(ins)), len(val.checked(ins))),
            ("in-sample, in domain", figures(val.in_domain(ins)), len(val.in_domain(ins))),
            ("pooled range LOO, all runs", figures(val.checked(pooled)), len(val.checked(pooled))),
            ("pooled range LOO, in domain", figures(val.in_domain(pooled)),
             len(val.in_domain(pooled)))]
    print(f"runs: {len(cal.training_runs())}; outside the formula's domain: "
          + ", ".join(r.run_id for r in cal.training_runs() if not r.formula_applies))
    print(f"{'':30s} {'runs':>5s} {'coverage':>9s} {'median|log10|':>14s} {'width log10':>12s}")
    print(f"{'target':30s} {'':5s} {'>= ' + format(val.COVERAGE_TARGET, '.2f'):>9s} "
          f"{'<= ' + format(val.MEDIAN_LOG10_TARGET, '.2f'):>14s} "
          f"{'<= ' + format(val.WIDTH_LOG10_TARGET, '.2f'):>12s}")
    for name, (cov, med, width), n in rows:
        print(f"{name:30s} {n:5d} {cov:9.3f} {med:14.3f} {width:12.3f}")
    m = cal.fit_utilization_model()
    print(f"fitted on {len(m.run_ids)} runs; coefficients (log10 utilization):",
          f"intercept {m.intercept:+.3f},",
          ", ".join(f"{k} {v:+.3f}" for k, v in m.coefficients.items()))
    print(f"interval: jackknife+ at miss rate {m.alpha:.2f}; |LOO residual| rank half-width "
          f"{m.residual_high:.3f}; unseen-device widening {m.generation_spread_dex:.3f} each side")
    print(f"leave-one-out check took {seconds:.1f} s")


if __name__ == "__main__":
    main()
