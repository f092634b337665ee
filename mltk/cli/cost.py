"""Commands about money over time: ``mltk tco`` (own or rent)."""

from __future__ import annotations

import argparse
import math
from typing import Any, TextIO

from ..foundation.assumptions import Assumptions
from ..foundation.units import format_co2e
from ..heuristics.rent import RENT_OPTIONS
from .args import (
    add_accelerator,
    add_command,
    add_common,
    add_electricity_price,
    number,
)
from .output import (
    aligned_lines,
    assumptions_source,
    emit_json,
    progress,
    show_count,
    show_percent,
    show_range,
)


def _cmd_tco(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from ..heuristics.tco import tco

    with progress("computing TCO"):
        t = tco(args.accelerator, args.devices, args.years, args.utilization,
                purchase_price_usd=args.purchase_price_usd,
                cloud_price_usd_per_hour=args.cloud_price_usd_per_hour,
                electricity_usd_per_kwh=args.electricity_usd_per_kwh, pue=args.pue,
                amortisation_years=args.amortisation_years, discount_rate=args.discount_rate,
                provider=args.provider, region=args.region,
                rent_options=args.rent_option or None)
    on_demand = t.rent.get("on_demand")
    if args.json:
        data = t.as_dict()
        # the flat keys of earlier versions: rent = on-demand for the busy hours
        data.update(capex_usd=t.capex_usd, opex_usd_per_year=t.opex_usd_per_year,
                    capex_total_usd=t.capex_total_usd,
                    opex_total_usd_per_year=t.opex_total_usd_per_year,
                    own_usd=t.own_usd, own_usd_per_device_hour=t.own_usd_per_device_hour,
                    cheapest_rent_option=t.cheapest_rent_option,
                    currency=asm.currency, assumptions=asm.path)
        if on_demand is not None:
            data.update(rent_usd=t.rent_usd, cloud_price_usd_per_hour=t.cloud_price_usd_per_hour,
                        break_even_utilization=t.break_even_utilization,
                        break_even_years=t.break_even_years,
                        cheaper="own" if t.own_usd < t.rent_usd else "rent")
        data["break_even_utilization_by_option"] = {k: r.break_even_utilization
                                                    for k, r in t.rent.items()}
        emit_json(data, out)
        return 0
    money = asm.format_money
    share = float(t.capex_charge_share)
    out.write(f"{t.devices:g} × {t.accelerator} for {t.years:g} years, busy {show_percent(t.utilization)} "
              f"of the hours (money in {asm.currency})\n\n")
    out.write(f"CapEx, charged {show_percent(share)} over {t.years:g} of its {t.amortisation_years:g}-year "
              f"life (cost of capital {show_percent(t.discount_rate)})\n")
    out.write(aligned_lines([(k, money(x * share)) for k, x in t.capex_usd.items()], "  ") + "\n")
    out.write("OpEx per year\n")
    out.write(aligned_lines([(k, money(x)) for k, x in t.opex_usd_per_year.items()], "  ") + "\n\n")
    pairs = [("own", f"{money(t.own_usd)} ({money(t.own_usd_per_device_hour)} per busy device-hour)")]
    for name, r in t.rent.items():
        where = f", {r.provider} {r.region}".rstrip() if r.provider not in ("given", "team") else ""
        pairs.append((f"rent {name}", f"{money(r.total_usd)} ({show_count(r.billed_device_hours)} "
                                      f"billed device-hours at {money(r.price_usd_per_device_hour)}{where})"))
    out.write(aligned_lines(pairs) + "\n\n")
    be = []
    for name, r in t.rent.items():
        u = float(r.break_even_utilization)
        text = {"rent_always": f"renting ({name}) is cheaper at every utilization",
                "own_always": f"owning is cheaper than {name} at every utilization",
                "own_above": f"owning pays when busy more than {show_percent(u)} of the hours",
                "own_below": f"owning pays when busy less than {show_percent(u)} of the hours",
                }[r.break_even_case]
        y = float(r.break_even_years)
        if math.isfinite(y):
            text += f"; payback {y:.3g} years at {show_percent(t.utilization)} busy"
        be.append((f"break-even {name}", text))
    if be:
        out.write(aligned_lines(be) + "\n")
    if t.own_co2e_kg is not None:
        out.write(f"\nOwn CO2e over the period: {show_range(t.own_co2e_kg, format_co2e)}\n")
    out.write(f"Assumptions: {assumptions_source(asm)}\n")
    return 0


def register(sub: Any, fmt: type[argparse.HelpFormatter]) -> None:
    """Add this group's subcommands to the parser's ``sub`` (an argparse subparsers action)."""
    p = add_command(sub, fmt, "tco", "total cost of ownership: buy or rent",
                    "Own a cluster (CapEx amortised + OpEx) or rent the same "
                    "busy device-hours in the cloud.")
    add_accelerator(p)
    p.add_argument("--devices", type=number, default=8.0, metavar="N",
                   help="accelerators in the cluster (count; default 8)")
    p.add_argument("--years", type=number, default=3.0, metavar="YEARS",
                   help="period compared, in years (default 3)")
    p.add_argument("--utilization", type=number, default=0.6, metavar="U",
                   help="fraction of the hours the devices are busy, in (0, 1] (default 0.6)")
    p.add_argument("--purchase-price-usd", type=number, metavar="PRICE",
                   help="price of one device (default: assumptions file or catalog)")
    p.add_argument("--cloud-price-usd-per-hour", type=number, metavar="PRICE",
                   help="cloud price of one device-hour (default: assumptions file or catalog)")
    add_electricity_price(p)
    p.add_argument("--pue", type=number, metavar="PUE",
                   help="power usage effectiveness, >= 1 (default: assumptions file, mid)")
    p.add_argument("--amortisation-years", type=number, metavar="YEARS",
                   help="amortisation life of the hardware in years (default: assumptions file)")
    p.add_argument("--discount-rate", type=number, metavar="RATE",
                   help="cost of capital per year, e.g. 0.08 (default: assumptions file)")
    p.add_argument("--provider", metavar="NAME",
                   help="cloud provider in the price table, e.g. gcp, aws, lambda "
                        "(default: assumptions file)")
    p.add_argument("--region", metavar="NAME",
                   help="region of that provider, e.g. us-central1 (default: assumptions file)")
    p.add_argument("--rent-option", action="append", choices=RENT_OPTIONS, metavar="OPTION",
                   help=f"price only this rent option (repeatable): {', '.join(RENT_OPTIONS)} "
                        "(default: every option with a price)")
    add_common(p)
    p.set_defaults(func=_cmd_tco, parser=p)
