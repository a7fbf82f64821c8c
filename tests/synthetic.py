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
