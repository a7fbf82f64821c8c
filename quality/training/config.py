"""Training configuration: YAML files in ``configs/`` merged over defaults, plus CLI overrides."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .schedule import check_scheduler

DEFAULTS: dict[str, Any] = {
    "tag": None,
    "model": {"name": "hasanet"},
    "target": "score",
    "loss": {"mse": 1.0, "frame_mse": 1.0},
    "optimizer": "adam",
    "lr": 1.0e-3,
    "weight_decay": 0.0,
    # e.g. {name: plateau, monitor: val_loss, factor: 0.5, patience: 3}, or {name: cosine, warmup: 0.02,
    # final: 0.02}: a half cosine ending with the time (max_minutes) or step budget (quality.training.schedule)
    "lr_scheduler": None,
    "batch_size": 16,
    "max_epochs": 30,
    "max_minutes": None,
    "epoch_batches": None,  # e.g. 562: an "epoch" (validation, checkpoint, scheduler step) every this many batches
    "crop_seconds": 4.0,
    "speed_perturb": [],  # e.g. [0.9, 1.0, 1.1]: training items played at a random one of these speeds
    "early_stopping": {"monitor": "val_lcc", "patience": 8},
    "ema_decay": None,  # e.g. 0.999: validate and save an exponential moving average of the weights
    # which epoch model.pt holds: "best" (of early_stopping.monitor on the validation list) or "last" (the
    # final epoch: for a validation list with too few speakers to pick an epoch by)
    "keep_weights": "best",
    "num_workers": 2,
    "seed": 0,
}

MONITOR_MODES = {"val_lcc": "max", "val_srcc": "max", "val_loss": "min", "val_mse": "min"}
OPTIMIZERS = ("adam", "rmsprop")
KEEP_WEIGHTS = ("best", "last")


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge: values of ``update`` win; nested dicts merge."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(path: str | Path | None, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """``defaults`` (the quality-model training defaults unless given) merged with the YAML file at
    ``path`` (if any)."""
    defaults = DEFAULTS if defaults is None else defaults
    if path is None:
        return copy.deepcopy(defaults)
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such config file")
    with open(path) as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a config must be a YAML mapping")
    return merge(defaults, data)


def apply_override(config: dict[str, Any], assignment: str) -> None:
    """Apply ``dotted.key=value`` (value parsed as YAML) in place, e.g. ``model.lstm_hidden=64``."""
    if "=" not in assignment:
        raise ValueError(f"override {assignment!r} must look like key=value")
    key, raw = assignment.split("=", 1)
    node = config
    parts = key.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"override {assignment!r}: {part!r} is not a section")
    node[parts[-1]] = yaml.safe_load(raw)


def validate_config(config: dict[str, Any]) -> None:
    """Raise ValueError for settings that cannot work, naming the setting."""
    if config["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {config['optimizer']!r}")
    monitor = config["early_stopping"].get("monitor", "val_lcc")
    if monitor not in MONITOR_MODES:
        raise ValueError(f"early_stopping.monitor must be one of {sorted(MONITOR_MODES)}, got {monitor!r}")
    epoch_batches = config.get("epoch_batches")
    if epoch_batches is not None and not (isinstance(epoch_batches, int) and not isinstance(epoch_batches, bool)
                                          and epoch_batches > 0):
        raise ValueError(f"epoch_batches must be a positive integer or null, got {epoch_batches!r}")
    for key in ("lr", "batch_size", "max_epochs"):
        if not config[key] or config[key] <= 0:
            raise ValueError(f"{key} must be positive, got {config[key]!r}")
    check_scheduler(config.get("lr_scheduler"))
    ema = config.get("ema_decay")
    if ema is not None and not (isinstance(ema, (int, float)) and 0.0 < ema < 1.0):
        raise ValueError(f"ema_decay must be a number in (0, 1) or null, got {ema!r}")
    if config.get("keep_weights", "best") not in KEEP_WEIGHTS:
        raise ValueError(f"keep_weights must be one of {KEEP_WEIGHTS}, got {config.get('keep_weights')!r}")
    from ..data import check_speed_factors

    check_speed_factors(config.get("speed_perturb") or [])
    if not isinstance(config.get("model"), dict) or "name" not in config["model"]:
        raise ValueError("config needs model.name")
    conditions = config["model"].get("conditions")
    if conditions not in (None, "auto") and not (
            isinstance(conditions, list) and conditions and all(isinstance(c, str) and c for c in conditions)):
        raise ValueError("model.conditions must be 'auto' (the degradation types of the training list), "
                         f"a list of names, or null; got {conditions!r}")
