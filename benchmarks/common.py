"""Helpers shared by the benchmark scripts (``python benchmarks/<name>.py`` puts this folder on
``sys.path``, so they import it as ``common``).

Only the standard library is imported at module level: ``scoring_speed.py --dnsmos-worker`` is a
timed process, start-up included. numpy, soundfile and ``quality`` are imported inside the
functions that need them.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_RATE = 16000


def log(msg: str) -> None:
    """A progress note on stderr."""
    print(msg, file=sys.stderr, flush=True)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages as text, or ``n/a`` where the platform has none."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # not available on this platform
        return "n/a"


# ----------------------------------------------------------------------------- argparse types


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = float(text)
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


# ----------------------------------------------------------------------------- audio


def import_synthetic() -> ModuleType:
    """``tests/synthetic.py`` (deterministic speech-like signals), with ``tests/`` on ``sys.path``
    only while it is imported."""
    tests = str(REPO_ROOT / "tests")
    sys.path.insert(0, tests)
    try:
        import synthetic
    finally:
        sys.path.remove(tests)
    return synthetic


def generate_folder(folder: Path, duration: float, count: int, seed: int) -> list[Path]:
    """``count`` speech-like 16 kHz 16-bit WAV files ``utt0000.wav``... of ``duration`` seconds
    with white noise at 5-30 dB SNR, written to ``folder``; the same files for the same arguments."""
    import numpy as np
    import soundfile as sf

    synthetic = import_synthetic()
    rng = np.random.default_rng([seed, int(round(duration * 1000))])
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        clean = synthetic.speech_like(rng, duration, SAMPLE_RATE)
        path = folder / f"utt{i:04d}.wav"
        sf.write(path, synthetic.add_noise(clean, float(rng.uniform(5, 30)), rng), SAMPLE_RATE, subtype="PCM_16")
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------- output


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str) -> str:
    """A markdown table; ``align`` has one letter per column, ``l`` (left) or ``r`` (right)."""
    if len(align) != len(header):
        raise ValueError(f"align {align!r} has {len(align)} letters for {len(header)} columns")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def write_csv(path: Path, rows: list[dict[str, Any]], fields: Sequence[str]) -> None:
    """Write ``rows`` (columns ``fields``) to ``path`` atomically."""
    sys.path.insert(0, str(REPO_ROOT))
    from quality.fileio import atomic_write  # light: no torch

    def write(tmp: str) -> None:
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(path, write)
