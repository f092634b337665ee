"""Commands about hardware: ``mltk accelerators`` (the catalog) and ``mltk peak``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

from ..foundation.assumptions import Assumptions
from ..foundation.units import format_si
from ..heuristics.hardware import TRAINING_PRECISIONS, Accelerator, accelerator, accelerators, peak_flops
from .args import (
    PROG,
    UsageError,
    add_accelerator,
    add_command,
    add_common,
    add_precision,
    number,
)
from .output import (
    aligned_lines,
    emit_json,
    table,
)


def _cmd_accelerators(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from ..heuristics.estimate import device_hour_price

    accs = accelerators()
    if args.vendor:
        accs = [a for a in accs if a.vendor.lower() == args.vendor.lower()]
    if args.kind:
        accs = [a for a in accs if a.kind == args.kind]
    min_mem = args.min_memory_bytes if args.min_memory_gb is None else args.min_memory_gb * 1e9
    if min_mem is not None:
        accs = [a for a in accs if a.memory_bytes is not None and a.memory_bytes >= min_mem]
    prec = args.precision
    if prec is not None:
        accs = [a for a in accs if prec in a.precisions]

    def hour_price(a: Accelerator) -> float | None:
        r = device_hour_price(a)
        return None if r is None else float(r.mid)

    def purchase(a: Accelerator) -> float | None:
        return asm.purchase_prices_usd.get(a.name, a.price_usd)

    def peak(a: Accelerator) -> float | None:
        return a.peak_flops_by_precision.get(prec or "bf16")

    keys: dict[str, tuple[Callable[[Accelerator], Any], bool]] = {
        "name": (lambda a: a.name.lower(), False), "release": (lambda a: a.release_date, True),
        "memory": (lambda a: a.memory_bytes, True), "peak": (peak, True),
        "bandwidth": (lambda a: a.memory_bandwidth_bytes_per_s, True),
        "tdp": (lambda a: a.tdp_w, True), "price": (purchase, False),
        "hour-price": (hour_price, False),
    }
    if args.sort != "catalog":
        key, descending = keys[args.sort]
        known = [a for a in accs if key(a) is not None]
        unknown = [a for a in accs if key(a) is None]
        accs = sorted(known, key=key, reverse=descending != args.reverse) + unknown

    if args.json:
        data = []
        for a in accs:
            d = {k: getattr(a, k) for k in a.__dataclass_fields__}
            d["precisions"] = list(a.precisions)
            d["dense_peak_flops"] = dict(a.peak_flops_by_precision)  # FLOP/s (OP/s for int8, int4)
            d["training_precisions"] = [p for p in a.precisions if p in TRAINING_PRECISIONS]
            d["device_hour_price"] = device_hour_price(a)
            d["purchase_price"] = purchase(a)
            d["currency"] = asm.currency
            data.append(d)
        emit_json(data, out)
        return 0
    if not accs:
        out.write("no catalog device matches these filters\n")
        return 0
    shown = prec or "bf16"
    header = ["name", "vendor", "kind", "memory", "bandwidth", "TDP", "fp32 peak",
              f"{shown} peak", "purchase", "per hour"]
    dash = "–"

    def si(x: float | None, unit: str) -> str:
        return dash if x is None else format_si(x, unit)

    def money(x: float | None) -> str:
        return dash if x is None else asm.format_money(x)

    rows = [[a.name, a.vendor, a.kind, si(a.memory_bytes, "B"),
             si(a.memory_bandwidth_bytes_per_s, "B/s"), si(a.tdp_w, "W"),
             si(a.peak_flops_by_precision.get("fp32"), "FLOP/s"), si(peak(a), "FLOP/s"),
             money(purchase(a)), money(hour_price(a))] for a in accs]
    out.write(table(rows, header) + "\n")
    out.write(f"\nPeaks are dense (no 2:4 sparsity). 'per hour' is the mid price of one "
              f"device-hour and 'purchase' the price of one device, in {asm.currency}, from "
              f"the assumptions file where it sets them, else from the price table "
              f"(on-demand; mltk tco lists every rent option).\n")
    return 0


def _cmd_peak(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    if args.accelerator is not None:
        if args.cores is not None or args.clock_hz is not None:
            raise UsageError(f"{PROG} peak", "argument --accelerator: not allowed with "
                                             "--cores/--clock-hz (give one or the other)")
        acc = accelerator(args.accelerator)
        if args.precision is not None:
            r = acc.peak_flops(args.precision)
            if args.json:
                emit_json({"accelerator": acc.name, "precision": args.precision,
                            "flops_per_s": r}, out)
            else:
                out.write(f"{acc.name} {args.precision} dense peak: {format_si(r, 'FLOP/s')}\n")
            return 0
        cores_peak = acc.cuda_core_peak_flops()
        if args.json:
            emit_json({"accelerator": acc.name,
                        "peak_flops_by_precision": dict(acc.peak_flops_by_precision),
                        "cuda_cores": acc.cuda_cores, "boost_clock_hz": acc.boost_clock_hz,
                        "cuda_core_peak_flops": cores_peak}, out)
            return 0
        pairs = [(p, format_si(acc.peak_flops(p), "FLOP/s")) for p in acc.precisions]
        out.write(f"{acc.name} dense peak by precision\n{aligned_lines(pairs, '  ')}\n")
        if cores_peak is not None:
            assert acc.cuda_cores is not None and acc.boost_clock_hz is not None
            out.write(f"R = 2NC = 2 × {acc.cuda_cores} × {format_si(acc.boost_clock_hz, 'Hz')} = "
                      f"{format_si(cores_peak, 'FLOP/s')} (CUDA cores, FP32)\n")
        return 0
    if args.cores is None or args.clock_hz is None:
        raise UsageError(f"{PROG} peak", "give --cores and --clock-hz, or --accelerator "
                                         "(with an optional --precision)")
    if args.precision is not None:
        raise UsageError(f"{PROG} peak", "argument --precision: only with --accelerator")
    r = peak_flops(args.cores, args.clock_hz, args.ops_per_cycle)
    if args.json:
        emit_json({"cores": args.cores, "clock_hz": args.clock_hz,
                    "ops_per_cycle": args.ops_per_cycle, "flops_per_s": r}, out)
        return 0
    k = f"{args.ops_per_cycle:g}"
    formula = "R = 2NC" if args.ops_per_cycle == 2 else f"R = {k}NC"
    out.write(f"{formula} = {k} × {args.cores:g} × {format_si(args.clock_hz, 'Hz')} = "
              f"{format_si(r, 'FLOP/s')}\n")
    return 0


def register(sub: Any, fmt: type[argparse.HelpFormatter]) -> None:
    """Add this group's subcommands to the parser's ``sub`` (an argparse subparsers action)."""
    p = add_command(sub, fmt, "accelerators", "the accelerator catalog as a table",
                    "The accelerator catalog, filtered and sorted.")
    p.add_argument("--vendor", metavar="NAME", help="NVIDIA, Google or AWS (any case)")
    p.add_argument("--kind", choices=("gpu", "tpu", "asic"), help="device kind")
    mem = p.add_mutually_exclusive_group()
    mem.add_argument("--min-memory-bytes", type=number, metavar="BYTES",
                     help="keep devices with at least this memory, in bytes (e.g. 80e9 or 80G)")
    mem.add_argument("--min-memory-gb", type=number, metavar="GB",
                     help="the same in GB (1 GB = 1e9 bytes, as vendors quote)")
    add_precision(p, default=None)
    p.add_argument("--sort", default="catalog",
                   choices=("catalog", "name", "release", "memory", "bandwidth", "peak", "tdp",
                            "price", "hour-price"),
                   help="sort order (default catalog order; sizes and speeds largest first, "
                        "prices cheapest first)")
    p.add_argument("--reverse", action="store_true", help="reverse the sort order")
    add_common(p)
    p.set_defaults(func=_cmd_accelerators, parser=p)
    p = add_command(sub, fmt, "peak", "peak throughput, R = 2NC or a catalog device's peak",
                    "Peak throughput in FLOP/s: Hooda (2023) eq. 1, R = 2NC, from "
                    "--cores and --clock-hz; or a catalog device's dense peak.")
    p.add_argument("--cores", type=number, metavar="N", help="number of cores N (count)")
    p.add_argument("--clock-hz", type=number, metavar="HZ",
                   help="clock frequency C in Hz (1.531e9 or 1.531G, not 1.531)")
    p.add_argument("--ops-per-cycle", type=number, default=2.0, metavar="OPS",
                   help="operations per core per cycle (default 2: one fused multiply-add)")
    add_accelerator(p, required=False)
    add_precision(p, default=None)
    add_common(p)
    p.set_defaults(func=_cmd_peak, parser=p)
