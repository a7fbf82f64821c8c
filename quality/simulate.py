"""Degradation simulator: reproducible chains of speech degradations for building labelled corpora.

Every degradation is a small pure function ``fn(audio, rng, **params) -> audio`` on float32 mono
16 kHz audio that returns a signal of the same length. Each has a parameter sampler that maps a
severity in ``[0, 1]`` (0 = mild, 1 = severe) to concrete, JSON-serialisable parameters, so a
degraded file is fully described by its **chain** -- a list of ``(name, params)`` pairs -- plus
one integer seed::

    res = Resources(noise="corpus/noise", rir="corpus/rir", speech="corpus/speech")
    rng = np.random.default_rng(0)
    chain = sample_chain(rng, res)                 # e.g. [("reverb", {...}), ("opus", {...})]
    degraded = apply_chain(clean, chain, res, seed=123)
    assert np.array_equal(degraded, apply_chain(clean, chain, res, seed=123))

Parameters that name external material (a noise clip, an impulse response, another speaker's
utterance) hold paths relative to the matching :class:`Resources` folder; :func:`apply_chain`
loads them (lazily, cached) before calling the pure function, which receives arrays.

Codecs run through PyAV (``pip install av``, which bundles the FFmpeg libraries) or, failing
that, an ``ffmpeg`` binary on ``PATH``. What is usable is probed once per process by an actual
encode/decode round trip (:func:`available_codecs`); a missing codec is logged once and skipped.
"""
from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import shutil
import subprocess
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from scipy import signal as sps
from scipy.linalg import solve_toeplitz

from .audio import AUDIO_EXTENSIONS, SAMPLE_RATE, load_audio, resample
from .lists import CLEAN_CONDITION, CONDITION_SEPARATOR

log = logging.getLogger(__name__)

#: Active speech level every chain starts from (dBFS, RMS over active frames).
TARGET_LEVEL_DB = -26.0
#: Peak a signal is scaled down to when a degradation (other than clipping) overshoots full scale.
SAFE_PEAK = 0.99

Chain = list  # list of (name, params) pairs; JSON round trip turns the pairs into lists
Step = tuple  # (name: str, params: dict)


# --------------------------------------------------------------------------------------------
# Level helpers
# --------------------------------------------------------------------------------------------
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


def _match_level(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Scale ``y`` to the active level of ``ref``."""
    ly, lr = active_rms(y), active_rms(ref)
    if ly <= 1e-12 or lr <= 1e-12:
        return y.astype(np.float32)
    return (y * (lr / ly)).astype(np.float32)


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad to exactly ``n`` samples."""
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - len(x), dtype=x.dtype)])


