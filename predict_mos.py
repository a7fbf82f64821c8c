#!/usr/bin/env python3
"""Score recordings with a quality model (thin entry point; see quality/predict_cli.py)."""
import sys

from quality.predict_cli import main

if __name__ == "__main__":
    sys.exit(main())
