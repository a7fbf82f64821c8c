"""Enhancer ``model.pt`` files: weights plus config as plain data, loadable with ``weights_only=True``."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..checkpoint import read_weights, write_weights
from .base import Enhancer
from .registry import build_enhancer

FORMAT = "quality-enhancer"


def save_enhancer(path: str | os.PathLike, model: Enhancer, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (weights + ``model.config``) and plain-data ``metadata`` atomically."""
    return write_weights(path, FORMAT, model, metadata)


def load_enhancer(path: str | os.PathLike, map_location: str = "cpu") -> tuple[Enhancer, dict[str, Any]]:
    """Load an enhancer ``model.pt``; returns ``(model in eval mode, metadata)``."""
    config, state, metadata = read_weights(path, FORMAT, map_location)
    model = build_enhancer(config.pop("name"), **config)
    model.load_state_dict(state)
    return model.eval(), metadata
