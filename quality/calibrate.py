"""``python -m quality.calibrate``: fit a rising map from a model's scores to the labels of a
held-out list and write a copy of the model that applies it.

A non-intrusive model trained on a noisy objective often ranks files well but sits off the label
scale (the shipped model predicted 0.2 too low on average, and clean speech far below the top).
The map is fitted by least squares on the *raw* scores of a list the model was not trained on
(its validation list), stored in the model's config as ``calibration`` and applied in eval mode
(also in the ONNX export), with the result clamped to the score range:

- ``--degree 1`` (default): the line ``label ≈ scale × score + offset``
  (``calibration: [scale, offset]``). It changes MSE and the mean error, never the order of the
  files (SRCC), and LCC only through the clamp;
- ``--degree 3``: the third-order polynomial that ITU-T P.1401 maps objective scores with before
  comparing them (``calibration: [a, b, c, d]``), refused unless it rises over the whole score
  range. It can also stretch compressed ends of the scale, so it changes LCC as well, never SRCC.

Fit it on validation data, then judge it on the test list.
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
from .models.base import calibrated, check_calibration
from .scores import ScoreRange

MIN_FILES = 10  # fewer cannot pin a line down; use the whole validation list


def fit_calibration(pred: np.ndarray, true: np.ndarray, degree: int = 1,
                    score_range: ScoreRange | None = None) -> tuple[float, ...]:
    """Least-squares polynomial coefficients, highest degree first, with ``true ≈ poly(pred)``:
    ``(scale, offset)`` for ``degree`` 1, a cubic for 3 (fitted on ``pred`` clamped to
    ``score_range``, which it must rise over). ValueError when the scores cannot support it (too
    few files, constant scores, a non-positive slope, a cubic that falls somewhere)."""
    if degree not in (1, 3):
        raise ValueError(f"the calibration degree must be 1 (a line) or 3 (a cubic), got {degree}")
    pred, true = np.asarray(pred, dtype=float), np.asarray(true, dtype=float)
    keep = np.isfinite(pred) & np.isfinite(true)
    pred, true = pred[keep], true[keep]
    if len(pred) < MIN_FILES:
        raise ValueError(f"calibration needs at least {MIN_FILES} scored files, got {len(pred)}")
    if np.ptp(pred) == 0:
        raise ValueError("the model gives every file the same score: no line can be fitted")
    if degree == 1:
        scale, offset = np.polyfit(pred, true, 1)
        if not scale > 0:
            raise ValueError(f"the fitted slope is {scale:.3f}: the scores do not rise with the labels, "
                             "so a calibration would reverse them")
        return float(scale), float(offset)
    if score_range is None:
        raise ValueError("a cubic calibration needs the model's score range")
    cubic = tuple(float(c) for c in np.polyfit(pred.clip(score_range.low, score_range.high), true, 3))
    try:
        return check_calibration(cubic, score_range)
    except ValueError as err:
        raise ValueError(f"{err}: the fitted cubic would reverse some scores; use --degree 1") from None


def apply_calibration(pred: np.ndarray, calibration: tuple[float, ...], score_range: ScoreRange) -> np.ndarray:
    """What the calibrated model outputs for raw scores ``pred``: the map, clamped to the range."""
    out = calibrated(np.asarray(pred, dtype=float), calibration, score_range)
    return np.clip(out, score_range.low, score_range.high)


def describe_calibration(calibration: tuple[float, ...]) -> str:
    """``1.0842 x raw -0.0679`` for a line, the polynomial in ``raw`` for a cubic."""
    powers = ["", " x raw", " x raw^2", " x raw^3"]
    terms = [f"{c:+.4f}{powers[len(calibration) - 1 - i]}" for i, c in enumerate(calibration)]
    return " ".join(terms).lstrip("+")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m quality.calibrate", description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, help="model.pt to calibrate")
    p.add_argument("--list", required=True, help="held-out labelled list (e.g. the validation list)")
    p.add_argument("--output", required=True, help="where to write the calibrated model.pt")
    p.add_argument("--target", help="target column (default: the one the model was trained on)")
    p.add_argument("--degree", type=int, choices=(1, 3), default=1,
                   help="1: a line (default); 3: ITU-T P.1401's third-order monotone mapping")
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
        calibration = fit_calibration(pred, true, args.degree, model.score_range)
    except (ValueError, AudioError, CheckpointError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    # what the given model scored: its raw scores, or its own earlier line applied to them
    given = pred if previous is None else apply_calibration(pred, previous, model.score_range)
    calibrated = apply_calibration(pred, calibration, model.score_range)
    before, after = (score_metrics(x, true, model.score_range) for x in (given, calibrated))
    model.set_calibration(calibration)
    meta["calibration"] = {"coefficients": list(calibration), "list": str(args.list),
                           "files": int(len(true)), "from": str(args.checkpoint),
                           "mean_error_before": float(np.mean(given - true)),
                           "mean_error_after": float(np.mean(calibrated - true)),
                           "metrics_before": {k: float(v) for k, v in before.items()},
                           "metrics_after": {k: float(v) for k, v in after.items()}}
    save_model(args.output, model, meta)
    print(f"calibration on {args.list} ({len(true)} files): score = {describe_calibration(calibration)}, "
          f"clamped to {model.score_range.low:g}..{model.score_range.high:g}")
    print(f"before: {format_metrics(before)}, mean error {meta['calibration']['mean_error_before']:+.3f}")
    print(f"after:  {format_metrics(after)}, mean error {meta['calibration']['mean_error_after']:+.3f}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
