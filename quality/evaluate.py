"""``python -m quality.evaluate``: score a labelled list with a ``model.pt`` and report MSE/LCC/SRCC.

Writes ``predictions.csv`` (path, target, prediction, error; ``prediction_<head>`` and, where the list
has it, ``target_<head>`` for each extra head; ``p_<type>`` per degradation type of a model with a
degradation classifier), ``metrics.json`` (the extra heads' metrics under ``heads``; a 95 % bootstrap
interval of LCC/SRCC, whole speakers resampled when the list names them; also printed), per-group
metrics (``metrics_by_<column>.csv``, with the mean error ``bias``) for each condition/system/speaker
column the list has, ``metrics_by_degradation.csv`` when conditions combine degradations with ``+``
(each file counts towards each of its parts), ``degradation_detection.csv`` when the model has a
degradation classifier and the list a ``condition`` column (ROC AUC of each type's probability),
and ``scatter.png`` (predicted vs true).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .audio import AudioError, load_audio
from .checkpoint import CheckpointError, load_model
from .fileio import atomic_write
from .lists import CONDITION_SEPARATOR, degradation_targets, read_list
from .inference import score_waveforms
from .models import QualityModel

GROUP_COLUMNS = ("condition", "system", "speaker")


def predict_table(
    model: QualityModel, table: pd.DataFrame, batch_size: int = 16, chunk: int = 256
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Utterance scores (main head, and extra heads by name) and degradation probabilities
    ``(n, len(model.conditions))`` for every ``path`` of a list table, loading audio ``chunk``
    files at a time."""
    paths = table["path"].astype(str).tolist()
    pred = np.zeros(len(paths))
    heads = {name: np.zeros(len(paths)) for name in model.head_ranges}
    conditions = np.zeros((len(paths), len(model.conditions)))
    for start in range(0, len(paths), chunk):
        waves = [load_audio(p) for p in paths[start : start + chunk]]
        part = slice(start, start + len(waves))
        pred[part], _, head_scores, conditions[part] = score_waveforms(model, waves, batch_size)
        for name, values in head_scores.items():
            heads[name][part] = values
    return pred, heads, conditions


def head_metrics(model: QualityModel, heads: dict[str, np.ndarray], table: pd.DataFrame) -> dict[str, dict]:
    """Metrics of every extra head whose target column the table has (targets clamped to the head range)."""
    from .metrics import score_metrics

    result = {}
    for name, pred in heads.items():
        if name in table.columns:
            scale = model.head_ranges[name]
            true = np.clip(table[name].to_numpy(dtype=float), scale.low, scale.high)
            result[name] = {k: float(v) for k, v in score_metrics(pred, true, scale).items()}
    return result


def head_columns(heads: dict[str, np.ndarray], table: pd.DataFrame) -> dict[str, np.ndarray]:
    """``predictions.csv`` columns of the extra heads: ``prediction_<name>`` for each, and
    ``target_<name>`` where the list has that column."""
    columns = {}
    for name, pred in heads.items():
        if name in table.columns:
            columns[f"target_{name}"] = table[name].to_numpy(dtype=float)
        columns[f"prediction_{name}"] = pred
    return columns


