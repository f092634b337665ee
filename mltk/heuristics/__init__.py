"""Heuristics: the formulas a team commits money on, each in one home.

Modules
-------
hardware   the accelerator catalog and peak throughput (R = 2NC, tensor-core peaks per precision)
compute    training compute (C = O_f * O_b * P * S * E, 6PD for transformers)
timing     training time (T = C / R, with devices and utilization)
utilization the default utilization range (supplied by the evidence band) and device-hours
estimate   the end-to-end training estimate (compute, time, device-hours, energy, cost)
tco        total cost of ownership: own versus rent
planning   budgets, deadlines and compute-optimal model sizes
memory     memory per device for training and serving
inference  serving throughput and cost per token
serving    serving planner: prefill and decode, latency targets, batching, cost per input and output token
layouts    parallel training layouts: memory, step time, MFU and HFU per layout, layout search
goodput    checkpoints, failures and effective training time (Young/Daly)
adaptation build or adapt: LoRA, fine-tuning compute and memory, token costs

The public names are re-exported by :mod:`mltk`; import them from there.
"""


def __getattr__(name: str):
    """Load a module of this subpackage on first attribute access (``mltk.<band>.<module>``)."""
    import importlib
    import pkgutil

    if name in {m.name for m in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
