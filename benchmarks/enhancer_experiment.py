"""The quality-loss experiment: enhancers trained with the enhancement loss alone, + joint and +
GRL quality loss, compared on held-out mixtures (unseen speakers, noises and rooms) and on
NOIZEUS real noisy speech.

    python benchmarks/enhancer_experiment.py --models base=checkpoints/dpcrn_base.pt \\
        joint=checkpoints/dpcrn_joint.pt grl=checkpoints/dpcrn_grl.pt \\
        --noizeus ../shared/data/noizeus --num-mixtures 150 --out runs/bench/enhancer --markdown

The test mixtures are rebuilt from the data folders and split recorded in the first model's
metadata (same speakers/noises/rooms held out as during its training; mixtures seeded, so
identical for every model and every run). Per system: PESQ P.862.2 wideband, STOI, SI-SDR
against the clean reference, DNSMOS P.835 OVRL and P.808 (``speechmos``), and our shipped
predictor's MOS (or ``--quality-checkpoint``). NOIZEUS files (8 kHz) are upsampled to 16 kHz
before enhancement and scoring; its references are narrowband, so its PESQ-wb values sit lower
than on the wideband mixtures. ``noisy`` rows score the unprocessed input.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

import common
from dev_sets import load_dnsmos

METRICS = ("pesq", "stoi", "sisdr", "dnsmos_ovrl", "dnsmos_p808", "ours")
HEADERS = {"pesq": "PESQ-wb", "stoi": "STOI", "sisdr": "SI-SDR (dB)", "dnsmos_ovrl": "DNSMOS OVRL",
           "dnsmos_p808": "DNSMOS P.808", "ours": "ours (MOS)"}


def test_mixtures(metadata: dict[str, Any], count: int, seconds: float, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` fixed test-split mixtures ``(mix, clean)`` made as the model's training recorded."""
    from quality.enhance.data import MixtureDataset, mixture_splits

    config = metadata["train_config"]
    data = config["data"]
    splits = mixture_splits(data["speech"], data["noise"], data.get("rir"), data["valid_fraction"],
                            data["test_fraction"], config["seed"])
    common.log(f"test split: {splits['test'].describe()}")
    mixing = config["mixtures"]
    dataset = MixtureDataset(splits["test"], count, seconds=seconds, snr_db=tuple(mixing["snr_db"]),
                             reverb_prob=mixing["reverb_prob"], level_db=tuple(mixing["level_db"]),
                             seed=seed, fixed=True)
    return [dataset.mixture(i)[:2] for i in range(count)]


