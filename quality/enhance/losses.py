"""Enhancement losses on waveforms ``(B, N)`` with optional ``lengths`` ``(B,)``.

Every input is zeroed past its length first, so what padding holds never matters. Spectral
losses use the causal STFT of :mod:`quality.enhance.stft` with a 512-sample sqrt-Hann window,
512-point FFT and hop 128 (seed 004's PSA setting), and average over the valid TF bins of the
whole batch; a frame is valid if it starts before the length (holds at least one valid sample).

- ``si_snr``: ``-mean_b SI-SNR_b`` (:func:`neg_si_snr_loss`).
- ``cspec``: power-law compressed magnitude MSE + ``complex_weight`` x compressed complex MSE
  (:func:`compressed_spectrum_mse`).
- ``psa``: phase-sensitive approximation ``(|S_hat| - |S| cos(theta_S - theta_Y))^2``
  (:func:`psa_loss`).
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import torch
from torch import Tensor, nn

from ..features import lengths_to_mask
from ..losses import parse_loss_spec
from .base import check_lengths, check_waveform, zero_past
from .stft import causal_stft, frame_mask

__all__ = [
    "ENHANCEMENT_LOSSES",
    "LOSS_HOP_LENGTH",
    "LOSS_N_FFT",
    "LOSS_WIN_LENGTH",
    "EnhancementLoss",
    "build_enhancement_loss",
    "compressed_spectrum_mse",
    "neg_si_snr_loss",
    "psa_loss",
    "si_snr",
]

LOSS_N_FFT = 512
LOSS_WIN_LENGTH = 512
LOSS_HOP_LENGTH = 128


def _check(est: Tensor, ref: Tensor, mix: Tensor | None, lengths: Tensor | None) -> Tensor | None:
    """Shape/dtype checks shared by all losses; returns validated lengths."""
    check_waveform(est, "est")
    check_waveform(ref, "ref")
    if ref.shape != est.shape:
        raise ValueError(f"est and ref must have the same shape, got {tuple(est.shape)} and {tuple(ref.shape)}")
    if mix is not None:
        check_waveform(mix, "mix")
        if mix.shape != est.shape:
            raise ValueError(f"mix must have the shape of est {tuple(est.shape)}, got {tuple(mix.shape)}")
    return check_lengths(lengths, est.shape[0], est.shape[1])


def _spectra(lengths: Tensor | None, *wavs: Tensor) -> tuple[list[Tensor], Tensor]:
    """Loss STFTs ``(B, T, F)`` of the masked waveforms and the valid-frame mask ``(B, T, 1)`` (float)."""
    specs = [causal_stft(zero_past(w, lengths), LOSS_N_FFT, LOSS_WIN_LENGTH, LOSS_HOP_LENGTH) for w in wavs]
    batch, frames = specs[0].shape[:2]
    if lengths is None:
        mask = torch.ones(batch, frames, dtype=torch.bool, device=specs[0].device)
    else:
        mask = frame_mask(lengths.to(specs[0].device), frames, LOSS_WIN_LENGTH, LOSS_HOP_LENGTH)
    return specs, mask.unsqueeze(-1).to(specs[0].real.dtype)


def _masked_mean(err: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``err`` ``(B, T, F)`` over bins of valid frames (``mask`` ``(B, T, 1)``)."""
    return (err * mask).sum() / (mask.sum() * err.shape[-1]).clamp(min=1)


def si_snr(est: Tensor, ref: Tensor, lengths: Tensor | None = None, eps: float = 1e-8) -> Tensor:
    """Scale-invariant SNR in dB, ``(B,)``.

    Both signals are made zero-mean over their valid samples; with ``s = <e, r> r / |r|^2``,
    ``SI-SNR = 10 log10((|s|^2 + eps) / (|e - s|^2 + eps))``. Samples past ``lengths`` are ignored.
    """
    lengths = _check(est, ref, None, lengths)
    if lengths is None:
        mask = torch.ones_like(est)
    else:
        mask = lengths_to_mask(lengths.to(est.device), est.shape[1]).to(est.dtype)
    count = mask.sum(1, keepdim=True)
    est = (est - (est * mask).sum(1, keepdim=True) / count) * mask
    ref = (ref - (ref * mask).sum(1, keepdim=True) / count) * mask
    target = (est * ref).sum(1, keepdim=True) / (ref.pow(2).sum(1, keepdim=True) + eps) * ref
    noise = est - target
    return 10 * torch.log10((target.pow(2).sum(1) + eps) / (noise.pow(2).sum(1) + eps))


def neg_si_snr_loss(est: Tensor, ref: Tensor, mix: Tensor | None = None, lengths: Tensor | None = None) -> Tensor:
    """``-mean_b SI-SNR_b`` (dB); ``mix`` is accepted for a uniform signature and ignored."""
    _check(est, ref, mix, lengths)
    return -si_snr(est, ref, lengths).mean()


def _compress(spec: Tensor, exponent: float, eps: float) -> tuple[Tensor, Tensor]:
    """``(|X|^c, |X|^c e^{j theta})`` computed from ``|X|^2 + eps``, which keeps gradients finite at 0."""
    power = spec.real.pow(2) + spec.imag.pow(2) + eps
    return power.pow(exponent / 2), spec * power.pow((exponent - 1) / 2)


