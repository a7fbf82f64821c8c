#!/usr/bin/env python3
"""Compare models scored on the same labelled list, with speaker-bootstrap intervals.

    python -m quality.evaluate --checkpoint A.pt --list lists/test.list --out runs/bench/a
    python -m quality.evaluate --checkpoint B.pt --list lists/test.list --out runs/bench/b
    python benchmarks/paired_comparison.py --list lists/test.list --target pesq \\
        --predictions default=runs/bench/a candidate=runs/bench/b

Each ``--predictions NAME=PATH`` is a ``predictions.csv`` written by ``quality.evaluate`` (or the
folder holding it) for exactly the files of ``--list``, in any order. For every model the table
gives LCC/SRCC with a 95 % percentile-bootstrap interval, drawing whole speakers when the list has a
``speaker`` column (so the interval says how much a figure owes to which speakers were in the
split), and for every model after the first the paired difference to the first over the same
draws: an interval that contains 0 means the split cannot tell the two apart. With speakers, the
table also gives the LCC with every speaker weighing the same (``quality.metrics.group_balanced_lcc``)
and the MSE on the raw score scale.

``--means A+B ...`` adds the mean of the named models' predictions as one more model: what
``python -m quality.ensemble`` of those models scores, as long as no member's score is clamped
(members without ``output_margin`` or ``calibration``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from common import REPO_ROOT, markdown_table, positive_int

sys.path.insert(0, str(REPO_ROOT))

from quality.lists import read_list  # noqa: E402
from quality.metrics import bootstrap_interval, group_balanced_lcc, score_metrics  # noqa: E402


def read_predictions(spec: str, table: pd.DataFrame) -> tuple[str, pd.Series]:
    """``NAME=PATH`` -> (name, predictions aligned with ``table``'s rows)."""
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise ValueError(f"--predictions {spec!r}: expected NAME=PATH")
    csv = Path(path) / "predictions.csv" if Path(path).is_dir() else Path(path)
    if not csv.is_file():
        raise ValueError(f"{csv}: no predictions.csv there")
    rows = pd.read_csv(csv)
    if not {"path", "prediction"} <= set(rows.columns):
        raise ValueError(f"{csv}: needs columns path and prediction (as quality.evaluate writes)")
    by_path = rows.set_index(rows["path"].map(lambda p: str(Path(p).resolve())))["prediction"]
    keys = table["path"].map(lambda p: str(Path(p).resolve()))
    missing = keys[~keys.isin(by_path.index)]
    if len(missing):
        raise ValueError(f"{csv}: no prediction for {len(missing)} file(s) of the list, e.g. {missing.iloc[0]}")
    return name, by_path.loc[keys].reset_index(drop=True)


def mean_of(spec: str, models: dict[str, pd.Series]) -> tuple[str, pd.Series]:
    """``A+B`` -> (``A+B``, the mean of models A's and B's predictions)."""
    names = spec.split("+")
    unknown = [n for n in names if n not in models]
    if len(names) < 2 or unknown:
        raise ValueError(f"--means {spec!r}: give two or more names from --predictions joined by '+'"
                         + (f"; unknown {unknown}" if unknown else ""))
    return spec, sum(models[n] for n in names) / len(names)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--list", required=True, help="the labelled list every model was scored on")
    p.add_argument("--target", default="pesq", help="target column of the list (default: pesq)")
    p.add_argument("--predictions", nargs="+", required=True, metavar="NAME=PATH",
                   help="predictions.csv (or its folder) per model; the first is the reference")
    p.add_argument("--means", nargs="+", default=[], metavar="A+B",
                   help="also compare the mean prediction of these models (names from --predictions)")
    p.add_argument("--resamples", type=positive_int, default=2000)
    args = p.parse_args(argv)
    try:
        table = read_list(args.list, target=args.target)
        models = [read_predictions(spec, table) for spec in args.predictions]
        models += [mean_of(spec, dict(models)) for spec in args.means]
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    true = table[args.target].to_numpy(dtype=float)
    groups = table["speaker"].to_numpy() if "speaker" in table.columns else None
    unit = "speakers" if groups is not None else "files"
    reference = models[0][1].to_numpy()
    rows = []
    for name, pred in models:
        pred = pred.to_numpy()
        m = score_metrics(pred, true)
        ci = bootstrap_interval(pred, true, groups, resamples=args.resamples)
        row = {"model": name, "n": m["n"], "LCC": f"{m['lcc']:.4f}", "LCC 95%": "{:.3f}..{:.3f}".format(*ci["lcc"]),
               "SRCC": f"{m['srcc']:.4f}", "SRCC 95%": "{:.3f}..{:.3f}".format(*ci["srcc"]),
               "MSE": f"{m['mse_raw']:.4f}"}
        if groups is not None:
            row["LCC (speakers equal)"] = f"{group_balanced_lcc(pred, true, groups):.4f}"
        if name != models[0][0]:
            diff = bootstrap_interval(pred, true, groups, resamples=args.resamples, baseline=reference)
            ref = score_metrics(reference, true)
            row["ΔLCC (95%)"] = "{:+.4f} ({:+.3f}..{:+.3f})".format(m["lcc"] - ref["lcc"], *diff["lcc"])
            row["ΔSRCC (95%)"] = "{:+.4f} ({:+.3f}..{:+.3f})".format(m["srcc"] - ref["srcc"], *diff["srcc"])
        rows.append(row)
    columns = ["model", "n", "LCC", "LCC 95%", "SRCC", "SRCC 95%", "MSE", "ΔLCC (95%)", "ΔSRCC (95%)"]
    if groups is not None:
        columns.append("LCC (speakers equal)")
    print(f"{Path(args.list).name}, {args.resamples} resamples of the {unit}; Δ against {models[0][0]}\n")
    print(markdown_table(columns, ([str(r.get(c, "")) for c in columns] for r in rows), "l" + "r" * (len(columns) - 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
