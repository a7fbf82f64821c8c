"""Session 19 (RULE8.md): a condition-aware calibration of the shipped model, fitted and read offline.

    stack.py features --checkpoint M --list L --out F.csv      # raw score, heads, degradation probabilities
    stack.py fit --features F.csv --out map.json               # ridge, penalty by leave-one-speaker-out LCC
    stack.py apply --map map.json --features F.csv --out DIR   # DIR/predictions.csv (paired_comparison.py reads it)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from quality.checkpoint import load_model
from quality.evaluate import predict_table
from quality.lists import read_list

PENALTIES = (0.1, 1.0, 10.0, 100.0, 1000.0)
SCORE_RANGE = (1.0, 4.64)


def features(args: argparse.Namespace) -> None:
    model, meta = load_model(args.checkpoint)
    model.set_calibration(None)  # the raw ensemble mean
    target = meta.get("target", "pesq")
    table = read_list(args.list, target=target)
    pred, heads, probs = predict_table(model, table, batch_size=16)
    rows = pd.DataFrame({"path": table["path"], "speaker": table["speaker"], "target": table[target],
                         "s": pred, **{h: v for h, v in heads.items()},
                         **{f"p_{c}": probs[:, j] for j, c in enumerate(model.conditions)}})
    rows.to_csv(args.out, index=False)
    print(f"{args.out}: {len(rows)} files, {len(model.conditions)} degradation types")


def design(rows: pd.DataFrame, columns: dict) -> np.ndarray:
    """The map's inputs: s, the heads, p_k and s * p_k (column names from the fitted map)."""
    s = rows["s"].to_numpy()[:, None]
    p = rows[columns["probabilities"]].to_numpy()
    return np.hstack([s, rows[columns["heads"]].to_numpy(), p, s * p])


def fitted(x: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray, Ridge]:
    mean, std = x.mean(0), x.std(0) + 1e-9
    return mean, std, Ridge(alpha=penalty).fit((x - mean) / std, y)


def predict(x: np.ndarray, mean: np.ndarray, std: np.ndarray, ridge: Ridge) -> np.ndarray:
    return np.clip(ridge.predict((x - mean) / std), *SCORE_RANGE)


def fit(args: argparse.Namespace) -> None:
    rows = pd.read_csv(args.features)
    columns = {"heads": [c for c in ("stoi", "sisdr") if c in rows.columns],
               "probabilities": [c for c in rows.columns if c.startswith("p_")]}
    x, y, speakers = design(rows, columns), rows["target"].to_numpy(), rows["speaker"].to_numpy()
    cv = {}
    for penalty in PENALTIES:
        out = np.zeros(len(y))
        for speaker in np.unique(speakers):
            held = speakers == speaker
            out[held] = predict(x[held], *fitted(x[~held], y[~held], penalty))
        cv[penalty] = float(np.corrcoef(out, y)[0, 1])
        print(f"penalty {penalty:g}: leave-one-speaker-out LCC {cv[penalty]:.4f}")
    best = max(cv, key=cv.get)
    mean, std, ridge = fitted(x, y, best)
    # the same map on the raw inputs: pesq = intercept + weights . x
    weights = ridge.coef_ / std
    intercept = float(ridge.intercept_ - (ridge.coef_ * mean / std).sum())
    names = ["s", *columns["heads"], *columns["probabilities"], *[f"s*{c}" for c in columns["probabilities"]]]
    raw_line = np.polyfit(rows["s"], y, 1)
    report = {"penalty": best, "cv_lcc": cv, "intercept": intercept, "weights": dict(zip(names, map(float, weights))),
              "columns": columns, "files": len(y), "speakers": int(len(np.unique(speakers))),
              "fit_lcc": float(np.corrcoef(np.clip(x @ weights + intercept, *SCORE_RANGE), y)[0, 1]),
              "line_lcc": float(np.corrcoef(np.clip(np.polyval(raw_line, rows["s"]), *SCORE_RANGE), y)[0, 1])}
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(f"penalty {best:g}; fit LCC {report['fit_lcc']:.4f} (straight line on s: {report['line_lcc']:.4f}); wrote {args.out}")


def apply(args: argparse.Namespace) -> None:
    stacker = json.loads(Path(args.map).read_text())
    rows = pd.read_csv(args.features)
    names = list(stacker["weights"])
    weights = np.array([stacker["weights"][n] for n in names])
    pred = np.clip(design(rows, stacker["columns"]) @ weights + stacker["intercept"], *SCORE_RANGE)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"path": rows["path"], "target": rows["target"], "prediction": pred,
                  "error": pred - rows["target"]}).to_csv(out / "predictions.csv", index=False)
    print(f"{out}/predictions.csv: LCC {np.corrcoef(pred, rows['target'])[0, 1]:.4f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("features")
    f.add_argument("--checkpoint", required=True)
    f.add_argument("--list", required=True)
    f.add_argument("--out", required=True)
    t = sub.add_parser("fit")
    t.add_argument("--features", required=True)
    t.add_argument("--out", required=True)
    a = sub.add_parser("apply")
    a.add_argument("--map", required=True)
    a.add_argument("--features", required=True)
    a.add_argument("--out", required=True)
    args = p.parse_args(argv)
    {"features": features, "fit": fit, "apply": apply}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
