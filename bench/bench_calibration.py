"""Benchmark: the utilization model measured out of sample on the project's published runs.

Run: .venv/bin/python bench/bench_calibration.py

Prints, for the nested leave-one-out check (each run predicted by a model fit without it,
whose interval comes from the leave-one-out residuals of the other runs):
coverage of the low-high device-hours range, median |log10(predicted / reported)| and
mean interval width log10(high / low), against the targets of issue 12 (>= 0.90,
<= 0.07, <= 0.30); the same three figures in-sample and for the pooled range that the
model replaced; and the seconds the leave-one-out check takes.
"""

from __future__ import annotations

import time
import warnings

from mltk.evidence import calibration as cal
from mltk.evidence import out_of_sample as val


def figures(checks: tuple[val.RunCheck, ...]) -> tuple[float, float, float]:
    return (val.coverage(checks), val.median_abs_log10_ratio(checks), val.mean_width_log10(checks))


def pooled_leave_one_out() -> tuple[val.RunCheck, ...]:
    """The old default: each run against the pooled quantiles of all the other runs."""
    runs = cal.training_runs()
    return tuple(val.check_run(r, cal.utilization_from_runs(runs[:i] + runs[i + 1:]))
                 for i, r in enumerate(runs))


def main() -> None:
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    loo = val.leave_one_out()
    seconds = time.perf_counter() - start
    rows = [("leave-one-out (model)", figures(loo)),
            ("in-sample (model)", figures(val.validate())),
            ("leave-one-out (pooled range)", figures(pooled_leave_one_out()))]
    print(f"runs checked: {len(val.checked(loo))} of {len(cal.training_runs())}")
    print(f"{'':30s} {'coverage':>9s} {'median|log10|':>14s} {'width log10':>12s}")
    print(f"{'target':30s} {'>= ' + format(val.COVERAGE_TARGET, '.2f'):>9s} "
          f"{'<= ' + format(val.MEDIAN_LOG10_TARGET, '.2f'):>14s} "
          f"{'<= ' + format(val.WIDTH_LOG10_TARGET, '.2f'):>12s}")
    for name, (cov, med, width) in rows:
        print(f"{name:30s} {cov:9.3f} {med:14.3f} {width:12.3f}")
    m = cal.fit_utilization_model()
    print("coefficients (log10 utilization):", f"intercept {m.intercept:+.3f},",
          ", ".join(f"{k} {v:+.3f}" for k, v in m.coefficients.items()))
    print(f"interval: LOO residual quantiles {m.residual_low:+.3f} / {m.residual_high:+.3f}")
    print(f"leave-one-out check took {seconds:.1f} s")


if __name__ == "__main__":
    main()