def scatter_plot(pred: np.ndarray, true: np.ndarray, path: Path, title: str) -> None:
    """Predicted vs true scatter with the identity line, written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=120)
    ax.scatter(true, pred, s=8, alpha=0.6)
    lo, hi = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--")
    ax.set_xlabel("true score")
    ax.set_ylabel("predicted score")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    from .metrics import (bootstrap_interval, detection_auc, format_metrics, group_balanced_lcc, metrics_by_group,
                          score_metrics)

    p = argparse.ArgumentParser(prog="python -m quality.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, help="model.pt from training")
    p.add_argument("--list", required=True, help="labelled list file (.list or .csv)")
    p.add_argument("--target", help="target column (default: the one the model was trained on, else 'score')")
    p.add_argument("--out", help="folder for predictions.csv, metrics.json and scatter.png")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="resamples for a 95%% interval of LCC/SRCC, drawing whole speakers when the list has a "
                        "speaker column (0: off; default 1000)")
    args = p.parse_args(argv)
    if args.bootstrap < 0:
        p.error("--bootstrap must be 0 or more")
    try:
        model, meta = load_model(args.checkpoint)
        target = args.target or meta.get("target", "score")
        table = read_list(args.list, target=target)
        pred, heads, probabilities = predict_table(model, table, args.batch_size)
    except (ValueError, AudioError, CheckpointError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    true = table[target].to_numpy(dtype=float)
    metrics = score_metrics(pred, true, model.score_range)
    unit = "speakers" if "speaker" in table.columns else "files"
    interval = bootstrap_interval(pred, true, table["speaker"].to_numpy() if unit == "speakers" else None,
                                  resamples=args.bootstrap) if args.bootstrap else None
    balanced = group_balanced_lcc(pred, true, table["speaker"].to_numpy()) if unit == "speakers" else None
    extra = head_metrics(model, heads, table)
    detection = None
    if model.conditions and "condition" in table.columns:
        present = degradation_targets(table["condition"].astype(str).tolist(), model.conditions)
        detection = detection_auc(probabilities, present, model.conditions)
    if args.out:
        out = Path(args.out)
        rows = pd.DataFrame({"path": table["path"], "target": true, "prediction": pred, "error": pred - true,
                             **head_columns(heads, table),
                             **{f"p_{name}": probabilities[:, j] for j, name in enumerate(model.conditions)}})
        atomic_write(out / "predictions.csv", lambda tmp: rows.to_csv(tmp, index=False))
        report = {"checkpoint": str(args.checkpoint), "list": str(args.list), "target": target,
                  **{k: float(v) for k, v in metrics.items()}}
        if balanced is not None:
            report["lcc_speaker_balanced"] = balanced
        if extra:
            report["heads"] = extra
        if detection is not None:
            report["degradation_auc_mean"] = float(detection["auc"].mean())
            atomic_write(out / "degradation_detection.csv", lambda tmp: detection.to_csv(tmp, index=False))
        if interval:
            report["ci95"] = {"resampled": unit, "resamples": args.bootstrap, **{k: list(v) for k, v in interval.items()}}
        for group in (c for c in GROUP_COLUMNS if c in table.columns):
            by_group = metrics_by_group(pred, true, table[group].astype(str).to_numpy(), model.score_range)
            atomic_write(out / f"metrics_by_{group}.csv", lambda tmp, g=by_group: g.to_csv(tmp, index=False))
        conditions = table["condition"].astype(str) if "condition" in table.columns else None
        if conditions is not None and conditions.str.contains(CONDITION_SEPARATOR, regex=False).any():
            by_part = metrics_by_group(pred, true, conditions.to_numpy(), model.score_range,
                                       separator=CONDITION_SEPARATOR)
            atomic_write(out / "metrics_by_degradation.csv", lambda tmp: by_part.to_csv(tmp, index=False))
        atomic_write(out / "metrics.json", lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2)))
        scatter_plot(pred, true, out / "scatter.png", f"{Path(args.list).name}: {format_metrics(metrics)}")
    for name, values in extra.items():
        print(f"{name}: {format_metrics(values)}")
    if interval:
        print(f"95% interval, {args.bootstrap} resamples of the {unit}: lcc {interval['lcc'][0]:.4f}..{interval['lcc'][1]:.4f}, "
              f"srcc {interval['srcc'][0]:.4f}..{interval['srcc'][1]:.4f}")
    if balanced is not None:
        print(f"lcc with every speaker weighing the same: {balanced:.4f}")
    if detection is not None and detection["auc"].notna().any():
        print(f"degradation detection: mean ROC AUC {detection['auc'].mean():.3f} over "
              f"{int(detection['auc'].notna().sum())} types (lowest {detection.loc[detection['auc'].idxmin(), 'type']} "
              f"{detection['auc'].min():.3f}, highest {detection.loc[detection['auc'].idxmax(), 'type']} "
              f"{detection['auc'].max():.3f})")
    print(format_metrics(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
