"""Team assumptions: prices, tariffs, PUE, lifetimes, loaded from one validated YAML file.

The packaged default is ``mltk/data/assumptions.yaml``; set the environment variable
``MLTK_ASSUMPTIONS`` to the path of a team's own copy (or pass ``--assumptions PATH``
to the command line). Keys left out of that copy keep their defaults. The book, the
widgets and the command line read the assumptions only through :func:`assumptions`,
so one edit of the file moves every face of mltk.

Validation happens on load: an unknown key, a value of the wrong type, an impossible
value (a negative price, a PUE below 1, a utilization outside (0, 1]), an unknown
device name, a duplicated key or malformed YAML raises
:class:`mltk.foundation.errors.AssumptionsError` naming the file and the key.

Examples
--------
>>> import mltk
>>> a = mltk.assumptions()          # the file in force
>>> a.pue.low >= 1.0
True
>>> mltk.load_assumptions(DEFAULT_ASSUMPTIONS_PATH).format_money(2.5e6)
'$2.5M'
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from .checks import check, expected
from .datafiles import DATA_DIR
from .device_names import resolve_device_name
from .errors import AssumptionsError, InputError
from .ranges import Range, to_plain
from .units import currency_prefix, format_money

__all__ = ["Assumptions", "load_assumptions", "assumptions", "using_assumptions",
           "DEFAULT_ASSUMPTIONS_PATH", "ENV_VAR"]

DEFAULT_ASSUMPTIONS_PATH = DATA_DIR / "assumptions.yaml"
#: Environment variable naming a team's assumptions file.
ENV_VAR = "MLTK_ASSUMPTIONS"
#: The file selected by :func:`using_assumptions` in this thread or task (None: not selected).
_SELECTED: ContextVar[str | None] = ContextVar("mltk_assumptions_path", default=None)


@dataclass(frozen=True)
class Assumptions:
    """Validated team assumptions (money in the ``currency`` label's unit).

    The ``_usd`` in the key names is historical: every amount is in the currency the
    ``currency`` label names, and mltk does not convert between currencies.
    """

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
    idle_power_fraction: float = 0.3
    discount_rate: float = 0.0
    residual_value_fraction: float = 0.0
    spot_preemption_overhead: float = 0.0
    cloud_provider: str = "gcp"
    cloud_region: str = "us-central1"
    cloud_prices_path: str | None = None
    grid_region: str = "us-central1"
    grid_carbon_g_per_kwh: Range | None = None
    inter_node_bandwidth_bytes_per_s_per_device: float = 5e10
    intra_node_latency_s: float = 1e-6
    inter_node_latency_s: float = 5e-6
    failure_rate_per_device_hour: float = 1.97e-5
    checkpoint_write_bytes_per_s: float = 2e12
    restart_s: float = 600.0

    @property
    def currency_prefix(self) -> str:
        """What precedes an amount in human output (:func:`mltk.foundation.units.currency_prefix`)."""
        return currency_prefix(self.currency)

    def format_money(self, value: float, digits: int = 3) -> str:
        """``value`` with k/M/B suffixes and the team's currency label: the configured formatter.

        :func:`mltk.foundation.units.format_money` is the pure function underneath; this
        method supplies the currency of the file in force, as a units registry keeps
        its default format.

        Examples
        --------
        >>> load_assumptions(DEFAULT_ASSUMPTIONS_PATH).format_money(1.234e6)
        '$1.23M'
        """
        return format_money(value, currency=self.currency_prefix, digits=digits)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): ranges as ``{"low","mid","high"}``."""
        return {f.name: to_plain(getattr(self, f.name)) for f in fields(self)}


# key -> (kind, constraint); constraints are keys of mltk.foundation.checks.CONSTRAINTS.
_SCHEMA: dict[str, tuple[str, str]] = {
    "currency": ("label", ""),
    "electricity_usd_per_kwh": ("number", "non_negative"),
    "pue": ("range", "at_least_one"),
    "cloud_price_factor": ("range", "positive"),
    "prices_usd_per_device_hour": ("price_map", "positive"),
    "purchase_prices_usd": ("number_map", "positive"),
    "utilization": ("range_or_null", "fraction"),
    "amortisation_years": ("number", "positive"),
    "server_usd_per_device": ("number", "non_negative"),
    "networking_fraction_of_capex": ("number", "unit_interval"),
    "storage_usd_per_device": ("number", "non_negative"),
    "hosting_usd_per_kw_year": ("number", "non_negative"),
    "maintenance_fraction_per_year": ("number", "unit_interval"),
    "staff_usd_per_device_year": ("number", "non_negative"),
    "host_power_fraction": ("number", "non_negative"),
    "idle_power_fraction": ("number", "unit_interval"),
    "discount_rate": ("number", "unit_interval"),
    "residual_value_fraction": ("number", "unit_interval"),
    "spot_preemption_overhead": ("number", "non_negative"),
    "cloud_provider": ("label", ""),
    "cloud_region": ("label", ""),
    "cloud_prices_path": ("path_or_null", ""),
    "grid_region": ("label", ""),
    "grid_carbon_g_per_kwh": ("range_or_null", "non_negative"),
    "inter_node_bandwidth_bytes_per_s_per_device": ("number", "positive"),
    "intra_node_latency_s": ("number", "non_negative"),
    "inter_node_latency_s": ("number", "non_negative"),
    "failure_rate_per_device_hour": ("number", "non_negative"),
    "checkpoint_write_bytes_per_s": ("number", "positive"),
    "restart_s": ("number", "non_negative"),
}


@cache
def _loader() -> type:
    """A safe YAML loader that rejects duplicate keys and reads ``3e4`` as a number (YAML 1.2).

    Built on first use so that ``import mltk`` does not pay for importing PyYAML.
    """
    import yaml

    # libyaml's parser where PyYAML was built with it (about 15 times faster), same safety.
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type, misc]
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
        list("-+0123456789."))

    def construct_mapping(loader: Any, node: Any) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        return loader.construct_mapping(node, deep=True)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return Loader


