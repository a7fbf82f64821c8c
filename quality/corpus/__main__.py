"""``python -m quality.corpus``: see :mod:`quality.corpus.cli`."""
import sys

from .cli import main

sys.exit(main())
