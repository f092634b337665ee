"""Energy and carbon: the one convention every estimate, TCO, calculator and page uses.

The convention, stated once:

* a busy accelerator draws its board power (catalog ``tdp_w``);
* its host (CPUs, memory, fans, NICs) draws ``host_power_fraction`` × that power on top
  (assumptions file; a DGX H100 is rated at about 0.8 at full load, the default is 0.5);
* an idle server draws ``idle_power_fraction`` of its busy power (assumptions file);
* the facility multiplies IT power by its PUE (assumptions file, a low/mid/high range);
* carbon is facility energy × the grid's carbon intensity in gCO2e per kWh, from
  ``mltk/data/carbon_intensity.csv`` (Google Cloud's published grid averages per region)
  or the team's own figure (``grid_carbon_g_per_kwh``).

CodeCarbon and the ML CO2 Impact calculator measure or need the hours after the fact;
these functions give a planner the figure before training, from the same hours the
cost estimate uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.assumptions import assumptions
from ..foundation.datafiles import read_csv
from ..foundation.errors import InputError
from ..foundation.ranges import Range

__all__ = ["server_power_w", "energy_kwh", "carbon_intensity", "co2e_kg", "GridIntensity",
           "grid_intensities"]


def server_power_w(tdp_w: ArrayLike, busy_fraction: ArrayLike = 1.0, *,
                   host_power_fraction: ArrayLike | None = None,
                   idle_power_fraction: ArrayLike | None = None) -> Any:
    """Average IT power of one accelerator and its host share, in W (no PUE).

    P = TDP × (1 + h) × (u + (1 − u) × i), with h the host power fraction, i the idle
    power fraction and u the busy fraction; defaults from the assumptions file.

    Examples
    --------
    >>> float(server_power_w(700, 1.0, host_power_fraction=0.5))
    1050.0
    >>> float(server_power_w(700, 0.6, host_power_fraction=0.5, idle_power_fraction=0.3))
    756.0
    """
    asm = assumptions()
    p = v.positive("tdp_w", tdp_w)
    u = v.fraction("busy_fraction", busy_fraction)
    h = v.non_negative("host_power_fraction", asm.host_power_fraction
                       if host_power_fraction is None else host_power_fraction)
    i = v.non_negative("idle_power_fraction", asm.idle_power_fraction
                       if idle_power_fraction is None else idle_power_fraction)
    if np.any(i > 1):
        raise InputError("idle_power_fraction", idle_power_fraction, "a fraction in [0, 1]")
    return v.scalar_or_array(p * (1 + h) * (u + (1 - u) * i))


def energy_kwh(device_hours: ArrayLike | Range, tdp_w: ArrayLike, *, busy_fraction: ArrayLike = 1.0,
               pue: Any = None, host_power_fraction: ArrayLike | None = None,
               idle_power_fraction: ArrayLike | None = None) -> Range:
    """Facility energy of ``device_hours`` (wall-clock hours × devices), in kWh, as a range.

    E = hours × :func:`server_power_w` × PUE / 1000. ``pue`` defaults to the assumptions
    file's low/mid/high; a number gives a point range. For a training run every device is
    busy (``busy_fraction`` 1); for an owned cluster pass its utilization and all the hours.

    Examples
    --------
    >>> e = energy_kwh(1000, 700, pue=1.2, host_power_fraction=0.5)
    >>> round(float(e.mid), 6)
    1260.0
    """
    w = server_power_w(tdp_w, busy_fraction, host_power_fraction=host_power_fraction,
                       idle_power_fraction=idle_power_fraction)
    pue_r = assumptions().pue if pue is None else Range.of(pue)
    for part in pue_r:
        v.at_least_one("pue", part)
    hours = device_hours if isinstance(device_hours, Range) else \
        Range.point(v.non_negative("device_hours", device_hours))
    return hours * pue_r * (np.asarray(w) / 1000.0)


@dataclass(frozen=True)
class GridIntensity:
    """One row of ``carbon_intensity.csv``: a region's grid average, in gCO2e per kWh."""

    region: str
    provider: str
    location: str
    g_co2e_per_kwh: float
    year: int
    source: str


@cache
def grid_intensities() -> dict[str, GridIntensity]:
    """Every row of ``mltk/data/carbon_intensity.csv``, by region name.

    Examples
    --------
    >>> grid_intensities()["europe-north1"].g_co2e_per_kwh
    46.0
    """
    out: dict[str, GridIntensity] = {}
    for i, row in enumerate(read_csv("carbon_intensity.csv"), start=2):
        if not row.get("source"):
            raise InputError("carbon_intensity.csv", f"line {i}", "a source on every row")
        out[row["region"]] = GridIntensity(region=row["region"], provider=row["provider"],
                                           location=row["location"],
                                           g_co2e_per_kwh=float(row["g_co2e_per_kwh"]),
                                           year=int(row["year"]), source=row["source"])
    return out


def carbon_intensity(region: str | None = None) -> Range:
    """Grid carbon intensity in gCO2e per kWh, as a range.

    The team's ``grid_carbon_g_per_kwh`` wins when ``region`` is None; otherwise the
    table's figure for ``region`` (default the assumptions' ``grid_region``), a point range.

    Examples
    --------
    >>> carbon_intensity("us-central1").mid
    430.0
    """
    asm = assumptions()
    if region is None and asm.grid_carbon_g_per_kwh is not None:
        return asm.grid_carbon_g_per_kwh
    name = asm.grid_region if region is None else region
    table = grid_intensities()
    if name not in table:
        raise InputError("region", name, f"a region of carbon_intensity.csv ({', '.join(sorted(table))})")
    return Range.point(table[name].g_co2e_per_kwh)


def co2e_kg(energy: Range | ArrayLike, intensity: Any = None) -> Range:
    """Emissions of ``energy`` kWh at ``intensity`` gCO2e/kWh (default :func:`carbon_intensity`), in kg.

    Examples
    --------
    >>> float(co2e_kg(1000.0, 400.0).mid)
    400.0
    """
    e = energy if isinstance(energy, Range) else Range.point(v.non_negative("energy_kwh", energy))
    g = carbon_intensity() if intensity is None else Range.of(intensity)
    for part in g:
        v.non_negative("intensity", part)
    return e * g / 1000.0
