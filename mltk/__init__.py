"""mltk: the Machine Learning ToolKit.

Tested heuristics for the questions asked before money is spent on a neural network:
how fast an accelerator is (seed eq. 1), how much compute training takes (eq. 3),
how long (eq. 4), and what it costs to own or rent. All APIs use SI base units.

Examples
--------
>>> import mltk
>>> mltk.peak_flops(3840, 1.531e9)  # Tesla P40, seed eq. 2
11758080000000.0
"""

from __future__ import annotations

from .assumptions import assumptions, load_assumptions
from .calibration import default_utilization, training_runs
from .compute import training_flops, transformer_training_flops
from .errors import (
    AssumptionsError,
    InputError,
    MltkError,
    UnknownAcceleratorError,
    UnsupportedPrecisionError,
)
from .estimate import TrainingEstimate, device_hour_price, estimate_training
from .hardware import PRECISIONS, Accelerator, accelerator, accelerators, peak_flops
from .ranges import Range
from .tco import TCO, tco
from .timing import training_time
from .units import format_duration, format_money, format_range, format_si

__version__ = "0.1.0"

# Submodules and functions loaded on first use, so `import mltk` stays fast.
_SUBMODULES = {"drift", "widgets", "memory", "inference", "fairness", "datasets", "learning",
               "nn", "measure", "measurements", "planning", "validation", "cli", "calibration", "hardware",
               "decision", "business_value", "evaluation", "retraining",
               "assumptions"}
_LAZY = {
    "training_memory_bytes": "memory",
    "activation_memory_bytes": "memory",
    "kv_cache_bytes": "memory",
    "inference_memory_bytes": "memory",
    "max_training_flops": "planning",
    "compute_optimal_split": "planning",
    "ComputeBudget": "planning",
    "ComputeOptimalSplit": "planning",
    "CHINCHILLA_TOKENS_PER_PARAM": "planning",
}


def __getattr__(name: str):
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'mltk' has no attribute {name!r}")

__all__ = [
    "PRECISIONS", "TCO", "Accelerator", "AssumptionsError", "InputError", "MltkError", "Range",
    "TrainingEstimate",
    "UnknownAcceleratorError", "UnsupportedPrecisionError", "accelerator", "accelerators",
    "assumptions", "default_utilization", "device_hour_price", "estimate_training",
    "format_duration", "format_money", "format_range", "format_si", "load_assumptions",
    "peak_flops", "tco", "training_flops", "training_runs", "training_time",
    "transformer_training_flops",
    *_LAZY,
]
