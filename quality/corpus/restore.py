"""Re-simulate a corpus's audio from its build record: one file, or every file some lists name."""
from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..audio import load_audio
from ..lists import read_list
from .. import simulate as sim
from .jobs import plan_jobs, run_jobs
from .records import read_chains, write_chains, write_json
from .speech import split_speech_table


def regenerate(out: str | os.PathLike, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Re-simulate file ``index`` of a built (or restored) corpus from build.json + chains.jsonl:
    ``(clean, degraded)``.

    ``degraded`` equals the stored audio up to 16-bit quantisation.
    """
    out = Path(out)
    settings = json.loads((out / "build.json").read_text())
    rec = read_chains(out / "chains.jsonl").get(int(index))
    if rec is None:
        raise KeyError(f"{out}: no file with index {index} in chains.jsonl")
    resources = sim.Resources(noise=settings["noise"], rir=settings["rir"], device_ir=settings["device_ir"],
                              speech=settings["speech"])
    clean = clean_reference(resources, rec)
    return clean, sim.apply_chain(clean, sim.chain_from_json(rec["chain"]), resources, rec["seed"])


def clean_reference(resources: sim.Resources, rec: Mapping[str, Any]) -> np.ndarray:
    """The clean reference of one built file from its ``chains.jsonl`` record: the source crop,
    varied (and pause-gated) as it was for the build; what its labels were computed against."""
    clean = load_audio(resources.path("speech", rec["speech"]))[rec["start"] : rec["start"] + rec["length"]]
    if rec.get("source_variation"):
        clean = sim.vary_source(clean, **rec["source_variation"])
    return clean


def check_codecs(settings: Mapping[str, Any], build: str | os.PathLike) -> None:
    """Raise ``ValueError`` naming each codec the build used (``settings["codecs"]``) that is not usable here,
    before the simulation fails file by file on it."""
    missing = sim.missing_codecs()
    lost = {name: missing[name] for name in settings.get("codecs") or {} if name in missing}
    if lost:
        reasons = "; ".join(f"{name} ({settings['codecs'][name]} at build time): {why}" for name, why in lost.items())
        raise ValueError(f"{build}: codec(s) the build used are not available here, so its files cannot be made "
                         f"again: {reasons}. Install with `-c constraints.txt` (it pins the PyAV the corpora "
                         f"were built with).")


def restore_corpus(
    build: str | os.PathLike,
    out: str | os.PathLike,
    lists: Sequence[str | os.PathLike],
    *,
    speech: str | os.PathLike | None = None,
    noise: str | os.PathLike | None = None,
    rir: str | os.PathLike | None = None,
    device_ir: str | os.PathLike | None = None,
    workers: int = 2,
    check: int = 20,
    progress: bool = True,
) -> dict[str, Any]:
    """Re-simulate the audio behind ``lists`` from a build's settings file, without relabelling.

    ``build`` is a corpus's ``build.json`` (e.g. ``lists/corpus_build.json``); ``out`` the corpus
    folder the lists point into (``out/audio/NNNNNN.flac``). Every file is simulated from the
    build's seed exactly as :func:`build_corpus` made it; files already there are kept. ``check``
    of them, evenly spread, are also labelled again and compared with the lists' PESQ, so a
    different environment (codec library, source folder) shows up as a label difference. Folders
    default to those recorded in ``build``. It also writes ``out/chains.jsonl`` (the records of
    every listed file, drawn again for files already there; merged with the records of earlier
    restores into ``out``) and, when absent, ``out/build.json``, so a restored corpus can be
    regenerated and its clean references found like a built one's. Returns counts, failures and
    the check's differences.
    """

    t0 = time.time()
    settings = json.loads(Path(build).read_text(encoding="utf-8"))
    out = Path(out).resolve()
    folders = {}
    for key, given in (("speech", speech), ("noise", noise), ("rir", rir), ("device_ir", device_ir)):
        folder = given if given is not None else settings.get(key)
        if folder is not None and not Path(folder).is_dir():
            raise FileNotFoundError(f"{build}: {key} folder {folder} not found; pass --{key.replace('_', '-')}")
        folders[key] = str(Path(folder).resolve()) if folder is not None else None
    check_codecs(settings, build)
    labels: dict[int, float] = {}
    audio = out / "audio"
    for name in lists:
        table = read_list(name)
        for path, pesq_value in zip(table["path"], table.get("pesq", [math.nan] * len(table))):
            path = Path(path).resolve()
            if path.parent == audio and path.stem.isdigit():
                labels[int(path.stem)] = float(pesq_value)
    if not labels:
        raise ValueError(f"none of the lists' files lie in {audio}: is --out the corpus folder they point into?")
    num = int(settings["num"])
    if max(labels) >= num:
        raise ValueError(f"{build}: the lists name file index {max(labels)}, but the build made only {num} files")
    table = split_speech_table(folders["speech"], float(settings["min_seconds"]), float(settings["valid"]),
                               float(settings["test"]), int(settings.get("split_seed", settings["seed"])))
    digits = max(6, len(str(num - 1)))
    jobs = [job for job in plan_jobs(table, num, int(settings["seed"])) if job[0] in labels]
    checked = set(sorted(labels)[:: max(1, len(labels) // check)][:check]) if check > 0 else set()
    todo = [job for job in jobs if job[0] in checked or not (out / f"audio/{job[0]:0{digits}d}.flac").is_file()]
    state = {
        "out": str(out), "digits": digits, "seed": int(settings["seed"]), "max_seconds": float(settings["max_seconds"]),
        "names": list(settings["degradations"]), "source_variation": float(settings.get("source_variation", 0.0)),
        "weights": dict(settings.get("weights") or {}), "source_gate": float(settings.get("source_gate", 0.0)),
        **folders, "table": table.to_dict("list"), "label_indices": checked,
    }
    from tqdm import tqdm

    bar = tqdm(total=len(todo), file=sys.stderr, disable=not progress, desc="restore", unit="file", dynamic_ncols=True)
    failures: list[dict] = []
    differences: list[float] = []

    records = {i: r for i, r in read_chains(out / "chains.jsonl").items() if i in labels}

    def record(rec: dict) -> None:
        if not rec.get("ok"):
            failures.append(rec)
            bar.write(f"failed {rec['path']} at {rec['stage']}: {rec['error']}", file=sys.stderr)
        else:
            records[rec["index"]] = rec
            if "pesq" in rec and math.isfinite(labels[rec["index"]]):
                differences.append(abs(rec["pesq"] - labels[rec["index"]]))
        bar.update(1)

    try:
        run_jobs(todo, state, workers, record)
    finally:
        bar.close()
    # The chain records of files that were already there (drawn, not degraded again), so that
    # chains.jsonl describes every listed file (quality.corpus.regenerate, clean references).
    undrawn = [job for job in jobs if job[0] not in records and (out / f"audio/{job[0]:0{digits}d}.flac").is_file()]
    bar = tqdm(total=len(undrawn), file=sys.stderr, disable=not progress or not undrawn, desc="chain records",
               unit="file", dynamic_ncols=True)

    def drawn(rec: dict) -> None:
        if rec.get("ok"):
            records[rec["index"]] = rec
        else:
            bar.write(f"no chain record for {rec['path']}: {rec['error']}", file=sys.stderr)
        bar.update(1)

    try:
        run_jobs(undrawn, {**state, "draw_only": True}, workers, drawn)
    finally:
        bar.close()
    if records:
        every = {**read_chains(out / "chains.jsonl"), **records}
        write_chains(out / "chains.jsonl", [every[i] for i in sorted(every)])
        if not (out / "build.json").is_file():
            write_json(out / "build.json", {**settings, **folders})
    return {"files": len(labels), "simulated": len(todo), "failed": len(failures),
            "failures": [f"{r['path']}: {r['error']}" for r in failures],
            "checked": len(differences), "max_pesq_difference": max(differences, default=0.0),
            "seconds": round(time.time() - t0, 1)}
