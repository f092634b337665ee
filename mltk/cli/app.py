"""The command line's entry point: builds the parser from the command groups and runs one.

Each command group lives in its own module (``catalog``, ``training``, ``cost``, ``layout``, ``serving``,
``settings``), which defines its handlers and a ``register(sub, fmt)`` that adds its
subcommands; this module only assembles them and maps errors to exit statuses.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from ..foundation.assumptions import ENV_VAR, load_assumptions, using_assumptions
from ..foundation.errors import AssumptionsError, InputError, MltkError, UnknownAcceleratorError
from . import catalog, cost, layout, serving, settings, training
from .args import EPILOG, PROG, CliParser, UsageError

#: The command groups, in the order ``mltk --help`` lists them.
COMMAND_GROUPS = (catalog, training, cost, layout, serving, settings)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation tools and tests)."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = CliParser(prog=PROG, formatter_class=fmt, epilog=EPILOG,
                     description="mltk: estimate compute, time, cost and energy of ML training.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--assumptions", metavar="PATH", default=None,
                        help=f"team assumptions YAML file (same as {ENV_VAR}=PATH)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=CliParser)

    for group in COMMAND_GROUPS:
        group.register(sub, fmt)
    return parser


def _version() -> str:
    from .. import __version__

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
    try:
        try:
            asm = load_assumptions(path)
        except AssumptionsError as e:
            where = "argument --assumptions" if path else \
                ENV_VAR if os.environ.get(ENV_VAR) else "assumptions"
            err.write(f"{prog}: error: {where}: {e}\n")
            return 2
        with using_assumptions(asm.path):
            return int(args.func(args, asm, out))
    except InputError as e:
        err.write(f"{prog}: error: {_option_message(sub, e)}\n")
        return 2
    except (UsageError, AssumptionsError) as e:
        err.write(f"{prog}: error: {e}\n")
        return 2
    except MltkError as e:
        err.write(f"{prog}: error: {e}\n")
        return 1
    except BrokenPipeError:  # e.g. `mltk accelerators | head`
        return 0
