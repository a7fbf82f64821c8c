#!/usr/bin/env python3
"""Does a model punish quiet pauses? Score clean recordings as they are and with their pauses gated.

A clean recording whose pauses are pushed towards digital silence (a studio or TTS recording, a
gated microphone) is no worse to a listener, and for PESQ it is still its own reference (4.64).
For each clean file of a list (``condition`` = ``clean``), this scores the file and its versions
gated ``--depths`` dB down (:func:`quality.simulate.gate_pauses`, margin 8 dB above the noise floor)
with each ``--checkpoint``, and reports the mean score and the mean change per depth::

    python benchmarks/pause_gating.py --list lists/test.list \\
        --checkpoint shipped=checkpoints/default.pt new=runs/v7/ensemble.pt --out runs/bench/pause_gating.csv

A markdown table goes to stdout (per model and depth: files, mean score, mean change, share of files
that lost more than 0.25), progress to stderr, and with ``--out`` a per-file CSV (``model, path,
speaker, pause_depth_db, depth_db, score``); ``pause_depth_db`` is how far the file's quietest
10 % of 10 ms frames lie below its loudest 5 %.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from common import REPO_ROOT, log, markdown_table, write_csv

sys.path.insert(0, str(REPO_ROOT))
from quality.audio import SAMPLE_RATE, load_audio  # noqa: E402
from quality.lists import CLEAN_CONDITION, read_list  # noqa: E402
from quality.predict import load_predictor  # noqa: E402
from quality.simulate import frame_levels_db, gate_pauses  # noqa: E402

MARGIN_DB = 8.0
LOSS = 0.25  # a change below -LOSS counts as a file the gating hurt


def pause_depth_db(audio: np.ndarray, hop: int = SAMPLE_RATE // 100) -> float:
    """Level of the quietest 10 % of 10 ms frames below the loudest 5 % (dB, positive)."""
    level = frame_levels_db(audio, hop)
    return float(np.percentile(level, 95) - np.percentile(level, 10))


def named_checkpoint(text: str) -> tuple[str, str]:
    """``NAME=PATH`` or ``PATH`` (named after its file)."""
    name, sep, path = text.partition("=")
    return (name, path) if sep else (Path(text).stem, text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--list", required=True, help="labelled list with a condition column")
    p.add_argument("--checkpoint", nargs="+", type=named_checkpoint, required=True, metavar="[NAME=]MODEL",
                   help="models to compare (model.pt or .onnx)")
    p.add_argument("--depths", nargs="+", type=float, default=[20.0, 40.0, 60.0], help="gate depths in dB")
    p.add_argument("--max-files", type=int, default=0, help="at most this many clean files (0: all)")
    p.add_argument("--out", type=Path, help="per-file CSV")
    args = p.parse_args(argv)

    table = read_list(args.list)
    if "condition" not in table.columns:
        p.error(f"{args.list} has no condition column")
    clean = table[table["condition"] == CLEAN_CONDITION].drop_duplicates("path")
    if args.max_files:
        clean = clean.head(args.max_files)
    if clean.empty:
        p.error(f"{args.list} has no file with condition {CLEAN_CONDITION!r}")
    audio = {str(path): load_audio(path) for path in clean["path"]}
    depth_of = {path: pause_depth_db(x) for path, x in audio.items()}
    speaker = dict(zip(clean["path"].astype(str), clean["speaker"] if "speaker" in clean else [""] * len(clean)))
    versions = [0.0] + list(args.depths)
    gated = {file: [(depth, x if depth == 0 else gate_pauses(x, depth, MARGIN_DB)) for depth in versions]
             for file, x in audio.items()}  # gated once, scored by every model
    rows = []
    for name, path in args.checkpoint:
        predictor = load_predictor(path)
        log(f"{name}: {len(audio)} clean files x {len(versions)} versions")
        for file, variants in gated.items():
            for depth, y in variants:
                rows.append({"model": name, "path": file, "speaker": speaker[file],
                             "pause_depth_db": round(depth_of[file], 1), "depth_db": depth,
                             "score": float(predictor.predict(y, sample_rate=SAMPLE_RATE).mos)})
    if args.out:
        write_csv(args.out, rows, ["model", "path", "speaker", "pause_depth_db", "depth_db", "score"])

    import pandas as pd

    df = pd.DataFrame(rows)
    base = df[df["depth_db"] == 0].set_index(["model", "path"])["score"]
    df["change"] = df["score"].to_numpy() - base.loc[list(zip(df["model"], df["path"]))].to_numpy()
    out = []
    for (name, depth), g in df.groupby(["model", "depth_db"], sort=False):
        out.append([name, f"{depth:g}" if depth else "as recorded", str(len(g)), f"{g['score'].mean():.2f}",
                    f"{g['change'].mean():+.2f}" if depth else "–",
                    f"{(g['change'] < -LOSS).mean():.0%}" if depth else "–"])
    print(markdown_table(["model", "pauses gated (dB)", "files", "mean score", "mean change", f"lost > {LOSS}"],
                         out, "llrrrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
