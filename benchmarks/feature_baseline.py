#!/usr/bin/env python3
"""How far summary statistics carry: tree and MLP regressors on per-file spectral statistics.

A diagnostic for the shipped-model accuracy, not a model we ship. For every file of the train,
valid and test lists it computes the library's log-power spectrogram (``STFTFrontend``,
standardised per utterance as every quality config does), pools the 257 bins into 22
log-spaced bands (24 requested; coinciding edges at low frequencies merge) and keeps per-band
statistics over time (5/25/50/75/95 % levels, standard deviation, mean frame-to-frame change,
speech-minus-pause level) plus frame-energy dynamics — 179 numbers per file. A gradient-boosted
tree model and an MLP are fitted on the training list and scored on all three lists, so the
report shows how much of the training fit carries over to unseen speakers.

    python benchmarks/feature_baseline.py --train corpus/v2/train.list --valid corpus/v2/valid.list \\
        --test corpus/v2/test.list --target pesq --out runs/bench/feature_baseline.csv
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import REPO_ROOT, load_average, log, markdown_table, positive_int, write_csv

sys.path.insert(0, str(REPO_ROOT))

N_BANDS = 24
LEVELS = (5, 25, 50, 75, 95)


def file_statistics(path: str):
    """The 179 summary statistics of one file (numpy float32 vector)."""
    import numpy as np
    import torch

    from quality.audio import load_audio
    from quality.features import STFTFrontend

    torch.set_num_threads(1)
    frontend = STFTFrontend(kind="logpow", normalize="utterance")
    wav = load_audio(path)
    with torch.no_grad():
        feats = frontend(torch.from_numpy(wav)[None])[0][0].numpy()  # (T, 257)
    edges = np.unique(np.round(np.geomspace(2, feats.shape[1], N_BANDS + 1)).astype(int))
    edges[0] = 0
    bands = np.stack([feats[:, a:b].mean(1) for a, b in zip(edges[:-1], edges[1:])], 1)
    energy = bands.mean(1)
    active = energy > np.percentile(energy, 30)
    pause_gap = bands[active].mean(0) - bands[~active].mean(0) if (~active).any() else np.zeros(bands.shape[1])
    parts = [np.percentile(bands, q, axis=0) for q in LEVELS]
    parts += [bands.std(0), np.abs(np.diff(bands, axis=0)).mean(0), pause_gap]
    dynamics = [energy.std(), np.percentile(energy, 95) - np.percentile(energy, 5), np.abs(np.diff(energy)).mean()]
    return np.concatenate(parts + [np.array(dynamics)]).astype(np.float32)


def list_statistics(path: str, target: str, workers: int):
    """Statistics matrix and targets of every file of a list."""
    import numpy as np
    from joblib import Parallel, delayed

    from quality.lists import read_list

    table = read_list(path, target=target)
    rows = Parallel(n_jobs=workers, batch_size=32)(delayed(file_statistics)(p) for p in table["path"])
    return np.stack(rows), table[target].to_numpy(dtype=float)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", required=True)
    p.add_argument("--valid", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--target", default="pesq")
    p.add_argument("--workers", type=positive_int, default=2, help="processes for the statistics")
    p.add_argument("--out", help="CSV of the results")
    args = p.parse_args(argv)

    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from quality.metrics import lcc, srcc

    data = {}
    for split in ("train", "valid", "test"):
        log(f"statistics of {getattr(args, split)} ...")
        data[split] = list_statistics(getattr(args, split), args.target, args.workers)
    x_train, y_train = data["train"]
    regressors = {
        "gradient-boosted trees": HistGradientBoostingRegressor(max_iter=600, learning_rate=0.05, random_state=0),
        "MLP 256-128": make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(256, 128), alpha=1.0,
                                                                    max_iter=300, early_stopping=True,
                                                                    random_state=0)),
    }
    rows = []
    for name, regressor in regressors.items():
        regressor.fit(x_train, y_train)
        row = {"regressor": name, "features": x_train.shape[1]}
        for split, (x, y) in data.items():
            pred = regressor.predict(x)
            row[f"{split}_lcc"] = round(float(lcc(pred, y)), 4)
            row[f"{split}_srcc"] = round(float(srcc(pred, y)), 4)
            row[f"{split}_n"] = len(y)
        rows.append(row)
        log(f"{name}: " + ", ".join(f"{k} {v}" for k, v in row.items() if k.endswith("cc")))
    fields = ["regressor", "features"] + [f"{s}_{m}" for s in data for m in ("n", "lcc", "srcc")]
    if args.out:
        write_csv(Path(args.out), rows, fields)
    print(markdown_table(["regressor", "train LCC", "valid LCC", "valid SRCC", "test LCC", "test SRCC"],
                         [[r["regressor"], f"{r['train_lcc']:.3f}", f"{r['valid_lcc']:.3f}", f"{r['valid_srcc']:.3f}",
                           f"{r['test_lcc']:.3f}", f"{r['test_srcc']:.3f}"] for r in rows], "lrrrrr"))
    log(f"load average: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
