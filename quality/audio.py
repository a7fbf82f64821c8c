"""Audio input: read any libsndfile format, any rate and channel count, as float32 at 16 kHz.

Every user mistake (missing, empty, corrupt, too short, NaN/Inf) raises :class:`AudioError`
whose message names the file and the problem; digital silence only warns.
"""
from __future__ import annotations

import os
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

SAMPLE_RATE = 16000
MIN_SECONDS = 0.25
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".au", ".caf", ".w64", ".rf64"}
)

ChannelMode = Literal["mix", "first", "each"]


class AudioError(ValueError):
    """A recording that cannot be scored; the message names the file and the reason."""


class SilentAudioWarning(UserWarning):
    """The recording is digital silence: it will be scored, but the score means little."""


def _name(source: str | os.PathLike | None) -> str:
    return str(source) if source is not None else "<array>"


def resample(audio: np.ndarray, orig_sr: int, target_sr: int = SAMPLE_RATE) -> np.ndarray:
    """Resample along the last axis with a polyphase FIR filter (Kaiser window)."""
    if orig_sr == target_sr:
        return audio
    if orig_sr <= 0:
        raise ValueError(f"sample rate must be positive, got {orig_sr}")
    from scipy.signal import resample_poly  # imported here: scipy.signal alone takes ~1.5 s to import

    ratio = Fraction(target_sr, orig_sr).limit_denominator(10000)
    out = resample_poly(audio, ratio.numerator, ratio.denominator, axis=-1, window=("kaiser", 8.0))
    return out.astype(np.float32, copy=False)


def prepare_audio(
    audio: np.ndarray,
    sample_rate: int,
    *,
    channels: ChannelMode = "mix",
    source: str | os.PathLike | None = None,
    min_seconds: float = MIN_SECONDS,
) -> np.ndarray:
    """Validate and convert an array to float32 at 16 kHz.

    ``audio`` is ``(samples,)`` or ``(samples, channels)`` (soundfile's layout) in float or
    integer PCM. Returns ``(samples,)`` for ``channels="mix"``/``"first"`` and
    ``(channels, samples)`` for ``"each"``.
    """
    name = _name(source)
    audio = np.asarray(audio)
    if audio.ndim not in (1, 2):
        raise AudioError(f"{name}: expected a (samples,) or (samples, channels) array, got shape {audio.shape}")
    if audio.size == 0:
        raise AudioError(f"{name}: empty audio (no samples)")
    if np.issubdtype(audio.dtype, np.integer):
        info = np.iinfo(audio.dtype)
        audio = audio.astype(np.float32) / float(max(abs(info.min), info.max))
    elif not np.issubdtype(audio.dtype, np.floating):
        raise AudioError(f"{name}: unsupported sample type {audio.dtype}")
    audio = audio.astype(np.float32, copy=False)
    if not np.all(np.isfinite(audio)):
        raise AudioError(f"{name}: contains NaN or Inf samples")
    if audio.ndim == 2:
        if channels == "mix":
            audio = audio.mean(axis=1)
        elif channels == "first":
            audio = audio[:, 0]
        elif channels == "each":
            audio = audio.T
        else:
            raise ValueError(f"channels must be 'mix', 'first' or 'each', got {channels!r}")
    elif channels == "each":
        audio = audio[None, :]
    duration = audio.shape[-1] / float(sample_rate)
    if duration < min_seconds:
        raise AudioError(
            f"{name}: too short ({duration:.3f} s); at least {min_seconds:.2f} s of audio is needed"
        )
    audio = resample(audio, sample_rate, SAMPLE_RATE)
    if float(np.max(np.abs(audio))) == 0.0:
        warnings.warn(f"{name}: digital silence (all samples are zero)", SilentAudioWarning, stacklevel=2)
    return np.ascontiguousarray(audio)


def load_audio(
    path: str | os.PathLike,
    *,
    channels: ChannelMode = "mix",
    min_seconds: float = MIN_SECONDS,
) -> np.ndarray:
    """Read an audio file as float32 at 16 kHz (see :func:`prepare_audio` for shapes and errors)."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    try:
        audio, sample_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(f"{path}: cannot decode audio ({err}); unsupported format or corrupt file") from None
    return prepare_audio(audio, sample_rate, channels=channels, source=path, min_seconds=min_seconds)


def audio_info(path: str | os.PathLike) -> tuple[int, float]:
    """Return ``(sample_rate, duration_s)`` of a file without decoding it."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(f"{path}: cannot decode audio ({err}); unsupported format or corrupt file") from None
    return int(info.samplerate), float(info.frames) / float(info.samplerate)



def iter_audio_windows(
    path: str | os.PathLike,
    window_seconds: float,
    *,
    channels: ChannelMode = "mix",
    min_seconds: float = MIN_SECONDS,
):
    """Yield a long file as consecutive 16 kHz windows without holding it all in memory.

    The file is cut into ``ceil(duration / window_seconds)`` windows of equal length (so there
    is no tiny last window); each is read with a margin at the original rate, resampled, and
    trimmed, so the joined windows match :func:`load_audio` up to the resampler's edge effects.
    Files no longer than one window are yielded whole. Errors as in :func:`load_audio`.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        yield load_audio(path, channels=channels, min_seconds=min_seconds)  # raises the right error
        return
    sample_rate, duration = audio_info(path)
    total = int(round(duration * sample_rate))
    count = max(1, int(np.ceil(duration / window_seconds)))
    if count == 1:
        yield load_audio(path, channels=channels, min_seconds=min_seconds)
        return
    margin = sample_rate // 10 if sample_rate != SAMPLE_RATE else 0
    bounds = np.linspace(0, total, count + 1).round().astype(int)
    with sf.SoundFile(str(path)) as fh:
        for start, stop in zip(bounds[:-1], bounds[1:]):
            lo, hi = max(0, start - margin), min(total, stop + margin)
            fh.seek(lo)
            block = fh.read(hi - lo, dtype="float32", always_2d=True)
            audio = prepare_audio(block, sample_rate, channels=channels, source=path, min_seconds=0.0)
            head = int(round((start - lo) * SAMPLE_RATE / sample_rate))
            keep = int(round(stop * SAMPLE_RATE / sample_rate)) - int(round(start * SAMPLE_RATE / sample_rate))
            yield np.ascontiguousarray(audio[..., head : head + keep])
