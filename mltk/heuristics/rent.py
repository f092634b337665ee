"""Renting accelerators, billed the way clouds bill: the price table and the billed hours.

Four ways to rent the same device-hours (``RENT_OPTIONS``):

``on_demand``
    billed for the busy hours only, at the list price;
``spot``
    billed for the busy hours plus the work redone after preemptions
    (``spot_preemption_overhead`` in the assumptions file), at the spot price;
``commit_1y``, ``commit_3y``
    billed for every hour of every term started, busy or idle, at the committed price.

Prices come from ``mltk/data/cloud_prices.csv`` (a source and a date on every row; a team
points ``cloud_prices_path`` in its assumptions file at its own quotes). Where the table
has no commitment price for a device, the commitment is priced from the on-demand price
and the providers' published commitment discounts (``cloud_price_factor``: mid for one
year, low for three), and the result says so in ``basis``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.assumptions import assumptions
from ..foundation.datafiles import DATA_DIR
from ..foundation.errors import InputError
from ..foundation.ranges import Range
from ..foundation.units import HOURS_PER_YEAR
from .hardware import Accelerator
from .hardware import accelerator as _lookup

__all__ = ["RENT_OPTIONS", "ONE_OFF_OPTIONS", "COMMIT_TERM_YEARS", "CloudPrice", "RentPrice",
           "cloud_prices", "rent_prices", "billed_device_hours", "check_rent_option", "device_hour_price"]

#: Every rent option mltk prices, in the order reports list them.
RENT_OPTIONS: tuple[str, ...] = ("on_demand", "commit_1y", "commit_3y", "spot")
#: Options a one-off run can use (no one buys a commitment for a single run).
ONE_OFF_OPTIONS: tuple[str, ...] = ("on_demand", "spot")
#: Term of each commitment, in years.
COMMIT_TERM_YEARS: dict[str, float] = {"commit_1y": 1.0, "commit_3y": 3.0}

_COLUMNS = ("provider", "provider_class", "region", "accelerator", "instance",
            "devices_per_instance", "option", "price_usd_per_device_hour", "date", "source", "notes")


@dataclass(frozen=True)
class CloudPrice:
    """One row of the price table: a provider's price of one device-hour."""

    provider: str
    provider_class: str
    region: str
    accelerator: str
    instance: str
    devices_per_instance: int
    option: str
    price_usd_per_device_hour: float
    date: str
    source: str
    notes: str = ""


@dataclass(frozen=True)
class RentPrice:
    """The price of one device-hour under one rent option, and where it comes from."""

    option: str
    price_usd_per_device_hour: float
    provider: str
    region: str
    basis: str
    source: str


def check_rent_option(option: Any) -> str:
    """``option`` if it is one of :data:`RENT_OPTIONS`, else an InputError naming ``rent_option``.

    Examples
    --------
    >>> check_rent_option("spot")
    'spot'
    """
    if option not in RENT_OPTIONS:
        raise InputError("rent_option", option, f"one of {', '.join(RENT_OPTIONS)}")
    return str(option)


def _row_error(where: str, problem: str) -> InputError:
    return InputError("cloud_prices", where, problem)


@cache
def _load(path: str, stamp: tuple[int, int]) -> tuple[CloudPrice, ...]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise _row_error(path, f"the columns {', '.join(_COLUMNS)} (missing: {', '.join(missing)})")
        rows = list(reader)
    out: list[CloudPrice] = []
    for i, raw in enumerate(rows, start=2):
        r = {k: (x or "").strip() for k, x in raw.items() if k is not None}
        where = f"{Path(path).name} line {i} ({r.get('provider')}, {r.get('accelerator')}, {r.get('option')})"
        if not r["source"]:
            raise _row_error(where, "a source (URL or citation) on every row")
        if not r["date"]:
            raise _row_error(where, "the date the price was read on every row")
        if r["option"] not in RENT_OPTIONS:
            raise _row_error(where, f"an option among {', '.join(RENT_OPTIONS)}")
        try:
            price = float(r["price_usd_per_device_hour"])
            n = int(r["devices_per_instance"] or 1)
        except ValueError:
            raise _row_error(where, "numbers in price_usd_per_device_hour and "
                                    "devices_per_instance") from None
        if not (math.isfinite(price) and price > 0) or n < 1:
            raise _row_error(where, "a price > 0 and at least one device per instance")
        try:
            name = _lookup(r["accelerator"]).name
        except ValueError as err:
            raise _row_error(where, f"a catalog accelerator ({err})") from None
        out.append(CloudPrice(provider=r["provider"].lower(), provider_class=r["provider_class"],
                              region=r["region"], accelerator=name, instance=r["instance"],
                              devices_per_instance=n, option=r["option"],
                              price_usd_per_device_hour=price, date=r["date"], source=r["source"],
                              notes=r.get("notes", "")))
    return tuple(out)


