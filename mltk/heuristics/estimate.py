"""End-to-end training estimate: compute, time, device-hours, energy and cost, as ranges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from numpy.typing import ArrayLike

from ..foundation import checks as v
from ..foundation.assumptions import assumptions
from ..foundation.ranges import Range, to_plain
from ..foundation.units import (
    currency_prefix,
    format_co2e,
    format_duration,
    format_money,
    format_range,
    format_si,
)
from .compute import training_flops
from .energy import carbon_intensity, co2e_kg, energy_kwh
from .hardware import Accelerator, check_training_precision
from .hardware import accelerator as _lookup
from .rent import check_rent_option, device_hour_price
from .timing import training_time
from .utilization import default_utilization_and_notes, device_hours

__all__ = ["TrainingEstimate", "estimate_training", "device_hour_price"]


@dataclass(frozen=True)
class TrainingEstimate:
    """Result of :func:`estimate_training`; every uncertain quantity is a :class:`Range`."""

    flops: Any
    accelerator: Accelerator
    devices: Any
    precision: str
    peak_flops_per_device: float
    utilization: Range
    seconds: Range
    device_hours: Range
    energy_kwh: Range | None
    energy_cost_usd: Range | None
    price_usd_per_hour: Range | None
    cost_usd: Range | None
    currency: str = "USD"
    notes: list[str] = field(default_factory=list)
    co2e_kg: Range | None = None
    rent_option: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): scalars and ``{"low","mid","high"}`` mappings."""
        return {
            "accelerator": self.accelerator.name, "devices": Range.point(self.devices).as_dict()["mid"],
            "precision": self.precision, "flops": Range.point(self.flops).as_dict()["mid"],
            "peak_flops_per_device": self.peak_flops_per_device,
            "utilization": to_plain(self.utilization), "seconds": to_plain(self.seconds),
            "device_hours": to_plain(self.device_hours), "energy_kwh": to_plain(self.energy_kwh),
            "energy_cost_usd": to_plain(self.energy_cost_usd),
            "price_usd_per_hour": to_plain(self.price_usd_per_hour), "cost_usd": to_plain(self.cost_usd),
            "co2e_kg": to_plain(self.co2e_kg), "rent_option": self.rent_option,
            "currency": self.currency, "notes": list(self.notes),
        }

    def summary(self) -> str:
        """A few human lines: mid value with (low – high)."""
        cur = currency_prefix(self.currency)
        lines = [
            f"compute       {format_si(self.flops, 'FLOP')}",
            f"time          {format_range(self.seconds, format_duration)}",
            f"device-hours  {format_range(self.device_hours, format_si, unit='h')}",
        ]
        if self.energy_kwh is not None:
            lines.append(f"energy        {format_range(self.energy_kwh * 1000, format_si, unit='Wh')}")
        if self.co2e_kg is not None:
            lines.append(f"CO2e          {format_range(self.co2e_kg, format_co2e)}")
        if self.cost_usd is not None:
            lines.append(f"cost          {format_range(self.cost_usd, format_money, currency=cur)}")
        return "\n".join(lines)


