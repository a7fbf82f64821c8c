"""quality: non-intrusive speech quality assessment.

Names are imported lazily so that light tools (``python -m quality.lists``) start without torch.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "SAMPLE_RATE": "audio",
    "AudioError": "audio",
    "load_audio": "audio",
    "load_model": "checkpoint",
    "save_model": "checkpoint",
    "QualityModel": "models",
    "QualityOutput": "models",
    "available_models": "models",
    "build_model": "models",
    "Predictor": "predict",
    "Prediction": "predict",
    "load_predictor": "predict",
    "QualityLoss": "quality_loss",
    "GradientReversal": "grl",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'quality' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
