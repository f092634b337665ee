"""Calculators: ipywidgets front ends to the heuristics (UI only, no formulas).

Modules
-------
training       peak, compute, time and TCO calculators and the project estimator
layout         the parallel-training-layout calculator
serving        the serving planner calculator
business_case  the business-case (value against full cost) calculator

Every calculator calls :mod:`mltk` for its numbers, so a widget, the command line and
the book always agree. The training calculators are re-exported here, as before the
calculators became a package (``from mltk.widgets import ProjectEstimator``).
"""

from __future__ import annotations

from .training import (
    ComputeCalculator,
    PeakCalculator,
    ProjectEstimator,
    TCOCalculator,
    TimeCalculator,
    parse_number,
)

__all__ = ["PeakCalculator", "ComputeCalculator", "TimeCalculator", "TCOCalculator",
           "ProjectEstimator", "parse_number"]
