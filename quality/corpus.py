"""Build a labelled quality corpus from clean speech, noise and impulse responses.

``python -m quality.corpus build --speech DIR --noise DIR --rir DIR --out DIR --num N --seed S``
draws, for every output file, a clean utterance (cropped to ``--max-seconds``), a degradation
chain (:func:`quality.simulate.sample_chain`) and a seed, applies the chain, and labels the result
against the clean crop with PESQ (ITU-T P.862.2 wideband MOS-LQO, the primary target), STOI and
SI-SDR. Output folder::

    audio/000000.flac ...    16-bit FLAC, 16 kHz mono
    all.csv                  every labelled file: path pesq stoi sisdr condition speaker split ...
    train.list valid.list test.list   columns path pesq stoi sisdr condition speaker (by speaker)
    train_balanced.list      train.list balanced on pesq (quality.lists.balance_list)
    chains.jsonl             per file: speech source, crop, source variation, chain with parameters, seed
    failures.csv             files left out (index, stage, error, ...)
    build.json               the build's settings, codecs found, counts, time

Job ``i`` is seeded by ``(seed, i)`` only, so the corpus does not depend on ``--workers``; an
interrupted build resumes where it stopped (``.journal.jsonl``), and a larger ``--num`` extends
a finished one. The speakers are split into train/valid/test *before* simulation, so babble and
competing talkers come from the same part as the target speaker where possible.

``python -m quality.corpus label PAIRS --out LIST`` labels real (degraded, reference) recordings
the same way (:mod:`quality.pair_labels`).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import soundfile as sf

from .audio import SAMPLE_RATE, AudioError, audio_info, load_audio
from .fileio import atomic_write
from .lists import CONDITION_SEPARATOR, balance_list, split_list, write_list
from . import simulate as sim

log = logging.getLogger(__name__)

CORPUS_FORMAT_VERSION = 1
LIST_COLUMNS = ["path", "pesq", "stoi", "sisdr", "condition", "speaker"]
ALL_COLUMNS = LIST_COLUMNS + ["split", "chain_length", "speech", "start", "seconds", "seed", "index"]
#: build settings that must match for a build to resume in an existing folder
_IDENTITY_KEYS = ("version", "speech", "noise", "rir", "device_ir", "seed", "split_seed", "valid", "test",
                  "max_seconds", "min_seconds", "degradations", "source_variation", "weights", "source_gate")
JOURNAL = ".journal.jsonl"
#: the speaker splits of a build, in list order
SPLITS = ("train", "valid", "test")
#: third element of the seed of a job's source-variation generator (independent of its chain)
_SOURCE_STREAM = 0x50
#: third element of the seed of a job's source-gate generator
_GATE_STREAM = 0x51


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------
class LabelError(RuntimeError):
    """A label could not be computed (e.g. PESQ finds no utterances)."""


def si_sdr(est: np.ndarray, ref: np.ndarray, eps: float = 1e-8) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019), zero-mean signals."""
    est = np.asarray(est, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if est.shape != ref.shape:
        raise ValueError(f"si_sdr: shapes differ ({est.shape} vs {ref.shape})")
    est = est - est.mean()
    ref = ref - ref.mean()
    target = (np.dot(est, ref) / (np.dot(ref, ref) + eps)) * ref
    noise = est - target
    return float(10.0 * np.log10((np.dot(target, target) + eps) / (np.dot(noise, noise) + eps)))


def compute_labels(ref: np.ndarray, deg: np.ndarray, sample_rate: int = SAMPLE_RATE) -> dict[str, float]:
    """``{"pesq", "stoi", "sisdr"}`` of ``deg`` against ``ref`` (same length, 16 kHz).

    PESQ is P.862.2 wideband MOS-LQO (``pesq`` package, mode ``"wb"``), STOI the classic
    (non-extended) index (``pystoi``), floored at 0 (it is a mean correlation, which badly
    time-warped speech can push below zero; below 0 means as unintelligible as 0), SI-SDR in dB.
    Raises :class:`LabelError` when a metric fails.
    """
    from pesq import pesq as _pesq
    from pystoi import stoi as _stoi

    ref = np.asarray(ref, dtype=np.float64)
    deg = np.asarray(deg, dtype=np.float64)
    if ref.shape != deg.shape:
        raise LabelError(f"reference and degraded lengths differ ({len(ref)} vs {len(deg)})")
    for name, x in (("reference", ref), ("degraded signal", deg)):
        if not np.any(x):
            raise LabelError(f"PESQ failed: the {name} is digital silence (no utterances)")
    try:
        p = float(_pesq(sample_rate, ref, deg, "wb"))
    except Exception as err:  # pesq raises its own error types (NoUtterancesError, ...)
        raise LabelError(f"PESQ failed: {type(err).__name__}: {err}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            s = max(0.0, float(_stoi(ref, deg, sample_rate, extended=False)))
        except Exception as err:
            raise LabelError(f"STOI failed: {type(err).__name__}: {err}") from None
    d = si_sdr(deg, ref)
    for name, value in (("pesq", p), ("stoi", s), ("sisdr", d)):
        if not math.isfinite(value):
            raise LabelError(f"{name} is not finite ({value})")
    return {"pesq": p, "stoi": s, "sisdr": d}


# --------------------------------------------------------------------------------------------
# Speech table
# --------------------------------------------------------------------------------------------
def _manifest_speakers(folder: Path) -> dict[str, str]:
    """``{path relative to folder: speaker}`` from ``manifest.csv`` in the folder's parent (or itself)."""
    for base in (folder.parent, folder):
        manifest = base / "manifest.csv"
        if not manifest.is_file():
            continue
        try:
            table = pd.read_csv(manifest, dtype=str)
        except Exception as err:
            log.warning("%s: unreadable manifest (%s); speakers from folder names", manifest, err)
            return {}
        col = "file" if "file" in table.columns else "path" if "path" in table.columns else None
        if col is None or "speaker" not in table.columns:
            continue
        if "kind" in table.columns:
            table = table[table["kind"].fillna("speech") == "speech"]
        out = {}
        root = folder.resolve()
        for f, spk in zip(table[col], table["speaker"]):
            if not isinstance(f, str) or not isinstance(spk, str) or not spk.strip():
                continue
            try:
                out[(base / f).resolve().relative_to(root).as_posix()] = spk.strip()
            except ValueError:
                continue
        return out
    return {}


def speech_table(folder: str | os.PathLike, min_seconds: float = 1.0) -> pd.DataFrame:
    """The clean speech of ``folder``: columns ``path`` (relative), ``speaker``, ``seconds``.

    The speaker comes from a ``manifest.csv`` (columns ``file``/``path``, ``speaker`` and
    optionally ``kind``; paths relative to the manifest) in the folder's parent or the folder
    itself, else from the file's parent folder name. Files shorter than ``min_seconds`` or that
    cannot be read are left out with a log line.
    """
    folder = Path(folder)
    files = sim.list_audio(folder)
    if not files:
        raise FileNotFoundError(f"{folder}: no audio files")
    speakers = _manifest_speakers(folder)
    rows = []
    for f in files:
        try:
            _, seconds = audio_info(folder / f)
        except AudioError as err:
            log.warning("skipping %s", err)
            continue
        if seconds < min_seconds:
            log.info("skipping %s: %.2f s is shorter than %.2f s", f, seconds, min_seconds)
            continue
        spk = speakers.get(f) or (f.split("/")[-2] if "/" in f else folder.name)
        rows.append((f, "_".join(spk.split()), float(seconds)))
    if not rows:
        raise FileNotFoundError(f"{folder}: no usable speech files (all shorter than {min_seconds} s?)")
    return pd.DataFrame(rows, columns=["path", "speaker", "seconds"])


def split_speech_table(speech: str | os.PathLike, min_seconds: float, valid: float, test: float,
                       split_seed: int) -> pd.DataFrame:
    """:func:`speech_table` with a ``split`` column (train/valid/test by speaker), sorted by path."""
    table = speech_table(speech, min_seconds)
    parts = split_list(table, "speaker", valid, test, split_seed)
    return pd.concat([p.assign(split=name) for name, p in parts.items()]).sort_values("path").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# One job
# --------------------------------------------------------------------------------------------
_STATE: dict[str, Any] = {}


def _init_worker(state: Mapping[str, Any]) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _STATE.clear()
    _STATE.update(state)
    table = pd.DataFrame(state["table"])
    _STATE["resources"] = sim.Resources(
        noise=state["noise"], rir=state["rir"], device_ir=state["device_ir"], speech=state["speech"], speech_table=table
    )


def _to_pcm16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x.astype(np.float64) * 32767.0), -32768, 32767).astype(np.int16)


