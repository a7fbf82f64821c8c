"""``model.pt``: weights plus the model's config as plain data, loadable with ``weights_only=True``."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError  # defined without torch, importable from here as before
from .fileio import atomic_write
from .models import QualityModel, build_model

FORMAT = "quality-model"
FORMAT_VERSION = 1


def write_weights(path: str | os.PathLike, fmt: str, module: torch.nn.Module,
                  metadata: dict[str, Any] | None = None) -> Path:
    """Write ``module``'s weights, its ``config`` (plain data) and ``metadata`` under header
    ``fmt`` atomically -- the one on-disk layout of every ``model.pt`` (quality models, enhancers)."""
    config = getattr(module, "config", None) or {}
    if not config.get("name"):
        raise ValueError("model has no registry config; build it with its registry's build function")
    payload = {
        "format": fmt,
        "format_version": FORMAT_VERSION,
        "config": config,
        "state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()},
        "metadata": metadata or {},
    }
    return atomic_write(path, lambda tmp: torch.save(payload, tmp))


def read_weights(path: str | os.PathLike, fmt: str,
                 map_location: str | torch.device = "cpu") -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Read a file written by :func:`write_weights` with ``weights_only=True``; returns
    ``(config, state_dict, metadata)`` or raises :class:`CheckpointError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types for a bad file
        raise CheckpointError(f"{path}: not a loadable checkpoint ({err})") from None
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        found = payload.get("format") if isinstance(payload, dict) else None
        raise CheckpointError(f"{path}: not a {fmt} file (header {found!r})")
    return dict(payload["config"]), payload["state_dict"], dict(payload.get("metadata", {}))


def save_model(path: str | os.PathLike, model: QualityModel, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (weights + ``model.config``) and plain-data ``metadata`` atomically."""
    return write_weights(path, FORMAT, model, metadata)


def load_model(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> tuple[QualityModel, dict[str, Any]]:
    """Load a ``model.pt`` with ``weights_only=True``; returns ``(model in eval mode, metadata)``."""
    config, state, metadata = read_weights(path, FORMAT, map_location)
    model = build_model(config.pop("name"), **config)
    model.load_state_dict(state)
    return model.eval(), metadata
