"""Frame targets from the clean reference: how far each mel band of each frame of a degraded file
lies from its clean reference, for dense auxiliary supervision of a quality model.

An utterance label (PESQ) says how bad a file is; it does not say *where*. PESQ itself is built
from per-frame, per-band loudness differences between the aligned reference and the degraded
signal. :func:`reference_difference` gives a model that structure to learn from: for every frame
of the degraded file (the model's own front-end frames) and every mel band, the level of the
degraded signal minus the level of its clean reference, in dB / 10, after

- aligning the two by the lag of their cross-correlation peak (codecs, filters and rooms delay);
- scaling both to the same overall level (PESQ is level-normalised too);
- flooring both at ``floor_db`` below the reference's loudest band (a silent pause and 30 dB of
  noise differ by at most that much) and clipping the difference to ``±clip_db``.

Positive values are added energy (noise, echo, reverberation tails, distortion products), negative
values lost energy (band limits, codecs, dropped segments). ``python -m quality.reference_difference``
writes one ``.npy`` array ``(frames, bands)`` per file of a built corpus (its clean references are
re-created from ``chains.jsonl``) and a copy of the list with a ``difference`` column naming them;
``train-quality`` with a model of ``difference_bands`` and the ``difference_mse`` loss learns them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from .audio import SAMPLE_RATE, load_audio
from .features import STFTFrontend
from .fileio import atomic_write
from .lists import ListError, read_list, write_list

#: name of the list column holding each file's difference array
DIFFERENCE_COLUMN = "difference"
_DB = 10.0 / math.log(10.0)


def best_lag(reference: np.ndarray, degraded: np.ndarray, max_lag: int) -> int:
    """The delay (samples) of ``degraded`` behind ``reference`` in ``[-max_lag, max_lag]`` at which
    their cross-correlation peaks (0 when either is silent)."""
    n = len(reference) + len(degraded)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(degraded, size) * np.conj(np.fft.rfft(reference, size)), size)
    if not np.any(corr):
        return 0
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([corr[: max_lag + 1], corr[size - max_lag :]])
    return int(lags[int(np.argmax(values))])


def shift(signal: np.ndarray, lag: int, length: int) -> np.ndarray:
    """``signal`` moved ``lag`` samples earlier (later for a negative lag), zero-filled, cut or
    padded to ``length``."""
    out = np.zeros(length, dtype=np.float64)
    src = signal[lag:] if lag >= 0 else np.concatenate([np.zeros(-lag), signal])
    src = src[:length]
    out[: len(src)] = src
    return out


def band_levels_db(audio: np.ndarray, frontend: STFTFrontend) -> np.ndarray:
    """Band power in dB per frame, ``(frames, bands)``, with ``frontend``'s framing and bands."""
    with torch.no_grad():
        power = frontend.band_power(torch.from_numpy(np.asarray(audio, dtype=np.float32)).unsqueeze(0))
    return (_DB * torch.log(power[0].T + 1e-12)).numpy().astype(np.float64)


def difference_frontend(features: Mapping[str, Any] | None = None) -> STFTFrontend:
    """The front end whose frames and bands the targets use: the model's ``features`` settings."""
    settings = dict(features or {})
    return STFTFrontend(**{k: v for k, v in settings.items() if k in ("n_fft", "hop_length", "mel_bands")})


