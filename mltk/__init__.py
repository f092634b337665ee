"""mltk: the Machine Learning ToolKit.

Tested heuristics for the questions asked before money is spent on a neural network:
how fast an accelerator is (Hooda 2023, eq. 1), how much compute training takes (eq. 3),
how long (eq. 4), and what it costs to own or rent. All APIs use SI base units.

Examples
--------
>>> import mltk
>>> mltk.peak_flops(3840, 1.531e9)  # Tesla P40, Hooda (2023) eq. 2
11758080000000.0
"""

from __future__ import annotations

from .evidence.calibration import default_utilization, training_runs
from .foundation.assumptions import assumptions, load_assumptions
from .foundation.errors import (
    AssumptionsError,
    InputError,
    MltkError,
    UnknownAcceleratorError,
    UnsupportedPrecisionError,
)
from .foundation.ranges import Range
from .foundation.units import format_duration, format_money, format_range, format_si
from .heuristics.compute import training_flops, transformer_training_flops
from .heuristics.estimate import TrainingEstimate, device_hour_price, estimate_training
from .heuristics.hardware import PRECISIONS, Accelerator, accelerator, accelerators, peak_flops
from .heuristics.tco import TCO, tco
from .heuristics.timing import training_time

__version__ = "0.1.0"

# Functions loaded on first use, so `import mltk` stays fast.
_LAZY = {
    "training_memory_bytes": "heuristics.memory",
    "activation_memory_bytes": "heuristics.memory",
    "kv_cache_bytes": "heuristics.memory",
    "inference_memory_bytes": "heuristics.memory",
    "latent_kv_cache_bytes": "heuristics.memory",
    "model_shape": "heuristics.serving",
    "generation_estimate": "heuristics.serving",
    "continuous_batching_estimate": "heuristics.serving",
    "plan_serving": "heuristics.serving",
    "ServingEstimate": "heuristics.serving",
    "ServingPlan": "heuristics.serving",
    "max_training_flops": "heuristics.planning",
    "compute_optimal_split": "heuristics.planning",
    "ComputeBudget": "heuristics.planning",
    "ComputeOptimalSplit": "heuristics.planning",
    "CHINCHILLA_TOKENS_PER_PARAM": "heuristics.planning",
    "using_assumptions": "foundation.assumptions",
    "parse_quantity": "foundation.units",
    "predict_utilization": "evidence.calibration",
    "fit_utilization_model": "evidence.calibration",
    "cloud_prices": "heuristics.rent",
    "rent_prices": "heuristics.rent",
    "billed_device_hours": "heuristics.rent",
    "RENT_OPTIONS": "heuristics.rent",
    "capex_per_device": "heuristics.tco",
    "RentOption": "heuristics.tco",
    "energy_kwh": "heuristics.energy",
    "server_power_w": "heuristics.energy",
    "carbon_intensity": "heuristics.energy",
    "co2e_kg": "heuristics.energy",
    "TRAINING_PRECISIONS": "heuristics.hardware",
    "currency_prefix": "foundation.units",
    "device_hours": "heuristics.utilization",
    "Transformer": "heuristics.layouts",
    "Layout": "heuristics.layouts",
    "LayoutResult": "heuristics.layouts",
    "evaluate_layout": "heuristics.layouts",
    "search_layouts": "heuristics.layouts",
    "ring_all_reduce_seconds": "heuristics.layouts",
    "goodput": "heuristics.goodput",
    "young_daly_interval_s": "heuristics.goodput",
    "checkpoint_bytes": "heuristics.goodput",
    "layout_validation": "evidence.layout_validation",
    "lora_params": "heuristics.adaptation",
    "finetune_flops": "heuristics.adaptation",
    "finetune_memory_bytes": "heuristics.adaptation",
    "self_hosted_token_costs": "heuristics.adaptation",
    "cost_per_request": "heuristics.adaptation",
    "business_case": "handbook.business_case",
    "npv": "handbook.business_case",
    "payback_period": "handbook.business_case",
}

# Subpackages, and the faces that live at the top (loaded on first attribute access).
_SUBPACKAGES = {"foundation", "heuristics", "evidence", "handbook", "cli", "widgets"}

# Where each module of the flat layout (mltk 0.1, before the bands) lives now. ``mltk.drift`` and
# ``import mltk.drift`` keep working, with a DeprecationWarning naming the new home.
_MOVED = {
    "errors": "foundation.errors", "ranges": "foundation.ranges", "units": "foundation.units",
    "assumptions": "foundation.assumptions", "_validate": "foundation.checks",
    "_data": "foundation.datafiles",
    "hardware": "heuristics.hardware", "compute": "heuristics.compute",
    "timing": "heuristics.timing", "estimate": "heuristics.estimate", "tco": "heuristics.tco",
    "planning": "heuristics.planning", "memory": "heuristics.memory",
    "inference": "heuristics.inference",
    "calibration": "evidence.calibration", "validation": "evidence.out_of_sample",
    "measurements": "evidence.matmul_measurements",
    "decision": "handbook.decision", "business_value": "handbook.business_value",
    "datasets": "handbook.datasets", "fairness": "handbook.fairness",
    "evaluation": "handbook.model_evaluation", "learning": "handbook.learning",
    "nn": "handbook.small_network", "measure": "handbook.cpu_benchmark",
    "drift": "handbook.drift", "retraining": "handbook.retraining",
}


def _moved_module(old: str):
    import importlib
    import warnings

    new = f"{__name__}.{_MOVED[old]}"
    warnings.warn(f"mltk.{old} moved to {new}; import it from there (or use the names "
                  f"re-exported by mltk)", DeprecationWarning, stacklevel=3)
    return importlib.import_module(new)


def __getattr__(name: str):
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _MOVED:  # the old flat module names (mltk.tco and mltk.assumptions are functions)
        return _moved_module(name)
    raise AttributeError(f"module 'mltk' has no attribute {name!r}")


def _install_moved_finder() -> None:
    """Let ``import mltk.drift`` (the old flat layout) load the moved module, with a warning.

    A meta-path finder answers only for the old names; the module object is shared with
    the new name, so state is never duplicated. Importing a moved module never replaces
    the functions ``mltk.tco`` and ``mltk.assumptions`` that share their old names.
    """
    import importlib.abc
    import importlib.util
    import sys

    class _Loader(importlib.abc.Loader):
        # load_module, not create_module/exec_module: the import system then leaves the
        # moved module's own __name__ and __spec__ alone (it only fills in missing ones).
        def load_module(self, fullname: str):  # noqa: ANN201
            module = _moved_module(fullname.rpartition(".")[2])
            sys.modules[fullname] = module
            return module

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001, ANN202
            parent, _, leaf = fullname.rpartition(".")
            if parent != __name__ or leaf not in _MOVED:
                return None
            return importlib.util.spec_from_loader(fullname, _Loader())

    class _Package(type(sys.modules[__name__])):
        def __setattr__(self, key: str, value: object) -> None:
            # the import system binds a loaded submodule on its parent: keep our functions
            if key in ("tco", "assumptions") and not callable(value):
                return
            super().__setattr__(key, value)

    sys.meta_path.append(_Finder())
    sys.modules[__name__].__class__ = _Package


_install_moved_finder()

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
