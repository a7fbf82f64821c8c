"""Enhancer registry: ``build_enhancer(name, **config)``."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping

from .base import Enhancer

ENHANCERS: dict[str, type[Enhancer]] = {}

#: Modules whose import registers the built-in enhancers (imported on first lookup).
_BUILTIN_MODULES = ("dpcrn",)


def register_enhancer(name: str) -> Callable[[type[Enhancer]], type[Enhancer]]:
    """Class decorator adding an :class:`Enhancer` subclass to the registry under ``name``."""

    def add(cls: type[Enhancer]) -> type[Enhancer]:
        if not (isinstance(cls, type) and issubclass(cls, Enhancer)):
            raise TypeError(f"@register_enhancer({name!r}) needs an Enhancer subclass, got {cls!r}")
        if name in ENHANCERS and ENHANCERS[name] is not cls:
            raise ValueError(f"enhancer name {name!r} is already registered")
        ENHANCERS[name] = cls
        return cls

    return add


def _load_builtins() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(f"{__package__}.{module}")


def available_enhancers() -> list[str]:
    """Registered enhancer names, sorted."""
    _load_builtins()
    return sorted(ENHANCERS)


def _plain(value: Any) -> Any:
    """Tuples -> lists and mappings -> dicts, recursively, so a config saves as YAML/JSON."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def build_enhancer(name: str, **config: Any) -> Enhancer:
    """Build a registered enhancer; ``model.config`` is ``{"name": name, **config}`` as plain data.

    Raises ValueError for an unknown name (listing the available ones) or a bad configuration.
    """
    _load_builtins()
    if name not in ENHANCERS:
        raise ValueError(f"unknown enhancer {name!r}; available: {', '.join(sorted(ENHANCERS))}")
    try:
        model = ENHANCERS[name](**config)
    except TypeError as err:
        raise ValueError(f"bad configuration for enhancer {name!r}: {err}") from None
    model.config = {"name": name, **_plain(config)}
    return model
