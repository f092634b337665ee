"""The mltk command line: ``mltk <command> [options]``, also ``python -m mltk``.

Commands
--------
accelerators  the catalog as a table, filtered and sorted
peak          peak throughput: R = 2NC from cores and clock, or a catalog device's dense peak
estimate      compute, time, device-hours, energy and cost of one training run, as ranges
tco           own or rent: total cost of ownership against cloud device-hours
plan          planning backwards: the largest training run a budget and a deadline allow
assumptions   the team assumptions in force (file, values)

Every command prints human output (SI prefixes, ``mid (low – high)`` ranges, money in
the assumptions' currency) or, with ``--json``, one JSON document with numbers in SI
base units and ranges as ``{"low", "mid", "high"}``. A usage error prints one line naming
the option and exits with status 2.

Examples
--------
>>> main(["peak", "--cores", "3840", "--clock-hz", "1.531e9"])
R = 2NC = 2 × 3840 × 1.53 GHz = 11.8 TFLOP/s
0
>>> main(["peak", "--accelerator", "H100-SXM", "--precision", "bf16"])
H100-SXM bf16 dense peak: 989 TFLOP/s
0
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TextIO

import numpy as np

from .assumptions import DEFAULT_ASSUMPTIONS_PATH, ENV_VAR, Assumptions, load_assumptions
from .errors import AssumptionsError, InputError, MltkError, UnknownAcceleratorError
from .hardware import PRECISIONS, Accelerator, accelerator, accelerators, peak_flops
from .ranges import Range
from .units import (
    JOULES_PER_KWH,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    format_duration,
    format_range,
    format_si,
)

__all__ = ["main", "build_parser"]

PROG = "mltk"
_SI = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21}
_TIME = {"s": 1.0, "min": 60.0, "h": SECONDS_PER_HOUR, "d": SECONDS_PER_DAY,
         "w": 7 * SECONDS_PER_DAY, "y": 365.25 * SECONDS_PER_DAY}


# --------------------------------------------------------------------------- errors

class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line (no usage dump) and never exit the process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read -1e9 and -2G as (negative) numbers, not as option names.
        self._negative_number_matcher = re.compile(
            r"^-(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[kMGTPEZ]?$")

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


# --------------------------------------------------------------------------- argument types

def _number(text: str) -> float:
    """A number: ``7e9``, ``7_000_000_000`` or with an SI prefix, ``7G``."""
    s = text.strip()
    scale = 1.0
    if s and s[-1] in _SI:
        scale, s = _SI[s[-1]], s[:-1]
    try:
        return float(s) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number such as 7e9 or 7G, got {text!r}") from None


def _seconds(text: str) -> float:
    """A duration in s; also ``90d``, ``12h``, ``30min``, ``2w``, ``1y``."""
    s = text.strip()
    for unit in sorted(_TIME, key=len, reverse=True):
        if s.endswith(unit) and s[: -len(unit)].strip():
            head = s[: -len(unit)].strip()
            try:
                return float(head) * _TIME[unit]
            except ValueError:
                break
    try:
        return float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected seconds (e.g. 2.6e6) or a number with s, min, h, d, w or y "
            f"(e.g. 30d), got {text!r}") from None


def _range(option: str, values: Sequence[float] | None) -> Range | None:
    """One value or LOW MID HIGH, checked."""
    if values is None:
        return None
    if len(values) == 1:
        return Range.point(values[0])
    if len(values) != 3:
        raise UsageError(PROG, f"argument {option}: expected one value or three (LOW MID HIGH), "
                               f"got {len(values)}")
    lo, mid, hi = values
    if not all(math.isfinite(x) for x in values) or not lo <= mid <= hi:
        raise UsageError(PROG, f"argument {option}: expected LOW <= MID <= HIGH, got "
                               f"{' '.join(f'{x:g}' for x in values)}")
    return Range(lo, mid, hi)


# --------------------------------------------------------------------------- output helpers

def _plain(x: Any) -> Any:
    """JSON-ready data: numpy to Python, non-finite numbers to null."""
    if isinstance(x, Range):
        return _plain(x.as_dict())
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return _plain(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _emit_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(_plain(data), indent=2, allow_nan=False) + "\n")


def _rng(r: Range, fmt: Callable[..., str] = format_si, **kwargs: Any) -> str:
    """``mid (low – high)``, or just the value when the range has no spread."""
    if np.all(np.asarray(r.low) == np.asarray(r.high)):
        return fmt(r.mid, **kwargs)
    return format_range(r, fmt, **kwargs)


def _count(x: float) -> str:
    """A count with an SI prefix and no space: 66.1k, 1.2M."""
    return format_si(x).replace(" ", "")


def _source(asm: Assumptions) -> str:
    """Where the assumptions come from, for the last line of human output."""
    if Path(asm.path).resolve() == DEFAULT_ASSUMPTIONS_PATH.resolve():
        return "the packaged defaults (mltk/data/assumptions.yaml)"
    return asm.path


def _pct(x: float) -> str:
    return f"{100 * float(x):.3g}%"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _lines(pairs: list[tuple[str, str]], indent: str = "") -> str:
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{indent}{k.ljust(width)}  {v}" for k, v in pairs)


@contextmanager
def _progress(label: str, stream: TextIO | None = None, delay: float = 0.25) -> Iterator[None]:
    """A spinner on stderr while work runs longer than ``delay`` s; only on a terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        yield
        return
    done = threading.Event()

    def spin() -> None:
        if done.wait(delay):
            return
        t0 = time.monotonic()
        for ch in itertools.cycle("|/-\\"):
            stream.write(f"\r{label} {ch} {time.monotonic() - t0 + delay:.1f} s")
            stream.flush()
            if done.wait(0.1):
                stream.write("\r\x1b[K")
                stream.flush()
                return

    worker = threading.Thread(target=spin, daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()


# --------------------------------------------------------------------------- commands

def _cmd_accelerators(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from .estimate import device_hour_price

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
            d["device_hour_price"] = device_hour_price(a)
            d["purchase_price"] = purchase(a)
            d["currency"] = asm.currency
            data.append(d)
        _emit_json(data, out)
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
    out.write(_table(rows, header) + "\n")
    out.write(f"\nPeaks are dense (no 2:4 sparsity). 'per hour' is the mid price of one "
              f"device-hour and 'purchase' the price of one device, in {asm.currency}, from "
              f"the assumptions file where it sets them, else from the catalog "
              f"(on-demand price × cloud_price_factor).\n")
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
                _emit_json({"accelerator": acc.name, "precision": args.precision,
                            "flops_per_s": r}, out)
            else:
                out.write(f"{acc.name} {args.precision} dense peak: {format_si(r, 'FLOP/s')}\n")
            return 0
        cores_peak = acc.cuda_core_peak_flops()
        if args.json:
            _emit_json({"accelerator": acc.name,
                        "peak_flops_by_precision": dict(acc.peak_flops_by_precision),
                        "cuda_cores": acc.cuda_cores, "boost_clock_hz": acc.boost_clock_hz,
                        "cuda_core_peak_flops": cores_peak}, out)
            return 0
        pairs = [(p, format_si(acc.peak_flops(p), "FLOP/s")) for p in acc.precisions]
        out.write(f"{acc.name} dense peak by precision\n{_lines(pairs, '  ')}\n")
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
        _emit_json({"cores": args.cores, "clock_hz": args.clock_hz,
                    "ops_per_cycle": args.ops_per_cycle, "flops_per_s": r}, out)
        return 0
    k = f"{args.ops_per_cycle:g}"
    formula = "R = 2NC" if args.ops_per_cycle == 2 else f"R = {k}NC"
    out.write(f"{formula} = {k} × {args.cores:g} × {format_si(args.clock_hz, 'Hz')} = "
              f"{format_si(r, 'FLOP/s')}\n")
    return 0


def _cmd_estimate(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from .estimate import estimate_training

    if args.flops is None and (args.params is None or args.dataset_size is None):
        missing = [o for o, v in (("--params", args.params), ("--dataset-size", args.dataset_size))
                   if v is None]
        raise UsageError(f"{PROG} estimate", "the following arguments are required: "
                                             f"{', '.join(missing)} (or give --flops)")
    kwargs: dict[str, Any] = {
        "utilization": _range("--utilization", args.utilization),
        "price_usd_per_hour": _range("--price-usd-per-hour", args.price_usd_per_hour),
        "pue": _range("--pue", args.pue),
        "electricity_usd_per_kwh": args.electricity_usd_per_kwh,
        "forward_ops": args.forward_ops, "backward_factor": args.backward_factor,
        "flops": args.flops,
    }
    with _progress("estimating"):
        est = estimate_training(args.params if args.params is not None else 1.0,
                                args.dataset_size if args.dataset_size is not None else 1.0,
                                args.epochs, args.accelerator, args.devices, args.precision,
                                **kwargs)
    if args.json:
        data = est.as_dict()
        data["inputs"] = {"params": args.params, "dataset_size": args.dataset_size,
                          "epochs": args.epochs}
        data["energy_j"] = None if est.energy_kwh is None else est.energy_kwh * JOULES_PER_KWH
        data["assumptions"] = asm.path
        _emit_json(data, out)
        return 0
    money = asm.format_money
    pairs = [
        ("accelerator", f"{est.devices:g} × {est.accelerator.name}, {est.precision} dense peak "
                        f"{format_si(est.peak_flops_per_device, 'FLOP/s')} each"),
        ("utilization", _rng(est.utilization, _pct)),
        ("compute", format_si(est.flops, "FLOP")),
        ("time", _rng(est.seconds, format_duration)),
        ("device-hours", _rng(est.device_hours, _count)),
    ]
    if est.energy_kwh is not None and est.energy_cost_usd is not None:
        pairs += [("energy", _rng(est.energy_kwh * 1000, format_si, unit="Wh")),
                  ("energy cost", _rng(est.energy_cost_usd, money))]
    if est.price_usd_per_hour is not None and est.cost_usd is not None:
        pairs += [("price/device-h", _rng(est.price_usd_per_hour, money)),
                  ("cost", _rng(est.cost_usd, money))]
    out.write(_lines(pairs) + "\n")
    for note in est.notes:
        out.write(f"note: {note}\n")
    out.write(f"Ranges are mid (low – high); money in {asm.currency}; "
              f"assumptions: {_source(asm)}\n")
    return 0


def _cmd_tco(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from .tco import tco

    with _progress("computing TCO"):
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
        _emit_json(data, out)
        return 0
    money = asm.format_money
    share = min(t.years / t.amortisation_years, 1.0)
    out.write(f"{t.devices:g} × {t.accelerator} for {t.years:g} years, busy {_pct(t.utilization)} "
              f"of the hours (money in {asm.currency})\n\n")
    out.write(f"CapEx, charged {_pct(share)} of its {t.amortisation_years:g}-year life\n")
    out.write(_lines([(k, money(x * share)) for k, x in t.capex_usd.items()], "  ") + "\n")
    out.write("OpEx per year\n")
    out.write(_lines([(k, money(x)) for k, x in t.opex_usd_per_year.items()], "  ") + "\n\n")
    pairs = [
        ("own", f"{money(t.own_usd)} ({money(t.own_usd_per_device_hour)} per busy device-hour)"),
        ("rent", f"{money(t.rent_usd)} ({_count(t.busy_device_hours)} device-hours at "
                 f"{money(t.cloud_price_usd_per_hour)})"),
    ]
    cheaper = "own" if t.own_usd < t.rent_usd else "rent"
    pairs.append(("cheaper", f"{cheaper}, by {money(abs(t.rent_usd - t.own_usd))}"))
    be_u, be_y = float(t.break_even_utilization), float(t.break_even_years)
    pairs.append(("break-even", "renting is always cheaper" if not math.isfinite(be_u) or be_u > 1
                  else f"owning pays when busy more than {_pct(be_u)} of the hours"))
    if math.isfinite(be_y):
        pairs.append(("payback", f"{be_y:.3g} years at {_pct(t.utilization)} busy"))
    out.write(_lines(pairs) + "\n")
    out.write(f"Assumptions: {_source(asm)}\n")
    return 0


def _cmd_plan(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from .planning import BUDGET, compute_optimal_split, max_training_flops

    if args.budget_usd is None and args.deadline_s is None:
        raise UsageError(f"{PROG} plan", "give --budget-usd, --deadline-s or both")
    with _progress("planning"):
        plan = max_training_flops(args.accelerator, budget_usd=args.budget_usd,
                                  deadline_s=args.deadline_s, devices=args.devices,
                                  price_usd_per_hour=_range("--price-usd-per-hour",
                                                            args.price_usd_per_hour),
                                  precision=args.precision,
                                  utilization=_range("--utilization", args.utilization))
        split = compute_optimal_split(plan.flops, args.tokens_per_param)
    if args.json:
        data = plan.as_dict()
        data["compute_optimal"] = split.as_dict()
        data["assumptions"] = asm.path
        _emit_json(data, out)
        return 0
    money = asm.format_money
    acc = plan.accelerator.name
    pairs: list[tuple[str, str]] = []
    if plan.budget_usd is not None:
        pairs.append(("budget", money(plan.budget_usd)))
    if plan.deadline_s is not None:
        pairs.append(("deadline", format_duration(plan.deadline_s)))
    on = f"{plan.devices:g} × {acc}" if plan.devices is not None else acc
    pairs.append(("devices", f"{on}, {plan.precision} dense peak "
                             f"{format_si(plan.peak_flops_per_device, 'FLOP/s')} each"))
    pairs.append(("utilization", _rng(plan.utilization, _pct)))
    if plan.price_usd_per_hour is not None:
        pairs.append(("price/device-h", _rng(plan.price_usd_per_hour, money)))
    if plan.flops_by_budget is not None and plan.flops_by_deadline is not None:
        other = plan.flops_by_deadline if plan.binding == BUDGET else plan.flops_by_budget
        what = "the money budget" if plan.binding == BUDGET else "the deadline"
        alone = "deadline" if plan.binding == BUDGET else "budget"
        pairs.append(("binding", f"{what} (the {alone} alone would allow "
                                 f"{format_si(other.mid, 'FLOP')})"))
    else:
        pairs.append(("binding", "the money budget" if plan.binding == BUDGET else "the deadline"))
    pairs += [("compute", _rng(plan.flops, format_si, unit="FLOP")),
              ("device-hours", _rng(plan.device_hours, _count))]
    if plan.seconds is not None:
        pairs.append(("time", _rng(plan.seconds, format_duration)))
    if plan.devices_needed is not None:
        pairs.append(("devices needed", _rng(plan.devices_needed, lambda x: f"{x:,.0f}")))
    if plan.cost_usd is not None:
        pairs.append(("cost", _rng(plan.cost_usd, money)))
    out.write("Largest training run that fits\n" + _lines(pairs, "  ") + "\n")
    out.write(f"Compute-optimal transformer language model (Hoffmann et al. 2022, "
              f"{split.tokens_per_param:g} tokens per parameter, C = 6·N·D)\n")
    out.write(_lines([("parameters", _rng(split.params, format_si)),
                      ("tokens", _rng(split.tokens, format_si))], "  ") + "\n")
    for note in plan.notes:
        out.write(f"note: {note}\n")
    out.write(f"Ranges are mid (low – high): low pairs the lowest utilization with the highest "
              f"price; money in {asm.currency}; assumptions: {_source(asm)}\n")
    return 0


def _cmd_assumptions(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    if args.json:
        _emit_json(asm.as_dict(), out)
        return 0
    out.write(f"assumptions file: {asm.path}\n")
    for key, value in asm.as_dict().items():
        if key == "path":
            continue
        if isinstance(value, dict) and set(value) == {"low", "mid", "high"}:
            shown = f"[{value['low']:g}, {value['mid']:g}, {value['high']:g}]"
        elif isinstance(value, dict):
            shown = "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
        else:
            shown = "null (from the published training runs)" if value is None else str(value)
        out.write(f"  {key}: {shown}\n")
    return 0


# --------------------------------------------------------------------------- parser

_EPILOG = """\
Numbers accept exponents and SI prefixes: 7e9 = 7G, 2e12 = 2T.
Ranges: one value, or three (LOW MID HIGH).
Team assumptions: --assumptions PATH or the environment variable MLTK_ASSUMPTIONS.
"""


def _wrap(text: str) -> str:
    """A description paragraph wrapped for the raw-description formatter."""
    return textwrap.fill(text, 78)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true",
                   help="print one JSON document (SI base units, ranges as low/mid/high)")
    p.add_argument("--assumptions", metavar="PATH", default=argparse.SUPPRESS,
                   help=f"team assumptions YAML file (same as {ENV_VAR}=PATH)")


def _add_accelerator(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--accelerator", required=required, metavar="NAME",
                   help="catalog name, e.g. H100-SXM (list: mltk accelerators)")


def _add_precision(p: argparse.ArgumentParser, default: str | None = "bf16") -> None:
    p.add_argument("--precision", default=default, type=str.lower, choices=PRECISIONS,
                   metavar="PRECISION",
                   help=f"{', '.join(PRECISIONS)}; whose dense peak in FLOP/s is used"
                        + (f" (default {default})" if default else ""))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation tools and tests)."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog=PROG, formatter_class=fmt, epilog=_EPILOG,
                     description="mltk: estimate compute, time, cost and energy of ML training.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--assumptions", metavar="PATH", default=None,
                        help=f"team assumptions YAML file (same as {ENV_VAR}=PATH)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)

    p = sub.add_parser("accelerators", help="the accelerator catalog as a table",
                       formatter_class=fmt, epilog=_EPILOG,
                       description=_wrap("The accelerator catalog, filtered and sorted."))
    p.add_argument("--vendor", metavar="NAME", help="NVIDIA, Google or AWS (any case)")
    p.add_argument("--kind", choices=("gpu", "tpu", "asic"), help="device kind")
    mem = p.add_mutually_exclusive_group()
    mem.add_argument("--min-memory-bytes", type=_number, metavar="BYTES",
                     help="keep devices with at least this memory, in bytes (e.g. 80e9 or 80G)")
    mem.add_argument("--min-memory-gb", type=_number, metavar="GB",
                     help="the same in GB (1 GB = 1e9 bytes, as vendors quote)")
    _add_precision(p, default=None)
    p.add_argument("--sort", default="catalog",
                   choices=("catalog", "name", "release", "memory", "bandwidth", "peak", "tdp",
                            "price", "hour-price"),
                   help="sort order (default catalog order; sizes and speeds largest first, "
                        "prices cheapest first)")
    p.add_argument("--reverse", action="store_true", help="reverse the sort order")
    _add_common(p)
    p.set_defaults(func=_cmd_accelerators, parser=p)

    p = sub.add_parser("peak", help="peak throughput, R = 2NC or a catalog device's peak",
                       formatter_class=fmt, epilog=_EPILOG,
                       description=_wrap("Peak throughput in FLOP/s: seed eq. 1, R = 2NC, from "
                                         "--cores and --clock-hz; or a catalog device's dense peak."))
    p.add_argument("--cores", type=_number, metavar="N", help="number of cores N (count)")
    p.add_argument("--clock-hz", type=_number, metavar="HZ",
                   help="clock frequency C in Hz (1.531e9 or 1.531G, not 1.531)")
    p.add_argument("--ops-per-cycle", type=_number, default=2.0, metavar="OPS",
                   help="operations per core per cycle (default 2: one fused multiply-add)")
    _add_accelerator(p, required=False)
    _add_precision(p, default=None)
    _add_common(p)
    p.set_defaults(func=_cmd_peak, parser=p)

    p = sub.add_parser("estimate", help="end-to-end training estimate with ranges",
                       formatter_class=fmt, epilog=_EPILOG,
                       description=_wrap("Compute (C = O_f·O_b·P·S·E), time, device-hours, energy "
                                         "and cost of one training run, as mid (low – high) ranges."))
    p.add_argument("--params", type=_number, metavar="P", help="trainable parameters P (count)")
    p.add_argument("--dataset-size", type=_number, metavar="S",
                   help="examples or tokens per epoch S (count)")
    p.add_argument("--epochs", type=_number, default=1.0, metavar="E",
                   help="passes over the data E (default 1)")
    _add_accelerator(p)
    p.add_argument("--devices", type=_number, default=1.0, metavar="N",
                   help="accelerators used at once (count, >= 1; default 1)")
    _add_precision(p)
    p.add_argument("--utilization", type=_number, nargs="+", metavar="U",
                   help="end-to-end fraction of peak in (0, 1]: one value or LOW MID HIGH "
                        "(default: from published training runs or the assumptions file)")
    p.add_argument("--price-usd-per-hour", type=_number, nargs="+", metavar="PRICE",
                   help="price of one device-hour in the assumptions' currency per hour: one "
                        "value or LOW MID HIGH (default: assumptions file or catalog)")
    p.add_argument("--pue", type=_number, nargs="+", metavar="PUE",
                   help="power usage effectiveness (dimensionless, >= 1): one value or LOW MID "
                        "HIGH (default: assumptions file)")
    p.add_argument("--electricity-usd-per-kwh", type=_number, metavar="PRICE",
                   help="electricity tariff per kWh (default: assumptions file)")
    p.add_argument("--forward-ops", type=_number, default=2.0, metavar="O_F",
                   help="operations per parameter per example, forward pass (default 2)")
    p.add_argument("--backward-factor", type=_number, default=3.0, metavar="O_B",
                   help="forward+backward cost over forward cost (default 3)")
    p.add_argument("--flops", type=_number, metavar="FLOP",
                   help="known training compute in FLOP (replaces --params/--dataset-size)")
    _add_common(p)
    p.set_defaults(func=_cmd_estimate, parser=p)

    p = sub.add_parser("tco", help="total cost of ownership: buy or rent",
                       formatter_class=fmt, epilog=_EPILOG,
                       description=_wrap("Own a cluster (CapEx amortised + OpEx) or rent the same "
                                         "busy device-hours in the cloud."))
    _add_accelerator(p)
    p.add_argument("--devices", type=_number, default=8.0, metavar="N",
                   help="accelerators in the cluster (count; default 8)")
    p.add_argument("--years", type=_number, default=3.0, metavar="YEARS",
                   help="period compared, in years (default 3)")
    p.add_argument("--utilization", type=_number, default=0.6, metavar="U",
                   help="fraction of the hours the devices are busy, in (0, 1] (default 0.6)")
    p.add_argument("--purchase-price-usd", type=_number, metavar="PRICE",
                   help="price of one device (default: assumptions file or catalog)")
    p.add_argument("--cloud-price-usd-per-hour", type=_number, metavar="PRICE",
                   help="cloud price of one device-hour (default: assumptions file or catalog)")
    p.add_argument("--electricity-usd-per-kwh", type=_number, metavar="PRICE",
                   help="electricity tariff per kWh (default: assumptions file)")
    p.add_argument("--pue", type=_number, metavar="PUE",
                   help="power usage effectiveness, >= 1 (default: assumptions file, mid)")
    p.add_argument("--amortisation-years", type=_number, metavar="YEARS",
                   help="straight-line life of the hardware in years (default: assumptions file)")
    _add_common(p)
    p.set_defaults(func=_cmd_tco, parser=p)

    p = sub.add_parser("plan", help="planning backwards: the largest run a budget allows",
                       formatter_class=fmt, epilog=_EPILOG,
                       description=_wrap("The largest training compute that fits a money budget "
                                         "and/or a deadline, which constraint binds, and the "
                                         "compute-optimal parameters and tokens (Chinchilla)."))
    p.add_argument("--budget-usd", type=_number, metavar="MONEY",
                   help="money for device-hours, in the assumptions' currency (e.g. 1e6 or 1M)")
    p.add_argument("--deadline-s", type=_seconds, metavar="SECONDS",
                   help="wall-clock time for training in s (also 30d, 12h, 2w, 1y)")
    _add_accelerator(p)
    p.add_argument("--devices", type=_number, metavar="N",
                   help="accelerators used at once (count, >= 1); needed with a deadline alone")
    p.add_argument("--price-usd-per-hour", type=_number, nargs="+", metavar="PRICE",
                   help="price of one device-hour: one value or LOW MID HIGH "
                        "(default: assumptions file or catalog)")
    _add_precision(p)
    p.add_argument("--utilization", type=_number, nargs="+", metavar="U",
                   help="end-to-end fraction of peak in (0, 1]: one value or LOW MID HIGH "
                        "(default: from published training runs or the assumptions file)")
    p.add_argument("--tokens-per-param", type=_number, default=20.0, metavar="RATIO",
                   help="training tokens per parameter for the compute-optimal split "
                        "(default 20, Hoffmann et al. 2022)")
    _add_common(p)
    p.set_defaults(func=_cmd_plan, parser=p)

    p = sub.add_parser("assumptions", help="the team assumptions in force",
                       formatter_class=fmt, epilog=_EPILOG,
                       description=_wrap(f"Show the assumptions file in force ({ENV_VAR} or "
                                         "--assumptions, else the packaged defaults) and its values."))
    _add_common(p)
    p.set_defaults(func=_cmd_assumptions, parser=p)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


# --------------------------------------------------------------------------- main

def _option_message(parser: argparse.ArgumentParser, err: InputError) -> str:
    option = "--" + err.parameter.replace("_", "-")
    if isinstance(err, UnknownAcceleratorError):
        hint = ", ".join(err.suggestions) if err.suggestions else "none close"
        return (f"argument --accelerator: unknown accelerator {err.value!r} (closest: {hint}; "
                f"list them with '{PROG} accelerators')")
    value = err.value.item() if isinstance(err.value, np.generic) else err.value
    if option not in parser._option_string_actions:
        return str(err)
    if value is None:
        return f"argument {option}: needed here: {err.expected}"
    shown = f"{value:g}" if isinstance(value, float) else repr(value)
    return f"argument {option}: {shown} is invalid: expected {err.expected}"


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 usage error, 1 other error).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.
    stdout, stderr : text streams, optional
        Where output and error messages go; default ``sys.stdout`` and ``sys.stderr``.
    """
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    parser = build_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(args_list)
    except UsageError as e:
        err.write(f"{e.prog}: error: {e} (see '{e.prog} --help')\n")
        return 2
    except SystemExit as e:  # --help, --version
        return int(e.code or 0) if isinstance(e.code, int | None) else 2

    prog = f"{PROG} {args.command}"
    sub = args.parser
    path = getattr(args, "assumptions", None)
    saved = os.environ.get(ENV_VAR)
    try:
        try:
            asm = load_assumptions(path)
        except AssumptionsError as e:
            where = "argument --assumptions" if path else \
                ENV_VAR if os.environ.get(ENV_VAR) else "assumptions"
            err.write(f"{prog}: error: {where}: {e}\n")
            return 2
        if path:
            os.environ[ENV_VAR] = str(path)  # the library reads MLTK_ASSUMPTIONS
        return int(args.func(args, asm, out))
    except UsageError as e:
        err.write(f"{prog}: error: {e}\n")
        return 2
    except InputError as e:
        err.write(f"{prog}: error: {_option_message(sub, e)}\n")
        return 2
    except AssumptionsError as e:
        err.write(f"{prog}: error: {e}\n")
        return 2
    except MltkError as e:
        err.write(f"{prog}: error: {e}\n")
        return 1
    except BrokenPipeError:  # e.g. `mltk accelerators | head`
        return 0
    finally:
        if path:
            if saved is None:
                os.environ.pop(ENV_VAR, None)
            else:
                os.environ[ENV_VAR] = saved


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
