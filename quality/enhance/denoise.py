"""Enhance recordings of any rate, channel count and length with a trained enhancer.

Long files are streamed in windows; each window is enhanced with the end of the previous one
prepended as warm-up context (the enhancer is causal, so its recurrent state carries over the
boundary almost exactly), and only the new part is kept. Output: 16 kHz mono, 16-bit, written
to a temporary file and renamed into place (never a partial file).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from ..audio import SAMPLE_RATE, AudioError, iter_audio_windows
from ..fileio import atomic_write
from .base import Enhancer

OUTPUT_SUBTYPE = "PCM_16"


@torch.inference_mode()
def enhance_array(model: Enhancer, audio: np.ndarray) -> np.ndarray:
    """Enhance one 16 kHz mono float signal in a single pass."""
    wav = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).unsqueeze(0)
    return model.eval()(wav).squeeze(0).numpy()


def enhance_stream(model: Enhancer, windows: Iterable[np.ndarray], context_seconds: float = 2.0) -> Iterator[np.ndarray]:
    """Enhance consecutive 16 kHz windows of one recording; yields enhanced blocks that join into a
    signal as long as the input.

    Each pass sees up to ``context_seconds`` of already-enhanced input as warm-up; the last
    ``model.latency_samples`` of a pass are held back (they depend on input not read yet) and
    redone in the next pass, so the joined output differs from one pass over the whole file only
    by the recurrent state's warm-up at window boundaries.
    """
    keep = int(context_seconds * SAMPLE_RATE)
    latency = int(getattr(model, "latency_samples", 0))
    buffer = np.zeros(0, dtype=np.float32)  # warm-up context followed by input not yet emitted
    done = 0  # samples of ``buffer`` whose output was already emitted (the context)
    for window in windows:
        buffer = np.concatenate([buffer, np.asarray(window, dtype=np.float32)])
        stop = len(buffer) - latency
        if stop <= done:
            continue
        yield enhance_array(model, buffer)[done:stop]
        start = max(0, stop - keep)
        buffer, done = buffer[start:], stop - start
    if len(buffer) > done:
        yield enhance_array(model, buffer)[done:]


def output_path(source: Path, root: Path | None, out_dir: Path) -> Path:
    """``out_dir`` / the file's path below ``root`` (its name alone without a root), as ``.wav``."""
    rel = source.relative_to(root) if root is not None else Path(source.name)
    return (out_dir / rel).with_suffix(".wav")


def denoise_file(model: Enhancer, source: Path, target: Path, window_seconds: float = 20.0) -> float:
    """Enhance ``source`` into ``target`` (atomically); returns the duration in seconds."""
    written = 0

    def write(tmp: str) -> None:
        nonlocal written
        with sf.SoundFile(tmp, "w", samplerate=SAMPLE_RATE, channels=1, subtype=OUTPUT_SUBTYPE, format="WAV") as fh:
            for block in enhance_stream(model, iter_audio_windows(source, window_seconds)):
                fh.write(np.clip(block, -1.0, 1.0))
                written += len(block)

    atomic_write(target, write)
    return written / SAMPLE_RATE


def collect_inputs(inputs: list[str]) -> list[tuple[Path, Path | None]]:
    """``(file, root folder or None)`` for files, folders (recursive) and list files."""
    from ..predict_cli import expand_inputs

    pairs: list[tuple[Path, Path | None]] = []
    for item in inputs:
        path = Path(item)
        root = path if path.is_dir() else None
        pairs.extend((p, root) for p in expand_inputs([item]))
    return pairs


def denoise(checkpoint: str | os.PathLike, inputs: list[str], out_dir: str | os.PathLike,
            window_seconds: float = 20.0, progress: bool = True) -> int:
    """Enhance every input into ``out_dir``; a bad file gets one line on stderr and the others go
    on. Returns the number of files that failed."""
    from tqdm import tqdm

    from .checkpoint import load_enhancer

    model, _ = load_enhancer(checkpoint)
    out_dir = Path(out_dir)
    pairs = collect_inputs(inputs)
    failed = 0
    for source, root in tqdm(pairs, desc="denoise", unit="file", disable=not progress or len(pairs) < 5,
                             file=sys.stderr):
        try:
            denoise_file(model, source, output_path(source, root, out_dir), window_seconds)
        except AudioError as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
    return failed
