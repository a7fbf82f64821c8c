#!/usr/bin/env python3
"""Train a speech enhancer with an optional quality-model loss; see ``python train_enhancer.py --help``."""
import sys

from quality.enhance.train_cli import main

if __name__ == "__main__":
    sys.exit(main())
