"""Commands about money over time: ``mltk tco`` (own or rent)."""

from __future__ import annotations

import argparse
import math
from typing import Any, TextIO

from ..foundation.assumptions import Assumptions
from .args import (
    EPILOG,
    add_accelerator,
    add_common,
    number,
    wrap,
)
from .output import (
    aligned_lines,
    assumptions_source,
    emit_json,
    progress,
    show_count,
    show_percent,
)


def _cmd_tco(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from ..heuristics.tco import tco

    with progress("computing TCO"):
        t = tco(args.accelerator, args.devices, args.years, args.utilization,
                purchase_price_usd=args.purchase_price_usd,
                cloud_price_usd_per_hour=args.cloud_price_usd_per_hour,
                electricity_usd_per_kwh=args.electricity_usd_per_kwh, pue=args.pue,
                amortisation_years=args.amortisation_years)
    if args.json:
        data = {k: getattr(t, k) for k in t.__dataclass_fields__}
        data.update(capex_total_usd=t.capex_total_usd,
                    opex_total_usd_per_year=t.opex_total_usd_per_year,
                    cheaper="own" if t.own_usd < t.rent_usd else "rent",
                    currency=asm.currency, assumptions=asm.path)
        emit_json(data, out)
        return 0
    money = asm.format_money
    share = min(t.years / t.amortisation_years, 1.0)
    out.write(f"{t.devices:g} × {t.accelerator} for {t.years:g} years, busy {show_percent(t.utilization)} "
              f"of the hours (money in {asm.currency})\n\n")
    out.write(f"CapEx, charged {show_percent(share)} of its {t.amortisation_years:g}-year life\n")
    out.write(aligned_lines([(k, money(x * share)) for k, x in t.capex_usd.items()], "  ") + "\n")
    out.write("OpEx per year\n")
    out.write(aligned_lines([(k, money(x)) for k, x in t.opex_usd_per_year.items()], "  ") + "\n\n")
    pairs = [
        ("own", f"{money(t.own_usd)} ({money(t.own_usd_per_device_hour)} per busy device-hour)"),
        ("rent", f"{money(t.rent_usd)} ({show_count(t.busy_device_hours)} device-hours at "
                 f"{money(t.cloud_price_usd_per_hour)})"),
    ]
    cheaper = "own" if t.own_usd < t.rent_usd else "rent"
    pairs.append(("cheaper", f"{cheaper}, by {money(abs(t.rent_usd - t.own_usd))}"))
    be_u, be_y = float(t.break_even_utilization), float(t.break_even_years)
    pairs.append(("break-even", "renting is always cheaper" if not math.isfinite(be_u) or be_u > 1
                  else f"owning pays when busy more than {show_percent(be_u)} of the hours"))
    if math.isfinite(be_y):
        pairs.append(("payback", f"{be_y:.3g} years at {show_percent(t.utilization)} busy"))
    out.write(aligned_lines(pairs) + "\n")
    out.write(f"Assumptions: {assumptions_source(asm)}\n")
    return 0


def register(sub: Any, fmt: type[argparse.HelpFormatter]) -> None:
    """Add this group's subcommands to the parser's ``sub`` (an argparse subparsers action)."""
    p = sub.add_parser("tco", help="total cost of ownership: buy or rent",
                       formatter_class=fmt, epilog=EPILOG,
                       description=wrap("Own a cluster (CapEx amortised + OpEx) or rent the same "
                                         "busy device-hours in the cloud."))
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
    p.add_argument("--electricity-usd-per-kwh", type=number, metavar="PRICE",
                   help="electricity tariff per kWh (default: assumptions file)")
    p.add_argument("--pue", type=number, metavar="PUE",
                   help="power usage effectiveness, >= 1 (default: assumptions file, mid)")
    p.add_argument("--amortisation-years", type=number, metavar="YEARS",
                   help="straight-line life of the hardware in years (default: assumptions file)")
    add_common(p)
    p.set_defaults(func=_cmd_tco, parser=p)
