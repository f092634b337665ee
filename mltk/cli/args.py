"""Argument types and shared options of the command line.

Numbers are parsed by :func:`mltk.foundation.units.parse_quantity` (one rule for the command
line and the calculators); a usage error is one line naming the option.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Sequence
from typing import Any, NoReturn

from ..foundation.assumptions import ENV_VAR
from ..foundation.errors import InputError
from ..foundation.ranges import Range
from ..foundation.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_YEAR, parse_quantity
from ..heuristics.hardware import PRECISIONS

PROG = "mltk"
_TIME = {"s": 1.0, "min": 60.0, "h": SECONDS_PER_HOUR, "d": SECONDS_PER_DAY,
         "w": 7 * SECONDS_PER_DAY, "y": SECONDS_PER_YEAR}


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class CliParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line (no usage dump) and never exit the process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read -1e9 and -2G as (negative) numbers, not as option names.
        self._negative_number_matcher = re.compile(
            r"^-(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[kMGTPEZ]?$")

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


def number(text: str) -> float:
    """A number: ``7e9``, ``7_000_000_000`` or with an SI prefix, ``7G`` (see ``parse_quantity``)."""
    try:
        return parse_quantity(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def seconds(text: str) -> float:
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


def value_range(option: str, values: Sequence[float] | None) -> Range | None:
    """One value or LOW MID HIGH, read by :meth:`Range.coerce` (the library checks each end)."""
    if values is None:
        return None
    try:
        return Range.coerce(list(values), option.lstrip("-").replace("-", "_"))
    except InputError as e:
        shown = " ".join(f"{x:g}" for x in values)
        raise UsageError(PROG, f"argument {option}: {shown} is invalid: expected {e.expected}") from None


def whole_number(option: str, x: float | None, prog: str = PROG) -> int | None:
    """A count option read by :func:`number` as an ``int`` (``None`` stays ``None``); a usage error
    unless it is a whole number >= 1."""
    if x is None:
        return None
    if not float(x).is_integer() or x < 1:
        raise UsageError(prog, f"argument {option}: expected a whole number >= 1, got {x:g}")
    return int(x)


EPILOG = """\
Numbers accept exponents and SI prefixes: 7e9 = 7G, 2e12 = 2T.
Ranges: one value, or three (LOW MID HIGH).
Team assumptions: --assumptions PATH or the environment variable MLTK_ASSUMPTIONS.
"""


def wrap(text: str) -> str:
    """A description paragraph wrapped for the raw-description formatter."""
    return textwrap.fill(text, 78)


def add_command(sub: Any, fmt: type[argparse.HelpFormatter], name: str, summary: str,
                description: str) -> argparse.ArgumentParser:
    """A subcommand with the shared formatter and epilog; ``description`` is wrapped."""
    return sub.add_parser(name, help=summary, formatter_class=fmt, epilog=EPILOG,
                          description=wrap(description))


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true",
                   help="print one JSON document (SI base units, ranges as low/mid/high)")
    p.add_argument("--assumptions", metavar="PATH", default=argparse.SUPPRESS,
                   help=f"team assumptions YAML file (same as {ENV_VAR}=PATH)")


def add_accelerator(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--accelerator", required=required, metavar="NAME",
                   help="catalog name, e.g. H100-SXM (list: mltk accelerators)")


def add_range(p: argparse.ArgumentParser, option: str, metavar: str, what: str, default: str) -> None:
    """An option taking one value or LOW MID HIGH (read later with :func:`value_range`)."""
    p.add_argument(option, type=number, nargs="+", metavar=metavar,
                   help=f"{what}: one value or LOW MID HIGH (default: {default})")


def add_utilization(p: argparse.ArgumentParser) -> None:
    add_range(p, "--utilization", "U", "end-to-end fraction of peak in (0, 1]",
              "from published training runs or the assumptions file")


def add_price_per_hour(p: argparse.ArgumentParser) -> None:
    add_range(p, "--price-usd-per-hour", "PRICE",
              "price of one device-hour in the assumptions' currency", "assumptions file or catalog")


def add_electricity_price(p: argparse.ArgumentParser) -> None:
    p.add_argument("--electricity-usd-per-kwh", type=number, metavar="PRICE",
                   help="electricity tariff per kWh (default: assumptions file)")


def add_precision(p: argparse.ArgumentParser, default: str | None = "bf16") -> None:
    p.add_argument("--precision", default=default, type=str.lower, choices=PRECISIONS,
                   metavar="PRECISION",
                   help=f"{', '.join(PRECISIONS)}; whose dense peak in FLOP/s is used"
                        + (f" (default {default})" if default else ""))


