"""``python -m quality.calibrate``: fit a straight line from a model's scores to the labels of a
held-out list and write a copy of the model that applies it.

A non-intrusive model trained on a noisy objective often ranks files well but sits off the label
scale (the shipped model predicted 0.2 too low on average). The line ``label ≈ scale × score +
offset`` is fitted by least squares on the *raw* scores of a list the model was not trained on
(its validation list), stored in the model's config as ``calibration: [scale, offset]`` and
applied in eval mode (also in the ONNX export), with the result clamped to the score range. It
changes MSE and the mean error, never the order of the files (SRCC), and LCC only through the
clamp. Fit it on validation data, then judge it on the test list.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .audio import AudioError
from .checkpoint import CheckpointError, load_model, save_model
from .evaluate import predict_table
from .lists import read_list
from .metrics import format_metrics, score_metrics
from .scores import ScoreRange

MIN_FILES = 10  # fewer cannot pin a line down; use the whole validation list


def fit_calibration(pred: np.ndarray, true: np.ndarray) -> tuple[float, float]:
    """Least-squares ``(scale, offset)`` with ``true ≈ scale × pred + offset``; ValueError when the
    scores cannot support a line (too few files, constant scores, or a non-positive slope)."""
    pred, true = np.asarray(pred, dtype=float), np.asarray(true, dtype=float)
    keep = np.isfinite(pred) & np.isfinite(true)
    pred, true = pred[keep], true[keep]
    if len(pred) < MIN_FILES:
        raise ValueError(f"calibration needs at least {MIN_FILES} scored files, got {len(pred)}")
    if np.ptp(pred) == 0:
        raise ValueError("the model gives every file the same score: no line can be fitted")
    scale, offset = np.polyfit(pred, true, 1)
    if not scale > 0:
        raise ValueError(f"the fitted slope is {scale:.3f}: the scores do not rise with the labels, "
                         "so a calibration would reverse them")
    return float(scale), float(offset)


def apply_calibration(pred: np.ndarray, calibration: tuple[float, float], score_range: ScoreRange) -> np.ndarray:
    """What the calibrated model outputs for raw scores ``pred``: the line, clamped to the range."""
    scale, offset = calibration
    return np.clip(np.asarray(pred, dtype=float) * scale + offset, score_range.low, score_range.high)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m quality.calibrate", description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, help="model.pt to calibrate")
    p.add_argument("--list", required=True, help="held-out labelled list (e.g. the validation list)")
    p.add_argument("--output", required=True, help="where to write the calibrated model.pt")
    p.add_argument("--target", help="target column (default: the one the model was trained on)")
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args(argv)
    if Path(args.output).resolve() == Path(args.checkpoint).resolve():
        p.error("--output must differ from --checkpoint (keep the uncalibrated model)")
    try:
        model, meta = load_model(args.checkpoint)
        target = args.target or meta.get("target", "score")
        table = read_list(args.list, target=target)
        previous = model.calibration
        model.set_calibration(None)  # fit on the raw scores, replacing any earlier line
        pred, _, _ = predict_table(model, table, args.batch_size)
        true = table[target].to_numpy(dtype=float)
        calibration = fit_calibration(pred, true)
    except (ValueError, AudioError, CheckpointError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    # what the given model scored: its raw scores, or its own earlier line applied to them
    given = pred if previous is None else apply_calibration(pred, previous, model.score_range)
    calibrated = apply_calibration(pred, calibration, model.score_range)
    before, after = (score_metrics(x, true, model.score_range) for x in (given, calibrated))
    model.set_calibration(calibration)
    meta["calibration"] = {"scale": calibration[0], "offset": calibration[1], "list": str(args.list),
                           "files": int(len(true)), "from": str(args.checkpoint),
                           "mean_error_before": float(np.mean(given - true)),
                           "mean_error_after": float(np.mean(calibrated - true)),
                           "metrics_before": {k: float(v) for k, v in before.items()},
                           "metrics_after": {k: float(v) for k, v in after.items()}}
    save_model(args.output, model, meta)
    print(f"calibration on {args.list} ({len(true)} files): score = {calibration[0]:.4f} x raw "
          f"{calibration[1]:+.4f}, clamped to {model.score_range.low:g}..{model.score_range.high:g}")
    print(f"before: {format_metrics(before)}, mean error {meta['calibration']['mean_error_before']:+.3f}")
    print(f"after:  {format_metrics(after)}, mean error {meta['calibration']['mean_error_after']:+.3f}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
