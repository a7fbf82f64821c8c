"""Enhancers: causal STFT round trip, DPCRN shapes/size/causality/padding, registry, a tiny overfit."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import quality.enhance as qe
from quality.enhance import registry
from quality.enhance.base import Enhancer, zero_past
from quality.enhance.dpcrn import DPCRN
from quality.enhance.losses import neg_si_snr_loss, si_snr
from quality.enhance.stft import CausalSTFT, causal_stft, frame_mask, num_frames
from synthetic import add_noise, speech_like

SMALL = dict(channels=[8, 8, 8, 8, 16], intra_hidden=8, inter_hidden=16)


def small_dpcrn(seed: int = 0, **overrides) -> Enhancer:
    torch.manual_seed(seed)
    return qe.build_enhancer("dpcrn", **{**SMALL, **overrides})


def warm_batchnorm(model: Enhancer, seed: int = 1) -> None:
    """A few train-mode passes so BatchNorm running statistics are not the trivial (0, 1)."""
    gen = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(2, 3000, generator=gen) * 0.3)
    model.eval()


# ------------------------------------------------------------------------------------------ STFT
@pytest.mark.parametrize("sizes", [(512, 400, 200), (512, 512, 128), (512, 400, 160), (256, 256, 100)])
@pytest.mark.parametrize("length", [1, 37, 199, 200, 1600, 4003, 16037])
def test_stft_round_trip(sizes, length):
    stft = CausalSTFT(*sizes)
    x = torch.randn(3, length, generator=torch.Generator().manual_seed(length))
    spec = stft(x)
    assert spec.shape == (3, stft.num_frames(length), sizes[0] // 2 + 1)
    y = stft.inverse(spec, length)
    assert y.shape == x.shape
    assert (y - x).abs().max().item() < 1e-5


def test_stft_frames_match_causal_numpy_framing():
    n_fft, win, hop = 512, 400, 200
    x = np.random.default_rng(0).standard_normal(1000)
    spec = causal_stft(torch.tensor(x)[None], n_fft, win, hop)[0].numpy()
    window = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win))
    padded = np.concatenate([np.zeros(win - hop), x, np.zeros(2 * win)])
    assert spec.shape[0] == num_frames(1000, win, hop) == 6  # frames end at samples 200, 400, ..., 1200
    for t in range(spec.shape[0]):
        expected = np.fft.rfft(padded[t * hop:t * hop + win] * window, n=n_fft)
        np.testing.assert_allclose(spec[t], expected, atol=1e-9)
    # The first frame sees only samples [0, hop): changing sample `hop` leaves it untouched.
    x2 = x.copy()
    x2[hop] += 1.0
    spec2 = causal_stft(torch.tensor(x2)[None], n_fft, win, hop)[0].numpy()
    np.testing.assert_array_equal(spec2[0], spec[0])
    assert not np.allclose(spec2[1], spec[1])


def test_stft_frame_mask_and_errors():
    mask = frame_mask(torch.tensor([1, 200, 201, 1000]), 6, 400, 200)
    assert mask.sum(1).tolist() == [2, 2, 3, 6]
    assert [num_frames(n, 400, 200) for n in (1, 200, 201, 1000)] == [2, 2, 3, 6]
    with pytest.raises(ValueError, match="positive envelope"):
        CausalSTFT(512, 400, 400)
    with pytest.raises(ValueError, match="hop_length <= win_length <= n_fft"):
        CausalSTFT(256, 400, 200)
    with pytest.raises(ValueError, match="frames"):
        CausalSTFT().inverse(torch.zeros(1, 3, 257, dtype=torch.complex64), 1000)


# ----------------------------------------------------------------------------------------- DPCRN
@pytest.mark.parametrize("length", [1600, 4000, 16000 + 37])
@pytest.mark.parametrize("batch", [1, 3])
def test_dpcrn_output_shape(length, batch):
    model = small_dpcrn()
    x = torch.randn(batch, length, generator=torch.Generator().manual_seed(batch))
    y = model(x)
    assert y.shape == (batch, length) and y.dtype == x.dtype
    assert torch.isfinite(y).all()


def test_default_dpcrn_size_shape_and_config():
    torch.manual_seed(0)
    model = qe.build_enhancer("dpcrn")
    count = sum(p.numel() for p in model.parameters())
    assert 700_000 <= count <= 900_000
    assert count == 819_330  # the figure quoted in DPCRN's docstring
    assert f"{count:,}" in DPCRN.__doc__
    assert [layer.freq_out for layer in model.encoder] == [128, 64, 64, 64, 64]  # the paper's 257 -> 128 -> 64
    assert model.latency_samples == 400 and model.sample_rate == 16000
    assert model.config == {"name": "dpcrn"}
    model.eval()
    with torch.no_grad():
        y = model(torch.randn(2, 4037) * 0.1, torch.tensor([4037, 2500]))
    assert y.shape == (2, 4037) and torch.isfinite(y).all()
    assert y[1, 2500:].abs().max() == 0


def test_dpcrn_is_causal():
    model = small_dpcrn()
    warm_batchnorm(model)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(1, 8000, generator=gen) * 0.3
    win = model.stft.win_length
    with torch.no_grad():
        y = model(x)
        for start in (5000, 6123):
            x2 = x.clone()
            x2[:, start:] += torch.randn(1, 8000 - start, generator=gen)
            y2 = model(x2)
            torch.testing.assert_close(y2[:, :start - win], y[:, :start - win], atol=1e-6, rtol=0)
            assert (y2[:, start:] - y[:, start:]).abs().max() > 1e-3


def test_dpcrn_padding_invariance_and_zero_tail():
    model = small_dpcrn()
    warm_batchnorm(model)
    gen = torch.Generator().manual_seed(4)
    short, long = torch.randn(3037, generator=gen) * 0.3, torch.randn(8000, generator=gen) * 0.3
    batch = torch.stack([torch.cat([short, torch.randn(8000 - 3037, generator=gen)]), long])  # garbage padding
    with torch.no_grad():
        alone = model(short[None])[0]
        together = model(batch, torch.tensor([3037, 8000]))
        long_alone = model(long[None])[0]
    assert (together[0, :3037] - alone).abs().max() <= 1e-5
    assert (together[1] - long_alone).abs().max() <= 1e-5
    assert together[0, 3037:].abs().max() == 0


def test_dpcrn_tanh_mask_is_bounded_and_options_validated():
    model = small_dpcrn(mask="tanh")
    spec = model.stft(torch.randn(2, 2000) * 10)
    mask = model.estimate_mask(spec)
    assert mask.real.abs().max() <= 1 and mask.imag.abs().max() <= 1
    for bad in (dict(mask="sigmoid"), dict(strides=[[2, 2], [1, 2], [1, 1], [1, 1], [1, 1]]),
                dict(kernel_sizes=[[2, 3]] * 4), dict(channels=[])):
        with pytest.raises(ValueError):
            qe.build_enhancer("dpcrn", **{**SMALL, **bad})
    with pytest.raises(ValueError, match="bad configuration"):
        qe.build_enhancer("dpcrn", hidden=3)


def test_dpcrn_configurable_sizes():
    model = small_dpcrn(channels=[4, 8, 8], kernel_sizes=[[3, 5], [2, 3], [1, 3]], strides=[[1, 2], [1, 2], [1, 1]],
                        num_blocks=1, n_fft=256, win_length=256, hop_length=128)
    assert len(model.dprnn) == 1 and model.stft.n_bins == 129
    assert model(torch.randn(2, 3333)).shape == (2, 3333)
    assert model.config["kernel_sizes"] == [[3, 5], [2, 3], [1, 3]]  # plain lists, not tuples


def test_enhancer_input_validation():
    model = small_dpcrn()
    with pytest.raises(ValueError, match="batch, samples"):
        model(torch.randn(1000))
    with pytest.raises(ValueError, match=r"lie in \[1, 1000\]"):
        model(torch.randn(2, 1000), torch.tensor([1000, 1001]))
    with pytest.raises(ValueError, match="shape"):
        model(torch.randn(2, 1000), torch.tensor([1000]))
    with pytest.raises(ValueError, match="integers"):
        model(torch.randn(2, 1000), torch.tensor([1000.0, 10.0]))


# -------------------------------------------------------------------------------------- registry
def test_registry_and_lazy_exports():
    assert "dpcrn" in qe.available_enhancers()
    with pytest.raises(ValueError, match="unknown enhancer 'nope'; available: .*dpcrn"):
        qe.build_enhancer("nope")
    with pytest.raises(TypeError):
        Enhancer()  # abstract

    @qe.register_enhancer("test_identity")
    class Identity(Enhancer):
        def __init__(self, gain: float = 1.0) -> None:
            super().__init__()
            self.gain = gain

        def forward(self, wav, lengths=None):
            return zero_past(wav * self.gain, lengths)

    try:
        model = qe.build_enhancer("test_identity", gain=2.0)
        assert model.config == {"name": "test_identity", "gain": 2.0} and model.latency_samples == 0
        assert model(torch.ones(1, 4), torch.tensor([2])).tolist() == [[2.0, 2.0, 0.0, 0.0]]
        with pytest.raises(ValueError, match="already registered"):
            qe.register_enhancer("test_identity")(type("Other", (Identity,), {}))
        with pytest.raises(TypeError):
            qe.register_enhancer("not_a_model")(int)
    finally:
        registry.ENHANCERS.pop("test_identity", None)
    for name in qe.__all__:
        assert getattr(qe, name) is not None


# -------------------------------------------------------------------------------------- training
def test_tiny_dpcrn_overfits_two_mixtures():
    rng = np.random.default_rng(0)
    clean_np = [speech_like(rng, 0.5) for _ in range(2)]
    clean = torch.tensor(np.stack(clean_np))
    mix = torch.tensor(np.stack([add_noise(c, 0.0, rng) for c in clean_np]))
    model = small_dpcrn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = si_snr(mix, clean).mean().item()  # about 0 dB
    for _ in range(40):
        loss = neg_si_snr_loss(model(mix), clean, mix)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert -loss.item() > before + 10
    model.eval()
    with torch.no_grad():
        assert si_snr(model(mix), clean).min().item() > before + 8
