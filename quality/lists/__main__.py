"""``python -m quality.lists``: see :mod:`quality.lists.cli`."""
import sys

from .cli import main

sys.exit(main())
