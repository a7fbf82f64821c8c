"""STFT magnitude front end as an ``nn.Module``: differentiable from the waveform, ONNX-friendly.

The STFT is a strided ``conv1d`` with a fixed windowed-DFT basis (the seeds' ConvSTFT), so the
graph has no complex ops and a dynamic time axis exports cleanly. Frames are centred with *zero*
padding: frame ``t`` covers samples ``[t*hop - n_fft/2, t*hop + n_fft/2)``. A recording of ``n``
samples has ``n // hop + 1`` frames whether scored alone or zero-padded inside a batch, and those
frames are bit-for-bit the same computation, which is what makes scores independent of padding.
"""
from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from .audio import SAMPLE_RATE
from .precision import full_float32

FeatureKind = Literal["mag", "logpow", "cp"]
FEATURE_KINDS = ("mag", "logpow", "cp")
NORMALIZATIONS = ("none", "utterance", "mean")
#: divisor of ``normalize: mean``: the median standard deviation of 64-band log-mel power over the
#: files of the shipped corpus's test list (natural-log units; session 12)
MEAN_NORM_SCALE = 4.0


def hz_to_mel(hz: float | Tensor) -> float | Tensor:
    """HTK mel scale: ``2595 log10(1 + f / 700)``."""
    if isinstance(hz, Tensor):
        return 2595.0 * torch.log10(1.0 + hz / 700.0)
    return 2595.0 * math.log10(1.0 + hz / 700.0)


def mel_filterbank(n_fft: int, bands: int, sample_rate: int = SAMPLE_RATE) -> Tensor:
    """Triangular filters ``(n_fft // 2 + 1, bands)`` on the HTK mel scale from 0 Hz to Nyquist.

    Each filter rises from the previous band's centre to its own and falls to the next one's,
    with peak 1 (power-domain weights). Raises ``ValueError`` when a filter would cover no FFT bin
    (too many bands for the FFT size).
    """
    if bands < 1:
        raise ValueError(f"mel bands must be at least 1, got {bands}")
    n_bins = n_fft // 2 + 1
    bin_mel = hz_to_mel(torch.linspace(0.0, sample_rate / 2, n_bins, dtype=torch.float64))
    edges = torch.linspace(0.0, hz_to_mel(sample_rate / 2), bands + 2, dtype=torch.float64)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mel[:, None] - lower) / (centre - lower)
    falling = (upper - bin_mel[:, None]) / (upper - centre)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    if bool((weights.sum(0) == 0).any()):
        raise ValueError(f"{bands} mel bands are too many for n_fft={n_fft}: some bands cover no FFT bin")
    return weights.to(torch.float32)


def num_frames(lengths: Tensor, hop_length: int) -> Tensor:
    """Number of valid STFT frames for waveforms of ``lengths`` samples."""
    return torch.div(lengths, hop_length, rounding_mode="floor") + 1


def lengths_to_mask(lengths: Tensor, max_len: int) -> Tensor:
    """Boolean mask ``(B, max_len)``: True where ``index < length``."""
    steps = torch.arange(max_len, device=lengths.device)
    return steps.unsqueeze(0) < lengths.unsqueeze(1)