def cloud_prices(accelerator: str | Accelerator | None = None, *, provider: str | None = None,
                 region: str | None = None, path: str | None = None) -> list[CloudPrice]:
    """Rows of the price table in force, optionally filtered.

    The table is ``cloud_prices_path`` from the assumptions file, else the packaged
    ``mltk/data/cloud_prices.csv``. A row without a source or a date, with an unknown
    option or accelerator, or a price that is not positive raises an InputError naming
    the file, the line and the row.

    Examples
    --------
    >>> rows = cloud_prices("H100-SXM")
    >>> {r.provider_class for r in rows} == {"hyperscaler", "gpu_cloud"}
    True
    >>> all(r.source and r.date for r in rows)
    True
    """
    p = Path(path or assumptions().cloud_prices_path or DATA_DIR / "cloud_prices.csv")
    st = p.stat()
    rows = _load(str(p), (st.st_mtime_ns, st.st_size))
    name = None if accelerator is None else _lookup(accelerator).name
    return [r for r in rows
            if (name is None or r.accelerator == name)
            and (provider is None or r.provider == provider.lower())
            and (region is None or r.region in (region, "any"))]


def rent_prices(accelerator: str | Accelerator, *, provider: str | None = None,
                region: str | None = None, on_demand_usd_per_hour: float | None = None
                ) -> dict[str, RentPrice]:
    """The price of one device-hour under each rent option available for a device.

    In order of precedence: ``on_demand_usd_per_hour`` (given by the caller); the team's
    ``prices_usd_per_device_hour`` (its mid, as the on-demand price); the price table for
    ``provider`` and ``region`` (defaults: the assumptions' ``cloud_provider`` and
    ``cloud_region``); the catalog's on-demand price. A commitment the source does not
    price is on-demand × ``cloud_price_factor`` (mid: one year, low: three years). Spot
    appears only where the table lists it.

    Examples
    --------
    >>> p = rent_prices("H100-SXM", provider="gcp", region="us-central1")
    >>> sorted(p)
    ['commit_1y', 'commit_3y', 'on_demand', 'spot']
    >>> p["spot"].price_usd_per_device_hour < p["on_demand"].price_usd_per_device_hour
    True
    """
    acc = _lookup(accelerator)
    asm = assumptions()
    prov = (provider or asm.cloud_provider).lower()
    reg = region or (asm.cloud_region if prov == asm.cloud_provider.lower() else None)
    out: dict[str, RentPrice] = {}
    if on_demand_usd_per_hour is not None:
        od = float(v.positive("cloud_price_usd_per_hour", on_demand_usd_per_hour))
        out["on_demand"] = RentPrice("on_demand", od, "given", "", "given", "the caller's price")
    elif acc.name in asm.prices_usd_per_device_hour:
        od = float(asm.prices_usd_per_device_hour[acc.name].mid)
        out["on_demand"] = RentPrice("on_demand", od, "team", "", "team",
                                     f"prices_usd_per_device_hour in {asm.path}")
    else:
        rows = cloud_prices(acc, provider=prov, region=reg)
        if rows and reg is None:
            first = rows[0].region
            rows = [r for r in rows if r.region == first]
        for r in rows:
            if r.option not in out:
                out[r.option] = RentPrice(r.option, r.price_usd_per_device_hour, r.provider,
                                          r.region, "table", f"{r.source} ({r.date})")
        if "on_demand" not in out and acc.cloud_price_usd_per_hour is not None:
            out["on_demand"] = RentPrice("on_demand", acc.cloud_price_usd_per_hour, "catalog", "",
                                         "catalog", f"{acc.cloud_price_source} ({acc.cloud_price_date})")
    if "on_demand" in out:
        od_p = out["on_demand"]
        for opt, factor in (("commit_1y", asm.cloud_price_factor.mid),
                            ("commit_3y", asm.cloud_price_factor.low)):
            if opt not in out:
                out[opt] = RentPrice(opt, od_p.price_usd_per_device_hour * factor, od_p.provider,
                                     od_p.region, f"derived: on-demand x cloud_price_factor {factor:g}",
                                     f"published commitment discounts (assumptions file {asm.path})")
    return {k: out[k] for k in RENT_OPTIONS if k in out}