def _fail(path: str, key: str, value: Any, expected: str) -> AssumptionsError:
    return AssumptionsError(f"{path}: key '{key}' = {value!r} is invalid: expected {expected}")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _number(path: str, key: str, value: Any, constraint: str) -> float:
    if not _is_number(value):
        raise _fail(path, key, value, expected(constraint))
    try:
        return float(check(key, value, constraint))
    except InputError as err:
        raise _fail(path, key, value, err.expected) from None


def _range(path: str, key: str, value: Any, constraint: str) -> Range:
    parts = list(value.values()) if isinstance(value, dict) else \
        value if isinstance(value, list) else [value]
    if not all(_is_number(x) for x in parts) or (isinstance(value, list) and len(value) != 3):
        raise _fail(path, key, value, "a number or a list [low, mid, high]")
    try:
        return Range.coerce(value, key, constraint)
    except InputError as err:
        raise _fail(path, key, value, err.expected) from None


def _device_key(path: str, key: str, name: Any) -> str:
    if not isinstance(name, str):
        raise AssumptionsError(f"{path}: key '{key}': device name {name!r} is not a catalog "
                               "name (write it as text, e.g. H100-SXM)")
    try:
        return resolve_device_name(name)
    except ValueError as err:
        raise AssumptionsError(f"{path}: key '{key}': {err}") from None


