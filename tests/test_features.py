"""The STFT front end: agrees with torch.stft, masks padding, differentiable."""
import pytest
import torch

from quality.features import STFTFrontend


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


@pytest.mark.parametrize("kind", ["mag", "logpow", "cp"])
def test_padding_does_not_change_valid_frames(kind):
    torch.manual_seed(0)
    front = STFTFrontend(kind=kind, normalize="none")
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
