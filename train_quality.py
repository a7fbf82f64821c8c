#!/usr/bin/env python3
"""Train a quality model on list files (thin entry point; see quality/training/cli.py)."""
import sys

from quality.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
