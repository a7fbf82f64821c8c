#!/usr/bin/env python3
"""Check a model against the small human-rated dev sets, next to intrusive PESQ-wb (and DNSMOS).

    python benchmarks/dev_sets.py --dev ../shared/data/dev --checkpoint MODEL.pt [--dnsmos] \\
        [--only warpq] [--out docs/dev_sets.csv]

Every ``<dev>/*.csv`` with columns ``path``, ``ref_path`` (both relative to the dev folder) and a
human target (``mos_1to5`` if present, else ``mos``) is one dataset. Each file is scored by

- ``ours``: the model's utterance score (:class:`quality.predict.Predictor`, default checkpoint
  without ``--checkpoint``);
- ``pesq_wb``: intrusive PESQ P.862.2 wideband of the file against its ``ref_path`` (both loaded at
  16 kHz mono with :func:`quality.audio.load_audio`; the longer one is cut at the end to the
  shorter's length; PESQ does its own delay alignment) via :func:`quality.corpus.compute_labels`;
- with ``--dnsmos``: DNSMOS P.835 OVRL and P.808 (``speechmos`` package) on the whole file.

Correlations with the human target, per dataset and method, over files where both are defined:

- ``LCC``/``SRCC``: Pearson/Spearman over all files of the dataset (hidden reference included);
- ``item-SRCC``: items are the files sharing one ``ref_path`` (for benjsta_mushra the
  ``stim_XX`` folder: 8 conditions of one utterance); the Spearman correlation is computed within
  each item (the MUSHRA-style ranking of the conditions) and averaged over items (items where it
  is undefined, e.g. constant scores, are left out). ``item-SRCC (no ref)`` is the same without
  the hidden reference (the file whose path equals its ``ref_path``), i.e. the ranking of the
  actual codecs only. Shown only for datasets with at least two items (warpq has one utterance,
  so its item-SRCC would equal its SRCC).

For benjsta_mushra ``mos_1to5 = 1 + mushra / 25`` exactly, so every correlation against it equals
the one against the MUSHRA score. A markdown table goes to stdout, progress to stderr, and with
``--out`` a per-file CSV (``path, dataset, human, ours, pesq_wb, dnsmos_ovrl, dnsmos_p808,
condition, item, hidden_ref``).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

# This folder, for common.py also when the file is loaded by path (tests/test_dev_sets.py), then the repo.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO_ROOT, log, markdown_table  # noqa: E402

sys.path.insert(0, str(REPO_ROOT))

from quality.audio import SAMPLE_RATE, AudioError, load_audio  # noqa: E402
from quality.fileio import atomic_write  # noqa: E402
from quality.metrics import lcc, srcc  # noqa: E402
from quality.pair_labels import label_pair  # noqa: E402

TARGET_COLUMNS = ("mos_1to5", "mos")  # first one present is the human target
METHODS = {  # per-file column -> table label
    "ours": "ours",
    "pesq_wb": "PESQ-wb (intrusive)",
    "dnsmos_ovrl": "DNSMOS OVRL",
    "dnsmos_p808": "DNSMOS P.808",
}
CSV_COLUMNS = ["path", "dataset", "human", *METHODS, "condition", "item", "hidden_ref"]


class DevSetError(RuntimeError):
    """The dev folder or one of its CSVs cannot be used."""


# --------------------------------------------------------------------------------------------
# Reading the dev sets
# --------------------------------------------------------------------------------------------
def read_dev_sets(dev: str | os.PathLike, only: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """``{dataset: table}`` for every usable ``<dev>/*.csv`` (name = file stem), with the columns
    ``path, ref_path, human, target, condition, item, hidden_ref`` added or normalised.
    Raises :class:`DevSetError` when there is none."""
    dev = Path(dev)
    if not dev.is_dir():
        raise DevSetError(f"{dev}: no such folder")
    csvs = sorted(dev.glob("*.csv"))
    if only:
        wanted = set(only)
        unknown = wanted - {c.stem for c in csvs}
        if unknown:
            raise DevSetError(f"{dev}: no CSV for {', '.join(sorted(unknown))} (found: "
                              f"{', '.join(c.stem for c in csvs) or 'none'})")
        csvs = [c for c in csvs if c.stem in wanted]
    if not csvs:
        raise DevSetError(f"{dev}: no dev CSVs (*.csv with path, ref_path and mos_1to5 or mos columns) in this folder")
    sets: dict[str, pd.DataFrame] = {}
    for csv in csvs:
        df = pd.read_csv(csv)
        target = next((c for c in TARGET_COLUMNS if c in df.columns), None)
        missing = [c for c in ("path", "ref_path") if c not in df.columns]
        if target is None or missing:
            need = missing + ([] if target else ["mos_1to5 or mos"])
            log(f"skipping {csv.name}: no {', '.join(need)} column")
            continue
        df = df.dropna(subset=["path", target]).reset_index(drop=True)
        out = pd.DataFrame({
            "path": df["path"].astype(str),
            "ref_path": df["ref_path"].astype(str),
            "human": df[target].astype(float),
            "condition": df["condition"].astype(str) if "condition" in df.columns else "",
        })
        out["item"] = out["ref_path"]
        out["hidden_ref"] = out["path"] == out["ref_path"]
        out.attrs["target"] = target
        sets[csv.stem] = out
    if not sets:
        raise DevSetError(f"{dev}: none of {', '.join(c.name for c in csvs)} is a usable dev CSV")
    return sets


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------
def pesq_wb(ref: np.ndarray, deg: np.ndarray) -> float:
    """PESQ P.862.2 (wideband) of 16 kHz ``deg`` against ``ref``, both cut to the shorter length."""
    return label_pair(ref, deg)["pesq"]


def _limit_onnx_threads(module: Any) -> None:
    """Pre-build speechmos' global DNSMOS with ``OMP_NUM_THREADS`` onnxruntime threads (speechmos
    itself uses all cores); on any surprise in its internals leave it to its defaults."""
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    if threads <= 0 or getattr(module, "dnsmos", None) is not None:
        return
    try:
        import onnxruntime as ort

        models = Path(module.__file__).parent / "dnsmos_models"
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        scorer = module.DNSMOS.__new__(module.DNSMOS)
        scorer.primary_model_path = str(models / "sig_bak_ovr.onnx")
        scorer.onnx_sess = ort.InferenceSession(scorer.primary_model_path, options, providers=["CPUExecutionProvider"])
        scorer.p808_onnx_sess = ort.InferenceSession(str(models / "model_v8.onnx"), options,
                                                     providers=["CPUExecutionProvider"])
        module.dnsmos = scorer
    except Exception:  # noqa: BLE001 - optional speed-up only
        module.dnsmos = None


def load_dnsmos() -> tuple[Callable[[np.ndarray], tuple[float, float]] | None, str | None]:
    """``(score, None)`` where ``score(audio_16k) -> (ovrl, p808)``, or ``(None, why)`` when
    ``speechmos`` cannot be imported."""
    try:
        from speechmos import dnsmos
    except Exception as err:  # noqa: BLE001 - any import failure means "skip"
        return None, f"DNSMOS skipped: speechmos is not importable ({type(err).__name__}: {err})"
    _limit_onnx_threads(dnsmos)

    def score(audio: np.ndarray) -> tuple[float, float]:
        result = dnsmos.run(np.clip(audio, -1.0, 1.0).astype(np.float32), sr=SAMPLE_RATE)
        return float(result["ovrl_mos"]), float(result["p808_mos"])

    return score, None


def score_ours(predictor: Any, paths: Sequence[Path], desc: str = "ours") -> list[float]:
    """The model's utterance score per file (NaN, with a note, for a file it cannot score)."""
    from tqdm import tqdm

    scores = []
    for path, result in tqdm(predictor.predict_many(paths), total=len(paths), desc=desc, file=sys.stderr):
        if isinstance(result, Exception):
            log(f"ours: {result}")
            scores.append(math.nan)
        else:
            scores.append(float(result[0].mos))
    return scores


def score_intrusive(
    dev: Path, table: pd.DataFrame, dnsmos: Callable[[np.ndarray], tuple[float, float]] | None = None,
    desc: str = "pesq",
) -> pd.DataFrame:
    """``pesq_wb`` (and ``dnsmos_ovrl``, ``dnsmos_p808`` when ``dnsmos`` is given) per row of
    ``table``; NaN, with a note, for files that fail."""
    from tqdm import tqdm

    from quality.corpus import LabelError

    refs: dict[str, np.ndarray | Exception] = {}
    rows = []
    for path, ref_path in tqdm(list(zip(table["path"], table["ref_path"])), desc=desc, file=sys.stderr):
        row = {"pesq_wb": math.nan, "dnsmos_ovrl": math.nan, "dnsmos_p808": math.nan}
        rows.append(row)
        try:
            deg = load_audio(dev / path)
        except AudioError as err:
            log(f"pesq: {err}")
            continue
        if ref_path not in refs:
            try:
                refs[ref_path] = load_audio(dev / ref_path)
            except AudioError as err:
                refs[ref_path] = err
        ref = refs[ref_path]
        if isinstance(ref, Exception):
            log(f"pesq: {path}: reference unusable: {ref}")
        else:
            try:
                row["pesq_wb"] = pesq_wb(ref, deg)
            except LabelError as err:
                log(f"pesq: {path}: {err}")
        if dnsmos is not None:
            try:
                row["dnsmos_ovrl"], row["dnsmos_p808"] = dnsmos(deg)
            except Exception as err:  # noqa: BLE001 - a third-party scorer; note and go on
                log(f"dnsmos: {path}: {type(err).__name__}: {err}")
    return pd.DataFrame(rows, index=table.index)


def score_dev_sets(
    dev: str | os.PathLike, sets: dict[str, pd.DataFrame], predictor: Any,
    dnsmos: Callable[[np.ndarray], tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """The per-file table (:data:`CSV_COLUMNS`) of every dataset in ``sets``."""
    dev = Path(dev)
    parts = []
    for name, table in sets.items():
        table = table.copy()
        table["dataset"] = name
        table["ours"] = score_ours(predictor, [dev / p for p in table["path"]], desc=f"{name}: ours")
        table[["pesq_wb", "dnsmos_ovrl", "dnsmos_p808"]] = score_intrusive(
            dev, table, dnsmos, desc=f"{name}: pesq" + ("+dnsmos" if dnsmos else ""))
        parts.append(table[CSV_COLUMNS])
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Correlations and the table
# --------------------------------------------------------------------------------------------
def item_srcc(table: pd.DataFrame, column: str, include_ref: bool = True) -> float:
    """Mean over items (files sharing ``item``) of the within-item SRCC of ``column`` with
    ``human``; NaN when fewer than two items or none gives a defined SRCC."""
    ok = table[np.isfinite(table[column]) & np.isfinite(table["human"])]
    if not include_ref:
        ok = ok[~ok["hidden_ref"].astype(bool)]
    if table["item"].nunique() < 2:
        return math.nan
    values = [srcc(g[column], g["human"]) for _, g in ok.groupby("item") if len(g) >= 2]
    values = [v for v in values if math.isfinite(v)]
    return float(np.mean(values)) if values else math.nan


def correlations(per_file: pd.DataFrame, methods: Sequence[str] = tuple(METHODS)) -> list[dict[str, Any]]:
    """One row per dataset and method with any scores: ``dataset, target, method, n, lcc, srcc,
    item_srcc, item_srcc_no_ref``."""
    rows = []
    for name, table in per_file.groupby("dataset", sort=False):
        for column in methods:
            ok = table[np.isfinite(table[column]) & np.isfinite(table["human"])]
            if ok.empty:
                continue
            rows.append({
                "dataset": name,
                "method": METHODS.get(column, column),
                "n": len(ok),
                "lcc": lcc(ok[column], ok["human"]) if len(ok) >= 2 else math.nan,
                "srcc": srcc(ok[column], ok["human"]) if len(ok) >= 2 else math.nan,
                "item_srcc": item_srcc(table, column, include_ref=True),
                "item_srcc_no_ref": item_srcc(table, column, include_ref=False),
            })
    return rows


def format_table(rows: Sequence[dict[str, Any]], targets: dict[str, str] | None = None) -> str:
    """A markdown table of :func:`correlations` rows (``–`` for undefined values)."""
    def num(x: float) -> str:
        return "–" if not math.isfinite(x) else f"{x:.3f}"

    targets = targets or {}
    header = ["dataset (human target)", "method", "n", "LCC", "SRCC", "item-SRCC", "item-SRCC (no ref)"]
    lines = []
    for r in rows:
        name = f"{r['dataset']} ({targets[r['dataset']]})" if r["dataset"] in targets else r["dataset"]
        lines.append([name, r["method"], str(r["n"]), num(r["lcc"]), num(r["srcc"]), num(r["item_srcc"]),
                      num(r["item_srcc_no_ref"])])
    return markdown_table(header, lines, "llrrrrr")


def write_csv(path: str | os.PathLike, per_file: pd.DataFrame) -> Path:
    """Write the per-file table atomically."""
    return atomic_write(path, lambda tmp: per_file[CSV_COLUMNS].to_csv(tmp, index=False, float_format="%.4f"))


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", required=True, help="dev folder with the CSVs (paths in them are relative to it)")
    parser.add_argument("--checkpoint", help="model.pt to test (default: the shipped checkpoint)")
    parser.add_argument("--dnsmos", action="store_true", help="also score with DNSMOS (speechmos package)")
    parser.add_argument("--only", action="append", metavar="NAME", help="only this dataset (CSV stem); repeatable")
    parser.add_argument("--out", help="per-file CSV to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    start = time.time()
    try:
        sets = read_dev_sets(args.dev, args.only)
    except DevSetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    from quality.checkpoint import CheckpointError
    from quality.predict import load_predictor

    try:
        predictor = load_predictor(args.checkpoint)
    except CheckpointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    dnsmos, note = (None, None)
    if args.dnsmos:
        dnsmos, note = load_dnsmos()
        if note:
            log(note)
    per_file = score_dev_sets(args.dev, sets, predictor, dnsmos)
    rows = correlations(per_file)
    print(format_table(rows, {name: t.attrs["target"] for name, t in sets.items()}))
    if note:
        print(f"\n{note}")
    if args.out:
        log(f"wrote {write_csv(args.out, per_file)}")
    log(f"done in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