#: the keys of a file's record in ``chains.jsonl``
CHAIN_KEYS = ("index", "path", "speech", "speaker", "split", "start", "length", "condition", "chain", "seed",
              "source_variation")


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
        pcm = _to_pcm16(sim.apply_chain(clean, chain, state["resources"], record["seed"]))
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


def _run_jobs(todo: Sequence[tuple[int, str, str, str | None]], state: Mapping[str, Any], workers: int,
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


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------
def _plan(table: pd.DataFrame, num: int, seed: int) -> list[tuple[int, str, str, str | None]]:
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


def _read_chains(path: Path) -> dict[int, dict]:
    """``chains.jsonl`` by file index (empty when there is none)."""
    if not path.is_file():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {int(r["index"]): r for r in rows}


def _read_journal(path: Path) -> dict[int, dict]:
    done: dict[int, dict] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
            done[int(rec["index"])] = rec
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by an interruption
    return done


def _write_chains(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """``chains.jsonl``: one line of :data:`CHAIN_KEYS` per record, in the given order."""
    text = "".join(json.dumps({k: r.get(k) for k in CHAIN_KEYS}, sort_keys=True) + "\n" for r in records)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _write_json(path: Path, obj: Any) -> None:
    text = json.dumps(obj, indent=2, sort_keys=True) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


def _pesq_histogram(values: np.ndarray, width: float = 0.5) -> str:
    edges = np.arange(1.0, 5.0 + 1e-9, width)
    counts, _ = np.histogram(np.clip(values, 1.0, 4.999), bins=edges)
    top = max(1, int(counts.max()))
    return "\n".join(f"  [{lo:.2f}, {lo + width:.2f})  {c:5d}  {'#' * round(30 * c / top)}".rstrip()
                     for lo, c in zip(edges[:-1], counts))


def summarize(df: pd.DataFrame, failures: pd.DataFrame, codecs: Mapping[str, str], missing: Mapping[str, str],
              seconds: float | None = None) -> str:
    """The text summary a build prints: counts per degradation and condition, label ranges, PESQ histogram."""
    lines = [f"files: {len(df)} labelled, {len(failures)} failed" + (f", {seconds:.1f} s" if seconds else "")]
    lines.append("codecs available: " + (", ".join(f"{k} ({v})" for k, v in codecs.items()) or "none"))
    if missing:
        lines.append("codecs missing: " + ", ".join(sorted(missing)))
    if len(df):
        lines.append("labels (min / mean / max):")
        for col in ("pesq", "stoi", "sisdr"):
            v = df[col].to_numpy(dtype=float)
            lines.append(f"  {col:6s} {v.min():8.3f} {v.mean():8.3f} {v.max():8.3f}")
        lines.append("pesq histogram:")
        lines.append(_pesq_histogram(df["pesq"].to_numpy(dtype=float)))
        steps = df["condition"].str.split(CONDITION_SEPARATOR, regex=False).explode()
        per_step = df.assign(step=df["condition"].str.split(CONDITION_SEPARATOR, regex=False)).explode("step").groupby("step")["pesq"]
        lines.append("files per degradation (any position in the chain), mean pesq:")
        for name, count in steps.value_counts().sort_index().items():
            lines.append(f"  {name:12s} {count:5d}  {per_step.mean()[name]:.2f}")
        counts = df["condition"].value_counts()
        shown = counts.head(20)
        lines.append(f"files per condition ({len(counts)} conditions" + (", 20 most common" if len(counts) > 20 else "") + "):")
        lines.extend(f"  {name:40s} {count:5d}" for name, count in shown.items())
        lines.append("chain length: " + ", ".join(f"{k}: {v}" for k, v in df["chain_length"].value_counts().sort_index().items()))
        lines.append("files per split: " + ", ".join(f"{k}: {v}" for k, v in df["split"].value_counts().sort_index().items()))
    if len(failures):
        lines.append("failures by stage: " + ", ".join(f"{k}: {v}" for k, v in failures["stage"].value_counts().items()))
    return "\n".join(lines)


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
        done = {i: r for i, r in _read_journal(journal).items()
                if i < num and (not r.get("ok") or (out / r["path"]).is_file())}
    _write_json(build_file, {**settings, "status": "running", "num": int(num)})

    digits = max(6, len(str(num - 1)))
    todo = [job for job in _plan(table, num, seed) if job[0] not in done and (splits is None or job[3] in splits)]
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
        _run_jobs(todo, state, workers, record)
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
    _write_csv(out / "failures.csv", failures)
    # write_list stores paths under the list's folder relative to it: hand it absolute paths
    listed = df.assign(path=[str((out / p).resolve()) for p in df["path"]])
    _write_chains(out / "chains.jsonl", ok)
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
    _write_json(build_file, info)
    info["summary"] = summarize(df, failures, codecs, missing, elapsed)
    return info


def regenerate(out: str | os.PathLike, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Re-simulate file ``index`` of a built (or restored) corpus from build.json + chains.jsonl:
    ``(clean, degraded)``.

    ``degraded`` equals the stored audio up to 16-bit quantisation.
    """
    out = Path(out)
    settings = json.loads((out / "build.json").read_text())
    rec = _read_chains(out / "chains.jsonl").get(int(index))
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
    from .lists import read_list

    t0 = time.time()
    settings = json.loads(Path(build).read_text(encoding="utf-8"))
    out = Path(out).resolve()
    folders = {}
    for key, given in (("speech", speech), ("noise", noise), ("rir", rir), ("device_ir", device_ir)):
        folder = given if given is not None else settings.get(key)
        if folder is not None and not Path(folder).is_dir():
            raise FileNotFoundError(f"{build}: {key} folder {folder} not found; pass --{key.replace('_', '-')}")
        folders[key] = str(Path(folder).resolve()) if folder is not None else None
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
    jobs = [job for job in _plan(table, num, int(settings["seed"])) if job[0] in labels]
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

    records = {i: r for i, r in _read_chains(out / "chains.jsonl").items() if i in labels}

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
        _run_jobs(todo, state, workers, record)
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
        _run_jobs(undrawn, {**state, "draw_only": True}, workers, drawn)
    finally:
        bar.close()
    if records:
        every = {**_read_chains(out / "chains.jsonl"), **records}
        _write_chains(out / "chains.jsonl", [every[i] for i in sorted(every)])
        if not (out / "build.json").is_file():
            _write_json(out / "build.json", {**settings, **folders})
    return {"files": len(labels), "simulated": len(todo), "failed": len(failures),
            "failures": [f"{r['path']}: {r['error']}" for r in failures],
            "checked": len(differences), "max_pesq_difference": max(differences, default=0.0),
            "seconds": round(time.time() - t0, 1)}


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------
def parse_weights(items: Sequence[str]) -> dict[str, float]:
    """``["vocoder=8", "noise=0.5,opus=2"]`` -> ``{"vocoder": 8.0, "noise": 0.5, "opus": 2.0}``."""
    weights: dict[str, float] = {}
    for item in (part for text in items for part in text.replace(",", " ").split()):
        name, sep, value = item.partition("=")
        try:
            factor = float(value)
        except ValueError:
            factor = float("nan")
        if not sep or not name.strip() or not math.isfinite(factor):
            raise ValueError(f"--weight {item!r}: expected NAME=FACTOR with a number, e.g. vocoder=8")
        weights[name.strip()] = factor
    return weights


def _cmd_build(args: argparse.Namespace) -> int:
    exclude = [s for s in (args.exclude or "").replace(",", " ").split() if s]
    weights = parse_weights(args.weight or [])
    info = build_corpus(
        args.speech, args.out, args.num, noise=args.noise, rir=args.rir, device_ir=args.device_ir, seed=args.seed,
        workers=args.workers, valid=args.valid, test=args.test, bin_width=args.bin_width, per_bin=args.per_bin,
        repeat=args.repeat, max_seconds=args.max_seconds, min_seconds=args.min_seconds, exclude=exclude,
        progress=not args.quiet, split_seed=args.split_seed, source_variation=args.source_variation,
        source_gate=args.source_gate,
        weights=weights, splits=args.splits,
    )
    print(info["summary"])
    print(f"wrote {args.out}: " + ", ".join(f"{k}.list {v}" for k, v in info["lists"].items()))
    return 0


def _cmd_codecs(args: argparse.Namespace) -> int:
    for name, backend in sim.available_codecs().items():
        spec = sim.CODECS[name]
        print(f"{name:11s} yes  {backend:24s} {spec.description}, {', '.join(f'{b / 1000:g}' for b in spec.bitrates)} kbit/s")
    for name, reason in sim.missing_codecs().items():
        print(f"{name:11s} no   {reason}")
    return 0


def _cmd_degradations(args: argparse.Namespace) -> int:
    print(sim.describe())
    return 0


def _cmd_regenerate(args: argparse.Namespace) -> int:
    _, degraded = regenerate(args.out, args.index)
    atomic_write(args.output, lambda tmp: sf.write(tmp, _to_pcm16(degraded), SAMPLE_RATE, format="WAV", subtype="PCM_16"))
    print(f"wrote {args.output}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    info = restore_corpus(args.build, args.out, args.lists, speech=args.speech, noise=args.noise, rir=args.rir,
                          device_ir=args.device_ir, workers=args.workers, check=args.check, progress=not args.quiet)
    print(f"restored {args.out}: {info['files']} files named by the lists, {info['simulated']} simulated, "
          f"{info['failed']} failed, {info['seconds']:.0f} s")
    if info["checked"]:
        print(f"check: {info['checked']} files labelled again, largest PESQ difference from the lists "
              f"{info['max_pesq_difference']:.4f}")
    for line in info["failures"]:
        print(f"failed {line}", file=sys.stderr)
    return 2 if info["failed"] else 0


def _cmd_label(args: argparse.Namespace) -> int:
    from .pair_labels import label_command

    return label_command(args.pairs, args.out, workers=args.workers, progress=not args.quiet)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m quality.corpus",
                                     description="Build a labelled speech-quality corpus by simulating degradations.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="simulate and label a corpus",
                       description="Simulate degraded speech from clean speech, noise and impulse responses, label it "
                                   "with PESQ-wb/STOI/SI-SDR against the clean crop, split by speaker and balance.")
    p.add_argument("--speech", required=True, help="folder of clean speech (speaker from ../manifest.csv or the parent folder)")
    p.add_argument("--noise", help="folder of noise clips")
    p.add_argument("--rir", help="folder of room impulse responses (device responses in it are recognised)")
    p.add_argument("--device-ir", help="folder of loudspeaker/device impulse responses")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--num", type=int, required=True, help="number of files to generate")
    p.add_argument("--seed", type=int, default=0, help="global seed (default: %(default)s)")
    p.add_argument("--split-seed", type=int,
                   help="seed of the speaker split alone (default: --seed); keeps another build's split")
    p.add_argument("--source-variation", type=float, default=0.0, metavar="SHARE",
                   help="share of files whose clean source is first varied (speed 0.9-1.1, broad EQ +-5 dB); "
                        "their labels are computed against the varied source (default: %(default)s)")
    p.add_argument("--source-gate", type=float, default=0.0, metavar="SHARE",
                   help="share of files whose clean source has its pauses gated 20-60 dB down (a studio-clean "
                        "recording); labelled against the gated source (default: %(default)s)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default: %(default)s)")
    p.add_argument("--valid", type=float, default=0.1, help="fraction of speech files (by speaker) for valid (default: %(default)s)")
    p.add_argument("--test", type=float, default=0.1, help="fraction for test (default: %(default)s)")
    p.add_argument("--bin-width", type=float, default=0.25, help="PESQ bin width of train_balanced.list (default: %(default)s)")
    p.add_argument("--per-bin", type=int, help="files per PESQ bin (default: the smallest bin)")
    p.add_argument("--repeat", action="store_true", help="fill small bins by repetition up to --per-bin")
    p.add_argument("--max-seconds", type=float, default=10.0, help="crop longer utterances to this (default: %(default)s)")
    p.add_argument("--min-seconds", type=float, default=1.0, help="skip shorter utterances (default: %(default)s)")
    p.add_argument("--exclude", help="degradations to leave out, comma separated (see 'degradations')")
    p.add_argument("--weight", action="append", metavar="NAME=FACTOR",
                   help="multiply a degradation's draw weight, e.g. --weight vocoder=8 (repeatable)")
    p.add_argument("--splits", nargs="+", choices=SPLITS, metavar="SPLIT",
                   help="simulate only these speaker splits (train valid test), e.g. --splits test to rebuild "
                        "a corpus's test split with its labels; the files are those of the full build")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_build)
    p = sub.add_parser("label", help="label your own (degraded, reference) pairs with PESQ-wb/STOI/SI-SDR",
                       description="Label real recordings against their clean references: a .csv/.tsv with columns "
                                   "path and ref_path (relative to the table, any sample rate; optional speaker and "
                                   "condition) becomes a list with columns path pesq stoi sisdr condition speaker. "
                                   "Exit status 2 when any pair failed (each is named on stderr).")
    p.add_argument("pairs", help="table of pairs (.csv or .tsv)")
    p.add_argument("--out", required=True, help="list to write (.list, .csv or .tsv)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_label)
    p = sub.add_parser("restore", help="re-simulate the audio of a corpus's lists from its build.json (no relabelling)",
                       description="Rebuild the audio that list files of a corpus point to, from the corpus's "
                                   "build.json (e.g. lists/corpus_build.json), without computing labels again: "
                                   "several times faster than 'build'. A few files are labelled again as a check. "
                                   "Exit status 2 when any file failed.")
    p.add_argument("lists", nargs="+", help="list files whose paths point into OUT/audio")
    p.add_argument("--build", required=True, help="the corpus's build.json")
    p.add_argument("--out", required=True, help="corpus folder the lists point into")
    p.add_argument("--speech", help="clean speech folder (default: the one in build.json)")
    p.add_argument("--noise", help="noise folder (default: the one in build.json)")
    p.add_argument("--rir", help="impulse-response folder (default: the one in build.json)")
    p.add_argument("--device-ir", help="device-response folder (default: the one in build.json)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default: %(default)s)")
    p.add_argument("--check", type=int, default=20,
                   help="files to label again and compare with the lists' PESQ (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_restore)
    p = sub.add_parser("codecs", help="list the codecs usable here")
    p.set_defaults(func=_cmd_codecs)
    p = sub.add_parser("degradations", help="list the degradations and their parameter ranges")
    p.set_defaults(func=_cmd_degradations)
    p = sub.add_parser("regenerate", help="re-simulate one file of a built corpus from its chain")
    p.add_argument("--out", required=True, help="corpus folder")
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--output", required=True, help="WAV file to write")
    p.set_defaults(func=_cmd_regenerate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
