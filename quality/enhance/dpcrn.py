"""DPCRN: dual-path convolution recurrent network (Le et al., Interspeech 2021), causal."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import Enhancer, check_lengths, check_waveform, zero_past
from .registry import register_enhancer
from .stft import CausalSTFT

MASK_KINDS = ("none", "tanh")


class _EncoderLayer(nn.Module):
    """Conv2d causal in time (past-side padding), 'same'-style padding in frequency, BN, PReLU."""

    def __init__(self, cin: int, cout: int, kernel: tuple[int, int], freq_stride: int, freq_in: int) -> None:
        super().__init__()
        kt, kf = kernel
        target = max(1, freq_in // freq_stride)
        pad_f = max(0, (target - 1) * freq_stride + kf - freq_in)
        self.freq_in, self.freq_pad_left = freq_in, pad_f // 2
        self.pad = (pad_f // 2, pad_f - pad_f // 2, kt - 1, 0)  # (F left, F right, T past, T future)
        self.freq_out = (freq_in + pad_f - kf) // freq_stride + 1
        self.output_padding = (freq_in + pad_f - kf) % freq_stride  # for the mirroring decoder layer
        self.conv = nn.Conv2d(cin, cout, kernel, stride=(1, freq_stride))
        self.norm = nn.BatchNorm2d(cout)
        self.act = nn.PReLU(cout)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.norm(self.conv(F.pad(x, self.pad))))


class _DecoderLayer(nn.Module):
    """ConvTranspose2d mirroring an encoder layer; future frames and frequency padding trimmed."""

    def __init__(self, cin: int, cout: int, kernel: tuple[int, int], freq_stride: int, mirror: _EncoderLayer,
                 last: bool) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, kernel, stride=(1, freq_stride),
                                       output_padding=(0, mirror.output_padding))
        self.freq_start, self.freq_out = mirror.freq_pad_left, mirror.freq_in
        self.norm = nn.Identity() if last else nn.BatchNorm2d(cout)
        self.act = nn.Identity() if last else nn.PReLU(cout)

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv(x)[:, :, : x.shape[2], self.freq_start:self.freq_start + self.freq_out]
        return self.act(self.norm(y))


class DPRNNBlock(nn.Module):
    """Intra-frame BiLSTM over frequency + inter-frame causal LSTM over time, on ``(B, T, F, C)``.

    Each path: RNN -> Linear to C -> LayerNorm over ``(F, C)`` of the frame -> residual add.
    """

    def __init__(self, channels: int, freq: int, intra_hidden: int = 64, inter_hidden: int = 128) -> None:
        super().__init__()
        self.intra_rnn = nn.LSTM(channels, intra_hidden, batch_first=True, bidirectional=True)
        self.intra_fc = nn.Linear(2 * intra_hidden, channels)
        self.intra_norm = nn.LayerNorm((freq, channels))
        self.inter_rnn = nn.LSTM(channels, inter_hidden, batch_first=True)
        self.inter_fc = nn.Linear(inter_hidden, channels)
        self.inter_norm = nn.LayerNorm((freq, channels))

    def forward(self, x: Tensor) -> Tensor:
        b, t, f, c = x.shape
        h = self.intra_rnn(x.reshape(b * t, f, c))[0]
        x = x + self.intra_norm(self.intra_fc(h).reshape(b, t, f, c))
        h = self.inter_rnn(x.transpose(1, 2).reshape(b * f, t, c))[0]
        return x + self.inter_norm(self.inter_fc(h).reshape(b, f, t, c).transpose(1, 2))


def _pairs(values: Sequence[Sequence[int]], name: str, count: int) -> list[tuple[int, int]]:
    pairs = [tuple(int(v) for v in pair) for pair in values]
    if len(pairs) != count or any(len(p) != 2 or min(p) < 1 for p in pairs):
        raise ValueError(f"{name} must be {count} pairs of positive (time, freq) integers, got {values!r}")
    return pairs  # type: ignore[return-value]


@register_enhancer("dpcrn")
class DPCRN(Enhancer):
    """Causal DPCRN predicting a complex ratio mask on a 257-bin causal STFT.

    Input: real and imaginary parts of the noisy spectrum ``(B, 2, T, F)``. Encoder: Conv2d layers
    (kernels ``(time, freq)``, time padded on the past side only, frequency stride per layer) with
    BatchNorm2d + PReLU; ``num_blocks`` :class:`DPRNNBlock`; decoder: ConvTranspose2d layers
    mirroring the encoder on ``concat(skip, x)`` channels, future frames trimmed, the last one to 2
    channels. The mask ``M`` multiplies the noisy spectrum as complex numbers, ``S = M * Y``;
    ``mask="none"`` (default, as in the paper) leaves its real/imaginary parts unbounded,
    ``mask="tanh"`` bounds each to (-1, 1). The output is the iSTFT, zero past each length.

    Defaults follow the paper: 25 ms sqrt-Hann window, 12.5 ms hop, 512-point FFT; channels
    32, 32, 32, 64, 128; kernels (2,5), (2,3)x4; frequency strides 2, 2, 1, 1, 1 (257 -> 128 -> 64
    bins); two DPRNN blocks with a 2x64 BiLSTM and a 128 LSTM: **819,330 parameters**.

    Streaming-safe: convolutions see no future frames, the only RNN across time is unidirectional,
    LayerNorm works within a frame and BatchNorm uses running statistics in eval mode, so output
    sample ``n`` depends on input samples up to ``n + win_length - 1`` only. (In train mode the
    BatchNorm batch statistics also see padded frames; eval outputs do not depend on padding.)
    """

    def __init__(
        self,
        channels: Sequence[int] = (32, 32, 32, 64, 128),
        kernel_sizes: Sequence[Sequence[int]] = ((2, 5), (2, 3), (2, 3), (2, 3), (2, 3)),
        strides: Sequence[Sequence[int]] = ((1, 2), (1, 2), (1, 1), (1, 1), (1, 1)),
        intra_hidden: int = 64,
        inter_hidden: int = 128,
        num_blocks: int = 2,
        n_fft: int = 512,
        win_length: int = 400,
        hop_length: int = 200,
        mask: str = "none",
    ) -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        if not channels or min(channels) < 1:
            raise ValueError(f"channels must be a non-empty list of positive integers, got {channels!r}")
        kernels = _pairs(kernel_sizes, "kernel_sizes", len(channels))
        stride_pairs = _pairs(strides, "strides", len(channels))
        if any(st != 1 for st, _ in stride_pairs):
            raise ValueError(f"time strides must be 1 (one output frame per input frame), got {strides!r}")
        if mask not in MASK_KINDS:
            raise ValueError(f"mask must be one of {MASK_KINDS}, got {mask!r}")
        if num_blocks < 0 or intra_hidden < 1 or inter_hidden < 1:
            raise ValueError("num_blocks must be >= 0 and RNN hidden sizes >= 1")
        self.mask = mask
        self.stft = CausalSTFT(n_fft, win_length, hop_length)

        encoder, freq, cin = [], self.stft.n_bins, 2
        for cout, kernel, (_, sf) in zip(channels, kernels, stride_pairs):
            encoder.append(_EncoderLayer(cin, cout, kernel, sf, freq))
            freq, cin = encoder[-1].freq_out, cout
        self.encoder = nn.ModuleList(encoder)
        self.dprnn = nn.ModuleList(DPRNNBlock(channels[-1], freq, intra_hidden, inter_hidden)
                                   for _ in range(num_blocks))
        decoder = []
        for i in reversed(range(len(channels))):
            cout = channels[i - 1] if i > 0 else 2
            decoder.append(_DecoderLayer(2 * channels[i], cout, kernels[i], stride_pairs[i][1], encoder[i], i == 0))
        self.decoder = nn.ModuleList(decoder)

    @property
    def latency_samples(self) -> int:
        """One analysis window (``win_length`` samples, 25 ms by default)."""
        return self.stft.win_length

    def estimate_mask(self, spec: Tensor) -> Tensor:
        """Complex ratio mask ``(B, T, F)`` for a noisy complex spectrum ``(B, T, F)``."""
        x = torch.stack([spec.real, spec.imag], 1)  # (B, 2, T, F)
        skips = []
        for layer in self.encoder:
            x = layer(x)
            skips.append(x)
        h = x.permute(0, 2, 3, 1)  # (B, T, F', C)
        for block in self.dprnn:
            h = block(h)
        x = h.permute(0, 3, 1, 2)
        for layer, skip in zip(self.decoder, reversed(skips)):
            x = layer(torch.cat([skip, x], 1))
        if self.mask == "tanh":
            x = torch.tanh(x)
        return torch.complex(x[:, 0], x[:, 1])

    def forward(self, wav: Tensor, lengths: Tensor | None = None) -> Tensor:
        check_waveform(wav)
        lengths = check_lengths(lengths, wav.shape[0], wav.shape[1])
        wav = zero_past(wav, lengths)
        spec = self.stft(wav)
        enhanced = self.estimate_mask(spec) * spec
        return zero_past(self.stft.inverse(enhanced, wav.shape[1]), lengths)
