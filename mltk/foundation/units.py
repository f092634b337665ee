"""Display helpers: SI prefixes, durations and money for people (the API itself stays in SI)."""

from __future__ import annotations

import math

from .ranges import Range

__all__ = ["format_co2e", "parse_quantity", "SI_PREFIXES", "format_si", "format_duration", "format_money",
           "format_range", "currency_prefix",
           "SECONDS_PER_HOUR", "SECONDS_PER_DAY", "SECONDS_PER_YEAR", "HOURS_PER_YEAR", "JOULES_PER_KWH"]

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
#: A Julian year (365.25 days), for durations people read and type.
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY
#: A 365-day year of hours, as clouds bill and cost models count (not SECONDS_PER_YEAR / 3600).
HOURS_PER_YEAR = 8760.0
JOULES_PER_KWH = 3.6e6

#: SI prefixes a person may type after a number (``7G`` = 7e9); one rule for every face.
SI_PREFIXES = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21}

_PREFIXES = [(1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"),
             (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ")]


def parse_quantity(text: str) -> float:
    """A number typed by a person: ``7e9``, ``7_000_000_000``, ``1,024`` or ``7G``.

    The one parsing rule of the command line and the calculators.

    Raises
    ------
    ValueError
        When ``text`` is not a finite number.

    Examples
    --------
    >>> parse_quantity("7G")
    7000000000.0
    >>> parse_quantity(" 1,024 ")
    1024.0
    >>> parse_quantity("abc")
    Traceback (most recent call last):
    ...
    ValueError: expected a number such as 7e9 or 7G, got 'abc'
    """
    s = str(text).strip().replace(",", "").replace("_", "")
    scale = 1.0
    if s and s[-1] in SI_PREFIXES:
        scale, s = SI_PREFIXES[s[-1]], s[:-1]
    try:
        x = float(s) * scale
    except ValueError:
        raise ValueError(f"expected a number such as 7e9 or 7G, got {text!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"expected a finite number, got {text!r}")
    return x


def _sig(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    s = f"{x:.{digits}g}"
    if "e" in s:  # never fall back to exponent notation after prefixing
        s = f"{x:.{max(digits - 1 - int(math.floor(math.log10(abs(x)))), 0)}f}"
    return s


def format_si(value: float, unit: str = "", digits: int = 3) -> str:
    """Format ``value`` with an SI prefix.

    Examples
    --------
    >>> format_si(1.17580e13, "FLOP/s")
    '11.8 TFLOP/s'
    >>> format_si(3.14e23, "FLOP")
    '314 ZFLOP'
    >>> format_si(0, "W")
    '0 W'
    """
    v = float(value)
    if not math.isfinite(v):
        return f"{v} {unit}".strip()
    a = abs(v)
    for scale, prefix in _PREFIXES:
        if a >= scale * 0.9995:
            return f"{_sig(v / scale, digits)} {prefix}{unit}".strip()
    return f"{v:.{digits}g} {unit}".strip()


def format_duration(seconds: float, digits: int = 3) -> str:
    """Format a duration in the largest natural unit.

    Examples
    --------
    >>> format_duration(21 * 86400)
    '21 days'
    >>> format_duration(90)
    '1.5 min'
    >>> format_duration(3 * 365.25 * 86400)
    '3 years'
    """
    s = float(seconds)
    for scale, name in ((SECONDS_PER_YEAR, "years"), (SECONDS_PER_DAY, "days"),
                        (SECONDS_PER_HOUR, "h"), (60, "min")):
        if s >= scale:
            return f"{_sig(s / scale, digits)} {name}"
    return f"{_sig(s, digits)} s"


def currency_prefix(currency: str) -> str:
    """What precedes an amount in human output: ``"$"`` for USD, else the label and a space.

    The one rule for every face; :attr:`mltk.foundation.assumptions.Assumptions.currency_prefix`
    applies it to the team's label.

    Examples
    --------
    >>> currency_prefix("usd"), currency_prefix("EUR")
    ('$', 'EUR ')
    """
    return "$" if currency.strip().upper() == "USD" else f"{currency.strip()} "


def format_money(usd: float, currency: str = "$", digits: int = 3) -> str:
    """Format money with k/M/B/T suffixes after ``currency`` (a pure function).

    ``currency`` is the text put before the amount, such as ``"$"`` or ``"EUR "``
    (:func:`currency_prefix` turns a label into it). The team's configured formatter,
    which prefixes the currency of the assumptions file, is
    ``mltk.assumptions().format_money``.

    Examples
    --------
    >>> format_money(1.234e6)
    '$1.23M'
    >>> format_money(950)
    '$950'
    >>> format_money(2.5e9, currency="EUR ")
    'EUR 2.5B'
    """
    v = float(usd)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale * 0.9995:
            return f"{currency}{_sig(v / scale, digits)}{suffix}"
    return f"{currency}{_sig(v, digits)}"


def format_co2e(kg: float, digits: int = 3) -> str:
    """Format a mass of CO2-equivalent: kg below a tonne, then t, kt, Mt (as emissions are reported).

    Examples
    --------
    >>> format_co2e(4.19e6)
    '4.19 kt CO2e'
    >>> format_co2e(850)
    '850 kg CO2e'
    """
    v = float(kg)
    if abs(v) < 1000:
        return f"{_sig(v, digits)} kg CO2e"
    return format_si(v / 1000, "t CO2e", digits)


def format_range(r: Range, fmt=format_si, **kwargs) -> str:
    """Format a Range as ``mid (low – high)``.

    Examples
    --------
    >>> format_range(Range(1e12, 2e12, 4e12), unit="FLOP")
    '2 TFLOP (1 TFLOP – 4 TFLOP)'
    """
    return f"{fmt(r.mid, **kwargs)} ({fmt(r.low, **kwargs)} – {fmt(r.high, **kwargs)})"
