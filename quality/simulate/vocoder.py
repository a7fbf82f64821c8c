"""Vocoders: speech rebuilt from a coarse model (low-rate parametric and neural codec artefacts)."""
from __future__ import annotations

import math

import numpy as np
from scipy import signal as sps
from scipy.linalg import solve_toeplitz

from ..audio import SAMPLE_RATE

from .dsp import istft, match_level, stft


VOCODER_FRAME = SAMPLE_RATE // 50  # 20 ms analysis frames of the LPC vocoder
VOCODER_SUBFRAME = SAMPLE_RATE // 200  # 5 ms excitation subframes
#: Gaussian lag window (60 Hz) and white-noise correction of the LPC analysis
_LAG_HZ = 60.0
_WHITE_NOISE = 1e-4


def lpc_coefficients(frame: np.ndarray, order: int) -> np.ndarray:
    """Prediction-error filter ``[1, a1, ..., a_order]`` of a windowed frame (autocorrelation
    method with lag window and white-noise correction, so the synthesis filter is stable)."""
    n = len(frame)
    r = np.correlate(frame, frame, "full")[n - 1 : n + order].astype(np.float64)
    if r[0] <= 1e-12:
        return np.concatenate([[1.0], np.zeros(order)])
    k = np.arange(order + 1)
    r = r * np.exp(-0.5 * (2 * np.pi * _LAG_HZ * k / SAMPLE_RATE) ** 2)
    r[0] *= 1.0 + _WHITE_NOISE
    return np.concatenate([[1.0], solve_toeplitz(r[:-1], -r[1:])])


def _sparse_excitation(residual: np.ndarray, pulses: int, bits: int) -> np.ndarray:
    """Keep the ``pulses`` largest residual samples of each 5 ms subframe, quantise their
    amplitudes to ``bits`` bits of the subframe's peak and restore the subframe's energy."""
    out = np.zeros_like(residual)
    levels = 2 ** (bits - 1)
    for start in range(0, len(residual), VOCODER_SUBFRAME):
        sub = residual[start : start + VOCODER_SUBFRAME]
        keep = np.argsort(np.abs(sub))[-pulses:]
        peak = float(np.max(np.abs(sub[keep])))
        if peak <= 0.0:
            continue
        amp = np.round(sub[keep] / peak * levels) / levels * peak  # the peak itself stays: energy > 0
        out[start + keep] = amp * math.sqrt(float(np.sum(sub**2)) / float(np.sum(amp**2)))
    return out


def _lpc_vocoder(x: np.ndarray, order: int, pulses: int, bits: int) -> np.ndarray:
    n = len(x)
    window = np.hanning(VOCODER_FRAME + 2 * VOCODER_SUBFRAME)
    padded = np.concatenate([np.zeros(VOCODER_SUBFRAME + order), x, np.zeros(VOCODER_FRAME + 2 * VOCODER_SUBFRAME)])
    y = np.zeros(n + order)  # ``order`` leading zeros: the synthesis filter's past output
    for start in range(0, n, VOCODER_FRAME):
        stop = min(start + VOCODER_FRAME, n)
        a = lpc_coefficients(padded[start + order : start + order + len(window)] * window, order)
        frame = padded[start + VOCODER_SUBFRAME : start + VOCODER_SUBFRAME + order + stop - start]
        residual = np.convolve(frame, a, "valid")
        excitation = _sparse_excitation(residual, pulses, bits)
        past = y[start : start + order][::-1]
        y[order + start : order + stop] = sps.lfilter([1.0], a, excitation, zi=sps.lfiltic([1.0], a, past))[0]
    return y[order:]


def _mel_vocoder(x: np.ndarray, rng: np.random.Generator, bands: int, step_db: float, iterations: int) -> np.ndarray:
    from ..features import mel_filterbank

    n = len(x)
    power = np.abs(stft(x)) ** 2
    fb = mel_filterbank(512, bands).numpy().astype(np.float64)  # (bins, bands)
    band_power = (fb.T @ power) / fb.sum(0)[:, None]
    level = 10.0 * np.log10(np.maximum(band_power, 1e-12))
    level = step_db * np.round(level / step_db) if step_db > 0 else level
    weights = fb.sum(1)
    smooth = fb @ 10.0 ** (level / 10.0) / np.maximum(weights, 1e-12)[:, None]
    smooth[weights <= 0] = 10.0 ** (level[0] / 10.0)  # DC bin: no triangle reaches it
    magnitude = np.sqrt(smooth)
    phase = np.exp(2j * np.pi * rng.random(magnitude.shape))
    for _ in range(iterations):  # Griffin-Lim
        phase = np.exp(1j * np.angle(stft(istft(magnitude * phase, n))))
    return istft(magnitude * phase, n)


def vocoder(
    audio: np.ndarray,
    rng: np.random.Generator,
    *,
    method: str = "lpc",
    order: int = 16,
    pulses: int = 4,
    bits: int = 3,
    bands: int = 40,
    step_db: float = 3.0,
    iterations: int = 16,
) -> np.ndarray:
    """Speech rebuilt from a coarse parametric description, as low-rate vocoders and neural codecs do.

    ``lpc``: multi-pulse excited LPC (the principle of RPE/MPE/CELP speech codecs): an ``order``
    all-pole envelope per 20 ms, excited by the ``pulses`` largest residual samples of every 5 ms,
    amplitudes quantised to ``bits`` bits -- buzzy, rough voices at few pulses. ``mel``: the
    spectrogram smoothed to ``bands`` mel bands, levels quantised in ``step_db`` steps, phase
    rebuilt by ``iterations`` of Griffin-Lim from random phase -- the lost harmonics and phase of
    magnitude-only vocoders (hoarse, phasey, whispery at few bands or iterations).
    """
    x = np.asarray(audio, dtype=np.float64)
    if method == "lpc":
        if order < 1 or pulses < 1 or bits < 2:
            raise ValueError(f"lpc vocoder needs order >= 1, pulses >= 1, bits >= 2; got {order}, {pulses}, {bits}")
        y = _lpc_vocoder(x, int(order), int(pulses), int(bits))
    elif method == "mel":
        if bands < 2 or iterations < 0:
            raise ValueError(f"mel vocoder needs bands >= 2 and iterations >= 0; got {bands}, {iterations}")
        y = _mel_vocoder(x, rng, int(bands), float(step_db), int(iterations))
    else:
        raise ValueError(f"unknown vocoder method {method!r} (lpc or mel)")
    return match_level(y, audio)
