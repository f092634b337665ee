"""``python -m mltk``: the command line (see :mod:`mltk.cli`)."""

from __future__ import annotations

import os
import sys

from .cli import main

status = main()
try:
    sys.stdout.flush()
except BrokenPipeError:  # the reader went away (``mltk accelerators | head``): not an error
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
sys.exit(status)