def _device_map(path: str, key: str, value: Any, kind: str, constraint: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(path, key, value, "a mapping of catalog name to price, e.g. {H100-SXM: 2.5}")
    conv = _range if kind == "price_map" else _number
    out: dict[str, Any] = {}
    for name, x in value.items():
        canonical = _device_key(path, key, name)
        if canonical in out:
            raise AssumptionsError(f"{path}: key '{key}': {canonical} is given twice "
                                   f"(as {name!r} and an earlier spelling)")
        out[canonical] = conv(path, f"{key}.{name}", x, constraint)
    return out


def _label(path: str, key: str, value: Any) -> str:
    limit = 12 if key == "currency" else 40
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit \
            or any(ch in value for ch in "\r\n\t"):
        what = "a short text label such as USD, EUR or GBP" if key == "currency" else \
            "a short name such as gcp or us-central1"
        raise _fail(path, key, value, what)
    return value.strip()


def _path_or_null(path: str, key: str, value: Any) -> str | None:
    """A file path; relative paths are relative to the assumptions file's folder."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, key, value, "a path to a CSV file, or null")
    p = Path(value.strip()).expanduser()
    if not p.is_absolute():
        p = Path(path).resolve().parent / p
    if not p.is_file():
        raise _fail(path, key, value, f"an existing file (looked for {p})")
    return str(p)


def _parse(path: str, data: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _SCHEMA:
            close = difflib.get_close_matches(str(key), list(_SCHEMA), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise AssumptionsError(f"{path}: unknown key '{key}' ({hint}known keys: "
                                   f"{', '.join(sorted(_SCHEMA))})")
        kind, c = _SCHEMA[key]
        if kind == "label":
            out[key] = _label(path, key, value)
        elif kind == "number":
            out[key] = _number(path, key, value, c)
        elif kind == "range":
            out[key] = _range(path, key, value, c)
        elif kind == "range_or_null":
            out[key] = None if value is None else _range(path, key, value, c)
        elif kind == "path_or_null":
            out[key] = _path_or_null(path, key, value)
        else:
            out[key] = _device_map(path, key, value, kind, c)
    return out


def _read(path: Path) -> dict[Any, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise AssumptionsError(f"{path}: cannot read assumptions file ({err.strerror})") from None
    except UnicodeDecodeError:
        raise AssumptionsError(f"{path}: not a UTF-8 text file") from None
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise AssumptionsError(f"{path}: not valid YAML ({line}{problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AssumptionsError(f"{path}: expected a mapping of keys to values at the top level, "
                               f"got a {type(data).__name__}")
    return data


@cache
def _load(path_str: str, stamp: tuple[int, int]) -> Assumptions:
    defaults = _parse(str(DEFAULT_ASSUMPTIONS_PATH), _read(DEFAULT_ASSUMPTIONS_PATH))
    missing = sorted(set(_SCHEMA) - set(defaults))
    if missing:
        raise AssumptionsError(f"{DEFAULT_ASSUMPTIONS_PATH}: the packaged defaults must set every "
                               f"key; missing: {', '.join(missing)}")
    path = Path(path_str)
    if path.resolve() != DEFAULT_ASSUMPTIONS_PATH.resolve():
        defaults.update(_parse(path_str, _read(path)))
    return Assumptions(path=path_str, **defaults)


def load_assumptions(path: str | os.PathLike[str] | None = None) -> Assumptions:
    """Load and validate an assumptions file (default: ``$MLTK_ASSUMPTIONS`` or the packaged one).

    Keys the file leaves out keep the packaged defaults. Results are cached per file
    and reloaded when the file changes.

    Parameters
    ----------
    path : str or path-like, optional
        A YAML file; default the ``MLTK_ASSUMPTIONS`` environment variable, else
        :data:`DEFAULT_ASSUMPTIONS_PATH`.

    Returns
    -------
    Assumptions

    Raises
    ------
    mltk.foundation.errors.AssumptionsError
        Naming the file and the key for unknown keys, wrong types or impossible values,
        and naming the file when it is missing or not valid YAML.

    Examples
    --------
    >>> a = load_assumptions(DEFAULT_ASSUMPTIONS_PATH)
    >>> a.pue.low >= 1.0
    True
    >>> load_assumptions("no/such/file.yaml")
    Traceback (most recent call last):
    ...
    mltk.foundation.errors.AssumptionsError: no/such/file.yaml: assumptions file not found
    """
    if path is None:
        path = _SELECTED.get()
    from_env = path is None and bool(os.environ.get(ENV_VAR))
    p = Path(path if path is not None else os.environ.get(ENV_VAR) or DEFAULT_ASSUMPTIONS_PATH)
    try:
        st = p.stat()
    except OSError:
        via = f" (set by {ENV_VAR})" if from_env else ""
        raise AssumptionsError(f"{p}: assumptions file not found{via}") from None
    return _load(str(p), (st.st_mtime_ns, st.st_size))


@contextmanager
def using_assumptions(path: str | os.PathLike[str]) -> Iterator[Assumptions]:
    """Select an assumptions file for the code run inside the ``with`` block.

    The selection is held in a :class:`contextvars.ContextVar`, so it applies to this
    thread (or asyncio task) only: two threads may use two files at once, and the
    process environment is never written. The file is loaded and validated on entry.

    Parameters
    ----------
    path : str or path-like
        A YAML assumptions file (keys it leaves out keep the packaged defaults).

    Yields
    ------
    Assumptions
        The validated assumptions now in force.

    Examples
    --------
    >>> with using_assumptions(DEFAULT_ASSUMPTIONS_PATH) as a:
    ...     assumptions() is a
    True
    """
    loaded = load_assumptions(path)
    token = _SELECTED.set(str(path))
    try:
        yield loaded
    finally:
        _SELECTED.reset(token)


def assumptions() -> Assumptions:
    """The assumptions in force: the file selected by :func:`using_assumptions`, else
    ``$MLTK_ASSUMPTIONS`` if set, else the packaged defaults.

    Examples
    --------
    >>> 0 < assumptions().cloud_price_factor.mid
    True
    """
    return load_assumptions()