def noizeus_pairs(folder: Path, every: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """NOIZEUS ``(noisy, clean)`` at 16 kHz, every ``every``-th row of its manifest."""
    import pandas as pd

    from quality.audio import load_audio

    table = pd.read_csv(folder / "manifest.csv").iloc[::every]
    return [(load_audio(folder / row.path), load_audio(folder / row.ref_path)) for row in table.itertuples()]


def score_files(pairs: list[tuple[np.ndarray, np.ndarray]], outputs: list[np.ndarray], predictor: Any,
                dnsmos: Any) -> list[dict[str, float]]:
    """Every metric for every file (NaN where one cannot be computed, e.g. PESQ without speech)."""
    from quality.enhance.task import enhancement_metrics

    rows = []
    ours = [predictor.predict(x, sample_rate=common.SAMPLE_RATE).mos for x in outputs]
    for (_, clean), out, q in zip(pairs, outputs, ours):
        n = min(len(out), len(clean))
        row = enhancement_metrics(out[:n], clean[:n])
        row["dnsmos_ovrl"], row["dnsmos_p808"] = dnsmos(out) if dnsmos else (math.nan, math.nan)
        row["ours"] = q
        rows.append(row)
    return rows


def paired_differences(per_file: list[dict[str, Any]], reference: str, resamples: int = 2000,
                       seed: int = 0) -> list[dict[str, Any]]:
    """Mean per-file difference (system - ``reference``) of every metric on each set, with a 95 %
    paired bootstrap interval (files resampled with replacement; NaN pairs left out)."""
    rng = np.random.default_rng(seed)
    out = []
    sets = sorted({r["set"] for r in per_file})
    for set_name in sets:
        rows = [r for r in per_file if r["set"] == set_name]
        base = {r["file"]: r for r in rows if r["system"] == reference}
        for system in dict.fromkeys(r["system"] for r in rows):
            if system == reference:
                continue
            entry: dict[str, Any] = {"set": set_name, "system": f"{system} - {reference}"}
            for m in METRICS:
                d = np.array([float(r[m]) - float(base[r["file"]][m]) for r in rows if r["system"] == system])
                d = d[np.isfinite(d)]
                if len(d) == 0:
                    entry[m] = "n/a"
                    continue
                boot = d[rng.integers(0, len(d), size=(resamples, len(d)))].mean(1)
                lo, hi = np.percentile(boot, [2.5, 97.5])
                digits = 2 if m == "sisdr" else 3
                entry[m] = f"{d.mean():+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]"
            out.append(entry)
    return out


def markdown(results: list[dict[str, Any]]) -> str:
    """The results as a markdown table (SI-SDR with 2 decimals, the rest with 3)."""
    rows = [[r["set"], r["system"], str(r["files"]),
             *(f"{float(r[m]):.2f}" if m == "sisdr" else f"{float(r[m]):.3f}" for m in METRICS)] for r in results]
    header = ["set", "system", "files", *(HEADERS[m] for m in METRICS)]
    return common.markdown_table(header, rows, "llr" + "r" * len(METRICS))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", metavar="NAME=MODEL.pt", help="enhancer checkpoints (required unless --render)")
    p.add_argument("--render", metavar="CSV", help="only print the markdown table of an earlier run's --out CSV")
    p.add_argument("--num-mixtures", type=common.non_negative_int, default=150, help="0: NOIZEUS only")
    p.add_argument("--seconds", type=common.positive_float, default=6.0, help="longest test mixture (s)")
    p.add_argument("--seed", type=int, default=1234, help="seed of the test mixtures")
    p.add_argument("--noizeus", help="NOIZEUS folder (manifest.csv); omitted: mixtures only")
    p.add_argument("--noizeus-every", type=common.positive_int, default=1, help="use every N-th NOIZEUS file")
    p.add_argument("--quality-checkpoint", help="predictor for the 'ours' column (default: shipped model)")
    p.add_argument("--no-dnsmos", action="store_true")
    p.add_argument("--out", help="CSV of the table")
    p.add_argument("--per-file", help="CSV with every metric of every file and system")
    p.add_argument("--reference", default="base", help="system the paired differences are taken against (default base)")
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.render:
        import csv

        with open(args.render, newline="") as fh:
            print(markdown(list(csv.DictReader(fh))))
        return 0
    if not args.models:
        parser.error("--models is required (or --render CSV)")
    import torch
    from tqdm import tqdm

    from quality import load_predictor
    from quality.enhance.checkpoint import load_enhancer
    from quality.enhance.denoise import enhance_array

    torch.set_num_threads(max(1, torch.get_num_threads()))
    models = {}
    for item in args.models:
        name, _, path = item.partition("=")
        models[name] = load_enhancer(path)
    first_meta = next(iter(models.values()))[1]
    sets = {"mixtures": test_mixtures(first_meta, args.num_mixtures, args.seconds, args.seed)} if args.num_mixtures else {}
    if args.noizeus:
        sets["noizeus"] = noizeus_pairs(Path(args.noizeus), args.noizeus_every)
    predictor = load_predictor(args.quality_checkpoint)
    dnsmos, why = (None, "disabled") if args.no_dnsmos else load_dnsmos()
    if why:
        common.log(why)
    results, per_file = [], []
    for set_name, pairs in sets.items():
        systems = {"noisy": [mix for mix, _ in pairs]}
        for name, (model, _) in models.items():
            systems[name] = [enhance_array(model, mix) for mix, _ in tqdm(pairs, desc=f"{set_name}/{name}", file=sys.stderr)]
        for name, outputs in systems.items():
            common.log(f"scoring {set_name}/{name}")
            rows = score_files(pairs, outputs, predictor, dnsmos)
            per_file += [{"set": set_name, "system": name, "file": i, **row} for i, row in enumerate(rows)]
            results.append({"set": set_name, "system": name, "files": len(pairs),
                            **{m: float(np.nanmean([r[m] for r in rows])) for m in METRICS}})
    if args.out:
        common.write_csv(Path(args.out), results, ["set", "system", "files", *METRICS])
    if args.per_file:
        common.write_csv(Path(args.per_file), per_file, ["set", "system", "file", *METRICS])
    if args.markdown:
        print(markdown(results))
        if args.reference in models:
            diffs = paired_differences(per_file, args.reference)
            print("\nPaired differences against " + args.reference + " (mean [95 % bootstrap interval]):\n")
            print(common.markdown_table(["set", "systems", *(HEADERS[m] for m in METRICS)],
                                        [[d["set"], d["system"], *(d[m] for m in METRICS)] for d in diffs],
                                        "ll" + "r" * len(METRICS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
