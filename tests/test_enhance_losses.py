"""Enhancement losses: hand-computed values, masking, invariances, errors, gradients, spec parsing."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import quality.enhance as qe
from quality.enhance.losses import (
    ENHANCEMENT_LOSSES,
    EnhancementLoss,
    build_enhancement_loss,
    compressed_spectrum_mse,
    neg_si_snr_loss,
    psa_loss,
    si_snr,
)


def rand(*shape: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def numpy_loss_stft(x: np.ndarray) -> np.ndarray:
    """Independent reference of the loss STFT: causal frames of 512 (left pad 384), hop 128, sqrt-Hann."""
    win, hop = 512, 128
    frames = (len(x) - 1 + win - hop) // hop + 1
    padded = np.concatenate([np.zeros(win - hop), x, np.zeros(win)])
    window = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win))
    return np.stack([np.fft.rfft(padded[t * hop:t * hop + win] * window, n=512) for t in range(frames)])


# ---------------------------------------------------------------------------------------- SI-SNR
def test_si_snr_hand_computed_with_orthogonal_noise():
    n = 1000
    ref = rand(1, n, seed=1)[0]
    ref = ref - ref.mean()
    noise = rand(1, n, seed=2)[0]
    noise = noise - noise.mean()
    noise = noise - (noise @ ref) / (ref @ ref) * ref  # zero-mean and orthogonal to ref
    noise = noise * (0.1 * ref.norm() / noise.norm())  # |ref| / |noise| = 10 -> exactly 20 dB
    value = si_snr((ref + noise)[None], ref[None])
    assert value.shape == (1,)
    assert value.item() == pytest.approx(20.0, abs=1e-6)
    # DC offsets and scaling of the estimate do not matter
    assert si_snr((3.0 * (ref + noise) + 0.5)[None], (ref - 2.0)[None]).item() == pytest.approx(20.0, abs=1e-6)
    assert neg_si_snr_loss((ref + noise)[None], ref[None]).item() == pytest.approx(-20.0, abs=1e-6)


def test_si_snr_is_scale_invariant_and_batched():
    ref = rand(3, 800, seed=4)
    est = ref + torch.tensor([[0.3], [1.0], [3.0]]) * rand(3, 800, seed=3)
    base = si_snr(est, ref)
    assert base.shape == (3,) and base[0] > base[1] > base[2]
    torch.testing.assert_close(si_snr(est * torch.tensor([[0.05], [5.0], [123.0]]), ref), base, rtol=1e-7, atol=1e-6)
    torch.testing.assert_close(si_snr(est, ref * 7.0), base, rtol=1e-7, atol=1e-6)
    assert neg_si_snr_loss(est, ref).item() == pytest.approx(-base.mean().item())


def test_si_snr_masks_past_lengths():
    est, ref = rand(2, 900, seed=5), rand(2, 900, seed=6)
    lengths = torch.tensor([900, 500])
    masked = si_snr(est, ref, lengths)
    torch.testing.assert_close(masked[0], si_snr(est[:1], ref[:1])[0])
    torch.testing.assert_close(masked[1], si_snr(est[1:, :500], ref[1:, :500])[0])  # zero-mean over 500 samples
    est2 = est.clone()
    est2[1, 500:] = 1e3  # garbage past the length changes nothing
    torch.testing.assert_close(si_snr(est2, ref, lengths), masked)


def test_shape_and_length_errors():
    a = torch.zeros(2, 100)
    with pytest.raises(ValueError, match="same shape"):
        si_snr(a, torch.zeros(2, 99))
    with pytest.raises(ValueError, match="batch, samples"):
        si_snr(torch.zeros(100), torch.zeros(100))
    with pytest.raises(ValueError, match="floating-point"):
        si_snr(torch.zeros(2, 100, dtype=torch.long), torch.zeros(2, 100, dtype=torch.long))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        si_snr(a, a, torch.tensor([100]))
    with pytest.raises(ValueError, match=r"lie in \[1, 100\]"):
        si_snr(a, a, torch.tensor([100, 0]))
    with pytest.raises(ValueError, match="mix must have the shape"):
        compressed_spectrum_mse(a, a, torch.zeros(2, 50))
    with pytest.raises(ValueError, match="needs the mixture"):
        psa_loss(a, a, None)
    with pytest.raises(ValueError, match="exponent"):
        compressed_spectrum_mse(a, a, exponent=0.0)


# ------------------------------------------------------------------------------------------- PSA
def test_psa_matches_numpy_reference():
    est, ref, mix = (rand(300, seed=s).numpy() for s in (7, 8, 9))
    s_hat, s, y = numpy_loss_stft(est), numpy_loss_stft(ref), numpy_loss_stft(mix)
    expected = np.mean((np.abs(s_hat) - np.abs(s) * np.cos(np.angle(s) - np.angle(y))) ** 2)
    value = psa_loss(*(torch.tensor(v)[None] for v in (est, ref, mix)))
    assert value.item() == pytest.approx(expected, rel=1e-9)
    assert s.shape == (6, 257)  # 300 samples -> 6 causal frames of hop 128


def test_psa_masks_padded_frames():
    est, ref, mix = (rand(1, 700, seed=s) for s in (10, 11, 12))
    alone = psa_loss(est[:, :450], ref[:, :450], mix[:, :450])
    padded = psa_loss(est, ref, mix, torch.tensor([450]))  # samples 450.. are garbage, ignored
    assert padded.item() == pytest.approx(alone.item(), rel=1e-9)
    # mixture phase equal to the clean phase: target is |S|, so the clean signal scores 0
    assert psa_loss(ref, ref, 2.0 * ref).item() == pytest.approx(0.0, abs=1e-12)


# ----------------------------------------------------------------------------------------- cspec
def test_cspec_zero_on_identical_positive_otherwise():
    ref = rand(2, 1000, seed=13)
    lengths = torch.tensor([1000, 600])
    assert compressed_spectrum_mse(ref, ref).item() == 0.0
    assert compressed_spectrum_mse(ref, ref, lengths=lengths).item() == 0.0
    assert compressed_spectrum_mse(ref + 0.01 * rand(2, 1000, seed=14), ref).item() > 0
    assert compressed_spectrum_mse(0.5 * ref, ref, complex_weight=0.0).item() > 0
    # differences only past the lengths do not count
    est = ref.clone()
    est[1, 600:] += 5.0
    assert compressed_spectrum_mse(est, ref, lengths=lengths).item() == 0.0


def test_cspec_matches_numpy_reference():
    est, ref = rand(400, seed=15).numpy(), rand(400, seed=16).numpy()
    e, r = numpy_loss_stft(est), numpy_loss_stft(ref)
    c = 0.3
    mag = np.mean((np.abs(e) ** c - np.abs(r) ** c) ** 2)
    cplx = np.mean(np.abs(np.abs(e) ** c * np.exp(1j * np.angle(e)) - np.abs(r) ** c * np.exp(1j * np.angle(r))) ** 2)
    value = compressed_spectrum_mse(torch.tensor(est)[None], torch.tensor(ref)[None], exponent=c, complex_weight=0.5)
    assert value.item() == pytest.approx(mag + 0.5 * cplx, rel=1e-6)


# ------------------------------------------------------------------------------ combined / build
def test_build_enhancement_loss_spec_parsing_and_total():
    loss = build_enhancement_loss("si_snr+cspec:0.5")
    assert isinstance(loss, EnhancementLoss) and loss.weights == {"si_snr": 1.0, "cspec": 0.5}
    est, clean, mix = rand(2, 900, seed=17), rand(2, 900, seed=18), rand(2, 900, seed=19)
    lengths = torch.tensor([900, 700])
    total, parts = build_enhancement_loss({"si_snr": 1.0, "cspec": 0.5, "psa": 2.0})(est, clean, mix, lengths)
    assert set(parts) == {"si_snr", "cspec", "psa"}
    assert parts["psa"].item() == pytest.approx(psa_loss(est, clean, mix, lengths).item())
    assert total.item() == pytest.approx(parts["si_snr"] + 0.5 * parts["cspec"] + 2.0 * parts["psa"])
    assert set(ENHANCEMENT_LOSSES) == {"si_snr", "cspec", "psa"}


@pytest.mark.parametrize("spec, match", [
    ("si_snr+foo+bar", r"'foo', 'bar'; available: cspec, psa, si_snr"),
    ({"mse": 1.0}, "'mse'"),
    ("si_snr:-1", ">= 0"),
    ({"psa": "x"}, "must be a number"),
    ("", "empty term"),
    ({}, "non-empty"),
    ("si_snr+si_snr", "twice"),
])
def test_build_enhancement_loss_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        build_enhancement_loss(spec)


@pytest.mark.parametrize("name", sorted(ENHANCEMENT_LOSSES))
def test_gradients_reach_enhancer_parameters(name):
    torch.manual_seed(0)
    model = qe.build_enhancer("dpcrn", channels=[4, 4, 4, 4, 8], intra_hidden=4, inter_hidden=8)
    mix, clean = rand(2, 2000, seed=20, dtype=torch.float32), rand(2, 2000, seed=21, dtype=torch.float32)
    lengths = torch.tensor([2000, 1300])
    total, _ = build_enhancement_loss(name)(model(mix, lengths), clean, mix, lengths)
    total.backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname
    assert math.isfinite(total.item())