def estimate_training(params: ArrayLike, dataset_size: ArrayLike, epochs: ArrayLike = 1,
                      accelerator: str | Accelerator = "A100-80GB", devices: ArrayLike = 1,
                      precision: str = "bf16", *, utilization: Any = None,
                      price_usd_per_hour: Any = None, pue: Any = None,
                      electricity_usd_per_kwh: ArrayLike | None = None,
                      forward_ops: ArrayLike = 2, backward_factor: ArrayLike = 3,
                      flops: ArrayLike | None = None, rent_option: str | None = None,
                      hours_basis: str = "elapsed") -> TrainingEstimate:
    """Estimate compute, time, device-hours, energy and cost of one training run.

    Compute is Hooda (2023) eq. 3 (C = O_f·O_b·P·S·E, or ``flops`` if you know it); time is
    Hooda (2023) eq. 4 with ``devices`` accelerators each sustaining ``utilization`` of the
    dense peak at ``precision`` (a training precision: int8, fp4 and int4 raise
    :class:`~mltk.foundation.errors.UnsupportedPrecisionError`). Energy follows the one
    convention of :mod:`mltk.heuristics.energy` (device-hours × TDP × (1 + host fraction)
    × PUE) and CO2e is that energy × the grid's carbon intensity; cost is device-hours ×
    the price of a one-off run (on-demand, spot at the low end; see :func:`device_hour_price`).

    Parameters
    ----------
    params, dataset_size, epochs
        Model parameters P, examples or tokens per epoch S, epochs E.
    accelerator : str or Accelerator
        Catalog name, e.g. ``"H100-SXM"``.
    devices : array_like
        Number of accelerators (>= 1).
    precision : str
        Precision whose dense peak is the denominator (``"bf16"``, ``"fp16"``, ``"fp32"``, ...).
    utilization : float, (low, mid, high) or Range, optional
        End-to-end fraction of peak; default: the team's assumptions file, else the
        utilization model fit on published training runs
        (:func:`mltk.evidence.calibration.predict_utilization`) for this accelerator,
        precision, device count and model size (``params``; unknown when ``flops`` is
        given), with its notes added to ``notes``.
    price_usd_per_hour : float, (low, mid, high) or Range, optional
        Price of one device-hour; default :func:`device_hour_price`.
    rent_option : str, optional
        Price the run at one rent option (``"on_demand"``, ``"spot"``, or a commitment the
        team already holds, ``"commit_1y"``/``"commit_3y"``); default on-demand with spot
        as the low end. Ignored when ``price_usd_per_hour`` is given.
    pue : float, (low, mid, high) or Range, optional
        Power usage effectiveness (>= 1); default from the assumptions file.
    electricity_usd_per_kwh : float, optional
        Tariff for ``energy_cost_usd``; default from the assumptions file.
    forward_ops, backward_factor
        O_f and O_b of Hooda (2023) eq. 3.
    flops : float, optional
        Known training compute in FLOP; replaces C = O_f·O_b·P·S·E.
    hours_basis : {"elapsed", "throughput"}
        What the default utilization predicts: device-hours of the whole run with restarts
        and downtime (``"elapsed"``, default) or steady-state hours (``"throughput"``).

    Returns
    -------
    TrainingEstimate

    Examples
    --------
    LLaMA-65B: 1.4T tokens on 2048 A100-80GB GPUs (Touvron et al. report about 21 days):

    >>> est = estimate_training(65.2e9, 1.4e12, accelerator="A100-80GB", devices=2048)
    >>> f"{est.flops:.3e}"
    '5.477e+23'
    >>> est.seconds.low <= est.seconds.mid <= est.seconds.high
    True
    """
    acc = _lookup(accelerator)
    n = v.at_least_one("devices", devices)
    check_training_precision(precision)
    peak = acc.peak_flops(precision)
    c = (v.positive("flops", flops) if flops is not None
         else training_flops(params, dataset_size, epochs, forward_ops, backward_factor))
    if flops is not None:
        c = v.scalar_or_array(c)

    notes: list[str] = []
    if utilization is None:
        u, model_notes = default_utilization_and_notes(acc.name, precision, n, None if flops is not None
                                                       else params, hours_basis)
        notes.extend(model_notes)
    else:
        u = Range.coerce(utilization, "utilization", "fraction")
    seconds = u.map(lambda x: training_time(c, peak, n, x), decreasing=True)
    busy_hours = device_hours(seconds, n)

    asm = assumptions()
    pue_r = asm.pue if pue is None else Range.coerce(pue, "pue", "at_least_one")
    tariff = asm.electricity_usd_per_kwh if electricity_usd_per_kwh is None else \
        float(v.non_negative("electricity_usd_per_kwh", electricity_usd_per_kwh))
    if acc.tdp_w is None:
        energy = energy_cost = co2 = None
        notes.append(f"no published TDP for {acc.name}: energy not estimated")
    else:
        energy = energy_kwh(busy_hours, acc.tdp_w, pue=pue_r)
        energy_cost = energy * tariff
        co2 = co2e_kg(energy, carbon_intensity())

    if rent_option is not None:
        check_rent_option(rent_option)
    price = device_hour_price(acc, rent_option) if price_usd_per_hour is None else \
        Range.coerce(price_usd_per_hour, "price_usd_per_hour", "non_negative")
    if price is not None:
        cost = busy_hours * price
    else:
        cost = None
        notes.append(f"no public price per device-hour for {acc.name}: pass price_usd_per_hour")
    return TrainingEstimate(flops=c, accelerator=acc, devices=v.scalar_or_array(n),
                            precision=precision, peak_flops_per_device=peak, utilization=u,
                            seconds=seconds, device_hours=busy_hours, energy_kwh=energy,
                            energy_cost_usd=energy_cost, price_usd_per_hour=price, cost_usd=cost,
                            currency=asm.currency, notes=notes, co2e_kg=co2,
                            rent_option=rent_option if price_usd_per_hour is None else None)
