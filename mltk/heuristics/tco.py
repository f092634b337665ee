"""Total cost of ownership (seed 3.3.4): buy and run accelerators, or rent the same device-hours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.assumptions import assumptions
from ..foundation.errors import InputError
from ..foundation.units import HOURS_PER_YEAR
from .estimate import device_hour_price
from .hardware import Accelerator
from .hardware import accelerator as _lookup

__all__ = ["TCO", "tco"]


@dataclass(frozen=True)
class TCO:
    """Cost of owning ``devices`` accelerators for ``years``, against renting the busy hours.

    CapEx items are totals paid up front; OpEx items are per year. ``own_usd`` and
    ``rent_usd`` cover the whole period. All money in the assumptions' currency.
    """

    accelerator: str
    devices: Any
    years: Any
    utilization: Any
    capex_usd: dict[str, Any]
    opex_usd_per_year: dict[str, Any]
    amortisation_years: float
    busy_device_hours: Any
    cloud_price_usd_per_hour: Any
    own_usd: Any
    rent_usd: Any
    own_usd_per_device_hour: Any
    break_even_utilization: Any
    break_even_years: Any

    @property
    def capex_total_usd(self) -> Any:
        """Sum of the CapEx items."""
        return sum(self.capex_usd.values())

    @property
    def opex_total_usd_per_year(self) -> Any:
        """Sum of the OpEx items per year."""
        return sum(self.opex_usd_per_year.values())

    def breakdown(self) -> list[tuple[str, str, Any]]:
        """Rows ``(category, item, cost over the period)`` for a table or a stacked bar.

        CapEx is charged for the fraction of its amortisation life the period uses.
        """
        share = np.minimum(np.asarray(self.years) / self.amortisation_years, 1.0)
        rows = [("CapEx", k, x * share) for k, x in self.capex_usd.items()]
        rows += [("OpEx", k, x * self.years) for k, x in self.opex_usd_per_year.items()]
        return rows


def tco(accelerator: str | Accelerator, devices: ArrayLike = 8, years: ArrayLike = 3,
        utilization: ArrayLike = 0.6, *, purchase_price_usd: ArrayLike | None = None,
        cloud_price_usd_per_hour: ArrayLike | None = None,
        electricity_usd_per_kwh: ArrayLike | None = None, pue: ArrayLike | None = None,
        amortisation_years: ArrayLike | None = None) -> TCO:
    """Own-vs-rent comparison for a cluster of one accelerator type.

    Owning: CapEx (accelerators, host servers, networking, storage), charged
    straight-line over ``amortisation_years``, plus yearly OpEx (energy at a PUE and
    tariff, hosting per kW, maintenance as a fraction of CapEx, staff). Renting: the
    same busy device-hours (devices × 8760 h × ``utilization`` × years) at a cloud price
    (default: the middle of :func:`mltk.device_hour_price`, the team's or the catalog's).

    Break-even utilization is the busy fraction above which owning is cheaper;
    break-even years is how long a fully paid-for cluster must run at ``utilization``
    before its up-front cost has been saved (``inf`` where renting is always cheaper).
    Defaults not given come from the assumptions file and the catalog.

    Parameters
    ----------
    accelerator : str or Accelerator
        Catalog name.
    devices : array_like, default 8
        Accelerators in the cluster.
    years : array_like, default 3
        Period compared, in years.
    utilization : array_like, default 0.6
        Fraction of the hours the devices are busy, in (0, 1].
    purchase_price_usd, cloud_price_usd_per_hour, electricity_usd_per_kwh, pue, amortisation_years
        Override the assumptions file and catalog.

    Examples
    --------
    >>> t = tco("H100-SXM", devices=8, years=3, utilization=0.8,
    ...         purchase_price_usd=30000, cloud_price_usd_per_hour=3.0)
    >>> round(t.capex_usd["accelerators"])
    240000
    >>> round(float(t.break_even_utilization), 2)  # own if busy more than this fraction
    0.79
    """
    acc = _lookup(accelerator)
    asm = assumptions()
    n = v.at_least_one("devices", devices)
    yrs = v.positive("years", years)
    u = v.fraction("utilization", utilization)
    life = v.positive("amortisation_years",
                      asm.amortisation_years if amortisation_years is None else amortisation_years)

    if purchase_price_usd is None:
        price = asm.purchase_prices_usd.get(acc.name, acc.price_usd)
        if price is None:
            raise InputError("purchase_price_usd", None,
                             f"a purchase price: the catalog has none for {acc.name}")
    else:
        price = purchase_price_usd
    price = v.positive("purchase_price_usd", price)
    if cloud_price_usd_per_hour is None:
        cp = device_hour_price(acc)
        cloud = None if cp is None else cp.mid
        if cloud is None:
            raise InputError("cloud_price_usd_per_hour", None,
                             f"a price per device-hour: the catalog has none for {acc.name}")
    else:
        cloud = cloud_price_usd_per_hour
    cloud = v.positive("cloud_price_usd_per_hour", cloud)
    tariff = v.non_negative("electricity_usd_per_kwh", asm.electricity_usd_per_kwh
                            if electricity_usd_per_kwh is None else electricity_usd_per_kwh)
    pue_v = v.at_least_one("pue", asm.pue.mid if pue is None else pue)
    if acc.tdp_w is None:
        raise InputError("accelerator", acc.name, "a catalog device with a published TDP")

    accel = n * price
    servers = n * asm.server_usd_per_device
    capex = {
        "accelerators": accel,
        "servers": servers,
        "networking": (accel + servers) * asm.networking_fraction_of_capex,
        "storage": n * asm.storage_usd_per_device,
    }
    capex_total = sum(capex.values())
    it_kw = n * acc.tdp_w * (1 + asm.host_power_fraction) / 1000.0
    # Busy devices draw TDP; idle ones are assumed to draw 30% of it (assumption, typical idle).
    load = u + (1 - u) * 0.3
    energy = it_kw * load * pue_v * HOURS_PER_YEAR * tariff
    opex = {
        "energy": energy,
        "hosting": it_kw * asm.hosting_usd_per_kw_year,
        "maintenance": capex_total * asm.maintenance_fraction_per_year,
        "staff": n * asm.staff_usd_per_device_year,
    }
    opex_total = sum(opex.values())
    annual_capex = capex_total / life
    share = np.minimum(yrs / life, 1.0)
    own = capex_total * share + opex_total * yrs
    busy_hours = n * HOURS_PER_YEAR * u * yrs
    rent = busy_hours * cloud

    # Owning costs (fixed + energy(u)) per year; renting costs u * n * 8760 * cloud per year.
    energy_per_busy_fraction = it_kw * (1 - 0.3) * pue_v * HOURS_PER_YEAR * tariff
    fixed = annual_capex + opex_total - energy + it_kw * 0.3 * pue_v * HOURS_PER_YEAR * tariff
    rent_per_u = n * HOURS_PER_YEAR * cloud
    margin = rent_per_u - energy_per_busy_fraction
    with np.errstate(divide="ignore", invalid="ignore"):
        be_u = np.where(margin > 0, fixed / np.where(margin > 0, margin, 1), np.inf)
        yearly_saving = busy_hours / yrs * cloud - opex_total
        be_years = np.where(yearly_saving > 0,
                            capex_total / np.where(yearly_saving > 0, yearly_saving, 1), np.inf)
    s = v.scalar_or_array
    return TCO(accelerator=acc.name, devices=s(n), years=s(yrs), utilization=s(u),
               capex_usd={k: s(np.asarray(x, float)) for k, x in capex.items()},
               opex_usd_per_year={k: s(np.asarray(x, float)) for k, x in opex.items()},
               amortisation_years=float(life), busy_device_hours=s(busy_hours),
               cloud_price_usd_per_hour=s(cloud), own_usd=s(own), rent_usd=s(rent),
               own_usd_per_device_hour=s(own / busy_hours),
               break_even_utilization=s(np.asarray(be_u, float)),
               break_even_years=s(np.asarray(be_years, float)))
