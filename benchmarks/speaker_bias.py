#!/usr/bin/env python3
"""How much of a model's error is a per-speaker (per-source-recording) offset?

    python -m quality.evaluate --checkpoint checkpoints/default.pt --list lists/test.list --out runs/bench/test
    python benchmarks/speaker_bias.py --list lists/test.list --predictions runs/bench/test

The labels (PESQ against the file's own clean source) say nothing about how good that source
recording is, while a non-intrusive model hears it. For a list with ``speaker`` and ``condition``
columns this prints: the share of the residual variance (prediction − label) that lies between
speakers; the LCC once each speaker's mean residual is removed (an oracle bound on what a perfect
per-source correction could give, not a model); the mean score of the ``clean`` files per speaker;
and how well a speaker's clean-file score predicts its mean residual on the degraded files.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from common import REPO_ROOT
from paired_comparison import read_predictions

sys.path.insert(0, str(REPO_ROOT))

from quality.lists import read_list  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--list", required=True, help="labelled list with speaker and condition columns")
    p.add_argument("--predictions", required=True, help="predictions.csv of quality.evaluate (or its folder)")
    p.add_argument("--target", default="pesq", help="target column of the list (default: pesq)")
    args = p.parse_args(argv)
    try:
        table = read_list(args.list, target=args.target)
        if not {"speaker", "condition"} <= set(table.columns):
            raise ValueError(f"{args.list}: needs speaker and condition columns")
        _, pred = read_predictions(f"model={args.predictions}", table)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    table = table.assign(prediction=pred.to_numpy(), residual=pred.to_numpy() - table[args.target].to_numpy())
    speaker_mean = table.groupby("speaker")["residual"].transform("mean")
    label = table[args.target]
    print(f"{args.list}: {len(table)} files, {table['speaker'].nunique()} speakers")
    print(f"LCC {np.corrcoef(table['prediction'], label)[0, 1]:.4f}; residual variance {table['residual'].var():.4f}, "
          f"between speakers {speaker_mean.var() / table['residual'].var():.1%}")
    print(f"LCC with each speaker's mean residual removed (oracle): "
          f"{np.corrcoef(table['prediction'] - speaker_mean, label)[0, 1]:.4f}")
    clean = table[table["condition"] == "clean"].groupby("speaker")["prediction"].mean()
    if len(clean) >= 3:
        degraded = table[table["condition"] != "clean"].groupby("speaker")["residual"].mean()
        both = clean.to_frame("clean").join(degraded.rename("degraded"), how="inner")
        print(f"clean files: mean score per speaker {clean.min():.2f}..{clean.max():.2f} (median {clean.median():.2f}); "
              f"correlation of a speaker's clean score with its mean residual on degraded files, "
              f"{len(both)} speakers: {np.corrcoef(both['clean'], both['degraded'])[0, 1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
