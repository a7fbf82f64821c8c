"""Labels of a degraded file against its clean reference: PESQ-wb, STOI and SI-SDR."""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..audio import SAMPLE_RATE


class LabelError(RuntimeError):
    """A label could not be computed (e.g. PESQ finds no utterances)."""


def si_sdr(est: np.ndarray, ref: np.ndarray, eps: float = 1e-8) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019), zero-mean signals."""
    est = np.asarray(est, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if est.shape != ref.shape:
        raise ValueError(f"si_sdr: shapes differ ({est.shape} vs {ref.shape})")
    est = est - est.mean()
    ref = ref - ref.mean()
    target = (np.dot(est, ref) / (np.dot(ref, ref) + eps)) * ref
    noise = est - target
    return float(10.0 * np.log10((np.dot(target, target) + eps) / (np.dot(noise, noise) + eps)))


def compute_labels(ref: np.ndarray, deg: np.ndarray, sample_rate: int = SAMPLE_RATE) -> dict[str, float]:
    """``{"pesq", "stoi", "sisdr"}`` of ``deg`` against ``ref`` (same length, 16 kHz).

    PESQ is P.862.2 wideband MOS-LQO (``pesq`` package, mode ``"wb"``), STOI the classic
    (non-extended) index (``pystoi``), floored at 0 (it is a mean correlation, which badly
    time-warped speech can push below zero; below 0 means as unintelligible as 0), SI-SDR in dB.
    Raises :class:`LabelError` when a metric fails.
    """
    from pesq import pesq as _pesq
    from pystoi import stoi as _stoi

    ref = np.asarray(ref, dtype=np.float64)
    deg = np.asarray(deg, dtype=np.float64)
    if ref.shape != deg.shape:
        raise LabelError(f"reference and degraded lengths differ ({len(ref)} vs {len(deg)})")
    for name, x in (("reference", ref), ("degraded signal", deg)):
        if not np.any(x):
            raise LabelError(f"PESQ failed: the {name} is digital silence (no utterances)")
    try:
        p = float(_pesq(sample_rate, ref, deg, "wb"))
    except Exception as err:  # pesq raises its own error types (NoUtterancesError, ...)
        raise LabelError(f"PESQ failed: {type(err).__name__}: {err}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            s = max(0.0, float(_stoi(ref, deg, sample_rate, extended=False)))
        except Exception as err:
            raise LabelError(f"STOI failed: {type(err).__name__}: {err}") from None
    d = si_sdr(deg, ref)
    for name, value in (("pesq", p), ("stoi", s), ("sisdr", d)):
        if not math.isfinite(value):
            raise LabelError(f"{name} is not finite ({value})")
    return {"pesq": p, "stoi": s, "sisdr": d}
