"""Total cost of ownership (seed 3.3.4): own a cluster, or rent it the way clouds bill.

Own
    CapEx per device as documented components (accelerator, server share, networking,
    storage; :func:`capex_per_device`), turned into an equivalent annual charge with the
    team's cost of capital and residual value (:func:`capital_charge_per_year`, the one
    place the amortisation share is computed), plus yearly OpEx: energy by the one
    convention of :mod:`mltk.heuristics.energy`, hosting per kW, maintenance, staff.
Rent
    each option of :mod:`mltk.heuristics.rent` billed as billed: on-demand and spot for
    the busy hours (spot plus its preemption overhead), commitments for every hour of
    their terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.assumptions import assumptions
from ..foundation.errors import InputError
from ..foundation.ranges import Range, to_plain
from ..foundation.units import HOURS_PER_YEAR
from .energy import carbon_intensity, co2e_kg, energy_kwh, grid_intensities, server_power_w
from .hardware import Accelerator
from .hardware import accelerator as _lookup
from .rent import COMMIT_TERM_YEARS, RENT_OPTIONS, billed_device_hours, check_rent_option, rent_prices

__all__ = ["TCO", "RentOption", "tco", "capex_per_device", "capital_recovery_factor",
           "capital_charge_per_year"]


def capex_per_device(accelerator: str | Accelerator, purchase_price_usd: ArrayLike | None = None
                     ) -> dict[str, Any]:
    """CapEx of one device as components that add up, each counted once.

    ``accelerator``: the device price without any server share; ``server``: the host
    share (from the catalog where ``price_usd`` is a system price / devices, as for the
    H100-SXM, else ``server_usd_per_device``); ``networking``: ``networking_fraction_of_capex``
    × (accelerator + server); ``storage``: ``storage_usd_per_device``. A purchase price
    given here or in the assumptions file is the accelerator alone.

    Examples
    --------
    The H100-SXM catalog price is the DGX H100 price / 8, server share included:

    >>> c = capex_per_device("H100-SXM")
    >>> c["accelerator"] + c["server"]
    33600.0
    >>> round(sum(c.values()))
    41640
    """
    acc = _lookup(accelerator)
    asm = assumptions()
    if purchase_price_usd is not None or acc.name in asm.purchase_prices_usd:
        price = asm.purchase_prices_usd[acc.name] if purchase_price_usd is None else purchase_price_usd
        device = v.positive("purchase_price_usd", price)
        server: Any = asm.server_usd_per_device
    elif acc.price_usd is None:
        raise InputError("purchase_price_usd", None,
                         f"a purchase price: the catalog has none for {acc.name}")
    elif acc.server_share_usd is not None:
        device = acc.price_usd - acc.server_share_usd
        server = acc.server_share_usd
    else:
        device, server = acc.price_usd, asm.server_usd_per_device
    device = v.scalar_or_array(np.asarray(device, float))
    return {"accelerator": device, "server": float(server),
            "networking": (device + server) * asm.networking_fraction_of_capex,
            "storage": float(asm.storage_usd_per_device)}


def capital_recovery_factor(rate: ArrayLike, years: ArrayLike) -> Any:
    """r(1+r)^L / ((1+r)^L − 1): the yearly payment that repays 1 over L years at rate r.

    1/L at r = 0 (straight-line). The standard annuity formula; kept here so that one
    function turns CapEx into a yearly charge everywhere.

    Examples
    --------
    >>> capital_recovery_factor(0.0, 4)
    0.25
    >>> round(capital_recovery_factor(0.08, 4), 5)
    0.30192
    """
    r = np.asarray(v.non_negative("discount_rate", rate), float)
    n = np.asarray(v.positive("amortisation_years", years), float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.power(1 + r, n)
        out = np.where(r > 0, r * g / np.where(r > 0, g - 1, 1), 1 / n)
    return v.scalar_or_array(out)


def capital_charge_per_year(capex_usd: ArrayLike, residual_usd: ArrayLike, life_years: ArrayLike,
                            rate: ArrayLike) -> Any:
    """Equivalent annual cost of CapEx net of the residual value received at end of life.

    (CapEx − residual / (1+r)^L) × :func:`capital_recovery_factor`.

    Examples
    --------
    >>> capital_charge_per_year(40000, 0, 4, 0.0)
    10000.0
    """
    k = np.asarray(v.non_negative("capex_usd", capex_usd), float)
    res = np.asarray(v.non_negative("residual_usd", residual_usd), float)
    life = np.asarray(v.positive("amortisation_years", life_years), float)
    r = np.asarray(v.non_negative("discount_rate", rate), float)
    return v.scalar_or_array((k - res / np.power(1 + r, life)) * capital_recovery_factor(r, life))


@dataclass(frozen=True)
class RentOption:
    """One way of renting the cluster's work, billed as the provider bills it."""

    name: str
    price_usd_per_device_hour: float
    billed_device_hours: Any
    total_usd: Any
    usd_per_busy_device_hour: Any
    break_even_utilization: Any
    own_wins_above: Any
    break_even_years: Any
    co2e_kg: Range | None
    provider: str
    region: str
    basis: str
    source: str

    @property
    def break_even_case(self) -> str:
        """Which way the break-even utilization cuts, the one rule every face words.

        ``"rent_always"``: renting is cheaper at every busy fraction in (0, 1];
        ``"own_always"``: owning is cheaper at every busy fraction;
        ``"own_above"`` / ``"own_below"``: owning wins above (on-demand, spot) or below
        (a commitment billed for idle hours too) :attr:`break_even_utilization`.
        Defined for a scalar result (one utilization).
        """
        u = float(self.break_even_utilization)
        if not math.isfinite(u) or (self.own_wins_above and u > 1):
            return "rent_always"
        if u == 0 or (not self.own_wins_above and u > 1):
            return "own_always"
        return "own_above" if self.own_wins_above else "own_below"

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON); infinite break-evens become ``None``."""
        d = {k: to_plain(getattr(self, k)) for k in self.__dataclass_fields__}
        for k in ("break_even_utilization", "break_even_years"):
            x = d[k]
            if isinstance(x, float) and not math.isfinite(x):
                d[k] = None
        return d


@dataclass(frozen=True)
class TCO:
    """Cost of owning ``devices`` accelerators for ``years`` against each way of renting them.

    CapEx items are totals paid up front; OpEx items are per year; ``own_usd`` and each
    option's ``total_usd`` cover the whole period. Money in the assumptions' currency.
    """

    accelerator: str
    devices: Any
    years: Any
    utilization: Any
    capex_per_device_usd: dict[str, Any]
    capex_usd: dict[str, Any]
    opex_usd_per_year: dict[str, Any]
    amortisation_years: float
    discount_rate: float
    residual_value_usd: Any
    capital_charge_usd_per_year: Any
    busy_device_hours: Any
    own_usd: Any
    own_usd_per_device_hour: Any
    own_energy_kwh: Range
    own_co2e_kg: Range | None
    rent: dict[str, RentOption] = field(default_factory=dict)

    @property
    def capex_total_usd(self) -> Any:
        """Sum of the CapEx items."""
        return sum(self.capex_usd.values())

    @property
    def opex_total_usd_per_year(self) -> Any:
        """Sum of the OpEx items per year."""
        return sum(self.opex_usd_per_year.values())

    @property
    def capex_charge_share(self) -> Any:
        """Fraction of the CapEx total charged to this period (capital charge × years / CapEx)."""
        return self.capital_charge_usd_per_year * np.minimum(self.years, self.amortisation_years) \
            / self.capex_total_usd

    def _on_demand(self) -> RentOption:
        return self.rent["on_demand"]

    @property
    def cloud_price_usd_per_hour(self) -> float:
        """On-demand price of one device-hour (the rent side of earlier versions)."""
        return self._on_demand().price_usd_per_device_hour

    @property
    def rent_usd(self) -> Any:
        """On-demand rent of the busy hours over the period."""
        return self._on_demand().total_usd

    @property
    def break_even_utilization(self) -> Any:
        """Busy fraction above which owning beats on-demand renting."""
        return self._on_demand().break_even_utilization

    @property
    def break_even_years(self) -> Any:
        """Years for owning to repay its CapEx against on-demand renting."""
        return self._on_demand().break_even_years

    @property
    def cheapest_rent_option(self) -> str:
        """The rent option with the smallest total (at the first element for arrays)."""
        return min(self.rent, key=lambda k: float(np.ravel(self.rent[k].total_usd)[0]))

    def breakdown(self) -> list[tuple[str, str, Any]]:
        """Rows ``(category, item, cost over the period)`` for a table or a stacked bar.

        CapEx items are charged by :attr:`capex_charge_share` (cost of capital and residual
        value included), so the rows add up to ``own_usd``.
        """
        share = self.capex_charge_share
        rows = [("CapEx", k, x * share) for k, x in self.capex_usd.items()]
        rows += [("OpEx", k, x * self.years) for k, x in self.opex_usd_per_year.items()]
        return rows

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: ``own`` and ``rent`` (by option) with totals and break-evens."""
        own = {"total_usd": self.own_usd, "usd_per_busy_device_hour": self.own_usd_per_device_hour,
               "capex_per_device_usd": self.capex_per_device_usd, "capex_usd": self.capex_usd,
               "capex_total_usd": self.capex_total_usd, "opex_usd_per_year": self.opex_usd_per_year,
               "opex_total_usd_per_year": self.opex_total_usd_per_year,
               "capital_charge_usd_per_year": self.capital_charge_usd_per_year,
               "capex_charge_share": self.capex_charge_share,
               "residual_value_usd": self.residual_value_usd, "energy_kwh": self.own_energy_kwh,
               "co2e_kg": self.own_co2e_kg}
        return {"accelerator": self.accelerator, "devices": self.devices, "years": self.years,
                "utilization": self.utilization, "amortisation_years": self.amortisation_years,
                "discount_rate": self.discount_rate, "busy_device_hours": self.busy_device_hours,
                "own": to_plain(own), "rent": {k: r.as_dict() for k, r in self.rent.items()},
                "break_even_utilization": {k: r.as_dict()["break_even_utilization"]
                                           for k, r in self.rent.items()}}


