"""``python -m nbhelpers``: see ``nbhelpers.cli``."""

import sys

from .cli import main

sys.exit(main())
