"""Codec round trips through PyAV or the ``ffmpeg`` binary, probed once per process."""
from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from ..audio import SAMPLE_RATE, resample

from .dsp import SAFE_PEAK, fit_length, rms

log = logging.getLogger(__name__)


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
    return fit_length(y, len(audio)).astype(np.float32)