def billed_device_hours(option: str, devices: ArrayLike, years: ArrayLike, utilization: ArrayLike,
                        *, preemption_overhead: ArrayLike | None = None) -> Any:
    """Device-hours a provider bills for ``devices`` busy ``utilization`` of ``years``.

    On-demand: the busy hours, n × 8760 × years × u. Spot: the busy hours × (1 + the
    preemption overhead). A commitment: every hour of every term started,
    n × 8760 × ⌈years / term⌉ × term, whatever the utilization.

    Examples
    --------
    >>> billed_device_hours("on_demand", 8, 3, 0.6)
    126144.0
    >>> billed_device_hours("commit_1y", 8, 3, 0.3) == billed_device_hours("commit_1y", 8, 3, 0.9)
    True
    >>> billed_device_hours("commit_3y", 1, 1, 0.5)  # a 3-year term is billed in full
    26280.0
    """
    check_rent_option(option)
    n = v.at_least_one("devices", devices)
    y = v.positive("years", years)
    u = v.fraction("utilization", utilization)
    if option in COMMIT_TERM_YEARS:
        term = COMMIT_TERM_YEARS[option]
        terms = np.ceil(y / term - 1e-9)
        return v.scalar_or_array(n * HOURS_PER_YEAR * terms * term * np.ones_like(u))
    busy = n * HOURS_PER_YEAR * y * u
    if option == "spot":
        o = v.non_negative("spot_preemption_overhead", assumptions().spot_preemption_overhead
                           if preemption_overhead is None else preemption_overhead)
        busy = busy * (1 + o)
    return v.scalar_or_array(busy)


def device_hour_price(acc: Accelerator | str, option: str | None = None) -> Range | None:
    """Price of one device-hour for a one-off run, as a range; None where nothing is known.

    The assumptions file's ``prices_usd_per_device_hour`` wins. Otherwise the rent prices
    of :func:`mltk.heuristics.rent.rent_prices` (the team's provider and region, else the
    catalog): by default the options a one-off run can use, low = spot with its
    preemption overhead (on-demand where there is no spot price), mid = high = on-demand;
    with ``option`` (``"on_demand"``, ``"spot"``, ``"commit_1y"``, ``"commit_3y"``) that
    option's price alone (spot with its overhead).

    Examples
    --------
    >>> r = device_hour_price("H100-SXM")
    >>> r.low <= r.mid == r.high
    True
    >>> device_hour_price("H100-SXM", "commit_3y").mid < r.mid
    True
    """
    a = _lookup(acc)
    asm = assumptions()
    if option is not None:
        check_rent_option(option)
    if a.name in asm.prices_usd_per_device_hour:
        return asm.prices_usd_per_device_hour[a.name]
    prices = rent_prices(a)

    def effective(opt: str) -> float:
        p = prices[opt].price_usd_per_device_hour
        return p * (1 + asm.spot_preemption_overhead) if opt == "spot" else p

    if option is not None:
        return Range.point(effective(option)) if option in prices else None
    if "on_demand" not in prices:
        return None
    od = effective("on_demand")
    low = min([effective(o) for o in ONE_OFF_OPTIONS if o in prices])
    return Range(low, od, od)
