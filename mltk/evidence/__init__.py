"""Evidence: published measurements and how well the heuristics predict them.

Modules
-------
calibration          published training runs and the utilization they imply
out_of_sample        out-of-sample validation of the training estimate on published runs
matmul_measurements  measured matrix-multiply throughput against the catalog's peaks
serving_validation   the serving planner against published serving measurements
"""


def __getattr__(name: str):
    """Load a module of this subpackage on first attribute access (``mltk.<band>.<module>``)."""
    import importlib
    import pkgutil

    if name in {m.name for m in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
