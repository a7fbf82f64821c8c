"""Deterministic synthetic recordings for tests: speech-like harmonic signals with noise at a known SNR."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16000


def speech_like(rng: np.random.Generator, seconds: float, sr: int = SR) -> np.ndarray:
    """A voiced, syllable-modulated harmonic signal with a wandering pitch (not speech, but close
    enough in spectrum and envelope for a model to tell noise from signal)."""
    n = int(seconds * sr)
    t = np.arange(n) / sr
    f0 = rng.uniform(90, 220) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    harmonics = sum((0.6**k) * np.sin(k * phase + rng.uniform(0, 2 * np.pi)) for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(2.5, 5) * t + rng.uniform(0, 6)), 0, None) ** 1.5
    x = harmonics * envelope
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)


def add_noise(clean: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add white noise at ``snr_db`` relative to the clean signal's power."""
    noise = rng.standard_normal(len(clean))
    gain = np.sqrt(np.mean(clean**2) / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    mix = clean + gain * noise
    return (mix / max(1.0, np.max(np.abs(mix)) / 0.99)).astype(np.float32)


def make_snr_corpus(folder: Path, n: int, seed: int = 0, seconds: tuple[float, float] = (1.0, 2.0)) -> list[str]:
    """Write ``n`` noisy files whose score is their SNR (0-30 dB); returns list-file lines ``path snr speaker``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        snr = float(rng.uniform(0, 30))
        clean = speech_like(rng, float(rng.uniform(*seconds)))
        path = folder / f"utt{i:03d}.wav"
        sf.write(path, add_noise(clean, snr, rng), SR)
        lines.append(f"{path.name} {snr:.3f} spk{i % 10}")
    return lines


def make_mixture_folders(root: Path, seed: int = 0, speakers: int = 12, utterances: int = 2,
                         seconds: float = 2.0, noises: int = 6, rooms: int = 4) -> Path:
    """Folders for enhancer training under ``root``: ``speech/spkNN/uK.wav`` (speech-like audio),
    ``noise/nK.wav`` (white and brown noise) and, with ``rooms``, ``rir/roomK.wav`` (decaying
    noise bursts). Returns ``root``."""
    rng = np.random.default_rng(seed)
    for s in range(speakers):
        for u in range(utterances):
            path = root / "speech" / f"spk{s:02d}" / f"u{u}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, speech_like(rng, seconds), SR)
    (root / "noise").mkdir()
    for k in range(noises):
        white = rng.standard_normal(3 * SR)
        noise = np.cumsum(white) if k % 2 else white  # white and brown noise
        noise = noise - noise.mean()
        sf.write(root / "noise" / f"n{k}.wav", (0.1 * noise / np.abs(noise).max()).astype(np.float32), SR)
    if rooms:
        (root / "rir").mkdir()
    for k in range(rooms):
        t = np.arange(int(0.3 * SR)) / SR
        h = rng.standard_normal(len(t)) * np.exp(-t / (0.05 + 0.03 * k))
        h[0] = 1.0
        sf.write(root / "rir" / f"room{k}.wav", (h / np.abs(h).max()).astype(np.float32), SR)
    return root
