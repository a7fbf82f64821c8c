"""quality: non-intrusive speech quality assessment."""
from .audio import SAMPLE_RATE, AudioError, load_audio
from .checkpoint import load_model, save_model
from .models import QualityModel, QualityOutput, available_models, build_model

__version__ = "0.1.0"

__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "QualityModel",
    "QualityOutput",
    "available_models",
    "build_model",
    "load_audio",
    "load_model",
    "save_model",
]
