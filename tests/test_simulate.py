"""Degradation simulator: every degradation runs, chains are reproducible, codecs are optional."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from quality import simulate as sim
from quality.simulate import codecs as sim_codecs
from synthetic import speech_like

SR = 16000


def make_resources(root: Path, speakers: int = 4) -> sim.Resources:
    """Tiny noise / room IR / device IR / speech folders of synthetic signals."""
    rng = np.random.default_rng(0)
    (root / "noise").mkdir(parents=True)
    sf.write(root / "noise" / "white.wav", (0.1 * rng.standard_normal(3 * SR)).astype(np.float32), SR)
    hum = 0.1 * np.sin(2 * np.pi * 50 * np.arange(2 * SR) / SR) + 0.02 * rng.standard_normal(2 * SR)
    sf.write(root / "noise" / "hum.flac", hum.astype(np.float32), SR)
    (root / "rir" / "rooms").mkdir(parents=True)
    t = np.arange(int(0.4 * SR)) / SR
    rir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / 0.4) * 0.3
    rir[:40] = 0.0
    rir[20] = 1.0
    sf.write(root / "rir" / "rooms" / "room.wav", rir.astype(np.float32), SR)
    (root / "rir" / "device_ir").mkdir()
    dev = np.zeros(800, dtype=np.float32)
    dev[:64] = np.hanning(64) * np.cos(np.linspace(0, 12, 64))
    sf.write(root / "rir" / "device_ir" / "speaker.wav", dev, SR)
    for s in range(speakers):
        (root / "speech" / f"spk{s}").mkdir(parents=True)
        for u in range(2):
            sf.write(root / "speech" / f"spk{s}" / f"u{u}.wav", speech_like(rng, 2.0), SR)
    return sim.Resources(noise=root / "noise", rir=root / "rir", speech=root / "speech")


@pytest.fixture(scope="module")
def res(tmp_path_factory) -> sim.Resources:
    return make_resources(tmp_path_factory.mktemp("res"))


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return speech_like(np.random.default_rng(5), 1.6)


def test_resources_split_rooms_and_devices(res):
    assert res.files["rir"] == ["rooms/room.wav"]
    assert res.files["device_ir"] == ["device_ir/speaker.wav"]
    assert sorted(res.files["noise"]) == ["hum.flac", "white.wav"]
    assert res.speakers["spk1/u0.wav"] == "spk1"
    talkers = res.other_speech(np.random.default_rng(0), 3, speaker="spk0")
    assert len(set(talkers)) == 3 and not any(t.startswith("spk0/") for t in talkers)


@pytest.mark.parametrize("name", sorted(sim.DEGRADATIONS))
def test_every_degradation_runs(name, res, clean):
    deg = sim.DEGRADATIONS[name]
    if deg.family == "codec" and not sim.codec_available(name):
        pytest.skip(f"codec {name} not available here")
    assert deg.available(res)
    for severity in (0.0, 0.5, 1.0):
        params = deg.sample(np.random.default_rng(1), severity, res, {"speaker": "spk0"})
        chain = [(name, params)]
        assert sim.chain_from_json(sim.chain_to_json(chain)) == chain  # plain JSON types only
        y = sim.apply_chain(clean, chain, res, seed=7)
        assert y.dtype == np.float32 and y.shape == clean.shape
        assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
        assert sim.active_rms(y) > 1e-5
        assert np.array_equal(y, sim.apply_chain(clean, chain, res, seed=7))


def test_chain_reproducible_and_seed_dependent(res, clean):
    rng = np.random.default_rng(3)
    chains = [sim.sample_chain(rng, res, speaker="spk0", lengths={2: 1.0}) for _ in range(6)]
    for chain in chains:
        a = sim.apply_chain(clean, chain, res, seed=11)
        b = sim.apply_chain(clean, sim.chain_from_json(json.loads(sim.chain_to_json(chain))), res, seed=11)
        assert np.array_equal(a, b)
    noisy = [("noise", {"noise": "white.wav", "snr_db": 5.0})]
    assert not np.array_equal(sim.apply_chain(clean, noisy, res, 1), sim.apply_chain(clean, noisy, res, 2))


def test_sample_chain_structure(res):
    rng = np.random.default_rng(0)
    lengths, seen = set(), set()
    for _ in range(300):
        chain = sim.sample_chain(rng, res, speaker="spk1")
        names = [n for n, _ in chain]
        lengths.add(len(chain))
        seen.update(names)
        families = [sim.DEGRADATIONS[n].family for n in names]
        assert len(set(families)) == len(families)
        stages = [sim.DEGRADATIONS[n].stage for n in names]
        assert stages == sorted(stages)
        json.dumps(chain)
        assert sim.condition_name(chain) == ("+".join(names) or "clean")
    assert lengths == {0, 1, 2, 3}
    non_codec = {n for n, d in sim.DEGRADATIONS.items() if d.family != "codec"}
    assert non_codec <= seen


def test_sample_chain_restricted_and_severity(res):
    rng = np.random.default_rng(0)
    chain = sim.sample_chain(rng, res, names=["noise"], lengths={1: 1.0}, severity=1.0)
    assert chain[0][0] == "noise" and chain[0][1]["snr_db"] < 5.0
    chain = sim.sample_chain(rng, res, names=["noise"], lengths={1: 1.0}, severity=0.0)
    assert chain[0][1]["snr_db"] > 35.0


def test_levels_and_snr(clean):
    rng = np.random.default_rng(0)
    x = sim.set_level(clean)
    assert abs(20 * np.log10(sim.active_rms(x)) - sim.TARGET_LEVEL_DB) < 0.01
    noise = rng.standard_normal(SR).astype(np.float32)
    y = sim.add_noise(x, rng, noise=noise, snr_db=10.0)
    snr = 20 * np.log10(sim.active_rms(x) / sim.rms(y - x))
    assert abs(snr - 10.0) < 0.05
    low = sim.apply_chain(clean, [("level", {"gain_db": -30.0, "noise_floor_db": -80.0})])
    assert 20 * np.log10(sim.active_rms(low)) < -50
    high = sim.apply_chain(clean, [("level", {"gain_db": 20.0, "noise_floor_db": -120.0})])
    assert np.max(np.abs(high)) <= 1.0 and np.mean(np.abs(high) > 0.999) > 0.01  # saturated


def test_packet_loss_and_time_clip(clean):
    x = sim.set_level(clean)
    y = sim.packet_loss(x, np.random.default_rng(0), frame_ms=20, loss_rate=0.3, burst=2.0, concealment="zero")
    frames = y[: len(y) // 320 * 320].reshape(-1, 320)
    assert np.mean(np.all(frames[:, 20:-20] == 0, axis=1)) > 0.1
    z = sim.time_clip(x, np.random.default_rng(0), rate_hz=5.0, mode="drop")
    assert z.shape == x.shape and not np.allclose(z, x)


def test_missing_codec_is_skipped(monkeypatch, res):
    real = sim_codecs._codec_backend

    def fake(name):
        return "not built in (test)" if name == "opus" else real(name)

    monkeypatch.setattr(sim_codecs, "_codec_backend", fake)
    monkeypatch.setattr(sim_codecs, "_LOGGED_MISSING", set())
    assert not sim.codec_available("opus")
    assert "opus" not in sim.available_degradations(res)
    assert "opus" in sim.missing_codecs() and "opus" not in sim.available_codecs()
    rng = np.random.default_rng(0)
    for _ in range(100):
        assert all(n != "opus" for n, _ in sim.sample_chain(rng, res))


def test_codecs_aligned():
    found = sim.available_codecs()
    if not found:
        pytest.skip("no codec backend (PyAV or ffmpeg) available")
    x = _gliding()
    for name in found:
        spec = sim.CODECS[name]
        y = sim.codec(x, np.random.default_rng(0), codec=name, bitrate=spec.bitrates[-1])
        assert y.shape == x.shape and np.all(np.isfinite(y))
        # no delay left: the best lag in either direction is (about) zero
        lag = sim.estimate_delay(y, x, max_lag=400, min_lag=-400)
        if name not in ("amr_nb", "gsm", "codec2", "speex"):  # CELP/vocoders keep no waveform to align on
            assert abs(lag) <= 1, (name, lag)


def _gliding(seconds: float = 1.5) -> np.ndarray:
    # a gliding pitch: a steady one makes the cross-correlation of speech codecs ambiguous
    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * np.cumsum(120 * np.exp(0.5 * np.sin(2 * np.pi * 0.9 * t))) / SR
    return sim.set_level((np.sin(2 * np.pi * 2.7 * t) ** 2 * sum(np.sin(k * phase) / k for k in range(1, 20))).astype(np.float32))


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg binary on PATH")
def test_ffmpeg_binary_backend(monkeypatch):
    monkeypatch.setattr(sim_codecs, "_have_av", lambda: False)
    sim_codecs._codec_backend.cache_clear()
    sim.codec_delay.cache_clear()
    try:
        found = sim.available_codecs()
        if not found:
            pytest.skip("the ffmpeg binary has none of the codecs")
        assert all(v.startswith("ffmpeg:") for v in found.values())
        x = _gliding()
        for name in found:
            y = sim.codec(x, np.random.default_rng(0), codec=name, bitrate=sim.CODECS[name].bitrates[0])
            assert y.shape == x.shape and np.all(np.isfinite(y))
            if name not in ("amr_nb", "gsm", "codec2", "speex"):
                assert abs(sim.estimate_delay(y, x, max_lag=400, min_lag=-400)) <= 1, name
    finally:
        sim_codecs._codec_backend.cache_clear()
        sim.codec_delay.cache_clear()


def test_unknown_degradation_rejected(clean):
    with pytest.raises(KeyError):
        sim.apply_chain(clean, [("nope", {})])


def test_vary_source_speed_eq_and_level():
    rng = np.random.default_rng(0)
    x = sim.set_level(speech_like(rng, 2.0))
    params = sim.sample_source_variation(np.random.default_rng(1))
    lo, hi = sim.SOURCE_SPEED
    assert lo <= params["speed"] <= hi and 1 <= len(params["peaks"]) <= 2
    assert all(abs(g) <= sim.SOURCE_EQ_DB for _, g, _ in params["peaks"])
    faster = sim.vary_source(x, speed=1.1)
    assert len(faster) == pytest.approx(len(x) / 1.1, abs=2)
    assert sim.active_rms(faster) == pytest.approx(sim.active_rms(x), rel=1e-3)
    np.testing.assert_allclose(sim.vary_source(x), x, atol=1e-6)  # speed 1, no EQ: unchanged
    shaped = sim.vary_source(x, peaks=[[1000.0, 5.0, 0.7]])
    assert len(shaped) == len(x) and not np.allclose(shaped, x, atol=1e-3)
    assert np.array_equal(sim.vary_source(x, **params), sim.vary_source(x, **params))
    with pytest.raises(ValueError, match="speed"):
        sim.vary_source(x, speed=3.0)


def test_gate_pauses_quiets_pauses_and_keeps_speech():
    rng = np.random.default_rng(0)
    n = SR
    floor = 1e-3 * rng.standard_normal(3 * n)  # a noise floor 60 dB below full scale
    x = floor.copy()
    x[n : 2 * n] += 0.3 * np.sin(2 * np.pi * 200 * np.arange(n) / n)  # one second of "speech"
    y = sim.gate_pauses(x, depth_db=40.0, margin_db=8.0)
    assert y.dtype == np.float32 and len(y) == len(x)
    level = lambda a: 10 * np.log10(np.mean(np.square(a, dtype=np.float64)))  # noqa: E731
    pause, speech = slice(0, n // 2), slice(n + n // 4, 2 * n - n // 4)
    assert -41.0 < level(y[pause]) - level(x[pause]) < -30.0  # the hold keeps a fluctuating floor a little higher
    np.testing.assert_allclose(y[speech], x[speech], atol=1e-6)  # loud frames pass untouched
    np.testing.assert_allclose(sim.gate_pauses(x, depth_db=0.0), x.astype(np.float32))
    deeper = sim.gate_pauses(x, depth_db=60.0)
    assert level(deeper[pause]) < level(y[pause]) - 15
    # vary_source: gated, level kept; parameters sampled in their ranges and reproducible
    gated = sim.vary_source(x, gate=[40.0, 8.0])
    assert sim.active_rms(gated) == pytest.approx(sim.active_rms(x), rel=0.05)
    assert level(gated[pause]) < level(x[pause]) - 30
    depth, margin = sim.sample_source_gate(np.random.default_rng(3))
    assert sim.SOURCE_GATE_DEPTH_DB[0] <= depth <= sim.SOURCE_GATE_DEPTH_DB[1]
    assert sim.SOURCE_GATE_MARGIN_DB[0] <= margin <= sim.SOURCE_GATE_MARGIN_DB[1]
    assert sim.sample_source_gate(np.random.default_rng(3)) == [depth, margin]
    with pytest.raises(ValueError, match="gate"):
        sim.gate_pauses(x, depth_db=-5.0)


def test_vocoder_rebuilds_speech_from_a_coarse_model(clean):
    x = sim.set_level(clean).astype(np.float64)
    rng = np.random.default_rng(0)
    # every residual sample kept at full precision: the LPC analysis/synthesis pair is transparent
    exact = sim.vocoder(x, rng, method="lpc", order=16, pulses=sim.VOCODER_SUBFRAME, bits=24)
    assert np.max(np.abs(exact - x)) < 1e-3 * np.max(np.abs(x))

    def snr(y):
        return 10 * np.log10(np.sum(x**2) / np.sum((y - x) ** 2))

    fine = sim.vocoder(x, rng, method="lpc", order=20, pulses=40, bits=8)
    coarse = sim.vocoder(x, rng, method="lpc", order=10, pulses=2, bits=3)
    assert snr(fine) > snr(coarse) + 3.0
    # the mel vocoder keeps the band levels but not the waveform (its phase is rebuilt)
    mel = sim.vocoder(x, np.random.default_rng(1), method="mel", bands=60, step_db=0.0, iterations=16)
    assert mel.shape == x.shape and snr(mel) < 3.0
    band = lambda y: np.log10(np.abs(np.fft.rfft(y)) ** 2 + 1e-9)[: len(y) // 4].reshape(32, -1).mean(1)  # noqa: E731
    assert np.corrcoef(band(mel), band(x))[0, 1] > 0.9
    a = sim.lpc_coefficients(np.hanning(480) * x[4000:4480], 16)
    assert a[0] == 1.0 and np.all(np.abs(np.roots(a)) < 1.0)  # stable synthesis filter
    with pytest.raises(ValueError, match="unknown vocoder"):
        sim.vocoder(x, rng, method="wavenet")


def test_sample_chain_weights(res):
    draws = lambda weights: [n for _ in range(200)  # noqa: E731
                             for n, _ in sim.sample_chain(np.random.default_rng(_), res, lengths={1: 1.0}, weights=weights)]
    plain, heavy = draws(None), draws({"vocoder": 40.0})
    assert heavy.count("vocoder") > 0.6 * len(heavy) > plain.count("vocoder")
    assert "vocoder" not in draws({"vocoder": 0.0})
