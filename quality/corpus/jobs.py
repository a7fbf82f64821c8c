"""One corpus file: draw its chain from its seed, simulate, label and write it; run many in processes."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import soundfile as sf

from ..audio import SAMPLE_RATE, load_audio
from ..fileio import atomic_write
from .. import simulate as sim
from .labels import compute_labels

#: third element of the seed of a job's source-variation generator (independent of its chain)
_SOURCE_STREAM = 0x50
#: third element of the seed of a job's source-gate generator
_GATE_STREAM = 0x51

_STATE: dict[str, Any] = {}


def _init_worker(state: Mapping[str, Any]) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _STATE.clear()
    _STATE.update(state)
    table = pd.DataFrame(state["table"])
    _STATE["resources"] = sim.Resources(
        noise=state["noise"], rir=state["rir"], device_ir=state["device_ir"], speech=state["speech"], speech_table=table
    )


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] as 16-bit PCM samples (rounded, clipped)."""
    return np.clip(np.round(x.astype(np.float64) * 32767.0), -32768, 32767).astype(np.int16)


def draw_job(
    index: int,
    speech_path: str,
    speaker: str,
    split: str | None,
    resources: sim.Resources,
    seed: int,
    max_seconds: float,
    names: Sequence[str] | None = None,
    source_variation: float = 0.0,
    weights: Mapping[str, float] | None = None,
    source_gate: float = 0.0,
) -> tuple[np.ndarray, list, dict[str, Any]]:
    """The clean reference, the degradation chain and the chain record of job ``index`` (its
    ``seed`` is the chain's: ``sim.apply_chain(clean, chain, resources, record["seed"])`` makes the file).

    With probability ``source_variation`` the clean crop is first varied, and with probability
    ``source_gate`` its pauses are gated (:func:`quality.simulate.vary_source`; each drawn from its
    own generator so the chains do not change); the varied crop is then the reference the labels
    are computed against.
    """
    rng = np.random.default_rng([int(seed), int(index)])
    clean = load_audio(resources.path("speech", speech_path))
    limit = int(max_seconds * SAMPLE_RATE) if max_seconds else len(clean)
    start = int(rng.integers(0, len(clean) - limit + 1)) if len(clean) > limit else 0
    clean = clean[start : start + limit]
    length = int(len(clean))
    variation = None
    if source_variation > 0:
        source_rng = np.random.default_rng([int(seed), int(index), _SOURCE_STREAM])
        if source_rng.random() < source_variation:
            variation = sim.sample_source_variation(source_rng)
    if source_gate > 0:
        gate_rng = np.random.default_rng([int(seed), int(index), _GATE_STREAM])
        if gate_rng.random() < source_gate:
            variation = {**(variation or {}), "gate": sim.sample_source_gate(gate_rng)}
    if variation is not None:
        clean = sim.vary_source(clean, **variation)
    chain = sim.sample_chain(rng, resources, speaker=speaker, split=split, names=names, weights=weights)
    chain_seed = int(rng.integers(0, 2**31 - 1))
    record = {
        "index": int(index),
        "speech": speech_path,
        "speaker": speaker,
        "split": split,
        "start": start,
        "length": length,
        "condition": sim.condition_name(chain),
        "chain": [[name, params] for name, params in chain],
        "seed": chain_seed,
        "source_variation": variation,
    }
    return clean, chain, record


def _job(index: int, speech_path: str, speaker: str, split: str | None) -> dict[str, Any]:
    state = _STATE
    out = Path(state["out"])
    rel = f"audio/{index:0{state['digits']}d}.flac"
    stage = "simulate"
    record: dict[str, Any] = {"index": index, "speech": speech_path, "speaker": speaker, "split": split}
    try:
        clean, chain, record = draw_job(index, speech_path, speaker, split, state["resources"], state["seed"],
                                        state["max_seconds"], state["names"], state["source_variation"],
                                        state["weights"], state["source_gate"])
        if state.get("draw_only"):  # the record alone (restore, for files already on disk)
            return {**record, "ok": True, "path": rel}
        pcm = to_pcm16(sim.apply_chain(clean, chain, state["resources"], record["seed"]))
        stage = "label"
        labelled = state.get("label_indices")  # None: every job is labelled (a build)
        labels = compute_labels(clean, pcm.astype(np.float64) / 32768.0) if labelled is None or index in labelled else {}
        stage = "write"
        atomic_write(out / rel, lambda tmp: sf.write(tmp, pcm, SAMPLE_RATE, format="FLAC", subtype="PCM_16"))
    except Exception as err:
        record.update(ok=False, stage=stage, error=f"{type(err).__name__}: {err}", path=rel)
        record.setdefault("condition", "?")
        return record
    record.update(ok=True, path=rel, **{k: round(v, 4) for k, v in labels.items()})
    return record


def run_jobs(todo: Sequence[tuple[int, str, str, str | None]], state: Mapping[str, Any], workers: int,
              record: Any) -> None:
    """Run :func:`_job` over ``todo`` (serially or in ``workers`` processes), handing each record to ``record``."""
    if workers <= 1 or len(todo) <= 1:
        _init_worker(state)
        for job in todo:
            record(_job(*job))
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(state,)) as pool:
        futures = {pool.submit(_job, *job): job for job in todo}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                rec = fut.result()
            except Exception as err:  # a worker died (e.g. killed): report, never crash the build
                rec = {"index": job[0], "speech": job[1], "speaker": job[2], "split": job[3], "ok": False,
                       "stage": "worker", "error": f"{type(err).__name__}: {err}",
                       "path": f"audio/{job[0]:0{state['digits']}d}.flac", "condition": "?"}
            record(rec)


def plan_jobs(table: pd.DataFrame, num: int, seed: int) -> list[tuple[int, str, str, str | None]]:
    """Job ``i`` -> speech file: shuffled passes over all files, so each is used about equally."""
    n = len(table)
    jobs, perm = [], None
    for i in range(num):
        epoch, k = divmod(i, n)
        if k == 0:
            perm = np.random.default_rng([int(seed), epoch, 0x5EED]).permutation(n)
        row = table.iloc[int(perm[k])]
        jobs.append((i, str(row["path"]), str(row["speaker"]), str(row["split"]) if "split" in row else None))
    return jobs
