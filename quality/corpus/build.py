"""Build, resume or extend a labelled corpus (see :mod:`quality.corpus`)."""
from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from ..audio import SAMPLE_RATE
from ..lists import SPLITS, balance_list, write_list
from .. import simulate as sim
from .jobs import plan_jobs, run_jobs
from .records import (ALL_COLUMNS, CORPUS_FORMAT_VERSION, JOURNAL, LIST_COLUMNS, read_journal, summarize,
                      write_chains, write_csv, write_json)
from .speech import split_speech_table

log = logging.getLogger(__name__)

#: build settings that must match for a build to resume in an existing folder
_IDENTITY_KEYS = ("version", "speech", "noise", "rir", "device_ir", "seed", "split_seed", "valid", "test",
                  "max_seconds", "min_seconds", "degradations", "source_variation", "weights", "source_gate")


def build_corpus(
    speech: str | os.PathLike,
    out: str | os.PathLike,
    num: int,
    *,
    noise: str | os.PathLike | None = None,
    rir: str | os.PathLike | None = None,
    device_ir: str | os.PathLike | None = None,
    seed: int = 0,
    workers: int = 2,
    valid: float = 0.1,
    test: float = 0.1,
    bin_width: float = 0.25,
    per_bin: int | None = None,
    repeat: bool = False,
    max_seconds: float = 10.0,
    min_seconds: float = 1.0,
    exclude: Iterable[str] = (),
    progress: bool = True,
    split_seed: int | None = None,
    source_variation: float = 0.0,
    weights: Mapping[str, float] | None = None,
    source_gate: float = 0.0,
    splits: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Build (or resume, or extend) a corpus in ``out``; returns the build.json content.

    See the module docstring for the output files. Files whose simulation or labelling fails are
    reported (log + ``failures.csv``) and left out. ``split_seed`` (default: ``seed``) seeds the
    speaker split alone, so a corpus built with another ``seed`` can keep another one's split;
    ``source_variation`` is the share of files whose clean source is varied first
    (:func:`draw_job`), ``source_gate`` the share whose pauses are gated; ``weights``
    multiplies the draw weights of the degradations it names (:func:`quality.simulate.sample_chain`).
    ``splits`` (default: all) simulates only the files of those speaker splits, e.g. ``["test"]``
    to rebuild and label a corpus's test split alone: each file is the one the full build makes,
    and a later build without ``splits`` in the same folder adds the rest.
    """

    t0 = time.time()
    if num < 1:
        raise ValueError(f"--num must be at least 1, got {num}")
    for option, share in (("--source-variation", source_variation), ("--source-gate", source_gate)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{option} must be in [0, 1], got {share}")
    if splits is not None:
        splits = list(dict.fromkeys(splits))
        unknown_splits = [name for name in splits if name not in SPLITS]
        if not splits or unknown_splits:
            raise ValueError(f"--splits must name some of {', '.join(SPLITS)}, got {', '.join(splits) or 'none'}")
    split_seed = seed if split_seed is None else split_seed
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = split_speech_table(speech, min_seconds, valid, test, split_seed)
    resources = sim.Resources(noise=noise, rir=rir, device_ir=device_ir, speech=speech, speech_table=table)
    unknown = sorted(set(exclude) - set(sim.DEGRADATIONS))
    if unknown:
        raise ValueError(f"unknown degradation(s) to exclude: {', '.join(unknown)}; known: {', '.join(sim.DEGRADATIONS)}")
    names = [n for n in sim.available_degradations(resources) if n not in set(exclude)]
    weights = {str(k): float(v) for k, v in sorted((weights or {}).items())}
    bad = sorted(k for k, v in weights.items() if k not in names or not (math.isfinite(v) and v >= 0))
    if bad:
        raise ValueError(f"--weight: {', '.join(bad)}: not an available degradation or not a finite weight >= 0; "
                         f"available: {', '.join(names)}")
    codecs = sim.available_codecs()
    missing = sim.missing_codecs()  # each logged once by available_codecs()

    settings = {
        "version": CORPUS_FORMAT_VERSION,
        "speech": str(Path(speech).resolve()),
        "noise": str(Path(noise).resolve()) if noise else None,
        "rir": str(Path(rir).resolve()) if rir else None,
        "device_ir": str(Path(device_ir).resolve()) if device_ir else None,
        "seed": int(seed),
        "split_seed": int(split_seed),
        "valid": float(valid),
        "test": float(test),
        "max_seconds": float(max_seconds),
        "min_seconds": float(min_seconds),
        "degradations": names,
        "source_variation": float(source_variation),
        "weights": weights,
        "source_gate": float(source_gate),
    }
    build_file = out / "build.json"
    journal = out / JOURNAL
    done: dict[int, dict] = {}
    if build_file.is_file() or journal.is_file():
        previous = json.loads(build_file.read_text()) if build_file.is_file() else None
        if previous is not None:
            # builds older than these keys
            defaults = {"split_seed": previous.get("seed"), "source_variation": 0.0, "weights": {}, "source_gate": 0.0}
            diff = [k for k in _IDENTITY_KEYS if previous.get(k, defaults.get(k)) != settings[k]]
            if diff:
                raise ValueError(
                    f"{out} holds a build with different settings ({', '.join(diff)}); "
                    "use a new --out folder (or delete it) to build with these settings"
                )
        done = {i: r for i, r in read_journal(journal).items()
                if i < num and (not r.get("ok") or (out / r["path"]).is_file())}
    write_json(build_file, {**settings, "status": "running", "num": int(num)})

    digits = max(6, len(str(num - 1)))
    todo = [job for job in plan_jobs(table, num, seed) if job[0] not in done and (splits is None or job[3] in splits)]
    if done:
        log.info("resuming: %d of %d files already done", len(done), num)
    state = {
        "out": str(out), "digits": digits, "seed": int(seed), "max_seconds": float(max_seconds), "names": names,
        "source_variation": float(source_variation), "weights": weights, "source_gate": float(source_gate),
        "noise": settings["noise"], "rir": settings["rir"], "device_ir": settings["device_ir"],
        "speech": settings["speech"], "table": table.to_dict("list"),
    }
    results = dict(done)
    from tqdm import tqdm

    bar = tqdm(total=num, initial=len(done), file=sys.stderr, disable=not progress, desc="corpus", unit="file",
               dynamic_ncols=True)

    def record(rec: dict) -> None:
        results[rec["index"]] = rec
        with open(journal, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
        if not rec.get("ok"):
            bar.write(f"failed {rec['path']} ({rec.get('speech')}, {rec.get('condition')}) at {rec['stage']}: {rec['error']}",
                      file=sys.stderr)
        bar.update(1)

    try:
        run_jobs(todo, state, workers, record)
    finally:
        bar.close()

    ok = [results[i] for i in sorted(results) if results[i].get("ok")]
    bad = [results[i] for i in sorted(results) if not results[i].get("ok")]
    df = pd.DataFrame(
        [{**{k: r[k] for k in ("path", "pesq", "stoi", "sisdr", "condition", "speaker", "split", "speech", "start",
                                 "seed", "index")},
          "chain_length": len(r["chain"]), "seconds": round(r["length"] / SAMPLE_RATE, 4)} for r in ok],
        columns=ALL_COLUMNS,
    )
    failures = pd.DataFrame(
        [{"index": r["index"], "path": r.get("path"), "speech": r.get("speech"), "speaker": r.get("speaker"),
          "condition": r.get("condition"), "stage": r.get("stage"), "error": r.get("error"),
          "chain": json.dumps(r.get("chain")) if r.get("chain") is not None else ""} for r in bad],
        columns=["index", "path", "speech", "speaker", "condition", "stage", "error", "chain"],
    )
    write_csv(out / "failures.csv", failures)
    # write_list stores paths under the list's folder relative to it: hand it absolute paths
    listed = df.assign(path=[str((out / p).resolve()) for p in df["path"]])
    write_chains(out / "chains.jsonl", ok)
    written = {}
    if len(df):
        write_list(listed, out / "all.csv", columns=ALL_COLUMNS)
        for name in SPLITS:
            part = listed[listed["split"] == name]
            target = out / f"{name}.list"
            if len(part):
                write_list(part, target, columns=LIST_COLUMNS)
                written[name] = len(part)
            else:
                target.unlink(missing_ok=True)
                if splits is None or name in splits:
                    log.warning("no %s files (too few speakers for the split?); %s not written", name, target.name)
        train = listed[listed["split"] == "train"]
        if len(train):
            balanced = balance_list(train, "pesq", bin_width, per_bin=per_bin, repeat=repeat, seed=seed, low=1.0)
            write_list(balanced, out / "train_balanced.list", columns=LIST_COLUMNS)
            written["train_balanced"] = len(balanced)
    elapsed = time.time() - t0
    info = {
        **settings, "status": "done", "num": int(num), "labelled": len(df), "failed": len(failures), "lists": written,
        "codecs": codecs, "codecs_missing": missing, "bin_width": bin_width, "per_bin": per_bin, "repeat": repeat,
        "seconds": round(elapsed, 1), "workers": int(workers), "splits": splits,
    }
    write_json(build_file, info)
    info["summary"] = summarize(df, failures, codecs, missing, elapsed)
    return info
