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

Package layout: ``app`` (entry point, error handling), ``args`` (argument types and shared
options), ``output`` (JSON and text output) and one module per command group
(``catalog``, ``training``, ``cost``, ``settings``).

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

from .app import build_parser, main

__all__ = ["main", "build_parser"]
