"""How well a model's degradation probabilities detect a type, by the severity of that type.

Reads the ``predictions.csv`` of ``python -m quality.evaluate`` (its ``p_<type>`` columns, written
for a model with a degradation classifier) and the ``chains.jsonl`` of the corpus the list comes
from, and gives the ROC AUC of ``p_<type>`` for the files whose chain holds the type, split into
bins of one of its parameters, each bin against all files without the type::

    python benchmarks/detection_by_severity.py --predictions runs/bench/test_eval --corpus corpus/v3 \\
        --type noise:snr_db babble:snr_db talker:sir_db --bins -5 5 15 25 40
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from common import REPO_ROOT, markdown_table

sys.path.insert(0, str(REPO_ROOT))
from quality.metrics import detection_auc  # noqa: E402


def load_chains(corpus: Path) -> dict[str, list]:
    """Chain of every file of a built corpus, by resolved audio path."""
    chains = {}
    with open(corpus / "chains.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            chains[str((corpus / record["path"]).resolve())] = record["chain"]
    return chains


def severity_table(predictions: pd.DataFrame, chains: dict[str, list], kind: str, param: str,
                   edges: list[float]) -> pd.DataFrame:
    """Rows ``type, param, bin, files, auc``: AUC of ``p_<kind>`` for the files with ``kind`` whose
    ``param`` falls in each bin ``(edges[i], edges[i + 1]]`` (the first bin closed), against every
    file without ``kind``; a last row ``all`` for every file with it."""
    column = f"p_{kind}"
    if column not in predictions.columns:
        raise ValueError(f"predictions have no {column!r} column (a model with a degradation classifier "
                         f"that knows {kind!r}, scored by quality.evaluate)")
    keys = predictions["path"].map(lambda p: str(Path(p).resolve()))
    missing = keys[~keys.isin(chains)]
    if len(missing):
        raise ValueError(f"{len(missing)} predicted file(s) are not in the corpus's chains.jsonl, "
                         f"e.g. {missing.iloc[0]}")
    steps = keys.map(lambda k: {name: params for name, params in chains[k]})
    has = steps.map(lambda s: kind in s).to_numpy()
    values = steps[has].map(lambda s: s[kind].get(param)).astype(float).to_numpy()
    absent = predictions.loc[~has, column].to_numpy()
    probs = predictions.loc[has, column].to_numpy()

    def auc(selected: np.ndarray) -> float:
        p = np.r_[selected, absent][:, None]
        y = np.r_[np.ones(len(selected)), np.zeros(len(absent))][:, None]
        return float(detection_auc(p, y, [kind])["auc"].iloc[0])

    rows = []
    for i, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        inside = (values > low) & (values <= high) if i else (values >= low) & (values <= high)
        rows.append({"type": kind, "param": param, "bin": f"{low:g}..{high:g}", "files": int(inside.sum()),
                     "auc": auc(probs[inside]) if inside.any() else float("nan")})
    rows.append({"type": kind, "param": param, "bin": "all", "files": int(has.sum()), "auc": auc(probs)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--predictions", required=True, help="predictions.csv of quality.evaluate, or its folder")
    p.add_argument("--corpus", required=True, help="the corpus folder (with chains.jsonl) the list comes from")
    p.add_argument("--type", nargs="+", required=True, metavar="TYPE:PARAM",
                   help="degradation type and the chain parameter to bin by, e.g. noise:snr_db")
    p.add_argument("--bins", nargs="+", type=float, required=True, metavar="EDGE", help="bin edges (at least two)")
    p.add_argument("--out", help="also write the table as CSV")
    args = p.parse_args(argv)
    try:
        if len(args.bins) < 2 or sorted(args.bins) != args.bins:
            raise ValueError("--bins needs at least two increasing edges")
        csv = Path(args.predictions)
        csv = csv / "predictions.csv" if csv.is_dir() else csv
        predictions = pd.read_csv(csv)
        chains = load_chains(Path(args.corpus))
        tables = []
        for spec in args.type:
            kind, sep, param = spec.partition(":")
            if not sep or not kind or not param:
                raise ValueError(f"--type {spec!r}: expected TYPE:PARAM, e.g. noise:snr_db")
            tables.append(severity_table(predictions, chains, kind, param, args.bins))
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    table = pd.concat(tables, ignore_index=True)
    if args.out:
        table.to_csv(args.out, index=False)
    print(markdown_table(list(table.columns), [[r.type, r.param, r.bin, str(r.files), f"{r.auc:.3f}"]
                                               for r in table.itertuples()], "lllrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
