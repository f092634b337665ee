"""Handbook helpers: the small, tested labs behind the handbook's chapters.

Modules
-------
decision          when to use machine learning: a scored questionnaire
business_value    the value of a model's decisions against their cost
business_case     go/no-go: NPV and payback of value against the full cost
datasets          dataset size, labelling cost and splits
fairness          group fairness metrics
model_evaluation  metrics with intervals, thresholds, calibration
learning          learning curves and how much more data helps
small_network     a small neural network written out in numpy
cpu_benchmark     measuring this machine's matrix-multiply throughput
drift             drift statistics (PSI, KS, chi-squared) and monitors
label_free_monitoring  domain-classifier drift, output drift, performance estimated without labels
retraining        continuous-training policies, simulated
device_costs      one workload priced on several accelerators (the platform chapters' table)

They build on :mod:`mltk.heuristics` and :mod:`mltk.foundation`, never the other way round.
"""


def __getattr__(name: str):
    """Load a module of this subpackage on first attribute access (``mltk.<band>.<module>``)."""
    import importlib
    import pkgutil

    if name in {m.name for m in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
