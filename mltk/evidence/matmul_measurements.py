"""Measured matrix-multiply throughput (``data/matmul_measurements.csv``) against peak."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..foundation.datafiles import read_csv
from ..heuristics.hardware import accelerator

__all__ = ["MatmulMeasurement", "matmul_measurements"]


@dataclass(frozen=True)
class MatmulMeasurement:
    """One published or measured matmul throughput."""

    device: str
    accelerator: str | None
    precision: str
    achieved_flops: float
    peak_flops: float
    shape_mnk: str
    software: str
    date: str
    method: str
    source: str
    source_detail: str
    notes: str

    @property
    def efficiency(self) -> float:
        """Achieved over dense peak (the catalog's peak where the device is catalogued)."""
        return self.achieved_flops / self.peak_flops

    @property
    def overhead(self) -> float:
        """1 - efficiency: the fraction of peak lost, the quantity Hooda (2023) puts at 15-25%."""
        return 1.0 - self.efficiency


@cache
def matmul_measurements() -> tuple[MatmulMeasurement, ...]:
    """Every row of ``data/matmul_measurements.csv``.

    The peak is the catalog's dense figure where the device is catalogued (one home for
    each figure), otherwise the peak the source reports.

    Examples
    --------
    >>> m = [x for x in matmul_measurements() if x.accelerator == "H100-SXM"][0]
    >>> round(m.efficiency, 2)
    0.8
    """
    out = []
    for r in read_csv("matmul_measurements.csv"):
        name = r["accelerator"] or None
        peak = (accelerator(name).peak_flops(r["precision"]) if name
                else float(r["reported_peak_flops"]))
        out.append(MatmulMeasurement(
            device=r["device"], accelerator=name, precision=r["precision"],
            achieved_flops=float(r["achieved_flops"]), peak_flops=peak,
            shape_mnk=r["shape_mnk"], software=r["software"], date=r["date"],
            method=r["method"], source=r["source"], source_detail=r["source_detail"],
            notes=r["notes"]))
    return tuple(out)
