"""`python -m scheduler [OPTIONS]`: the same as `uninews daemon [OPTIONS]`."""

from __future__ import annotations

import sys

from uninews.cli import main

sys.exit(main(["daemon", *sys.argv[1:]]))
