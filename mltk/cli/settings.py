"""Commands about the team's settings: ``mltk assumptions``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..foundation.assumptions import ENV_VAR, Assumptions
from .args import (
    add_command,
    add_common,
)
from .output import (
    emit_json,
)


def _cmd_assumptions(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    if args.json:
        emit_json(asm.as_dict(), out)
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


def register(sub: Any, fmt: type[argparse.HelpFormatter]) -> None:
    """Add this group's subcommands to the parser's ``sub`` (an argparse subparsers action)."""
    p = add_command(sub, fmt, "assumptions", "the team assumptions in force",
                    f"Show the assumptions file in force ({ENV_VAR} or "
                    "--assumptions, else the packaged defaults) and its values.")
    add_common(p)
    p.set_defaults(func=_cmd_assumptions, parser=p)