def _payback_years(capex: Any, saving: Any, rate: float) -> Any:
    """Discounted payback: years of ``saving`` per year that repay ``capex`` at ``rate``."""
    capex, saving = np.asarray(capex, float), np.asarray(saving, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if rate == 0:
            return np.where(saving > 0, capex / np.where(saving > 0, saving, 1), np.inf)
        x = capex * rate / np.where(saving > 0, saving, 1)
        ok = (saving > 0) & (x < 1)
        return np.where(ok, -np.log1p(-np.where(ok, x, 0)) / math.log1p(rate), np.inf)


def tco(accelerator: str | Accelerator, devices: ArrayLike = 8, years: ArrayLike = 3,
        utilization: ArrayLike = 0.6, *, purchase_price_usd: ArrayLike | None = None,
        cloud_price_usd_per_hour: ArrayLike | None = None,
        electricity_usd_per_kwh: ArrayLike | None = None, pue: ArrayLike | None = None,
        amortisation_years: ArrayLike | None = None, discount_rate: float | None = None,
        residual_value_fraction: float | None = None, provider: str | None = None,
        region: str | None = None, rent_options: tuple[str, ...] | list[str] | None = None) -> TCO:
    """Own-vs-rent comparison for a cluster of one accelerator type, rent billed as billed.

    Owning costs, per year, the capital charge (:func:`capital_charge_per_year` of the
    CapEx of :func:`capex_per_device`, over ``amortisation_years`` at ``discount_rate``,
    for at most the amortisation life) plus OpEx: energy (:func:`mltk.heuristics.energy.server_power_w`
    at the busy fraction × PUE × 8760 h × tariff), hosting per provisioned kW,
    maintenance as a fraction of CapEx, and staff. Each rent option is billed by
    :func:`mltk.heuristics.rent.billed_device_hours` at :func:`mltk.heuristics.rent.rent_prices`.

    ``break_even_utilization`` per option is the busy fraction at which owning and
    renting cost the same: owning wins above it for on-demand and spot. A commitment's
    bill does not depend on utilization, so its break-even is 0 where owning is cheaper
    at every busy fraction, ``inf`` where the commitment always is, and otherwise the
    fraction below which owning wins (``own_wins_above`` False). ``break_even_years``
    is the discounted payback: how long the rent saved, less OpEx, takes to repay CapEx.

    Parameters
    ----------
    accelerator : str or Accelerator
        Catalog name.
    devices : array_like, default 8
        Accelerators in the cluster.
    years : array_like, default 3
        Period compared, in years (> 0).
    utilization : array_like, default 0.6
        Fraction of the hours the devices are busy, in (0, 1].
    purchase_price_usd, electricity_usd_per_kwh, pue, amortisation_years : optional
        Override the assumptions file and catalog.
    discount_rate, residual_value_fraction : float, optional
        Override the assumptions file and catalog (``pue``: a number; default the file's mid).
    cloud_price_usd_per_hour : float, optional
        On-demand price of one device-hour; commitments then follow ``cloud_price_factor``.
    provider, region : str, optional
        Where to rent (default the assumptions' ``cloud_provider`` and ``cloud_region``).
    rent_options : sequence of str, optional
        Options to price (default every option with a price).

    Examples
    --------
    >>> t = tco("H100-SXM", devices=8, years=3, utilization=0.8,
    ...         purchase_price_usd=30000, cloud_price_usd_per_hour=3.0, discount_rate=0.0)
    >>> round(t.capex_usd["accelerators"])
    240000
    >>> t.rent["commit_1y"].total_usd == tco("H100-SXM", 8, 3, 0.3, purchase_price_usd=30000,
    ...     cloud_price_usd_per_hour=3.0).rent["commit_1y"].total_usd
    True
    """
    acc = _lookup(accelerator)
    asm = assumptions()
    n = v.at_least_one("devices", devices)
    yrs = v.positive("years", years)
    u = v.fraction("utilization", utilization)
    life = float(v.positive("amortisation_years", asm.amortisation_years
                            if amortisation_years is None else amortisation_years))
    rate = float(v.non_negative("discount_rate", asm.discount_rate
                                if discount_rate is None else discount_rate))
    resid = float(v.non_negative("residual_value_fraction", asm.residual_value_fraction
                                 if residual_value_fraction is None else residual_value_fraction))
    if rate > 1 or resid > 1:
        raise InputError("discount_rate" if rate > 1 else "residual_value_fraction",
                         rate if rate > 1 else resid, "a fraction in [0, 1]")
    wanted = RENT_OPTIONS if rent_options is None else tuple(check_rent_option(o) for o in rent_options)
    tariff = v.non_negative("electricity_usd_per_kwh", asm.electricity_usd_per_kwh
                            if electricity_usd_per_kwh is None else electricity_usd_per_kwh)
    pue_v = v.at_least_one("pue", asm.pue.mid if pue is None else pue)
    if acc.tdp_w is None:
        raise InputError("accelerator", acc.name, "a catalog device with a published TDP")

    per_device = capex_per_device(acc, purchase_price_usd)
    # totals keep the plural keys of earlier versions (accelerators, servers, networking, storage)
    plural = {"accelerator": "accelerators", "server": "servers"}
    capex = {plural.get(k, k): n * x for k, x in per_device.items()}
    capex_total = sum(capex.values())
    residual = n * (per_device["accelerator"] + per_device["server"]) * resid
    charge = capital_charge_per_year(capex_total, residual, life, rate)

    busy_kw = n * server_power_w(acc.tdp_w, 1.0) / 1000.0            # provisioned IT power
    avg_kw = n * server_power_w(acc.tdp_w, u) / 1000.0
    energy = avg_kw * pue_v * HOURS_PER_YEAR * tariff
    opex = {"energy": energy, "hosting": busy_kw * asm.hosting_usd_per_kw_year,
            "maintenance": capex_total * asm.maintenance_fraction_per_year,
            "staff": n * asm.staff_usd_per_device_year}
    opex_total = sum(opex.values())
    charged_years = np.minimum(yrs, life)
    own = charge * charged_years + opex_total * yrs
    busy_hours = n * HOURS_PER_YEAR * u * yrs

    # own(u) = fixed + slope * u over the period, for the break-evens
    slope = busy_kw * (1 - asm.idle_power_fraction) * pue_v * HOURS_PER_YEAR * tariff * yrs
    fixed = own - slope * u

    own_e = energy_kwh(n * HOURS_PER_YEAR * yrs, acc.tdp_w, busy_fraction=u,
                       pue=asm.pue if pue is None else pue_v)
    own_co2 = co2e_kg(own_e, carbon_intensity())

    prices = rent_prices(acc, provider=provider, region=region,
                         on_demand_usd_per_hour=cloud_price_usd_per_hour)
    if "on_demand" not in prices and "on_demand" in wanted:
        raise InputError("cloud_price_usd_per_hour", None,
                         f"a price per device-hour: neither the price table nor the catalog has one "
                         f"for {acc.name}")
    s = v.scalar_or_array
    rent: dict[str, RentOption] = {}
    for opt in wanted:
        if opt not in prices:
            continue
        rp = prices[opt]
        p = rp.price_usd_per_device_hour
        billed = np.asarray(billed_device_hours(opt, n, yrs, u), float)
        total = billed * p
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if opt in COMMIT_TERM_YEARS:
                per_year = n * HOURS_PER_YEAR * p * np.ones_like(u)
                # own(u) < total below the crossing; with no energy slope own is flat
                cross = np.where(slope > 0, (total - fixed) / np.where(slope > 0, slope, 1),
                                 np.where(fixed < total, np.inf, -np.inf))
                be_u = np.where(cross >= 1, 0.0, np.where(cross <= 0, np.inf, cross))
                above = np.asarray((cross >= 1) | (cross <= 0))
            else:
                per_u = total / u  # pay-per-use rent is per_u * u over the period
                margin = per_u - slope
                be_u = np.where(margin > 0, fixed / np.where(margin > 0, margin, 1), np.inf)
                above = np.ones(np.shape(be_u), dtype=bool)
                per_year = total / yrs
        be_y = _payback_years(capex_total, per_year - opex_total, rate)
        region_name = rp.region if rp.region in grid_intensities() else None
        # busy (for spot: billed) device-hours at busy power and the team's PUE: an approximation
        rent_e = energy_kwh(busy_hours if opt in COMMIT_TERM_YEARS else billed, acc.tdp_w,
                            pue=asm.pue if pue is None else pue_v)
        rent_co2 = co2e_kg(rent_e, carbon_intensity(region_name))
        rent[opt] = RentOption(name=opt, price_usd_per_device_hour=float(p),
                               billed_device_hours=s(billed), total_usd=s(np.asarray(total, float)),
                               usd_per_busy_device_hour=s(np.asarray(total / busy_hours, float)),
                               break_even_utilization=s(np.asarray(be_u, float)),
                               own_wins_above=above.item() if above.ndim == 0 else above,
                               break_even_years=s(np.asarray(be_y, float)), co2e_kg=rent_co2,
                               provider=rp.provider, region=rp.region, basis=rp.basis, source=rp.source)

    return TCO(accelerator=acc.name, devices=s(n), years=s(yrs), utilization=s(u),
               capex_per_device_usd={k: s(np.asarray(x, float)) for k, x in per_device.items()},
               capex_usd={k: s(np.asarray(x, float)) for k, x in capex.items()},
               opex_usd_per_year={k: s(np.asarray(x, float)) for k, x in opex.items()},
               amortisation_years=life, discount_rate=rate, residual_value_usd=s(np.asarray(residual, float)),
               capital_charge_usd_per_year=s(np.asarray(charge, float)),
               busy_device_hours=s(busy_hours), own_usd=s(np.asarray(own, float)),
               own_usd_per_device_hour=s(np.asarray(own / busy_hours, float)),
               own_energy_kwh=own_e, own_co2e_kg=own_co2, rent=rent)
