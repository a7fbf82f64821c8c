"""The STFT front end: agrees with torch.stft, masks padding, differentiable."""
import pytest
import torch

from quality.features import STFTFrontend, hz_to_mel, mel_filterbank


def test_matches_torch_stft_magnitude():
    torch.manual_seed(0)
    wav = torch.randn(2, 8000)
    front = STFTFrontend(kind="mag", eps=0.0, normalize="none")
    feats, mask = front(wav)
    ref = torch.stft(wav, 512, 256, window=torch.hann_window(512), center=True, pad_mode="constant",
                     return_complex=True).abs().transpose(1, 2)
    assert feats.shape == ref.shape == (2, 8000 // 256 + 1, 257)
    assert torch.allclose(feats, ref, atol=1e-4)
    assert mask.all()


@pytest.mark.parametrize("kind,mel_bands", [("mag", 0), ("logpow", 0), ("cp", 0), ("logpow", 40)])
def test_padding_does_not_change_valid_frames(kind, mel_bands):
    torch.manual_seed(0)
    front = STFTFrontend(kind=kind, normalize="none", mel_bands=mel_bands)
    x = torch.randn(1, 5000)
    alone, _ = front(x)
    padded = torch.cat([x, torch.randn(1, 3000)], dim=1)  # garbage past the length is ignored
    feats, mask = front(padded, torch.tensor([5000]))
    t = alone.shape[1]
    assert mask.sum() == t
    assert torch.allclose(feats[0, :t], alone[0], atol=1e-6)
    assert torch.all(feats[0, t:] == 0)


def test_compression_exponent_and_gradient():
    wav = torch.randn(1, 4000, requires_grad=True)
    mag, _ = STFTFrontend(kind="mag", eps=0.0, normalize="none")(wav)
    cp, _ = STFTFrontend(kind="cp", exponent=0.5, eps=0.0, normalize="none")(wav)
    assert torch.allclose(cp, mag.sqrt(), atol=1e-4)
    cp.sum().backward()
    assert torch.isfinite(wav.grad).all() and wav.grad.abs().sum() > 0


def test_bad_options():
    with pytest.raises(ValueError, match="feature kind"):
        STFTFrontend(kind="mel")
    with pytest.raises(ValueError, match="waveform batch"):
        STFTFrontend()(torch.randn(4000))


def test_utterance_normalisation_is_level_invariant_and_ignores_padding():
    torch.manual_seed(0)
    front = STFTFrontend(kind="logpow", normalize="utterance")
    x = 0.1 * torch.randn(1, 6000)
    alone, _ = front(x)
    louder, _ = front(10 * x)
    assert torch.allclose(alone, louder, atol=1e-3)  # a level change is a constant shift in log power
    padded = torch.cat([x, torch.zeros(1, 5000)], dim=1)
    feats, mask = front(padded, torch.tensor([6000]))
    t = alone.shape[1]
    assert torch.allclose(feats[0, :t], alone[0], atol=1e-5)
    valid = feats[0, :t]
    assert abs(valid.mean().item()) < 1e-4 and abs(valid.std(unbiased=False).item() - 1) < 1e-3
    with pytest.raises(ValueError, match="normalize"):
        STFTFrontend(normalize="batch")


def test_mel_filterbank_triangles():
    fb = mel_filterbank(512, 48)
    assert fb.shape == (257, 48)
    assert (fb >= 0).all() and fb.max() <= 1.0 + 1e-6
    assert (fb.sum(0) > 0).all()
    peaks = fb.argmax(0)
    assert (peaks[1:] >= peaks[:-1]).all()  # centres rise with the band index
    freqs = torch.linspace(0, 8000, 257)
    centre_mel = hz_to_mel(freqs[peaks])
    spacing = hz_to_mel(8000.0) / 49
    assert torch.allclose(centre_mel, spacing * torch.arange(1, 49, dtype=torch.float32), atol=spacing / 2)
    assert fb[:, 0].nonzero().max() < 10 and fb[:, -1].nonzero().min() > 200  # narrow low, wide high bands
    with pytest.raises(ValueError, match="too many"):
        mel_filterbank(64, 64)
    with pytest.raises(ValueError, match="at least 1"):
        mel_filterbank(512, 0)


def test_mel_features_are_the_filtered_power_spectrum():
    torch.manual_seed(0)
    wav = torch.randn(2, 8000)
    front = STFTFrontend(kind="logpow", eps=1e-8, normalize="none", mel_bands=40)
    assert front.n_bins == 40 and front.settings()["mel_bands"] == 40
    feats, _ = front(wav)
    power = torch.stft(wav, 512, 256, window=torch.hann_window(512), center=True, pad_mode="constant",
                       return_complex=True).abs().pow(2).transpose(1, 2)
    ref = torch.log(power @ mel_filterbank(512, 40) + 1e-8)
    assert feats.shape == ref.shape == (2, 8000 // 256 + 1, 40)
    assert torch.allclose(feats, ref, atol=1e-3)
    with pytest.raises(ValueError, match="mel_bands"):
        STFTFrontend(mel_bands=-1)


def test_mean_normalisation_is_level_invariant_and_keeps_the_dynamic_range():
    from quality.features import MEAN_NORM_SCALE

    torch.manual_seed(0)
    front = STFTFrontend(kind="logpow", normalize="mean", mel_bands=16)
    speech = 0.1 * torch.randn(1, 8000)
    speech[:, 4000:] *= 0.01  # a pause 40 dB below the speech
    alone, _ = front(speech)
    louder, _ = front(10 * speech)
    assert torch.allclose(alone, louder, atol=1e-3)  # level-invariant
    padded = torch.cat([speech, torch.randn(1, 3000)], dim=1)
    feats, _ = front(padded, torch.tensor([8000]))
    t = alone.shape[1]
    assert torch.allclose(feats[0, :t], alone[0], atol=1e-5) and torch.all(feats[0, t:] == 0)
    assert abs(alone.mean().item()) < 1e-4
    # the speech-to-pause contrast survives: 40 dB = ln(1e4) nepers of power, over the fixed scale
    gap = alone[0, 2:12].mean() - alone[0, 20:28].mean()
    assert gap.item() == pytest.approx(torch.log(torch.tensor(1e4)).item() / MEAN_NORM_SCALE, rel=0.05)
    shallow = speech.clone()
    shallow[:, 4000:] *= 10.0  # the same recording with the pause only 20 dB down
    std_mean = front(shallow)[0].std().item(), alone.std().item()
    assert std_mean[0] < std_mean[1]  # which "utterance" standardisation would erase
