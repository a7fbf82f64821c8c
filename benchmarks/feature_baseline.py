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

``--curve 0.25 0.5 1`` adds a learning curve of the tree model: trained on a fraction of the
training *speakers* (all their files), and on the same number of files drawn at random from all
speakers, each scored on the test list (mean over ``--repeats`` draws) — does accuracy grow with
more speakers or just with more files?

    python benchmarks/feature_baseline.py --train corpus/v2/train.list --valid corpus/v2/valid.list \\
        --test corpus/v2/test.list --target pesq --out runs/bench/feature_baseline.csv
"""
from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from common import REPO_ROOT, load_average, log, markdown_table, positive_int, write_csv

sys.path.insert(0, str(REPO_ROOT))

N_BANDS = 24
LEVELS = (5, 25, 50, 75, 95)


@functools.lru_cache(maxsize=1)
def statistics_frontend():
    """The standardised log-power front end, built once per worker process."""
    import torch

    from quality.features import STFTFrontend

    torch.set_num_threads(1)
    return STFTFrontend(kind="logpow", normalize="utterance")


def file_statistics(path: str):
    """The 179 summary statistics of one file (numpy float32 vector)."""
    import numpy as np
    import torch

    from quality.audio import load_audio

    frontend = statistics_frontend()
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
    """Statistics matrix, targets and speakers (None without a speaker column) of every file of a list."""
    import numpy as np
    from joblib import Parallel, delayed

    from quality.lists import read_list

    table = read_list(path, target=target)
    rows = Parallel(n_jobs=workers, batch_size=32)(delayed(file_statistics)(p) for p in table["path"])
    speakers = table["speaker"].astype(str).to_numpy() if "speaker" in table.columns else None
    return np.stack(rows), table[target].to_numpy(dtype=float), speakers


def tree_regressor():
    """The gradient-boosted tree model of this benchmark."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=600, learning_rate=0.05, random_state=0)


def learning_curve(data: dict, fractions: list[float], repeats: int) -> list[dict]:
    """Test LCC of the tree model on a fraction of training speakers vs as many random files."""
    import numpy as np

    from quality.metrics import lcc

    x, y, speakers = data["train"]
    x_test, y_test, _ = data["test"]
    if speakers is None:
        raise SystemExit("--curve needs a speaker column in the training list")
    names = np.unique(speakers)
    rng = np.random.default_rng(0)

    def score(index) -> float:
        return float(lcc(tree_regressor().fit(x[index], y[index]).predict(x_test), y_test))

    rows = []
    for fraction in fractions:
        by_speaker, by_file, files = [], [], []
        for _ in range(1 if fraction >= 1 else repeats):
            chosen = rng.choice(names, max(1, int(round(fraction * len(names)))), replace=False)
            index = np.flatnonzero(np.isin(speakers, chosen))
            by_speaker.append(score(index))
            by_file.append(score(rng.choice(len(y), len(index), replace=False)))
            files.append(len(index))
        rows.append({"fraction": fraction, "speakers": len(chosen), "files": int(np.mean(files)),
                     "test_lcc_speakers": round(float(np.mean(by_speaker)), 4),
                     "test_lcc_random_files": round(float(np.mean(by_file)), 4)})
        log(f"curve {rows[-1]}")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", required=True)
    p.add_argument("--valid", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--target", default="pesq")
    p.add_argument("--workers", type=positive_int, default=2, help="processes for the statistics")
    p.add_argument("--out", help="CSV of the results (the curve goes to <out>_curve.csv)")
    p.add_argument("--curve", type=float, nargs="+", metavar="FRACTION",
                   help="learning curve over these fractions of the training speakers, e.g. 0.25 0.5 1")
    p.add_argument("--repeats", type=positive_int, default=3, help="random draws per curve fraction below 1")
    args = p.parse_args(argv)
    if args.curve and not all(0 < f <= 1 for f in args.curve):
        p.error("--curve fractions must lie in (0, 1]")

    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from quality.metrics import lcc, srcc

    data = {}
    for split in ("train", "valid", "test"):
        log(f"statistics of {getattr(args, split)} ...")
        data[split] = list_statistics(getattr(args, split), args.target, args.workers)
    x_train, y_train, _ = data["train"]
    regressors = {
        "gradient-boosted trees": tree_regressor(),
        "MLP 256-128": make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(256, 128), alpha=1.0,
                                                                    max_iter=300, early_stopping=True,
                                                                    random_state=0)),
    }
    rows = []
    for name, regressor in regressors.items():
        regressor.fit(x_train, y_train)
        row = {"regressor": name, "features": x_train.shape[1]}
        for split, (x, y, _) in data.items():
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
    if args.curve:
        curve = learning_curve(data, sorted(args.curve), args.repeats)
        if args.out:
            out = Path(args.out)
            write_csv(out.with_name(out.stem + "_curve.csv"), curve, list(curve[0]))
        print()
        print(markdown_table(["fraction of speakers", "speakers", "files", "test LCC (those speakers)",
                              "test LCC (as many random files)"],
                             [[f"{r['fraction']:g}", str(r["speakers"]), str(r["files"]), f"{r['test_lcc_speakers']:.3f}",
                               f"{r['test_lcc_random_files']:.3f}"] for r in curve], "rrrrr"))
    log(f"load average: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
