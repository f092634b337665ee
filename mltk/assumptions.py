"""Team assumptions: prices, tariffs, PUE, lifetimes, loaded from one validated YAML file.

The packaged default is ``mltk/data/assumptions.yaml``; set the environment variable
``MLTK_ASSUMPTIONS`` to the path of a team's own copy. Keys left out of that copy keep
their defaults.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ._data import DATA_DIR
from .errors import AssumptionsError
from .ranges import Range

__all__ = ["Assumptions", "load_assumptions", "assumptions", "DEFAULT_ASSUMPTIONS_PATH"]

DEFAULT_ASSUMPTIONS_PATH = DATA_DIR / "assumptions.yaml"
ENV_VAR = "MLTK_ASSUMPTIONS"


@dataclass(frozen=True)
class Assumptions:
    """Validated team assumptions (money in the ``currency`` label's unit)."""

    path: str
    currency: str
    electricity_usd_per_kwh: float
    pue: Range
    cloud_price_factor: Range
    prices_usd_per_device_hour: dict[str, Range] = field(default_factory=dict)
    purchase_prices_usd: dict[str, float] = field(default_factory=dict)
    utilization: Range | None = None
    amortisation_years: float = 4.0
    server_usd_per_device: float = 0.0
    networking_fraction_of_capex: float = 0.0
    storage_usd_per_device: float = 0.0
    hosting_usd_per_kw_year: float = 0.0
    maintenance_fraction_per_year: float = 0.0
    staff_usd_per_device_year: float = 0.0
    host_power_fraction: float = 0.0


# key -> (kind, constraint)
_SCHEMA: dict[str, tuple[str, str]] = {
    "currency": ("str", ""),
    "electricity_usd_per_kwh": ("number", "nonneg"),
    "pue": ("range", "pue"),
    "cloud_price_factor": ("range", "positive"),
    "prices_usd_per_device_hour": ("price_map", "positive"),
    "purchase_prices_usd": ("number_map", "positive"),
    "utilization": ("range_or_null", "fraction"),
    "amortisation_years": ("number", "positive"),
    "server_usd_per_device": ("number", "nonneg"),
    "networking_fraction_of_capex": ("number", "nonneg"),
    "storage_usd_per_device": ("number", "nonneg"),
    "hosting_usd_per_kw_year": ("number", "nonneg"),
    "maintenance_fraction_per_year": ("number", "nonneg"),
    "staff_usd_per_device_year": ("number", "nonneg"),
    "host_power_fraction": ("number", "nonneg"),
}

_EXPECT = {"nonneg": "a number >= 0", "positive": "a number > 0",
           "fraction": "a fraction in (0, 1]", "pue": "a PUE >= 1"}


def _fail(path: str, key: str, value: Any, expected: str) -> AssumptionsError:
    return AssumptionsError(f"{path}: key '{key}' = {value!r} is invalid: expected {expected}")


def _number(path: str, key: str, value: Any, constraint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, key, value, _EXPECT.get(constraint, "a number"))
    x = float(value)
    ok = math.isfinite(x) and {
        "nonneg": x >= 0, "positive": x > 0, "fraction": 0 < x <= 1, "pue": x >= 1,
    }.get(constraint, True)
    if not ok:
        raise _fail(path, key, value, _EXPECT[constraint])
    return x


def _range(path: str, key: str, value: Any, constraint: str) -> Range:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [value] * 3
    if not isinstance(value, list) or len(value) != 3:
        raise _fail(path, key, value, "a number or a list [low, mid, high]")
    lo, mi, hi = (_number(path, key, x, constraint) for x in value)
    if not lo <= mi <= hi:
        raise _fail(path, key, value, "low <= mid <= high")
    return Range(lo, mi, hi)


def _device_key(path: str, key: str, name: Any) -> str:
    from .hardware import accelerator  # late import: hardware does not need assumptions

    try:
        return accelerator(str(name)).name
    except ValueError as err:
        raise AssumptionsError(f"{path}: key '{key}': {err}") from None


def _parse(path: str, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _SCHEMA:
            known = ", ".join(sorted(_SCHEMA))
            raise AssumptionsError(f"{path}: unknown key '{key}' (known keys: {known})")
        kind, c = _SCHEMA[key]
        if kind == "str":
            if not isinstance(value, str) or not value.strip():
                raise _fail(path, key, value, "a non-empty text label")
            out[key] = value.strip()
        elif kind == "number":
            out[key] = _number(path, key, value, c)
        elif kind == "range":
            out[key] = _range(path, key, value, c)
        elif kind == "range_or_null":
            out[key] = None if value is None else _range(path, key, value, c)
        elif kind in ("price_map", "number_map"):
            if value is None:
                value = {}
            if not isinstance(value, dict):
                raise _fail(path, key, value, "a mapping of catalog name to price")
            conv = _range if kind == "price_map" else _number
            out[key] = {_device_key(path, key, n): conv(path, f"{key}.{n}", x, c)
                        for n, x in value.items()}
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise AssumptionsError(f"{path}: cannot read assumptions file ({err.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise AssumptionsError(f"{path}: not valid YAML ({err})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AssumptionsError(f"{path}: expected a mapping of keys to values at the top level")
    return data


@cache
def _load(path_str: str, mtime: float) -> Assumptions:
    defaults = _parse(str(DEFAULT_ASSUMPTIONS_PATH), _read(DEFAULT_ASSUMPTIONS_PATH))
    path = Path(path_str)
    if path.resolve() != DEFAULT_ASSUMPTIONS_PATH.resolve():
        defaults.update(_parse(path_str, _read(path)))
    return Assumptions(path=path_str, **defaults)


def load_assumptions(path: str | os.PathLike[str] | None = None) -> Assumptions:
    """Load and validate an assumptions file (default: ``$MLTK_ASSUMPTIONS`` or the packaged one).

    Raises
    ------
    mltk.errors.AssumptionsError
        Naming the file and the key for unknown keys, wrong types or impossible values.

    Examples
    --------
    >>> a = load_assumptions(DEFAULT_ASSUMPTIONS_PATH)
    >>> a.pue.low >= 1.0
    True
    """
    p = Path(path) if path is not None else Path(os.environ.get(ENV_VAR) or DEFAULT_ASSUMPTIONS_PATH)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        raise AssumptionsError(f"{p}: assumptions file not found") from None
    return _load(str(p), mtime)


def assumptions() -> Assumptions:
    """The assumptions in force: ``$MLTK_ASSUMPTIONS`` if set, else the packaged defaults."""
    return load_assumptions()