def _segment(noise: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``n``-sample stretch of ``noise`` (tiled when the clip is shorter)."""
    noise = np.asarray(noise, dtype=np.float32)
    if len(noise) == 0:
        raise ValueError("empty noise/interferer signal")
    if len(noise) < n:
        reps = int(math.ceil(n / len(noise))) + 1
        noise = np.tile(noise, reps)
    start = int(rng.integers(0, len(noise) - n + 1))
    return noise[start : start + n]


def _scale_to_ratio(target: np.ndarray, other: np.ndarray, ratio_db: float, active: bool = False) -> np.ndarray:
    """Scale ``other`` so that level(target) / level(other) equals ``ratio_db``."""
    lt = active_rms(target)
    lo = active_rms(other) if active else rms(other)
    if lo <= 1e-12 or lt <= 1e-12:
        return np.zeros_like(other)
    return (other * (lt / lo) * 10.0 ** (-ratio_db / 20.0)).astype(np.float32)


def _conv(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    return sps.oaconvolve(x.astype(np.float64), np.asarray(h, dtype=np.float64))[: len(x)]


def _align_ir(h: np.ndarray, max_seconds: float = 2.0) -> np.ndarray:
    """Drop what precedes an impulse response's main peak (so it adds no delay), cap its length."""
    h = np.asarray(h, dtype=np.float64)
    k = int(np.argmax(np.abs(h)))
    h = h[k : k + int(max_seconds * SAMPLE_RATE)]
    peak = h[0] if h[0] != 0 else 1.0
    return h / peak


# --------------------------------------------------------------------------------------------
# Degradations (pure functions)
# --------------------------------------------------------------------------------------------
def add_noise(audio: np.ndarray, rng: np.random.Generator, *, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Additive noise: a random stretch of ``noise`` at ``snr_db`` (speech active level vs noise RMS)."""
    seg = _segment(noise, len(audio), rng)
    return (audio + _scale_to_ratio(audio, seg, snr_db)).astype(np.float32)


def add_babble(audio: np.ndarray, rng: np.random.Generator, *, talkers: Sequence[np.ndarray], snr_db: float) -> np.ndarray:
    """Babble: several other speakers, each at equal active level, summed and mixed at ``snr_db``."""
    n = len(audio)
    mix = np.zeros(n, dtype=np.float64)
    for t in talkers:
        seg = _segment(t, n, rng)
        level = active_rms(seg)
        if level > 1e-9:
            mix += seg / level
    return (audio + _scale_to_ratio(audio, mix.astype(np.float32), snr_db)).astype(np.float32)


def add_talker(audio: np.ndarray, rng: np.random.Generator, *, talker: np.ndarray, sir_db: float) -> np.ndarray:
    """A competing talker: another speaker's utterance at a random onset, ``sir_db`` below/above."""
    n = len(audio)
    talker = np.asarray(talker, dtype=np.float32)
    if len(talker) >= n:
        start = int(rng.integers(0, len(talker) - n + 1))
        seg = talker[start : start + n]
    else:
        onset = int(rng.integers(0, n - len(talker) + 1))
        seg = np.zeros(n, dtype=np.float32)
        seg[onset : onset + len(talker)] = talker
    return (audio + _scale_to_ratio(audio, seg, sir_db, active=True)).astype(np.float32)


def reverb(audio: np.ndarray, rng: np.random.Generator, *, rir: np.ndarray, tail_gain_db: float = 0.0) -> np.ndarray:
    """Convolve with a room impulse response (measured or simulated), aligned on its direct path.

    ``tail_gain_db`` scales everything after the first 2.5 ms (the reverberant part) relative to the
    direct sound, stretching a few measured rooms over a range of direct-to-reverberant ratios.
    """
    h = _align_ir(rir).copy()
    cut = int(0.0025 * SAMPLE_RATE)
    h[cut:] *= 10.0 ** (tail_gain_db / 20.0)
    return _match_level(_conv(audio, h), audio)


def synthetic_room(
    audio: np.ndarray, rng: np.random.Generator, *, rt60: float, drr_db: float, predelay_ms: float = 5.0
) -> np.ndarray:
    """Simulated room: direct path plus an exponentially decaying noise tail (RT60 in seconds).

    The tail starts ``predelay_ms`` after the direct sound, decays 60 dB in ``rt60`` seconds, loses
    high frequencies faster (one-pole smoothing growing along the tail) and sits ``drr_db`` below
    the direct path in energy.
    """
    length = int(min(max(rt60 * 1.2, 0.1), 3.0) * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    tail = rng.standard_normal(length) * np.exp(-6.9078 * t / rt60)
    b, a = sps.butter(1, 0.5 * min(7000.0, 2000.0 + 3000.0 / max(rt60, 0.1)) / (SAMPLE_RATE / 2))
    tail = sps.lfilter(b, a, tail)
    pre = int(predelay_ms * 1e-3 * SAMPLE_RATE)
    tail[:pre] = 0.0
    energy = float(np.sum(tail**2))
    if energy > 0:
        tail *= math.sqrt(10.0 ** (-drr_db / 10.0) / energy)
    tail[0] = 1.0
    return _match_level(_conv(audio, tail), audio)


def device(audio: np.ndarray, rng: np.random.Generator, *, ir: np.ndarray, highpass_hz: float = 0.0) -> np.ndarray:
    """Loudspeaker / device colouration: a measured device response plus a small-speaker high-pass."""
    y = _conv(audio, _align_ir(ir, max_seconds=0.5))
    if highpass_hz > 0:
        y = sps.sosfiltfilt(sps.butter(4, highpass_hz, "highpass", fs=SAMPLE_RATE, output="sos"), y)
    return _match_level(y, audio)


def _peaking(f0: float, gain_db: float, q: float) -> np.ndarray:
    """RBJ peaking-EQ biquad as one second-order section."""
    a_ = 10.0 ** (gain_db / 40.0)
    w0 = 2 * math.pi * f0 / SAMPLE_RATE
    alpha = math.sin(w0) / (2 * q)
    b = [1 + alpha * a_, -2 * math.cos(w0), 1 - alpha * a_]
    a = [1 + alpha / a_, -2 * math.cos(w0), 1 - alpha / a_]
    return np.array([[b[0] / a[0], b[1] / a[0], b[2] / a[0], 1.0, a[1] / a[0], a[2] / a[0]]])


def colouration(
    audio: np.ndarray,
    rng: np.random.Generator,
    *,
    peaks: Sequence[Sequence[float]] = (),
    highpass_hz: float = 0.0,
    lowpass_hz: float = 0.0,
) -> np.ndarray:
    """Synthetic device colouration: parametric EQ peaks ``[(f0, gain_db, q), ...]`` and band edges."""
    sos = [_peaking(float(f), float(g), float(q)) for f, g, q in peaks]
    if highpass_hz > 0:
        sos.append(sps.butter(2, highpass_hz, "highpass", fs=SAMPLE_RATE, output="sos"))
    if lowpass_hz > 0:
        sos.append(sps.butter(4, lowpass_hz, "lowpass", fs=SAMPLE_RATE, output="sos"))
    if not sos:
        return audio.astype(np.float32, copy=True)
    y = sps.sosfilt(np.concatenate(sos), audio.astype(np.float64))
    return _match_level(y, audio)


def bandlimit(
    audio: np.ndarray, rng: np.random.Generator, *, low_hz: float = 0.0, high_hz: float = 0.0, order: int = 8
) -> np.ndarray:
    """Band limitation with a zero-phase Butterworth: narrowband 300-3400 Hz, wideband 50-7000 Hz, low-pass."""
    nyq = SAMPLE_RATE / 2
    if low_hz > 0 and 0 < high_hz < nyq:
        sos = sps.butter(order // 2, [low_hz, high_hz], "bandpass", fs=SAMPLE_RATE, output="sos")
    elif 0 < high_hz < nyq:
        sos = sps.butter(order, high_hz, "lowpass", fs=SAMPLE_RATE, output="sos")
    elif low_hz > 0:
        sos = sps.butter(order, low_hz, "highpass", fs=SAMPLE_RATE, output="sos")
    else:
        return audio.astype(np.float32, copy=True)
    return _match_level(sps.sosfiltfilt(sos, audio.astype(np.float64)), audio)


def _ramp(n: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, n, dtype=np.float64) if n > 0 else np.zeros(0)


def packet_loss(
    audio: np.ndarray,
    rng: np.random.Generator,
    *,
    frame_ms: float = 20.0,
    loss_rate: float = 0.05,
    burst: float = 1.0,
    concealment: str = "zero",
) -> np.ndarray:
    """Packet loss: ``frame_ms`` frames lost by a Gilbert model (mean burst length ``burst`` frames).

    Lost frames become silence (``"zero"``) or repeat the last received frame, fading 6 dB per
    further lost frame (``"repeat"``, a crude concealment). 1 ms ramps at the frame edges.
    """
    x = audio.astype(np.float64)
    flen = max(1, int(round(frame_ms * 1e-3 * SAMPLE_RATE)))
    nfr = int(math.ceil(len(x) / flen))
    burst = max(1.0, float(burst))
    p_bg = 1.0 / burst  # bad -> good
    p_gb = min(1.0, loss_rate * p_bg / max(1e-6, 1.0 - loss_rate))  # good -> bad
    lost = np.zeros(nfr, dtype=bool)
    bad = False
    u = rng.random(nfr)
    for i in range(nfr):
        bad = (u[i] >= p_bg) if bad else (u[i] < p_gb)
        lost[i] = bad
    y = x.copy()
    edge = min(flen // 2, SAMPLE_RATE // 1000)
    last = np.zeros(flen)
    run = 0
    for i in range(nfr):
        a, b = i * flen, min(len(x), (i + 1) * flen)
        if not lost[i]:
            last = np.pad(x[a:b], (0, flen - (b - a)))
            run = 0
            continue
        run += 1
        fill = last[: b - a] * (0.5 ** (run - 1)) if concealment == "repeat" else np.zeros(b - a)
        win = np.ones(b - a)
        if edge and b - a > 2 * edge:
            win[:edge] = 1.0 - _ramp(edge)
            win[-edge:] = _ramp(edge)
        else:
            win[:] = 0.0
        y[a:b] = x[a:b] * win + fill * (1.0 - win)
    return y.astype(np.float32)


def time_clip(
    audio: np.ndarray,
    rng: np.random.Generator,
    *,
    rate_hz: float = 1.0,
    seg_ms: Sequence[float] = (10.0, 60.0),
    mode: str = "mixed",
) -> np.ndarray:
    """Time clipping: ``rate_hz`` events per second, each dropping or repeating a 10-60 ms segment.

    Drops pull the rest of the signal earlier, repeats push it later (as an adaptive jitter buffer
    does); the end is zero-padded or trimmed to keep the original length. ``mode``: ``"drop"``,
    ``"repeat"`` or ``"mixed"``.
    """
    x = audio.astype(np.float64)
    n = len(x)
    count = int(rng.poisson(rate_hz * n / SAMPLE_RATE))
    lo, hi = float(seg_ms[0]), float(seg_ms[-1])
    positions = np.sort(rng.integers(0, max(1, n), size=count))
    lengths = (rng.uniform(lo, hi, size=count) * 1e-3 * SAMPLE_RATE).astype(int)
    kinds = rng.random(count) < 0.5
    pieces, cursor = [], 0
    fade = SAMPLE_RATE // 1000
    for pos, length, k in zip(positions, lengths, kinds):
        pos = int(max(pos, cursor))
        if pos >= n or length <= 0:
            continue
        drop = mode == "drop" or (mode == "mixed" and k)
        pieces.append(x[cursor:pos])
        if drop:
            cursor = min(n, pos + length)
        else:
            start = max(0, pos - length)
            pieces.append(x[start:pos])
            cursor = pos
    pieces.append(x[cursor:])
    # join with short crossfades to avoid clicks
    y = pieces[0]
    for p in pieces[1:]:
        if len(p) == 0:
            continue
        k = min(fade, len(y), len(p))
        if k > 0:
            r = _ramp(k)
            y = np.concatenate([y[:-k], y[-k:] * (1 - r) + p[:k] * r, p[k:]])
        else:
            y = np.concatenate([y, p])
    return _fit(y, n).astype(np.float32)


def amplitude_clip(audio: np.ndarray, rng: np.random.Generator, *, threshold: float = 0.3, soft: bool = False) -> np.ndarray:
    """Amplitude clipping at ``threshold`` x the signal peak (hard, or tanh-soft), level restored."""
    x = audio.astype(np.float64)
    peak = float(np.max(np.abs(x))) or 1.0
    t = max(1e-4, float(threshold)) * peak
    y = t * np.tanh(x / t) if soft else np.clip(x, -t, t)
    return _match_level(y, audio)


def level(
    audio: np.ndarray, rng: np.random.Generator, *, gain_db: float, noise_floor_db: float = -120.0
) -> np.ndarray:
    """Level too low or too high: gain, then the device's self-noise floor and full-scale saturation.

    Too low (``gain_db`` < 0): the speech drops towards the recording chain's noise floor
    (white noise at ``noise_floor_db`` dBFS) and 16-bit quantisation. Too high (> 0): the signal
    saturates at full scale. The output keeps its level (no renormalisation).
    """
    y = audio.astype(np.float64) * 10.0 ** (gain_db / 20.0)
    if noise_floor_db > -120:
        y = y + rng.standard_normal(len(y)) * 10.0 ** (noise_floor_db / 20.0)
    y = np.clip(y, -1.0, 1.0)
    return (np.round(y * 32767.0) / 32767.0).astype(np.float32)


def echo(
    audio: np.ndarray,
    rng: np.random.Generator,
    *,
    delay_ms: float = 150.0,
    gain_db: float = -12.0,
    count: int = 1,
    lowpass_hz: float = 3500.0,
) -> np.ndarray:
    """Echo: ``count`` delayed, low-passed copies, the first ``gain_db`` down, each next 6 dB lower."""
    x = audio.astype(np.float64)
    y = x.copy()
    echo_src = sps.sosfilt(sps.butter(2, lowpass_hz, "lowpass", fs=SAMPLE_RATE, output="sos"), x) if lowpass_hz else x
    d = int(delay_ms * 1e-3 * SAMPLE_RATE)
    for k in range(1, int(count) + 1):
        shift = d * k
        if shift >= len(x):
            break
        y[shift:] += echo_src[: len(x) - shift] * 10.0 ** ((gain_db - 6.0 * (k - 1)) / 20.0)
    return _match_level(y, audio)


def distortion(audio: np.ndarray, rng: np.random.Generator, *, kind: str = "tanh", amount: float = 0.5) -> np.ndarray:
    """Non-linear distortion; ``amount`` in [0, 1] (mild to severe).

    ``tanh``: overdriven amplifier; ``asym``: asymmetric (even-order) saturation of a cheap
    transducer; ``cubic``: polynomial; ``bitcrush``: quantisation to 10 .. 3 bits.
    """
    x = audio.astype(np.float64)
    peak = float(np.max(np.abs(x))) or 1.0
    u = x / peak
    a = float(np.clip(amount, 0.0, 1.0))
    if kind == "tanh":
        drive = 1.0 + 30.0 * a
        y = np.tanh(drive * u) / math.tanh(drive)
    elif kind == "asym":
        drive, bias = 1.0 + 20.0 * a, 0.1 + 0.4 * a
        y = np.tanh(drive * (u + bias)) - math.tanh(drive * bias)
    elif kind == "cubic":
        k = 0.2 + 0.8 * a
        v = np.clip(u * (1.0 + 2.0 * a), -1.0, 1.0)
        y = v - k * v**3 / 3.0
    elif kind == "bitcrush":
        bits = max(2, int(round(10 - 7 * a)))
        q = 2.0 ** (bits - 1)
        y = np.round(u * q) / q
    else:
        raise ValueError(f"unknown distortion kind {kind!r}")
    return _match_level(y, audio)


def _stft(x: np.ndarray, nfft: int = 512, hop: int = 128) -> np.ndarray:
    return sps.stft(x, nperseg=nfft, noverlap=nfft - hop, window="hann", boundary="zeros", padded=True)[2]


def _istft(spec: np.ndarray, n: int, nfft: int = 512, hop: int = 128) -> np.ndarray:
    y = sps.istft(spec, nperseg=nfft, noverlap=nfft - hop, window="hann", boundary=True)[1]
    return _fit(y, n)


def enhancement(
    audio: np.ndarray,
    rng: np.random.Generator,
    *,
    noise: np.ndarray | None = None,
    snr_db: float = 5.0,
    method: str = "specsub",
    alpha: float = 2.0,
    floor: float = 0.01,
    smoothing: float = 0.98,
    noise_error_db: float = 0.0,
) -> np.ndarray:
    """Enhancement artefacts: add noise at ``snr_db``, then denoise it with a classical method.

    ``specsub``: power spectral subtraction with over-subtraction ``alpha`` and spectral floor
    ``floor`` (low floors leave musical noise); ``wiener``: parametric Wiener gain
    ``xi / (alpha + xi)`` with decision-directed a priori SNR ``xi`` (``smoothing`` close to 1 is
    smooth, lower values sound musical), gain floor ``floor``. The noise PSD is the true one mis-estimated by ``noise_error_db`` (under-estimation
    leaves residual noise, over-estimation eats speech). ``noise=None`` uses white noise.
    """
    n = len(audio)
    seg = _segment(noise, n, rng) if noise is not None else rng.standard_normal(n).astype(np.float32)
    seg = _scale_to_ratio(audio, seg, snr_db)
    noisy = audio.astype(np.float64) + seg
    spec = _stft(noisy)
    power = np.abs(spec) ** 2
    npsd = np.mean(np.abs(_stft(seg.astype(np.float64))) ** 2, axis=1, keepdims=True) * 10.0 ** (noise_error_db / 10.0)
    npsd = np.maximum(npsd, 1e-12)
    if method == "specsub":
        clean_pow = np.maximum(power - alpha * npsd, floor * power)
        gain = np.sqrt(clean_pow / np.maximum(power, 1e-12))
    elif method == "wiener":
        gamma = power / npsd
        gain = np.empty_like(power)
        prev = np.ones(power.shape[0])
        prev_gamma = np.ones(power.shape[0])
        gmin = max(floor, 1e-4)
        for t in range(power.shape[1]):
            xi = smoothing * prev**2 * prev_gamma + (1 - smoothing) * np.maximum(gamma[:, t] - 1.0, 0.0)
            xi = np.maximum(xi, 1e-4)
            g = np.maximum(xi / (max(alpha, 1e-3) + xi), gmin)
            gain[:, t] = g
            prev, prev_gamma = g, gamma[:, t]
    else:
        raise ValueError(f"unknown enhancement method {method!r}")
    return _match_level(_istft(spec * gain, n), audio)


# --------------------------------------------------------------------------------------------
# Vocoders: speech rebuilt from a coarse model (low-rate parametric and neural codec artefacts)
# --------------------------------------------------------------------------------------------
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
    from .features import mel_filterbank

    n = len(x)
    power = np.abs(_stft(x)) ** 2
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
        phase = np.exp(1j * np.angle(_stft(_istft(magnitude * phase, n))))
    return _istft(magnitude * phase, n)


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
    return _match_level(y, audio)


# --------------------------------------------------------------------------------------------
# Codecs (PyAV or the ffmpeg binary)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodecSpec:
    """One codec: FFmpeg encoder/decoder names to try, its sample rate and bitrates (bit/s)."""

    name: str
    encoders: tuple[str, ...]
    decoders: tuple[str, ...]
    sample_rate: int
    bitrates: tuple[int, ...]
    description: str
    encoder_options: Mapping[str, str] = field(default_factory=dict)
    #: encoder option that selects the rate (codec2's ``mode``), with bitrate -> value
    rate_option: tuple[str, Mapping[int, str]] | None = None
    #: decoder options derived from the bitrate, e.g. G.726 code size (PyAV backend)
    decoder_options: Callable[[int], Mapping[str, str]] | None = None
    #: container for the ffmpeg-binary backend (NUT holds anything but G.726's code size)
    container: str = "nut"


def _g726_options(bitrate: int) -> Mapping[str, str]:
    bits = str(int(round(bitrate / 8000)))
    return {"code_size": bits, "bits_per_coded_sample": bits}


CODECS: dict[str, CodecSpec] = {
    c.name: c
    for c in [
        CodecSpec("opus", ("libopus",), ("libopus", "opus"), 16000, (6000, 8000, 10000, 12000, 16000, 24000, 32000),
                  "Opus (VoIP, conferencing)", {"application": "voip"}),
        CodecSpec("mp3", ("libmp3lame",), ("mp3float", "mp3"), 16000, (8000, 16000, 24000, 32000, 48000),
                  "MP3 (MPEG-2 Layer III at 16 kHz)"),
        CodecSpec("aac", ("aac", "libfdk_aac"), ("aac", "libfdk_aac"), 16000, (8000, 12000, 16000, 24000, 32000),
                  "AAC-LC"),
        CodecSpec("mp2", ("mp2", "mp2fixed"), ("mp2", "mp2float"), 16000, (16000, 24000, 32000, 48000),
                  "MPEG-1/2 Layer II (broadcast)"),
        CodecSpec("g711_mulaw", ("pcm_mulaw",), ("pcm_mulaw",), 8000, (64000,), "G.711 mu-law (telephony)"),
        CodecSpec("g711_alaw", ("pcm_alaw",), ("pcm_alaw",), 8000, (64000,), "G.711 A-law (telephony)"),
        CodecSpec("g722", ("g722", "adpcm_g722"), ("g722", "adpcm_g722"), 16000, (64000,), "G.722 wideband ADPCM (HD voice)"),
        CodecSpec("g726", ("g726", "adpcm_g726"), ("g726", "adpcm_g726"), 8000, (16000, 24000, 32000, 40000),
                  "G.726 ADPCM (DECT, VoIP)", decoder_options=_g726_options, container="wav"),
        CodecSpec("amr_nb", ("libopencore_amrnb",), ("amrnb", "libopencore_amrnb"), 8000,
                  (4750, 5150, 5900, 6700, 7400, 7950, 10200, 12200), "AMR-NB (GSM/UMTS mobile)"),
        CodecSpec("gsm", ("libgsm",), ("libgsm", "gsm"), 8000, (13000,), "GSM 06.10 full rate"),
        CodecSpec("speex", ("libspeex",), ("libspeex",), 16000, (4000, 8000, 12000, 16000, 24000), "Speex wideband"),
        CodecSpec("codec2", ("libcodec2",), ("libcodec2",), 8000, (700, 1200, 1600, 2400, 3200),
                  "Codec 2 (very low rate)",
                  rate_option=("mode", {700: "700C", 1200: "1200", 1600: "1600", 2400: "2400", 3200: "3200"})),
    ]
}


class CodecUnavailable(RuntimeError):
    """The codec cannot be used here (no PyAV/ffmpeg, or the build lacks the encoder)."""


def _to_float(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.int16:
        return a.astype(np.float32) / 32768.0
    if a.dtype == np.int32:
        return (a.astype(np.float64) / 2147483648.0).astype(np.float32)
    if a.dtype == np.uint8:
        return (a.astype(np.float32) - 128.0) / 128.0
    return a.astype(np.float32)


def _quiet_av() -> None:
    """Keep FFmpeg's per-packet chatter off stderr unless the user configured PyAV logging."""
    import av.logging

    if av.logging.get_level() is None:
        av.logging.set_level(av.logging.ERROR)


def _av_roundtrip(x: np.ndarray, spec: CodecSpec, bitrate: int, encoder: str, decoder: str) -> tuple[np.ndarray, int]:
    import av  # optional dependency

    _quiet_av()

    codec = av.codec.Codec(encoder, "w")
    formats = [f.name for f in (codec.audio_formats or [])]
    fmt = next((f for f in ("s16", "s16p", "flt", "fltp", "s32", "s32p") if not formats or f in formats), None)
    if fmt is None:
        raise CodecUnavailable(f"{encoder}: no usable sample format among {formats}")
    enc = av.CodecContext.create(encoder, "w")
    enc.sample_rate = spec.sample_rate
    enc.layout = "mono"
    enc.format = fmt
    enc.bit_rate = int(bitrate)
    opts = dict(spec.encoder_options)
    if spec.rate_option:
        opts[spec.rate_option[0]] = spec.rate_option[1][int(bitrate)]
    if opts:
        enc.options = opts
    enc.open()
    size = enc.frame_size or 1024
    if fmt.startswith("s16"):
        pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)
    elif fmt.startswith("s32"):
        pcm = np.clip(np.round(x.astype(np.float64) * 2147483647.0), -2147483648, 2147483647).astype(np.int32)
    else:
        pcm = x.astype(np.float32)
    pad = (-len(pcm)) % size
    pcm = np.concatenate([pcm, np.zeros(pad, dtype=pcm.dtype)])
    packets = []
    for i in range(0, len(pcm), size):
        frame = av.AudioFrame.from_ndarray(pcm[None, i : i + size], format=fmt, layout="mono")
        frame.sample_rate = spec.sample_rate
        frame.pts = i
        packets.extend(enc.encode(frame))
    packets.extend(enc.encode(None))
    dec = av.CodecContext.create(decoder, "r")
    dec.sample_rate = spec.sample_rate
    dec.layout = "mono"
    if enc.extradata:
        dec.extradata = enc.extradata
    if spec.decoder_options:
        dec.options = dict(spec.decoder_options(int(bitrate)))
    out, rate = [], spec.sample_rate
    for packet in packets + [None]:
        try:
            frames = dec.decode(packet)
        except av.error.EOFError:
            frames = []
        for fr in frames:
            rate = fr.sample_rate or rate
            a = _to_float(fr.to_ndarray())
            channels = max(1, len(fr.layout.channels))
            out.append(a.mean(axis=0) if fr.format.is_planar else a.reshape(-1, channels).mean(axis=1))
    if not out:
        raise CodecUnavailable(f"{encoder}/{decoder}: decoder returned no audio")
    return np.concatenate(out), int(rate)


def _ffmpeg_roundtrip(x: np.ndarray, spec: CodecSpec, bitrate: int, encoder: str) -> tuple[np.ndarray, int]:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise CodecUnavailable("no ffmpeg binary")
    opts = dict(spec.encoder_options)
    if spec.rate_option:
        opts[spec.rate_option[0]] = spec.rate_option[1][int(bitrate)]
    args = [exe, "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(spec.sample_rate), "-ac", "1", "-i", "pipe:0",
            "-c:a", encoder, "-b:a", str(int(bitrate))]
    for k, v in opts.items():
        args += [f"-{k}", str(v)]
    args += ["-f", spec.container, "pipe:1"]
    enc = subprocess.run(args, input=x.astype("<f4").tobytes(), capture_output=True, timeout=120)
    if enc.returncode != 0 or not enc.stdout:
        raise CodecUnavailable(f"ffmpeg {encoder}: {enc.stderr.decode(errors='replace').strip()[-200:]}")
    dec = subprocess.run([exe, "-nostdin", "-v", "error", "-f", spec.container, "-i", "pipe:0", "-f", "f32le", "-ac", "1",
                          "-ar", str(spec.sample_rate), "pipe:1"], input=enc.stdout, capture_output=True, timeout=120)
    if dec.returncode != 0 or not dec.stdout:
        raise CodecUnavailable(f"ffmpeg decode {encoder}: {dec.stderr.decode(errors='replace').strip()[-200:]}")
    return np.frombuffer(dec.stdout, dtype="<f4").astype(np.float32), spec.sample_rate


def _have_av() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("av") is not None and bool(__import__("av"))
    except ImportError:
        return False


def _ffmpeg_encoders() -> set[str]:
    exe = shutil.which("ffmpeg")
    if exe is None:
        return set()
    try:
        text = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {m.group(1) for m in re.finditer(r"^\s*A\S*\s+(\S+)", text, re.MULTILINE)}


def _probe_signal(seconds: float = 1.0) -> np.ndarray:
    """A deterministic speech-like probe: harmonics on a gliding pitch, syllables, noise bursts.

    The pitch glides so the cross-correlation has a single peak (a steady pitch makes speech
    codecs' delay ambiguous by one period).
    """
    rng = np.random.default_rng(1234)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0 = 150.0 * np.exp(0.4 * np.sin(2 * np.pi * 0.7 * t) + 0.3 * np.sin(2 * np.pi * 1.9 * t + 1.0))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 25))
    unvoiced = 0.3 * rng.standard_normal(n) * (np.sin(2 * np.pi * 1.3 * t + 0.5) > 0.6)
    x = np.sin(2 * np.pi * 3.1 * t) ** 2 * voiced + unvoiced
    return (0.1 * x / np.max(np.abs(x))).astype(np.float32)


@functools.lru_cache(maxsize=None)
def _codec_backend(name: str) -> tuple[str, str, str] | str:
    """``(backend, encoder, decoder)`` for a usable codec, else the reason it is unusable."""
    spec = CODECS[name]
    probe = _probe_signal(0.5)
    reasons = []
    if _have_av():
        import av

        for encoder in spec.encoders:
            try:
                av.codec.Codec(encoder, "w")
            except Exception:
                continue
            for decoder in spec.decoders:
                try:
                    av.codec.Codec(decoder, "r")
                    x = resample(probe, SAMPLE_RATE, spec.sample_rate)
                    y, _ = _av_roundtrip(x, spec, spec.bitrates[-1], encoder, decoder)
                    if len(y) and np.all(np.isfinite(y)):
                        return ("av", encoder, decoder)
                except Exception as err:  # any failure means "not usable here"
                    reasons.append(f"{encoder}/{decoder}: {err}")
        if not reasons:
            reasons.append(f"PyAV's FFmpeg has no encoder {'/'.join(spec.encoders)}")
    else:
        reasons.append("PyAV not installed")
    available = _ffmpeg_encoders()
    for encoder in spec.encoders:
        if encoder in available:
            try:
                x = resample(probe, SAMPLE_RATE, spec.sample_rate)
                y, _ = _ffmpeg_roundtrip(x, spec, spec.bitrates[-1], encoder)
                if len(y):
                    return ("ffmpeg", encoder, "")
            except Exception as err:
                reasons.append(f"ffmpeg {encoder}: {err}")
    if shutil.which("ffmpeg") is None:
        reasons.append("no ffmpeg binary")
    return "; ".join(reasons)


_LOGGED_MISSING: set[str] = set()


def codec_available(name: str) -> bool:
    """Whether codec ``name`` (a key of :data:`CODECS`) works here; logs the reason once if not."""
    backend = _codec_backend(name)
    if isinstance(backend, str):
        if name not in _LOGGED_MISSING:
            _LOGGED_MISSING.add(name)
            log.info("codec %s not available, skipped (%s)", name, backend)
        return False
    return True


def available_codecs() -> dict[str, str]:
    """``{codec: "backend:encoder"}`` for every codec of :data:`CODECS` usable here."""
    out = {}
    for name in CODECS:
        backend = _codec_backend(name)
        if not isinstance(backend, str) and codec_available(name):
            out[name] = f"{backend[0]}:{backend[1]}"
    return out


def missing_codecs() -> dict[str, str]:
    """``{codec: reason}`` for the codecs of :data:`CODECS` not usable here."""
    return {n: r for n in CODECS if isinstance(r := _codec_backend(n), str)}


def estimate_delay(y: np.ndarray, x: np.ndarray, max_lag: int, min_lag: int = 0) -> int:
    """Lag in samples (``min_lag..max_lag``) by which ``y`` trails ``x`` (FFT cross-correlation peak)."""
    n = len(x) + len(y)
    nfft = 1 << (n - 1).bit_length()
    cc = np.fft.irfft(np.fft.rfft(y.astype(np.float64), nfft) * np.conj(np.fft.rfft(x.astype(np.float64), nfft)), nfft)
    lags = np.arange(int(min_lag), int(max_lag) + 1)
    return int(lags[int(np.argmax(cc[lags % nfft]))])


@functools.lru_cache(maxsize=None)
def codec_delay(name: str, bitrate: int) -> int:
    """A codec's delay at 16 kHz (negative: output early), estimated once from a probe round trip.

    Codecs have a constant algorithmic delay (encoder look-ahead, priming, filter banks); a fixed
    calibrated shift is steadier than a per-file estimate on heavily coded speech.
    """
    probe = _probe_signal(2.0)
    y = _raw_codec(probe, name, bitrate)
    return estimate_delay(y, probe, max_lag=SAMPLE_RATE // 2, min_lag=-SAMPLE_RATE // 50)


def _raw_codec(audio: np.ndarray, name: str, bitrate: int) -> np.ndarray:
    """Round trip at 16 kHz without delay compensation (padded with 0.5 s of silence)."""
    spec = CODECS[name]
    backend = _codec_backend(name)
    if isinstance(backend, str):
        raise CodecUnavailable(f"codec {name} not available: {backend}")
    if int(bitrate) not in spec.bitrates and spec.rate_option is not None:
        raise ValueError(f"{name}: bitrate must be one of {spec.bitrates}")
    x = np.concatenate([audio.astype(np.float32), np.zeros(SAMPLE_RATE // 2, dtype=np.float32)])
    x = resample(x, SAMPLE_RATE, spec.sample_rate)
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak > SAFE_PEAK:
        x = x * (SAFE_PEAK / peak)
    if backend[0] == "av":
        y, rate = _av_roundtrip(x, spec, int(bitrate), backend[1], backend[2])
    else:
        y, rate = _ffmpeg_roundtrip(x, spec, int(bitrate), backend[1])
    return resample(y.astype(np.float32), rate, SAMPLE_RATE)


_REFINE = SAMPLE_RATE // 500  # 2 ms


def codec(audio: np.ndarray, rng: np.random.Generator, *, codec: str, bitrate: int) -> np.ndarray:
    """Encode and decode with ``codec`` at ``bitrate`` bit/s; delay removed, same length as the input.

    The delay is the codec's calibrated constant delay (:func:`codec_delay`), refined by
    cross-correlation with this input when it peaks within +-2 ms of it.

    Narrowband codecs (G.711, G.726, AMR-NB, GSM, Codec 2) run at 8 kHz, so the output is band
    limited to 4 kHz as on a real narrowband call.
    """
    y = _raw_codec(audio, codec, int(bitrate))
    d = codec_delay(codec, int(bitrate))
    if rms(audio) > 0:  # refine within +-2 ms on this signal (parametric codecs keep no exact waveform)
        refined = estimate_delay(y, audio, max_lag=d + _REFINE, min_lag=d - _REFINE)
        if abs(refined - d) < _REFINE:  # a peak at the window's edge is no peak: keep the calibration
            d = refined
    y = y[d:] if d >= 0 else np.concatenate([np.zeros(-d, dtype=y.dtype), y])
    return _fit(y, len(audio)).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------
def list_audio(folder: str | os.PathLike) -> list[str]:
    """Audio files under ``folder`` (recursive), as sorted POSIX paths relative to it."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith(".")
    )


def _manifest_kinds(folder: Path) -> dict[str, str]:
    """``{path relative to folder: kind}`` from a manifest.csv in ``folder`` or its parent."""
    for base in (folder, folder.parent):
        manifest = base / "manifest.csv"
        if not manifest.is_file():
            continue
        import pandas as pd

        try:
            table = pd.read_csv(manifest)
        except Exception:  # a malformed manifest is only a hint
            return {}
        if not {"file", "kind"} <= set(table.columns):
            return {}
        out = {}
        for f, k in zip(table["file"].astype(str), table["kind"].astype(str)):
            p = (base / f).resolve()
            try:
                out[p.relative_to(folder.resolve()).as_posix()] = k
            except ValueError:
                continue
        return out
    return {}


class Resources:
    """Folders of noise clips, room IRs, device IRs and speech (for babble and competing talkers).

    Files are listed when the object is made and loaded lazily on first use (LRU cache of about
    ``cache_mb`` MB). ``rir`` files that a manifest marks ``device_ir`` or that sit in a folder
    whose name contains "device" are device responses; when no ``device_ir`` folder is given they
    are used as such. ``speech`` is a folder or a table (``path`` relative to ``speech_root`` plus
    ``speaker`` and optionally ``split``) -- see :func:`quality.corpus.speech_table`.
    """

    KINDS = ("noise", "rir", "device_ir", "speech")

    def __init__(
        self,
        noise: str | os.PathLike | None = None,
        rir: str | os.PathLike | None = None,
        device_ir: str | os.PathLike | None = None,
        speech: str | os.PathLike | None = None,
        speech_table: Any = None,
        cache_mb: float = 400.0,
    ) -> None:
        self.roots: dict[str, Path | None] = {"noise": None, "rir": None, "device_ir": None, "speech": None}
        self.files: dict[str, list[str]] = {k: [] for k in self.KINDS}
        if noise:
            self.roots["noise"] = Path(noise)
            self.files["noise"] = list_audio(noise)
        if rir:
            root = Path(rir)
            self.roots["rir"] = root
            kinds = _manifest_kinds(root)
            rooms, devices = [], []
            for f in list_audio(root):
                is_device = kinds.get(f) == "device_ir" or any("device" in part.lower() for part in f.split("/")[:-1])
                (devices if is_device else rooms).append(f)
            self.files["rir"] = rooms
            if device_ir is None and devices:
                self.roots["device_ir"] = root
                self.files["device_ir"] = devices
        if device_ir:
            self.roots["device_ir"] = Path(device_ir)
            self.files["device_ir"] = list_audio(device_ir)
        self.speakers: dict[str, str] = {}
        self.splits: dict[str, str] = {}
        if speech is not None:
            self.roots["speech"] = Path(speech)
            if speech_table is None:
                self.files["speech"] = list_audio(speech)
                self.speakers = {f: (f.split("/")[-2] if "/" in f else "") for f in self.files["speech"]}
            else:
                self.files["speech"] = [str(p) for p in speech_table["path"]]
                self.speakers = dict(zip(self.files["speech"], speech_table["speaker"].astype(str)))
                if "split" in speech_table:
                    self.splits = dict(zip(self.files["speech"], speech_table["split"].astype(str)))
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = int(cache_mb * 1e6)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(v)}" for k, v in self.files.items())
        return f"Resources({counts})"

    def has(self, kind: str) -> bool:
        return bool(self.files.get(kind))

    def path(self, kind: str, rel: str) -> Path:
        root = self.roots.get(kind)
        if root is None:
            raise KeyError(f"no {kind} folder given")
        return root / rel

    def load(self, kind: str, rel: str) -> np.ndarray:
        """Load ``rel`` from the ``kind`` folder as float32 16 kHz mono (cached)."""
        key = (kind, rel)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        min_seconds = 0.0 if kind in ("rir", "device_ir") else 0.05
        audio = load_audio(self.path(kind, rel), min_seconds=min_seconds)
        self._cache[key] = audio
        self._cache_bytes += audio.nbytes
        while self._cache_bytes > self._cache_limit and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= old.nbytes
        return audio

    def choose(self, kind: str, rng: np.random.Generator) -> str:
        files = self.files.get(kind) or []
        if not files:
            raise KeyError(f"no {kind} files")
        return files[int(rng.integers(len(files)))]

    def other_speech(self, rng: np.random.Generator, count: int, speaker: str | None = None, split: str | None = None) -> list[str]:
        """``count`` utterances of distinct speakers other than ``speaker``, from the same split if possible."""
        files = self.files["speech"]
        if not files:
            raise KeyError("no speech files for babble / competing talker")
        pools = []
        others = [f for f in files if self.speakers.get(f) != speaker] if speaker is not None else list(files)
        if split is not None and self.splits:
            pools.append([f for f in others if self.splits.get(f) == split])
        pools += [others, list(files)]
        pool = next(p for p in pools if p)
        # one utterance per speaker where possible
        by_speaker: dict[str, list[str]] = {}
        for f in pool:
            by_speaker.setdefault(self.speakers.get(f, f), []).append(f)
        names = sorted(by_speaker)
        pick = rng.permutation(len(names))[:count]
        chosen = [by_speaker[names[i]][int(rng.integers(len(by_speaker[names[i]])))] for i in pick]
        while len(chosen) < count:  # fewer speakers than requested: reuse
            chosen.append(pool[int(rng.integers(len(pool)))])
        return chosen


# --------------------------------------------------------------------------------------------
# Registry: function + severity sampler
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Degradation:
    """A registered degradation.

    ``sample(rng, severity, resources, context) -> params``; ``resource_params`` maps parameter
    names to the :class:`Resources` kind their (list of) relative paths refer to; ``family``
    groups alternatives of which a chain holds at most one; ``stage`` orders a chain
    (acoustics, then capture, processing, transmission).
    """

    name: str
    fn: Callable[..., np.ndarray]
    sample: Callable[..., dict]
    family: str
    stage: int
    weight: float
    needs: tuple[str, ...] = ()
    resource_params: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def available(self, resources: Resources | None = None) -> bool:
        if self.family == "codec" and not codec_available(self.fixed["codec"]):
            return False
        return all(resources is not None and resources.has(k) for k in self.needs)

    def __call__(self, audio: np.ndarray, rng: np.random.Generator, **params: Any) -> np.ndarray:
        return self.fn(audio, rng, **self.fixed, **params)


def _r(x: float, nd: int = 3) -> float:
    return float(round(float(x), nd))


def _jitter(rng: np.random.Generator, severity: float, spread: float = 0.1) -> float:
    return float(np.clip(severity + rng.uniform(-spread, spread), 0.0, 1.0))


def _s_noise(rng, sev, res, ctx):
    return {"noise": res.choose("noise", rng), "snr_db": _r(40.0 - 45.0 * _jitter(rng, sev) ** 1.8, 2)}


def _s_babble(rng, sev, res, ctx):
    count = int(rng.integers(3, 9))
    return {"talkers": res.other_speech(rng, count, ctx.get("speaker"), ctx.get("split")),
            "snr_db": _r(40.0 - 45.0 * _jitter(rng, sev) ** 1.8, 2)}


def _s_talker(rng, sev, res, ctx):
    return {"talker": res.other_speech(rng, 1, ctx.get("speaker"), ctx.get("split"))[0],
            "sir_db": _r(35.0 - 40.0 * _jitter(rng, sev) ** 1.5, 2)}


def _s_reverb(rng, sev, res, ctx):
    return {"rir": res.choose("rir", rng), "tail_gain_db": _r(-30.0 + 33.0 * _jitter(rng, sev) ** 1.5, 2)}


def _s_room(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    return {"rt60": _r(0.1 + 1.4 * s**1.3), "drr_db": _r(20.0 - 26.0 * s**1.3 + rng.uniform(-3, 3), 2),
            "predelay_ms": _r(rng.uniform(1.0, 15.0), 2)}


def _s_device(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    return {"ir": res.choose("device_ir", rng), "highpass_hz": _r(0.0 if s < 0.3 else 100.0 + 600.0 * s, 1)}


def _s_colouration(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    peaks = [[_r(math.exp(rng.uniform(math.log(200), math.log(6500))), 1),
              _r(rng.choice([-1.0, 1.0]) * rng.uniform(3.0, 3.0 + 15.0 * s), 2),
              _r(rng.uniform(0.7, 4.0), 2)] for _ in range(int(rng.integers(1, 5)))]
    return {"peaks": peaks, "highpass_hz": _r(50.0 + 950.0 * s * rng.random(), 1),
            "lowpass_hz": _r(0.0 if s < 0.3 else 7500.0 - 5500.0 * s, 1)}


def _s_bandlimit(rng, sev, res, ctx):
    mode = str(rng.choice(["narrowband", "wideband", "lowpass"], p=[0.4, 0.2, 0.4]))
    if mode == "narrowband":
        return {"low_hz": 300.0, "high_hz": 3400.0, "order": 8}
    if mode == "wideband":
        return {"low_hz": 50.0, "high_hz": 7000.0, "order": 8}
    return {"low_hz": 0.0, "high_hz": _r(7500.0 - 6000.0 * _jitter(rng, sev), 1), "order": 8}


def _s_codec_for(name: str):
    def sample(rng, sev, res, ctx):
        rates = CODECS[name].bitrates
        s = _jitter(rng, sev, 0.15)
        i = int(np.clip(round((1.0 - s) * (len(rates) - 1)), 0, len(rates) - 1))
        return {"bitrate": int(rates[i])}

    return sample


def _s_packet_loss(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    return {"frame_ms": float(rng.choice([10.0, 20.0, 30.0, 40.0, 60.0])), "loss_rate": _r(0.01 + 0.29 * s),
            "burst": _r(rng.uniform(1.0, 3.0), 2), "concealment": str(rng.choice(["zero", "repeat"]))}


def _s_time_clip(rng, sev, res, ctx):
    return {"rate_hz": _r(0.3 + 4.7 * _jitter(rng, sev), 2), "seg_ms": [10.0, 60.0],
            "mode": str(rng.choice(["drop", "repeat", "mixed"]))}


def _s_clip(rng, sev, res, ctx):
    return {"threshold": _r(0.6 - 0.57 * _jitter(rng, sev), 4), "soft": bool(rng.random() < 0.3)}


def _s_level(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    if rng.random() < 0.5:
        return {"gain_db": _r(-12.0 - 33.0 * s, 2), "noise_floor_db": _r(rng.uniform(-90.0, -70.0), 2)}
    return {"gain_db": _r(8.0 + 20.0 * s, 2), "noise_floor_db": -120.0}


def _s_echo(rng, sev, res, ctx):
    return {"delay_ms": _r(rng.uniform(40.0, 400.0), 1), "gain_db": _r(-30.0 + 27.0 * _jitter(rng, sev), 2),
            "count": int(rng.integers(1, 4)), "lowpass_hz": _r(rng.uniform(2500.0, 7000.0), 1)}


def _s_distortion(rng, sev, res, ctx):
    return {"kind": str(rng.choice(["tanh", "asym", "cubic", "bitcrush"])), "amount": _r(_jitter(rng, sev) ** 1.7)}


def _s_vocoder(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    if rng.random() < 0.5:
        return {"method": "lpc", "order": int(round(20 - 10 * s)), "pulses": int(round(40 * 13.0 ** -s)),
                "bits": int(round(8 - 5 * s))}
    return {"method": "mel", "bands": int(round(100 - 70 * s)), "step_db": _r(4.0 * s, 2),
            "iterations": int(round(48 - 40 * s))}


def _s_enhancement(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    method = str(rng.choice(["specsub", "wiener"]))
    p = {"noise": res.choose("noise", rng) if res is not None and res.has("noise") else None,
         "snr_db": _r(30.0 - 30.0 * s**1.5, 2), "method": method, "noise_error_db": _r(rng.uniform(-4.0, 4.0), 2)}
    if method == "specsub":
        p.update(alpha=_r(rng.uniform(1.0, 2.0 + 4.0 * s), 2), floor=_r(10 ** rng.uniform(-3.0, -1.0), 4), smoothing=0.0)
    else:
        p.update(alpha=_r(rng.uniform(0.7, 1.0 + 2.0 * s), 2), floor=_r(10 ** rng.uniform(-2.5, -1.0), 4),
                 smoothing=_r(0.98 - 0.5 * s * rng.random(), 3))
    return p


DEGRADATIONS: dict[str, Degradation] = {}


def register(deg: Degradation) -> Degradation:
    """Add a degradation to :data:`DEGRADATIONS` (name must be new)."""
    if deg.name in DEGRADATIONS:
        raise ValueError(f"degradation {deg.name!r} already registered")
    DEGRADATIONS[deg.name] = deg
    return deg


for _d in [
    Degradation("reverb", reverb, _s_reverb, "room", 10, 0.7, ("rir",), {"rir": "rir"},
                "measured or simulated room impulse response, reverberant tail scaled by -30..+3 dB"),
    Degradation("room", synthetic_room, _s_room, "room", 10, 0.4, (), {},
                "synthetic exponential-decay room, RT60 0.1-1.5 s, DRR +23..-9 dB"),
    Degradation("talker", add_talker, _s_talker, "talker", 20, 0.5, ("speech",), {"talker": "speech"},
                "competing talker (another speaker), SIR -5..35 dB"),
    Degradation("noise", add_noise, _s_noise, "additive", 30, 1.3, ("noise",), {"noise": "noise"},
                "real noise clip, SNR -5..40 dB"),
    Degradation("babble", add_babble, _s_babble, "additive", 30, 0.6, ("speech",), {"talkers": "speech"},
                "babble of 3-8 other speakers, SNR -5..40 dB"),
    Degradation("device", device, _s_device, "colour", 40, 0.5, ("device_ir",), {"ir": "device_ir"},
                "loudspeaker/device impulse response, optional 100-700 Hz high-pass"),
    Degradation("colouration", colouration, _s_colouration, "colour", 40, 0.4, (), {},
                "1-4 parametric EQ peaks of +-3..18 dB, high-pass 50-1000 Hz, low-pass 7.5-2 kHz"),
    Degradation("level", level, _s_level, "level", 50, 0.4, (), {},
                "too low (-12..-45 dB with a -90..-70 dBFS noise floor) or too high (+8..+28 dB, saturating)"),
    Degradation("clip", amplitude_clip, _s_clip, "level", 50, 0.4, (), {},
                "amplitude clipping at 0.6-0.03 of the peak, hard or soft"),
    Degradation("distortion", distortion, _s_distortion, "distortion", 55, 0.4, (), {},
                "tanh / asymmetric / cubic saturation or 10-3 bit quantisation"),
    Degradation("enhancement", enhancement, _s_enhancement, "additive", 60, 0.8, (), {"noise": "noise"},
                "noise at SNR 0..30 dB removed by spectral subtraction or Wiener filtering (residual + musical noise)"),
    Degradation("vocoder", vocoder, _s_vocoder, "vocoder", 80, 0.6, (), {},
                "multi-pulse LPC (order 20-10, 40-3 pulses per 5 ms) or mel-band/Griffin-Lim resynthesis (100-30 bands)"),
    Degradation("bandlimit", bandlimit, _s_bandlimit, "band", 70, 0.6, (), {},
                "narrowband 300-3400 Hz, wideband 50-7000 Hz or low-pass 7.5-1.5 kHz"),
    Degradation("packet_loss", packet_loss, _s_packet_loss, "loss", 90, 0.5, (), {},
                "10-60 ms frames lost (1-30 %, bursty), silence or repetition concealment"),
    Degradation("time_clip", time_clip, _s_time_clip, "loss", 90, 0.4, (), {},
                "0.3-5 events/s dropping or repeating 10-60 ms segments"),
    Degradation("echo", echo, _s_echo, "echo", 95, 0.4, (), {},
                "1-3 echoes, 40-400 ms apart, first at -30..-3 dB"),
]:
    register(_d)

_CODEC_WEIGHT = 2.0  # shared by all available codecs
for _name, _spec in CODECS.items():
    register(Degradation(_name, codec, _s_codec_for(_name), "codec", 80, _CODEC_WEIGHT, (), {},
                         f"{_spec.description}, {min(_spec.bitrates) / 1000:g}-{max(_spec.bitrates) / 1000:g} kbit/s"
                         if len(_spec.bitrates) > 1 else f"{_spec.description}, {_spec.bitrates[0] / 1000:g} kbit/s",
                         fixed={"codec": _name}))


def available_degradations(resources: Resources | None = None) -> list[str]:
    """Names of the degradations usable with ``resources`` here (codecs present, folders given)."""
    return [name for name, d in DEGRADATIONS.items() if d.available(resources)]


# --------------------------------------------------------------------------------------------
# Source variation (a different-sounding clean source, not a degradation)
# --------------------------------------------------------------------------------------------
#: range of the speed factor of a varied source (tempo and pitch together, like another voice)
SOURCE_SPEED = (0.9, 1.1)
#: gain range (dB) and Q range of the broad EQ bands of a varied source
SOURCE_EQ_DB = 5.0
SOURCE_EQ_Q = (0.5, 1.0)


def sample_source_variation(rng: np.random.Generator) -> dict[str, Any]:
    """Parameters of :func:`vary_source`: a speed factor and one or two broad EQ bands.

    The ranges are meant to stay within what different talkers, microphones and rooms give a *clean*
    recording (a few dB of broad tilt, +-10 % speed), gentler than the colouration degradation.
    """
    speed = _r(rng.uniform(*SOURCE_SPEED), 2)
    peaks = [[_r(math.exp(rng.uniform(math.log(150), math.log(6000))), 1),
              _r(rng.uniform(-SOURCE_EQ_DB, SOURCE_EQ_DB), 2),
              _r(rng.uniform(*SOURCE_EQ_Q), 2)] for _ in range(int(rng.integers(1, 3)))]
    return {"speed": speed, "peaks": peaks}


#: depth range (dB) and margin range (dB above the noise floor) of a gated source's pauses
SOURCE_GATE_DEPTH_DB = (20.0, 60.0)
SOURCE_GATE_MARGIN_DB = (6.0, 12.0)
_GATE_HOP = SAMPLE_RATE // 100  # 10 ms gain frames
_GATE_HOLD = 9  # frames: a frame stays open when one within +-40 ms is open (onsets, weak consonants)
_GATE_SMOOTH = 5  # frames of gain smoothing (no clicks)


def sample_source_gate(rng: np.random.Generator) -> list[float]:
    """``[depth_db, margin_db]`` of :func:`gate_pauses` for a studio-clean variant of a source."""
    return [_r(rng.uniform(*SOURCE_GATE_DEPTH_DB), 1), _r(rng.uniform(*SOURCE_GATE_MARGIN_DB), 1)]


def gate_pauses(audio: np.ndarray, depth_db: float = 40.0, margin_db: float = 8.0) -> np.ndarray:
    """Push the pauses of a recording towards digital silence, leaving speech untouched.

    A downward expander on 10 ms frames: frames at or below the recording's noise floor (its 10th
    level percentile) are attenuated by ``depth_db``, frames ``margin_db`` or more above it not at
    all, linearly in dB between; each frame then takes the least attenuation within +-40 ms (so
    onsets are not cut, and a fluctuating floor ends up some dB less deep than ``depth_db``) and
    the attenuation is smoothed over 50 ms. Studio
    and TTS recordings have pauses 60-90 dB down, home-recorded audiobooks 35-45 dB: a source
    gated this way sounds like the former and is still *clean* (it is its own reference).
    """
    if depth_db < 0 or margin_db <= 0:
        raise ValueError(f"gate depth must be >= 0 and margin > 0 dB, got {depth_db} and {margin_db}")
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    x = np.asarray(audio, dtype=np.float64)
    n = len(x) // _GATE_HOP
    if n < _GATE_HOLD or depth_db == 0:
        return x.astype(np.float32)
    level = frame_levels_db(x, _GATE_HOP)
    open_at = np.percentile(level, 10) + margin_db
    attenuation = np.clip((open_at - level) / margin_db, 0.0, 1.0) * depth_db
    attenuation = uniform_filter1d(-maximum_filter1d(-attenuation, size=_GATE_HOLD), size=_GATE_SMOOTH)
    centres = (np.arange(n) + 0.5) * _GATE_HOP
    gain = np.interp(np.arange(len(x)), centres, 10.0 ** (-attenuation / 20.0))
    return (x * gain).astype(np.float32)


def vary_source(
    audio: np.ndarray,
    *,
    speed: float = 1.0,
    peaks: Sequence[Sequence[float]] = (),
    gate: Sequence[float] | None = None,
) -> np.ndarray:
    """A clean source that sounds like another recording: resampled by ``speed`` (the result is
    ``len / speed`` samples long), shaped by broad EQ ``peaks`` ``[(f0, gain_db, q), ...]`` and,
    with ``gate=[depth_db, margin_db]``, its pauses pushed down (:func:`gate_pauses`).

    Used *before* a degradation chain, with the labels computed against its output, so a corpus
    gets more apparent sources without new recordings.
    """
    if not 0.5 <= speed <= 2.0:
        raise ValueError(f"speed must be in [0.5, 2], got {speed}")
    x = np.asarray(audio, dtype=np.float64)
    ratio = round(float(speed) * 100)
    if ratio != 100:
        g = math.gcd(ratio, 100)
        x = sps.resample_poly(x, 100 // g, ratio // g)
    if peaks:
        x = sps.sosfilt(np.concatenate([_peaking(float(f), float(gain), float(q)) for f, gain, q in peaks]), x)
    if gate:
        x = gate_pauses(x, *(float(v) for v in gate))
    return _match_level(x, audio)


# --------------------------------------------------------------------------------------------
# Chains
# --------------------------------------------------------------------------------------------
#: probability of a chain of 0 (clean), 1, 2 or 3 degradations
CHAIN_LENGTHS = {0: 0.06, 1: 0.50, 2: 0.30, 3: 0.14}


def sample_chain(
    rng: np.random.Generator,
    resources: Resources | None = None,
    *,
    speaker: str | None = None,
    split: str | None = None,
    lengths: Mapping[int, float] | None = None,
    names: Iterable[str] | None = None,
    severity: float | None = None,
    weights: Mapping[str, float] | None = None,
) -> Chain:
    """Draw a chain of 0-3 degradations (0 = clean speech) with their parameters.

    Degradations are drawn by weight without two of one family (e.g. one codec, one additive
    noise), ordered by stage; every codec shares one weight so the mix does not depend on how many
    codecs a machine has. Each step gets a severity in [0, 1] -- uniform for one step, skewed mild
    for longer chains so combinations do not all land at the bottom of the scale. ``names``
    restricts the choice; ``severity`` fixes it; ``weights`` multiplies the draw weight of the
    degradations it names (``{"vocoder": 8}`` for a build that emphasises one type; 0 leaves one out).
    """
    factors = dict(weights or {})
    lengths = dict(lengths or CHAIN_LENGTHS)
    pool = [n for n in (names if names is not None else DEGRADATIONS)
            if DEGRADATIONS[n].available(resources) and factors.get(n, 1.0) > 0]
    ks = sorted(lengths)
    probs = np.array([lengths[k] for k in ks], dtype=float)
    k = int(ks[int(rng.choice(len(ks), p=probs / probs.sum()))])
    ncodecs = max(1, sum(DEGRADATIONS[n].family == "codec" for n in pool))
    chosen: list[str] = []
    families: set[str] = set()
    for _ in range(k):
        cand = [n for n in pool if DEGRADATIONS[n].family not in families]
        if not cand:
            break
        w = np.array([DEGRADATIONS[n].weight * factors.get(n, 1.0) / (ncodecs if DEGRADATIONS[n].family == "codec" else 1)
                      for n in cand])
        name = cand[int(rng.choice(len(cand), p=w / w.sum()))]
        chosen.append(name)
        families.add(DEGRADATIONS[name].family)
    chosen.sort(key=lambda n: DEGRADATIONS[n].stage)
    ctx = {"speaker": speaker, "split": split}
    chain: Chain = []
    for name in chosen:
        sev = float(severity) if severity is not None else float(rng.random() ** (1.0 + 0.5 * (len(chosen) - 1)))
        chain.append((name, DEGRADATIONS[name].sample(rng, sev, resources, ctx)))
    return chain


def condition_name(chain: Chain) -> str:
    """``"clean"`` or the step names joined by ``+`` (``"reverb+opus"``)."""
    return CONDITION_SEPARATOR.join(str(step[0]) for step in chain) or CLEAN_CONDITION


def chain_to_json(chain: Chain) -> str:
    return json.dumps([[name, params] for name, params in chain], sort_keys=True)


def chain_from_json(data: str | Sequence) -> Chain:
    """Inverse of :func:`chain_to_json` (also accepts the already-parsed list)."""
    raw = json.loads(data) if isinstance(data, str) else data
    return [(str(name), dict(params)) for name, params in raw]


def _resolve(deg: Degradation, params: Mapping[str, Any], resources: Resources | None) -> dict:
    out = dict(params)
    for key, kind in deg.resource_params.items():
        ref = out.get(key)
        if ref is None:
            continue
        if resources is None:
            raise ValueError(f"{deg.name}: parameter {key!r} names a {kind} file but no resources were given")
        out[key] = [resources.load(kind, r) for r in ref] if isinstance(ref, (list, tuple)) else resources.load(kind, ref)
    return out


def apply_chain(
    clean: np.ndarray,
    chain: Chain,
    resources: Resources | None = None,
    seed: int = 0,
    *,
    normalize: bool = True,
) -> np.ndarray:
    """Apply ``chain`` to ``clean`` (float32 16 kHz mono); identical output for identical inputs.

    The input is first set to :data:`TARGET_LEVEL_DB` (``normalize``); step ``i`` gets its own
    generator ``default_rng([seed, i])``. After a step other than ``level``/``clip`` that overshoots
    full scale, the signal is scaled to a peak of :data:`SAFE_PEAK`. The result has the input's
    length.
    """
    x = np.asarray(clean, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected mono (samples,) audio, got shape {x.shape}")
    n = len(x)
    if normalize:
        x = set_level(x)
    for i, (name, params) in enumerate(chain):
        if name not in DEGRADATIONS:
            raise KeyError(f"unknown degradation {name!r}; known: {sorted(DEGRADATIONS)}")
        deg = DEGRADATIONS[name]
        rng = np.random.default_rng([int(seed), i])
        y = np.asarray(deg(x, rng, **_resolve(deg, params, resources)), dtype=np.float32)
        if y.shape != (n,):
            raise RuntimeError(f"{name} returned shape {y.shape}, expected ({n},)")
        if not np.all(np.isfinite(y)):
            raise RuntimeError(f"{name} produced NaN/Inf")
        peak = float(np.max(np.abs(y))) if n else 0.0
        if peak > 1.0 and deg.family != "level":
            y = y * np.float32(SAFE_PEAK / peak)
        x = y
    peak = float(np.max(np.abs(x))) if n else 0.0
    if peak > 1.0:
        x = x * np.float32(SAFE_PEAK / peak)
    return x.astype(np.float32, copy=False)


def describe() -> str:
    """A table of the registered degradations (for docs and ``--help``)."""
    lines = []
    for name, d in DEGRADATIONS.items():
        lines.append(f"{name:12s} {d.family:10s} {d.description}")
    return "\n".join(lines)


__all__ = [
    "CODECS",
    "CHAIN_LENGTHS",
    "DEGRADATIONS",
    "Chain",
    "CodecSpec",
    "CodecUnavailable",
    "Degradation",
    "Resources",
    "TARGET_LEVEL_DB",
    "active_rms",
    "apply_chain",
    "available_codecs",
    "available_degradations",
    "chain_from_json",
    "chain_to_json",
    "codec_available",
    "codec_delay",
    "condition_name",
    "estimate_delay",
    "list_audio",
    "missing_codecs",
    "register",
    "sample_chain",
    "sample_source_variation",
    "sample_source_gate",
    "gate_pauses",
    "frame_levels_db",
    "set_level",
    "vary_source",
    "vocoder",
]