def reference_difference(reference: np.ndarray, degraded: np.ndarray, frontend: STFTFrontend,
                         max_lag_s: float = 0.25, floor_db: float = 60.0, clip_db: float = 40.0) -> np.ndarray:
    """Degraded minus aligned reference band levels in dB / 10, ``(frames of degraded, bands)``
    float32 (see the module docstring). Both are 16 kHz mono arrays."""
    degraded = np.asarray(degraded, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if degraded.size == 0 or reference.size == 0:
        raise ValueError("reference difference of an empty signal")
    lag = best_lag(reference, degraded, int(max_lag_s * SAMPLE_RATE))
    aligned = shift(reference, -lag, len(degraded))
    levels = []
    for signal in (aligned, degraded):
        rms = math.sqrt(float(np.mean(signal**2)))
        levels.append(band_levels_db(signal / rms if rms > 0 else signal, frontend))
    ref_db, deg_db = levels
    floor = ref_db.max() - floor_db
    diff = np.maximum(deg_db, floor) - np.maximum(ref_db, floor)
    return (np.clip(diff, -clip_db, clip_db) / 10.0).astype(np.float32)


# ------------------------------------------------------------------------------- corpus targets
_STATE: dict[str, Any] = {}


def _corpus_of(path: str) -> tuple[Path, int]:
    """``(corpus folder, file index)`` of a built corpus's ``<corpus>/audio/NNNNNN.flac``."""
    p = Path(path)
    if p.parent.name != "audio" or not p.stem.isdigit():
        raise ValueError(f"{path}: not a file of a built corpus (<corpus>/audio/<index>.flac)")
    return p.parent.parent, int(p.stem)


def _load_records(corpus: Path) -> dict[int, dict]:
    chains = corpus / "chains.jsonl"
    if not chains.is_file():
        raise ValueError(f"{corpus}: no chains.jsonl (a corpus built by python -m quality.corpus build?)")
    records = {}
    for line in chains.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            records[int(rec["index"])] = rec
    return records


def _init_worker(features: dict[str, Any]) -> None:
    torch.set_num_threads(1)
    _STATE["frontend"] = difference_frontend(features)
    _STATE["corpora"] = {}


def _target_job(path: str) -> tuple[str, str | None]:
    """Write ``<corpus>/difference/<index>.npy`` for one degraded file; ``(path, error or None)``."""
    from . import simulate as sim
    from .corpus import clean_reference

    try:
        corpus, index = _corpus_of(path)
        out = corpus / DIFFERENCE_COLUMN / f"{index:06d}.npy"
        if out.is_file():
            return str(out), None
        if corpus not in _STATE["corpora"]:
            settings = json.loads((corpus / "build.json").read_text())
            resources = sim.Resources(noise=settings["noise"], rir=settings["rir"],
                                      device_ir=settings["device_ir"], speech=settings["speech"])
            _STATE["corpora"][corpus] = (resources, _load_records(corpus))
        resources, records = _STATE["corpora"][corpus]
        if index not in records:
            raise ValueError(f"{path}: index {index} is not in {corpus / 'chains.jsonl'}")
        diff = reference_difference(clean_reference(resources, records[index]), load_audio(path), _STATE["frontend"])
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, lambda tmp: _save_array(tmp, diff.astype(np.float16)))
        return str(out), None
    except Exception as err:  # one bad file is reported; the others still get their targets
        return path, f"{type(err).__name__}: {err}"


def _save_array(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as fh:  # a file object: np.save would append ".npy" to a name
        np.save(fh, array)


def add_difference_targets(list_path: str | os.PathLike, out_list: str | os.PathLike,
                           features: Mapping[str, Any] | None = None, workers: int = 2,
                           progress: bool = True) -> tuple[int, list[tuple[str, str]]]:
    """Write the difference arrays of every file of ``list_path`` (files of built corpora) and a
    copy of the list with a ``difference`` column; rows whose target failed are left out and
    returned as ``(path, reason)``. Arrays already written are kept (the command resumes)."""
    table = read_list(list_path)
    unique = sorted(set(table["path"].astype(str)))
    settings = dict(features or {})
    from tqdm import tqdm

    results: dict[str, tuple[str, str | None]] = {}
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(settings,)) as pool:
            for path, res in zip(unique, tqdm(pool.map(_target_job, unique, chunksize=16), total=len(unique),
                                              disable=not progress, desc="difference", unit="file")):
                results[path] = res
    else:
        _init_worker(settings)
        for path in tqdm(unique, disable=not progress, desc="difference", unit="file"):
            results[path] = _target_job(path)
    failures = [(p, err) for p, (_, err) in results.items() if err]
    failed = {p for p, _ in failures}
    keep = table[~table["path"].astype(str).isin(failed)].copy()
    keep[DIFFERENCE_COLUMN] = [results[p][0] for p in keep["path"].astype(str)]
    write_list(keep, out_list)
    return len(keep), failures


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m quality.reference_difference",
        description="Per-frame, per-band level differences to the clean reference for the files of a "
                    "built corpus (dense targets of the difference_mse loss); writes <corpus>/difference/*.npy "
                    "and a copy of the list with a 'difference' column.")
    p.add_argument("list", help="list file of corpus files (<corpus>/audio/<index>.flac)")
    p.add_argument("--out", required=True, help="the list to write, with the 'difference' column")
    p.add_argument("--mel-bands", type=int, default=64, help="bands of the targets (the model's features.mel_bands)")
    p.add_argument("--n-fft", type=int, default=512)
    p.add_argument("--hop-length", type=int, default=256, help="frame hop in samples (the model's features)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    features = {"mel_bands": args.mel_bands, "n_fft": args.n_fft, "hop_length": args.hop_length}
    try:
        rows, failures = add_difference_targets(args.list, args.out, features, args.workers, not args.quiet)
    except (ListError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path, reason in failures:
        print(f"{path}: {reason}", file=sys.stderr)
    print(f"{rows} rows with difference targets -> {args.out}; {len(failures)} file(s) failed", file=sys.stderr)
    return 2 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
