"""Source variation and pause gating: a different-sounding clean source, not a degradation."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from scipy import signal as sps

from ..audio import SAMPLE_RATE

from .degradations import peaking_filter
from .dsp import match_level, frame_levels_db
from .registry import round_param


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
    speed = round_param(rng.uniform(*SOURCE_SPEED), 2)
    peaks = [[round_param(math.exp(rng.uniform(math.log(150), math.log(6000))), 1),
              round_param(rng.uniform(-SOURCE_EQ_DB, SOURCE_EQ_DB), 2),
              round_param(rng.uniform(*SOURCE_EQ_Q), 2)] for _ in range(int(rng.integers(1, 3)))]
    return {"speed": speed, "peaks": peaks}


#: depth range (dB) and margin range (dB above the noise floor) of a gated source's pauses
SOURCE_GATE_DEPTH_DB = (20.0, 60.0)
SOURCE_GATE_MARGIN_DB = (6.0, 12.0)
_GATE_HOP = SAMPLE_RATE // 100  # 10 ms gain frames
_GATE_HOLD = 9  # frames: a frame stays open when one within +-40 ms is open (onsets, weak consonants)
_GATE_SMOOTH = 5  # frames of gain smoothing (no clicks)


def sample_source_gate(rng: np.random.Generator) -> list[float]:
    """``[depth_db, margin_db]`` of :func:`gate_pauses` for a studio-clean variant of a source."""
    return [round_param(rng.uniform(*SOURCE_GATE_DEPTH_DB), 1), round_param(rng.uniform(*SOURCE_GATE_MARGIN_DB), 1)]


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
        x = sps.sosfilt(np.concatenate([peaking_filter(float(f), float(gain), float(q)) for f, gain, q in peaks]), x)
    if gate:
        x = gate_pauses(x, *(float(v) for v in gate))
    return match_level(x, audio)
