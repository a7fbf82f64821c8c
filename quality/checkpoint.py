"""``model.pt``: weights plus the model's config as plain data, loadable with ``weights_only=True``."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from .fileio import atomic_write
from .models import QualityModel, build_model

FORMAT = "quality-model"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a usable ``model.pt``; the message names the file and the reason."""


def save_model(path: str | os.PathLike, model: QualityModel, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (weights + ``model.config``) and plain-data ``metadata`` atomically."""
    if not model.config.get("name"):
        raise ValueError("model has no registry config; build it with quality.build_model")
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metadata": metadata or {},
    }
    return atomic_write(path, lambda tmp: torch.save(payload, tmp))


def load_model(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> tuple[QualityModel, dict[str, Any]]:
    """Load a ``model.pt`` with ``weights_only=True``; returns ``(model in eval mode, metadata)``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types for a bad file
        raise CheckpointError(f"{path}: not a loadable checkpoint ({err})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a quality model file (no '{FORMAT}' header)")
    config = dict(payload["config"])
    model = build_model(config.pop("name"), **config)
    model.load_state_dict(payload["state_dict"])
    return model.eval(), dict(payload.get("metadata", {}))
