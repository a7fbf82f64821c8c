"""Quality models and their registry: ``build_model(name, **config)``."""
from __future__ import annotations

from typing import Any, Callable

from .base import QualityModel, QualityOutput

MODELS: dict[str, type[QualityModel]] = {}


def register_model(name: str) -> Callable[[type[QualityModel]], type[QualityModel]]:
    """Class decorator adding a model to the registry under ``name``."""

    def add(cls: type[QualityModel]) -> type[QualityModel]:
        if name in MODELS:
            raise ValueError(f"model name {name!r} is already registered")
        MODELS[name] = cls
        return cls

    return add


def build_model(name: str, **config: Any) -> QualityModel:
    """Build a registered model; ``model.config`` keeps ``name`` and ``config`` as plain data."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(MODELS)}")
    try:
        model = MODELS[name](**config)
    except TypeError as err:
        raise ValueError(f"bad configuration for model {name!r}: {err}") from None
    # Resolved settings (the front end's, ...) are stored so a saved model never depends on today's defaults.
    model.config = {"name": name, **config, **model.resolved_settings()}
    return model


def available_models() -> list[str]:
    """The registered model families (what ``configs/<name>.yaml`` trains), sorted; combinations of
    trained models such as ``ensemble`` are registered too, for loading, but not listed."""
    return sorted(name for name, cls in MODELS.items() if cls.family)


# Importing the modules registers the models.
from . import can, cnn, crn, ensemble, hasanet, tcn  # noqa: E402,F401

__all__ = ["MODELS", "QualityModel", "QualityOutput", "available_models", "build_model", "register_model"]