def compressed_spectrum_mse(est: Tensor, ref: Tensor, mix: Tensor | None = None, lengths: Tensor | None = None,
                            exponent: float = 0.3, complex_weight: float = 0.3, eps: float = 1e-12) -> Tensor:
    """``mean (|S_hat|^c - |S|^c)^2 + complex_weight * mean |S_hat_c - S_c|^2`` with ``X_c = |X|^c e^{j theta_X}``.

    Means run over the valid TF bins of the batch; ``mix`` is accepted and ignored.
    """
    lengths = _check(est, ref, mix, lengths)
    if not exponent > 0 or not complex_weight >= 0:
        raise ValueError(f"need exponent > 0 and complex_weight >= 0, got {exponent}, {complex_weight}")
    (s_hat, s), mask = _spectra(lengths, est, ref)
    mag_hat, cplx_hat = _compress(s_hat, exponent, eps)
    mag, cplx = _compress(s, exponent, eps)
    diff = cplx_hat - cplx
    return (_masked_mean((mag_hat - mag).pow(2), mask)
            + complex_weight * _masked_mean(diff.real.pow(2) + diff.imag.pow(2), mask))


def psa_loss(est: Tensor, ref: Tensor, mix: Tensor | None, lengths: Tensor | None = None,
             eps: float = 1e-12) -> Tensor:
    """Phase-sensitive approximation loss (Erdogan et al. 2015).

    ``mean over valid TF bins of (|S_hat| - |S| cos(theta_S - theta_Y))^2`` with ``S_hat``, ``S``,
    ``Y`` the STFTs of ``est``, ``ref`` and the mixture ``mix``; the target is computed as
    ``Re(S conj(Y)) / sqrt(|Y|^2 + eps)`` (0 where the mixture is silent).
    """
    if mix is None:
        raise ValueError("psa_loss needs the mixture `mix` (its phase sets the target)")
    lengths = _check(est, ref, mix, lengths)
    (s_hat, s, y), mask = _spectra(lengths, est, ref, mix)
    target = (s.real * y.real + s.imag * y.imag) / (y.real.pow(2) + y.imag.pow(2) + eps).sqrt()
    return _masked_mean((s_hat.abs() - target).pow(2), mask)


LossFn = Callable[..., Tensor]

#: name -> ``fn(est, ref, mix=None, lengths=None) -> scalar``.
ENHANCEMENT_LOSSES: dict[str, LossFn] = {
    "si_snr": neg_si_snr_loss,
    "cspec": compressed_spectrum_mse,
    "psa": psa_loss,
}


class EnhancementLoss(nn.Module):
    """Weighted sum of :data:`ENHANCEMENT_LOSSES` terms.

    ``forward(est, clean, mix, lengths) -> (total, parts)``; ``parts`` maps each term's name to
    its detached, unweighted value.
    """

    def __init__(self, weights: Mapping[str, float]) -> None:
        super().__init__()
        if not weights:
            raise ValueError("an enhancement loss needs at least one term")
        unknown = [name for name in weights if name not in ENHANCEMENT_LOSSES]
        if unknown:
            raise ValueError(f"unknown enhancement loss(es) {', '.join(map(repr, unknown))}; "
                             f"available: {', '.join(sorted(ENHANCEMENT_LOSSES))}")
        self.weights: dict[str, float] = {}
        for name, weight in weights.items():
            try:
                weight = float(weight)
            except (TypeError, ValueError):
                raise ValueError(f"loss {name!r}: weight must be a number, got {weight!r}") from None
            if not (weight >= 0 and math.isfinite(weight)):
                raise ValueError(f"loss {name!r}: weight must be finite and >= 0, got {weight}")
            self.weights[name] = weight

    def forward(self, est: Tensor, clean: Tensor, mix: Tensor | None = None, lengths: Tensor | None = None
                ) -> tuple[Tensor, dict[str, Tensor]]:
        total: Tensor | None = None
        parts: dict[str, Tensor] = {}
        for name, weight in self.weights.items():
            value = ENHANCEMENT_LOSSES[name](est, clean, mix, lengths)
            parts[name] = value.detach()
            total = weight * value if total is None else total + weight * value
        assert total is not None
        return total, parts

    def extra_repr(self) -> str:
        return " + ".join(f"{w:g}*{n}" for n, w in self.weights.items())


def build_enhancement_loss(spec: str | Mapping[str, float]) -> EnhancementLoss:
    """:class:`EnhancementLoss` from ``"si_snr+cspec:0.5"`` or ``{"si_snr": 1.0, "cspec": 0.5}``.

    Raises ValueError for unknown names (listing the valid ones), bad weights or an empty spec.
    """
    if isinstance(spec, str):
        spec = parse_loss_spec(spec)
    if not isinstance(spec, Mapping) or not spec:
        raise ValueError(f"enhancement loss spec must be a non-empty string or mapping, got {spec!r}")
    return EnhancementLoss(spec)
