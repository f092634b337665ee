"""Foundation: what every other band of :mod:`mltk` stands on.

Modules
-------
errors       the exception types (every bad input is a ``ValueError`` subclass)
checks       input constraints, declared once and checked with one wording
ranges       the low/mid/high :class:`~mltk.foundation.ranges.Range`
units        unit constants and pure display formatting (SI prefixes, durations, money)
datafiles    the one reader of the data files under ``mltk/data``
device_names the tolerant resolver of catalog device names (``nvidia tesla p40`` -> ``P40``)
assumptions  the team's assumptions file: loaded, validated, switchable by context

Nothing here imports from the heuristics, the evidence, the handbook helpers or the faces.
"""


def __getattr__(name: str):
    """Load a module of this subpackage on first attribute access (``mltk.<band>.<module>``)."""
    import importlib
    import pkgutil

    if name in {m.name for m in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
