"""Signal helpers shared by the degradations: levels, fitting, mixing, convolution, STFT."""
from __future__ import annotations

import math

import numpy as np
from scipy import signal as sps

from ..audio import SAMPLE_RATE


#: Active speech level every chain starts from (dBFS, RMS over active frames).
TARGET_LEVEL_DB = -26.0
#: Peak a signal is scaled down to when a degradation (other than clipping) overshoots full scale.
SAFE_PEAK = 0.99


def _frames_power(x: np.ndarray, frame: int = 320) -> np.ndarray:
    n = len(x) // frame
    if n == 0:
        return np.array([float(np.mean(np.square(x, dtype=np.float64)))]) if len(x) else np.zeros(1)
    return np.mean(np.square(x[: n * frame].astype(np.float64).reshape(n, frame)), axis=1)


def frame_levels_db(x: np.ndarray, frame: int = 320) -> np.ndarray:
    """Mean power of consecutive ``frame``-sample frames in dB (a tail shorter than a frame is dropped)."""
    return 10.0 * np.log10(_frames_power(np.asarray(x), frame) + 1e-12)


def active_rms(x: np.ndarray, floor_db: float = 40.0) -> float:
    """RMS over active 20 ms frames: those within ``floor_db`` of the loudest frames.

    A light-weight stand-in for the ITU-T P.56 active speech level; for stationary noise it is
    close to the plain RMS.
    """
    p = _frames_power(np.asarray(x))
    top = float(np.mean(np.sort(p)[-max(1, len(p) // 20):]))
    if top <= 0.0:
        return 0.0
    active = p[p >= top * 10.0 ** (-floor_db / 10.0)]
    return float(np.sqrt(np.mean(active)))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def set_level(x: np.ndarray, level_db: float = TARGET_LEVEL_DB) -> np.ndarray:
    """Scale ``x`` so its active level is ``level_db`` dBFS (silence is returned unchanged)."""
    level = active_rms(x)
    if level <= 1e-9:
        return x.astype(np.float32, copy=True)
    return (x * (10.0 ** (level_db / 20.0) / level)).astype(np.float32)


def match_level(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Scale ``y`` to the active level of ``ref``."""
    ly, lr = active_rms(y), active_rms(ref)
    if ly <= 1e-12 or lr <= 1e-12:
        return y.astype(np.float32)
    return (y * (lr / ly)).astype(np.float32)


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad to exactly ``n`` samples."""
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - len(x), dtype=x.dtype)])


def random_segment(noise: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``n``-sample stretch of ``noise`` (tiled when the clip is shorter)."""
    noise = np.asarray(noise, dtype=np.float32)
    if len(noise) == 0:
        raise ValueError("empty noise/interferer signal")
    if len(noise) < n:
        reps = int(math.ceil(n / len(noise))) + 1
        noise = np.tile(noise, reps)
    start = int(rng.integers(0, len(noise) - n + 1))
    return noise[start : start + n]


def scale_to_ratio(target: np.ndarray, other: np.ndarray, ratio_db: float, active: bool = False) -> np.ndarray:
    """Scale ``other`` so that level(target) / level(other) equals ``ratio_db``."""
    lt = active_rms(target)
    lo = active_rms(other) if active else rms(other)
    if lo <= 1e-12 or lt <= 1e-12:
        return np.zeros_like(other)
    return (other * (lt / lo) * 10.0 ** (-ratio_db / 20.0)).astype(np.float32)


def convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    return sps.oaconvolve(x.astype(np.float64), np.asarray(h, dtype=np.float64))[: len(x)]


def align_ir(h: np.ndarray, max_seconds: float = 2.0) -> np.ndarray:
    """Drop what precedes an impulse response's main peak (so it adds no delay), cap its length."""
    h = np.asarray(h, dtype=np.float64)
    k = int(np.argmax(np.abs(h)))
    h = h[k : k + int(max_seconds * SAMPLE_RATE)]
    peak = h[0] if h[0] != 0 else 1.0
    return h / peak


def stft(x: np.ndarray, nfft: int = 512, hop: int = 128) -> np.ndarray:
    return sps.stft(x, nperseg=nfft, noverlap=nfft - hop, window="hann", boundary="zeros", padded=True)[2]


def istft(spec: np.ndarray, n: int, nfft: int = 512, hop: int = 128) -> np.ndarray:
    y = sps.istft(spec, nperseg=nfft, noverlap=nfft - hop, window="hann", boundary=True)[1]
    return fit_length(y, n)
