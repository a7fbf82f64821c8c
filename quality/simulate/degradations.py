"""The degradations: small pure functions ``fn(audio, rng, **params) -> audio`` (same length)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import signal as sps

from ..audio import SAMPLE_RATE

from .dsp import active_rms, align_ir, convolve, fit_length, istft, match_level, random_segment, scale_to_ratio, stft


def add_noise(audio: np.ndarray, rng: np.random.Generator, *, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Additive noise: a random stretch of ``noise`` at ``snr_db`` (speech active level vs noise RMS)."""
    seg = random_segment(noise, len(audio), rng)
    return (audio + scale_to_ratio(audio, seg, snr_db)).astype(np.float32)


def add_babble(audio: np.ndarray, rng: np.random.Generator, *, talkers: Sequence[np.ndarray], snr_db: float) -> np.ndarray:
    """Babble: several other speakers, each at equal active level, summed and mixed at ``snr_db``."""
    n = len(audio)
    mix = np.zeros(n, dtype=np.float64)
    for t in talkers:
        seg = random_segment(t, n, rng)
        level = active_rms(seg)
        if level > 1e-9:
            mix += seg / level
    return (audio + scale_to_ratio(audio, mix.astype(np.float32), snr_db)).astype(np.float32)


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
    return (audio + scale_to_ratio(audio, seg, sir_db, active=True)).astype(np.float32)


def reverb(audio: np.ndarray, rng: np.random.Generator, *, rir: np.ndarray, tail_gain_db: float = 0.0) -> np.ndarray:
    """Convolve with a room impulse response (measured or simulated), aligned on its direct path.

    ``tail_gain_db`` scales everything after the first 2.5 ms (the reverberant part) relative to the
    direct sound, stretching a few measured rooms over a range of direct-to-reverberant ratios.
    """
    h = align_ir(rir).copy()
    cut = int(0.0025 * SAMPLE_RATE)
    h[cut:] *= 10.0 ** (tail_gain_db / 20.0)
    return match_level(convolve(audio, h), audio)


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
    return match_level(convolve(audio, tail), audio)


def device(audio: np.ndarray, rng: np.random.Generator, *, ir: np.ndarray, highpass_hz: float = 0.0) -> np.ndarray:
    """Loudspeaker / device colouration: a measured device response plus a small-speaker high-pass."""
    y = convolve(audio, align_ir(ir, max_seconds=0.5))
    if highpass_hz > 0:
        y = sps.sosfiltfilt(sps.butter(4, highpass_hz, "highpass", fs=SAMPLE_RATE, output="sos"), y)
    return match_level(y, audio)


def peaking_filter(f0: float, gain_db: float, q: float) -> np.ndarray:
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
    sos = [peaking_filter(float(f), float(g), float(q)) for f, g, q in peaks]
    if highpass_hz > 0:
        sos.append(sps.butter(2, highpass_hz, "highpass", fs=SAMPLE_RATE, output="sos"))
    if lowpass_hz > 0:
        sos.append(sps.butter(4, lowpass_hz, "lowpass", fs=SAMPLE_RATE, output="sos"))
    if not sos:
        return audio.astype(np.float32, copy=True)
    y = sps.sosfilt(np.concatenate(sos), audio.astype(np.float64))
    return match_level(y, audio)


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
    return match_level(sps.sosfiltfilt(sos, audio.astype(np.float64)), audio)


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
    return fit_length(y, n).astype(np.float32)


def amplitude_clip(audio: np.ndarray, rng: np.random.Generator, *, threshold: float = 0.3, soft: bool = False) -> np.ndarray:
    """Amplitude clipping at ``threshold`` x the signal peak (hard, or tanh-soft), level restored."""
    x = audio.astype(np.float64)
    peak = float(np.max(np.abs(x))) or 1.0
    t = max(1e-4, float(threshold)) * peak
    y = t * np.tanh(x / t) if soft else np.clip(x, -t, t)
    return match_level(y, audio)


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
    return match_level(y, audio)


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
    return match_level(y, audio)


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
    seg = random_segment(noise, n, rng) if noise is not None else rng.standard_normal(n).astype(np.float32)
    seg = scale_to_ratio(audio, seg, snr_db)
    noisy = audio.astype(np.float64) + seg
    spec = stft(noisy)
    power = np.abs(spec) ** 2
    npsd = np.mean(np.abs(stft(seg.astype(np.float64))) ** 2, axis=1, keepdims=True) * 10.0 ** (noise_error_db / 10.0)
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
    return match_level(istft(spec * gain, n), audio)
