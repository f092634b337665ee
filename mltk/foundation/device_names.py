"""Catalog device names: the one tolerant resolver of a name a person types.

``"nvidia tesla p40"``, ``"P40"`` and ``"p-40"`` are one device. The rule (ignore case,
spaces, ``-`` and ``_`` and vendor prefixes such as "NVIDIA", "Tesla", "Google",
"AWS") lives here, in the foundation band, so that the assumptions file can check the
device names it is given without importing the heuristics; :func:`mltk.accelerator`
resolves through it too. Only the ``name`` and ``aliases`` columns of
``data/accelerators.csv`` are read.

Examples
--------
>>> resolve_device_name("nvidia tesla p40")
'P40'
>>> resolve_device_name("a100_80gb")
'A100-80GB'
"""

from __future__ import annotations

import difflib
import re
from functools import cache

from .datafiles import read_csv
from .errors import InputError, UnknownAcceleratorError

__all__ = ["name_key", "catalog_names", "resolve_device_name"]


def name_key(name: str) -> str:
    """The normalised form two spellings of one device share.

    Examples
    --------
    >>> name_key("NVIDIA Tesla P40"), name_key("H100 sxm")
    ('p40', 'h100sxm')
    """
    s = name.lower().strip()
    s = re.sub(r"^(nvidia\s+)?(tesla\s+|geforce\s+)?", "", s)
    s = re.sub(r"^(google\s+|aws\s+|amazon\s+)", "", s)
    return re.sub(r"[\s\-_]+", "", s)


@cache
def _names() -> tuple[tuple[str, ...], dict[str, str]]:
    """Catalog names in file order, and the index from every spelling's key to its name."""
    names: list[str] = []
    index: dict[str, str] = {}
    for row in read_csv("accelerators.csv"):
        names.append(row["name"])
        aliases = [a.strip() for a in row.get("aliases", "").split(";") if a.strip()]
        for n in (row["name"], *aliases):
            index[name_key(n)] = row["name"]
    return tuple(names), index


def catalog_names() -> tuple[str, ...]:
    """Every catalog name, in file order.

    Examples
    --------
    >>> "H100-SXM" in catalog_names()
    True
    """
    return _names()[0]


def resolve_device_name(name: str) -> str:
    """The catalog name of ``name``, tolerant of case, spaces, '-', '_' and vendor prefixes.

    Raises
    ------
    mltk.foundation.errors.UnknownAcceleratorError
        For a name not in the catalog; the message lists the closest names.
    mltk.foundation.errors.InputError
        When ``name`` is not a non-empty text.

    Examples
    --------
    >>> resolve_device_name("H100")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mltk.foundation.errors.UnknownAcceleratorError: accelerator='H100' is invalid: ... (closest: H100-...)
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError("accelerator", name, "a catalog name such as 'A100-80GB'")
    names, index = _names()
    key = name_key(name)
    if key in index:
        return index[key]
    by_key = {name_key(n): n for n in names}
    close = difflib.get_close_matches(key, list(by_key), n=4, cutoff=0.4)
    prefixed = [n for k, n in by_key.items() if k.startswith(key) or key.startswith(k)]
    suggestions = list(dict.fromkeys(prefixed + [by_key[c] for c in close]))[:4]
    raise UnknownAcceleratorError(name, suggestions)
