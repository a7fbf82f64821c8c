"""Causal STFT / iSTFT for enhancers and enhancement losses (differentiable, no look-ahead).

The signal is left-padded by ``win - hop`` zeros and frame ``t`` covers padded samples
``[t*hop, t*hop + win)``, i.e. original samples ``[t*hop - (win - hop), t*hop + hop)``: the first
frame ends at sample ``hop`` and no frame reaches past the newest hop (no centred framing). A
signal of ``N`` samples has ``(N - 1 + win - hop) // hop + 1`` frames: every frame holding at least
one of its samples, so every sample is covered by all the frames that overlap it. Frames are
windowed by a periodic sqrt-Hann window and zero-padded at the end to ``n_fft``. The inverse
overlap-adds sqrt-Hann-windowed frames and divides by the summed squared window, so analysis
followed by synthesis reconstructs the input. An output sample ``n`` of the inverse depends on
input samples up to ``n + win - 1`` only.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..features import lengths_to_mask


def sqrt_hann_window(win_length: int, device: torch.device | None = None,
                     dtype: torch.dtype = torch.float32) -> Tensor:
    """Periodic sqrt-Hann window of ``win_length`` samples."""
    return torch.hann_window(win_length, periodic=True, device=device, dtype=dtype).sqrt()


def num_frames(num_samples: int, win_length: int, hop_length: int) -> int:
    """Number of causal frames for a signal of ``num_samples`` samples."""
    return (num_samples - 1 + win_length - hop_length) // hop_length + 1


def frame_mask(lengths: Tensor, frames: int, win_length: int, hop_length: int) -> Tensor:
    """``(B, frames)`` True where a frame starts before the length (holds at least one valid sample)."""
    valid = torch.div(lengths - 1 + win_length - hop_length, hop_length, rounding_mode="floor") + 1
    return lengths_to_mask(valid, frames)


def check_stft_sizes(n_fft: int, win_length: int, hop_length: int) -> None:
    """Raise ValueError for sizes that cannot be inverted (hop > win, win > n_fft, no overlap-add cover)."""
    if not 0 < hop_length <= win_length <= n_fft:
        raise ValueError(f"need 0 < hop_length <= win_length <= n_fft, got hop_length={hop_length}, "
                         f"win_length={win_length}, n_fft={n_fft}")
    w2 = sqrt_hann_window(win_length, dtype=torch.float64) ** 2
    envelope = F.pad(w2, (0, -win_length % hop_length)).reshape(-1, hop_length).sum(0)
    if float(envelope.min()) < 1e-6:
        raise ValueError(f"sqrt-Hann frames of {win_length} samples with hop {hop_length} do not overlap-add "
                         "to a positive envelope; use a smaller hop")


def causal_stft(wav: Tensor, n_fft: int = 512, win_length: int = 400, hop_length: int = 200,
                window: Tensor | None = None) -> Tensor:
    """Complex spectrum ``(B, T, n_fft // 2 + 1)`` of ``wav`` ``(B, N)`` with causal framing."""
    if window is None:
        window = sqrt_hann_window(win_length, wav.device, wav.dtype)
    n = wav.shape[-1]
    frames = num_frames(n, win_length, hop_length)
    left = win_length - hop_length
    right = (frames - 1) * hop_length + win_length - left - n
    padded = F.pad(wav, (left, right))
    chunks = padded.unfold(-1, win_length, hop_length)  # (B, T, win)
    return torch.fft.rfft(chunks * window, n=n_fft)


def causal_istft(spec: Tensor, length: int, n_fft: int = 512, win_length: int = 400, hop_length: int = 200,
                 window: Tensor | None = None) -> Tensor:
    """Waveform ``(B, length)`` from ``spec`` ``(B, T, n_fft // 2 + 1)`` by windowed overlap-add.

    ``spec`` must hold at least ``num_frames(length)`` frames; later frames are ignored.
    """
    needed = num_frames(length, win_length, hop_length)
    if spec.shape[-2] < needed:
        raise ValueError(f"{length} samples need {needed} frames, got {spec.shape[-2]}")
    spec = spec[:, :needed]
    chunks = torch.fft.irfft(spec, n=n_fft)[..., :win_length]  # (B, T, win)
    if window is None:
        window = sqrt_hann_window(win_length, chunks.device, chunks.dtype)
    total = (needed - 1) * hop_length + win_length
    fold = dict(output_size=(1, total), kernel_size=(1, win_length), stride=(1, hop_length))
    signal = F.fold((chunks * window).transpose(1, 2), **fold).reshape(spec.shape[0], total)
    squares = (window**2).reshape(1, win_length, 1).expand(1, win_length, needed)
    envelope = F.fold(squares, **fold).reshape(1, total)
    left = win_length - hop_length
    # Crop before dividing: the envelope is zero at the very start of the left padding.
    return signal[:, left:left + length] / envelope[:, left:left + length]


class CausalSTFT(nn.Module):
    """Causal STFT/iSTFT pair: ``forward(wav) -> complex (B, T, F)``, ``inverse(spec, length) -> (B, N)``.

    Defaults are DPCRN's 25 ms sqrt-Hann window, 12.5 ms hop and 512-point FFT (257 bins) at 16 kHz.
    """

    def __init__(self, n_fft: int = 512, win_length: int = 400, hop_length: int = 200) -> None:
        super().__init__()
        check_stft_sizes(n_fft, win_length, hop_length)
        self.n_fft, self.win_length, self.hop_length = n_fft, win_length, hop_length
        self.register_buffer("window", sqrt_hann_window(win_length), persistent=False)

    @property
    def n_bins(self) -> int:
        """Frequency bins per frame, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    def num_frames(self, num_samples: int) -> int:
        """Number of frames for ``num_samples`` samples."""
        return num_frames(num_samples, self.win_length, self.hop_length)

    def frame_mask(self, lengths: Tensor, frames: int) -> Tensor:
        """``(B, frames)`` True on frames holding at least one sample before the length."""
        return frame_mask(lengths, frames, self.win_length, self.hop_length)

    def forward(self, wav: Tensor) -> Tensor:
        return causal_stft(wav, self.n_fft, self.win_length, self.hop_length, self.window.to(wav.dtype))

    def inverse(self, spec: Tensor, length: int) -> Tensor:
        window = self.window.to(spec.real.dtype)
        return causal_istft(spec, length, self.n_fft, self.win_length, self.hop_length, window)

    def extra_repr(self) -> str:
        return f"n_fft={self.n_fft}, win_length={self.win_length}, hop_length={self.hop_length}"