class STFTFrontend(nn.Module):
    """Waveform ``(B, N)`` at 16 kHz -> features ``(B, T, n_fft // 2 + 1)`` and frame mask ``(B, T)``.

    ``kind``: ``"mag"`` plain magnitude, ``"logpow"`` log power ``log(|X|^2 + eps)``, ``"cp"``
    power-law compressed magnitude ``|X|^exponent`` (the seeds' "cp" input, exponent 0.3).
    ``normalize``: ``"none"``, or ``"utterance"`` to standardise each recording's features by the
    mean and standard deviation over its valid frames and all bins (level-invariant, as PESQ is;
    models learn several times faster on standardised input), or ``"mean"`` to subtract that
    mean only and divide by the fixed :data:`MEAN_NORM_SCALE` (level-invariant too, but the
    recording's dynamic range, e.g. how far its pauses lie below its speech, is kept).
    ``mel_bands``: 0 keeps the ``n_fft // 2 + 1`` linear bins; ``k > 0`` sums the power spectrum
    into ``k`` triangular mel bands (:func:`mel_filterbank`) before ``kind`` is applied, so features
    are ``(B, T, k)`` (smooths the harmonics, as NISQA's and DNSMOS's mel inputs do).
    """

    def __init__(
        self,
        n_fft: int = 512,
        hop_length: int = 256,
        kind: FeatureKind = "logpow",
        exponent: float = 0.3,
        eps: float = 1e-8,
        normalize: str = "utterance",
        mel_bands: int = 0,
    ) -> None:
        super().__init__()
        if kind not in FEATURE_KINDS:
            raise ValueError(f"feature kind must be one of {FEATURE_KINDS}, got {kind!r}")
        if normalize not in NORMALIZATIONS:
            raise ValueError(f"feature normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
        self.normalize = normalize
        if n_fft % 2 or hop_length <= 0 or hop_length > n_fft:
            raise ValueError(f"need an even n_fft and 0 < hop_length <= n_fft, got {n_fft}, {hop_length}")
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.kind = kind
        self.exponent = exponent
        self.eps = eps
        self.mel_bands = int(mel_bands)
        if self.mel_bands < 0:
            raise ValueError(f"mel_bands must be 0 (linear bins) or positive, got {mel_bands}")
        n_linear = n_fft // 2 + 1
        self.n_bins = self.mel_bands or n_linear
        mel = mel_filterbank(n_fft, self.mel_bands) if self.mel_bands else torch.empty(0)
        self.register_buffer("mel", mel, persistent=False)
        window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
        k = torch.arange(n_linear, dtype=torch.float64).unsqueeze(1)
        n = torch.arange(n_fft, dtype=torch.float64).unsqueeze(0)
        angle = 2.0 * math.pi * k * n / n_fft
        basis = torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window], dim=0)
        self.register_buffer("basis", basis.to(torch.float32).unsqueeze(1), persistent=False)

    def settings(self) -> dict:
        """The constructor arguments, as plain data (stored in checkpoints)."""
        return {"n_fft": self.n_fft, "hop_length": self.hop_length, "kind": self.kind,
                "exponent": self.exponent, "eps": self.eps, "normalize": self.normalize,
                "mel_bands": self.mel_bands}

    def frame_lengths(self, lengths: Tensor) -> Tensor:
        """Valid frame count for each waveform length."""
        return num_frames(lengths, self.hop_length)

    def spectrum(self, wav: Tensor) -> tuple[Tensor, Tensor]:
        """Real and imaginary STFT parts, each ``(B, n_fft // 2 + 1, T)`` (linear bins, before any mel bands)."""
        half = self.n_fft // 2
        # Right padding so that the last frame (index n // hop) is complete.
        padded = nn.functional.pad(wav.unsqueeze(1), (half, half))
        spec = nn.functional.conv1d(padded, self.basis, stride=self.hop_length)
        half_bins = spec.shape[1] // 2
        return spec[:, :half_bins], spec[:, half_bins:]

    def band_power(self, wav: Tensor) -> Tensor:
        """Power per band and frame ``(B, bands, T)`` (mel bands, or linear bins with ``mel_bands: 0``)."""
        with full_float32(wav.device):  # TF32 rounding swamps near-empty bands before the log
            real, imag = self.spectrum(wav)
            power = real.pow(2) + imag.pow(2)
            if self.mel_bands:
                power = torch.matmul(power.transpose(1, 2), self.mel).transpose(1, 2)
        return power

    def forward(self, wav: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if wav.dim() != 2:
            raise ValueError(f"expected a waveform batch (B, N), got shape {tuple(wav.shape)}")
        batch, n = wav.shape
        if lengths is None:
            lengths = torch.full((batch,), n, dtype=torch.long, device=wav.device)
        lengths = lengths.to(device=wav.device, dtype=torch.long)
        # Zero whatever lies past each length so padding content never leaks into valid frames.
        wav = wav * lengths_to_mask(lengths, n).to(wav.dtype)
        power = self.band_power(wav)
        if self.kind == "logpow":
            feats = torch.log(power + self.eps)
        elif self.kind == "mag":
            feats = torch.sqrt(power + self.eps)
        else:
            feats = (power + self.eps).pow(self.exponent / 2.0)
        feats = feats.transpose(1, 2)  # (B, T, F)
        frames = self.frame_lengths(lengths).clamp(max=feats.shape[1])
        mask = lengths_to_mask(frames, feats.shape[1])
        weights = mask.unsqueeze(-1).to(feats.dtype)
        if self.normalize != "none":
            count = weights.sum((1, 2), keepdim=True) * feats.shape[-1]
            mean = (feats * weights).sum((1, 2), keepdim=True) / count
            if self.normalize == "utterance":
                var = (((feats - mean) * weights) ** 2).sum((1, 2), keepdim=True) / count
                feats = (feats - mean) / torch.sqrt(var + 1e-5)
            else:
                feats = (feats - mean) / MEAN_NORM_SCALE
        return feats * weights, mask
