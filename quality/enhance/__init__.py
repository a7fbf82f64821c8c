"""Speech enhancers (DPCRN) and enhancement losses; names are imported lazily."""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Enhancer": "base",
    "available_enhancers": "registry",
    "build_enhancer": "registry",
    "register_enhancer": "registry",
    "CausalSTFT": "stft",
    "DPCRN": "dpcrn",
    "si_snr": "losses",
    "neg_si_snr_loss": "losses",
    "compressed_spectrum_mse": "losses",
    "psa_loss": "losses",
    "ENHANCEMENT_LOSSES": "losses",
    "EnhancementLoss": "losses",
    "build_enhancement_loss": "losses",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'quality.enhance' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
