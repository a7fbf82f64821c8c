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

Modules: :mod:`.dsp` (levels and signal helpers), :mod:`.degradations` (the pure functions),
:mod:`.vocoder`, :mod:`.codecs`, :mod:`.resources` (noise, impulse-response and speech folders),
:mod:`.registry` (each degradation with its severity sampler), :mod:`.sources` (source variation
and pause gating) and :mod:`.chains` (sampling and applying chains). Everything public is
importable from ``quality.simulate``.
"""
from __future__ import annotations

from .chains import CHAIN_LENGTHS, Chain, apply_chain, chain_from_json, chain_to_json, condition_name, describe, sample_chain
from .codecs import (CODECS, CodecSpec, CodecUnavailable, available_codecs, codec, codec_available, codec_delay,
                     estimate_delay, missing_codecs)
from .degradations import (add_babble, add_noise, add_talker, amplitude_clip, bandlimit, colouration, device, distortion,
                           echo, enhancement, level, packet_loss, reverb, synthetic_room, time_clip)
from .dsp import SAFE_PEAK, TARGET_LEVEL_DB, active_rms, frame_levels_db, rms, set_level
from .registry import DEGRADATIONS, Degradation, available_degradations, register
from .resources import Resources, list_audio
from .sources import (SOURCE_EQ_DB, SOURCE_EQ_Q, SOURCE_GATE_DEPTH_DB, SOURCE_GATE_MARGIN_DB, SOURCE_SPEED, gate_pauses,
                      sample_source_gate, sample_source_variation, vary_source)
from .vocoder import VOCODER_FRAME, VOCODER_SUBFRAME, lpc_coefficients, vocoder

__all__ = [
    # chains
    "CHAIN_LENGTHS", "Chain", "apply_chain", "chain_from_json", "chain_to_json", "condition_name", "describe",
    "sample_chain",
    # codecs
    "CODECS", "CodecSpec", "CodecUnavailable", "available_codecs", "codec", "codec_available", "codec_delay",
    "estimate_delay", "missing_codecs",
    # degradations
    "add_babble", "add_noise", "add_talker", "amplitude_clip", "bandlimit", "colouration", "device", "distortion",
    "echo", "enhancement", "level", "packet_loss", "reverb", "synthetic_room", "time_clip",
    # levels
    "SAFE_PEAK", "TARGET_LEVEL_DB", "active_rms", "frame_levels_db", "rms", "set_level",
    # registry and resources
    "DEGRADATIONS", "Degradation", "Resources", "available_degradations", "list_audio", "register",
    # clean-source variation
    "SOURCE_EQ_DB", "SOURCE_EQ_Q", "SOURCE_GATE_DEPTH_DB", "SOURCE_GATE_MARGIN_DB", "SOURCE_SPEED", "gate_pauses",
    "sample_source_gate", "sample_source_variation", "vary_source",
    # vocoders
    "VOCODER_FRAME", "VOCODER_SUBFRAME", "lpc_coefficients", "vocoder",
]
