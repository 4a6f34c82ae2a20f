"""`python -m uninews`: the same as the `uninews` command."""

import sys

from uninews.cli import main

sys.exit(main())
