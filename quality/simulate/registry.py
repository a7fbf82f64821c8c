"""The degradation registry: each function with its severity sampler, family and stage."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .codecs import CODECS, codec, codec_available
from .degradations import (add_babble, add_noise, add_talker, amplitude_clip, bandlimit, colouration, device,
                           distortion, echo, enhancement, level, packet_loss, reverb, synthetic_room, time_clip)
from .resources import Resources
from .vocoder import vocoder


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


def round_param(x: float, nd: int = 3) -> float:
    return float(round(float(x), nd))


def _jitter(rng: np.random.Generator, severity: float, spread: float = 0.1) -> float:
    return float(np.clip(severity + rng.uniform(-spread, spread), 0.0, 1.0))


def _s_noise(rng, sev, res, ctx):
    return {"noise": res.choose("noise", rng), "snr_db": round_param(40.0 - 45.0 * _jitter(rng, sev) ** 1.8, 2)}


def _s_babble(rng, sev, res, ctx):
    count = int(rng.integers(3, 9))
    return {"talkers": res.other_speech(rng, count, ctx.get("speaker"), ctx.get("split")),
            "snr_db": round_param(40.0 - 45.0 * _jitter(rng, sev) ** 1.8, 2)}


def _s_talker(rng, sev, res, ctx):
    return {"talker": res.other_speech(rng, 1, ctx.get("speaker"), ctx.get("split"))[0],
            "sir_db": round_param(35.0 - 40.0 * _jitter(rng, sev) ** 1.5, 2)}


def _s_reverb(rng, sev, res, ctx):
    return {"rir": res.choose("rir", rng), "tail_gain_db": round_param(-30.0 + 33.0 * _jitter(rng, sev) ** 1.5, 2)}


def _s_room(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    return {"rt60": round_param(0.1 + 1.4 * s**1.3), "drr_db": round_param(20.0 - 26.0 * s**1.3 + rng.uniform(-3, 3), 2),
            "predelay_ms": round_param(rng.uniform(1.0, 15.0), 2)}


def _s_device(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    return {"ir": res.choose("device_ir", rng), "highpass_hz": round_param(0.0 if s < 0.3 else 100.0 + 600.0 * s, 1)}


def _s_colouration(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    peaks = [[round_param(math.exp(rng.uniform(math.log(200), math.log(6500))), 1),
              round_param(rng.choice([-1.0, 1.0]) * rng.uniform(3.0, 3.0 + 15.0 * s), 2),
              round_param(rng.uniform(0.7, 4.0), 2)] for _ in range(int(rng.integers(1, 5)))]
    return {"peaks": peaks, "highpass_hz": round_param(50.0 + 950.0 * s * rng.random(), 1),
            "lowpass_hz": round_param(0.0 if s < 0.3 else 7500.0 - 5500.0 * s, 1)}


def _s_bandlimit(rng, sev, res, ctx):
    mode = str(rng.choice(["narrowband", "wideband", "lowpass"], p=[0.4, 0.2, 0.4]))
    if mode == "narrowband":
        return {"low_hz": 300.0, "high_hz": 3400.0, "order": 8}
    if mode == "wideband":
        return {"low_hz": 50.0, "high_hz": 7000.0, "order": 8}
    return {"low_hz": 0.0, "high_hz": round_param(7500.0 - 6000.0 * _jitter(rng, sev), 1), "order": 8}


def _s_codec_for(name: str):
    def sample(rng, sev, res, ctx):
        rates = CODECS[name].bitrates
        s = _jitter(rng, sev, 0.15)
        i = int(np.clip(round((1.0 - s) * (len(rates) - 1)), 0, len(rates) - 1))
        return {"bitrate": int(rates[i])}

    return sample


def _s_packet_loss(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    return {"frame_ms": float(rng.choice([10.0, 20.0, 30.0, 40.0, 60.0])), "loss_rate": round_param(0.01 + 0.29 * s),
            "burst": round_param(rng.uniform(1.0, 3.0), 2), "concealment": str(rng.choice(["zero", "repeat"]))}


def _s_time_clip(rng, sev, res, ctx):
    return {"rate_hz": round_param(0.3 + 4.7 * _jitter(rng, sev), 2), "seg_ms": [10.0, 60.0],
            "mode": str(rng.choice(["drop", "repeat", "mixed"]))}


def _s_clip(rng, sev, res, ctx):
    return {"threshold": round_param(0.6 - 0.57 * _jitter(rng, sev), 4), "soft": bool(rng.random() < 0.3)}


def _s_level(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    if rng.random() < 0.5:
        return {"gain_db": round_param(-12.0 - 33.0 * s, 2), "noise_floor_db": round_param(rng.uniform(-90.0, -70.0), 2)}
    return {"gain_db": round_param(8.0 + 20.0 * s, 2), "noise_floor_db": -120.0}


def _s_echo(rng, sev, res, ctx):
    return {"delay_ms": round_param(rng.uniform(40.0, 400.0), 1), "gain_db": round_param(-30.0 + 27.0 * _jitter(rng, sev), 2),
            "count": int(rng.integers(1, 4)), "lowpass_hz": round_param(rng.uniform(2500.0, 7000.0), 1)}


def _s_distortion(rng, sev, res, ctx):
    return {"kind": str(rng.choice(["tanh", "asym", "cubic", "bitcrush"])), "amount": round_param(_jitter(rng, sev) ** 1.7)}


def _s_vocoder(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    if rng.random() < 0.5:
        return {"method": "lpc", "order": int(round(20 - 10 * s)), "pulses": int(round(40 * 13.0 ** -s)),
                "bits": int(round(8 - 5 * s))}
    return {"method": "mel", "bands": int(round(100 - 70 * s)), "step_db": round_param(4.0 * s, 2),
            "iterations": int(round(48 - 40 * s))}


def _s_enhancement(rng, sev, res, ctx):
    s = _jitter(rng, sev)
    method = str(rng.choice(["specsub", "wiener"]))
    p = {"noise": res.choose("noise", rng) if res is not None and res.has("noise") else None,
         "snr_db": round_param(30.0 - 30.0 * s**1.5, 2), "method": method, "noise_error_db": round_param(rng.uniform(-4.0, 4.0), 2)}
    if method == "specsub":
        p.update(alpha=round_param(rng.uniform(1.0, 2.0 + 4.0 * s), 2), floor=round_param(10 ** rng.uniform(-3.0, -1.0), 4), smoothing=0.0)
    else:
        p.update(alpha=round_param(rng.uniform(0.7, 1.0 + 2.0 * s), 2), floor=round_param(10 ** rng.uniform(-2.5, -1.0), 4),
                 smoothing=round_param(0.98 - 0.5 * s * rng.random(), 3))
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
