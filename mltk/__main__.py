"""``python -m mltk``: the command line (see :mod:`mltk.cli`)."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
