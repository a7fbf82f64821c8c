"""``train-quality`` / ``train_quality.py``: train a quality model on list files.

A run folder ``<out>/<tag>_<YYYYmmdd_HHMMSS>`` receives ``config.yaml``, ``metrics.csv`` (all
sessions of the run; each session's own log is under ``logs/version_N``),
TensorBoard logs, ``checkpoints/best.ckpt`` + ``last.ckpt`` (Lightning, for ``--resume``) and
``model.pt`` (weights + config as plain data: what every other tool takes). The last line
printed is the validation result of the weights ``model.pt`` keeps (the best epoch, or the final one
with ``keep_weights: last``), e.g.
``mse: 0.0102, lcc: 0.9421, srcc: 0.9347`` (MSE on the normalised scale).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any


from .config import MONITOR_MODES, apply_override, load_config, validate_config
from .runner import build_trainer, checkpoint_callbacks, fit_in_run_folder, run_cli, weight_averaging
from .schedule import scheduler_callbacks

RUN_DIR_ENV = "QUALITY_RUN_DIR"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="train-quality",
        description="Train a non-intrusive quality model on list files and report MSE/LCC/SRCC.",
    )
    p.add_argument("--config", help="YAML config (see configs/); CLI options override it")
    p.add_argument("--model", help="registry name, e.g. hasanet, cnn_mattn, crn (replaces the config's model)")
    p.add_argument("--train", help="training list file (.list or .csv)")
    p.add_argument("--valid", help="validation list file")
    p.add_argument("--target", help="target column (default: score)")
    p.add_argument("--loss", help="loss spec, e.g. 'mse+frame_mse:0.5+ce'")
    p.add_argument("--optimizer", choices=["adam", "rmsprop"])
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--max-epochs", type=int)
    p.add_argument("--max-minutes", type=float, help="wall-clock training budget in minutes (Lightning max_time; total across resumes)")
    p.add_argument("--crop-seconds", type=float, help="random training crop length (0 = whole files)")
    p.add_argument("--monitor", choices=sorted(MONITOR_MODES), help="early-stopping / best-checkpoint metric")
    p.add_argument("--patience", type=int, help="early-stopping patience in epochs")
    p.add_argument("--num-workers", type=int, help="data-loading worker processes")
    p.add_argument("--seed", type=int)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config entry, e.g. --set model.lstm_hidden=64 (repeatable)")
    p.add_argument("--out", default="runs", help="parent folder of run folders (default: runs)")
    p.add_argument("--tag", help="run-folder prefix (default: config tag or model name)")
    p.add_argument("--run-name", help="exact run-folder name (multi-node: give every node the same)")
    p.add_argument("--resume", help="run folder or Lightning .ckpt to continue from")
    p.add_argument("--init", metavar="MODEL.pt",
                   help="start a new run from these weights (fine-tuning; the model config must match)")
    p.add_argument("--accelerator", default="auto", help="Lightning accelerator: auto, cpu, gpu, ...")
    p.add_argument("--devices", default="1", help="devices per node (int, list or 'auto'); >1 uses DDP")
    p.add_argument("--num-nodes", type=int, default=1)
    p.add_argument("--strategy", default="auto", help="Lightning strategy (default: ddp when >1 device)")
    p.add_argument("--precision", default=None, help="Lightning precision, e.g. 32, bf16-mixed")
    return p


def config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Defaults < YAML config < explicit CLI options < --set overrides."""
    from ..losses import parse_loss_spec

    config = load_config(args.config)
    if args.model and args.model != config["model"].get("name"):
        config["model"] = {"name": args.model}
    simple = {
        "target": args.target, "optimizer": args.optimizer, "lr": args.lr, "batch_size": args.batch_size,
        "max_epochs": args.max_epochs, "max_minutes": args.max_minutes, "crop_seconds": args.crop_seconds,
        "num_workers": args.num_workers, "seed": args.seed, "tag": args.tag,
    }
    config.update({k: v for k, v in simple.items() if v is not None})
    if args.loss:
        config["loss"] = parse_loss_spec(args.loss)
    if args.monitor:
        config["early_stopping"]["monitor"] = args.monitor
    if args.patience is not None:
        config["early_stopping"]["patience"] = args.patience
    for assignment in args.set:
        apply_override(config, assignment)
    config["tag"] = config.get("tag") or config["model"]["name"]
    return config


def resolve_resume(resume: str) -> tuple[Path, Path]:
    """(run folder, checkpoint) from a run folder or a ``.ckpt`` inside ``<run>/checkpoints``."""
    path = Path(resume)
    if path.is_dir():
        ckpt = path / "checkpoints" / "last.ckpt"
        run_dir = path
    else:
        ckpt = path
        run_dir = path.parent.parent
    if not ckpt.is_file():
        raise ValueError(f"{ckpt}: no checkpoint to resume from")
    if not (run_dir / "config.yaml").is_file():
        raise ValueError(f"{run_dir}: not a run folder (no config.yaml)")
    return run_dir, ckpt


def init_weights(model: Any, path: str | Path) -> None:
    """Copy the weights of ``model.pt`` at ``path`` into ``model``; ValueError when they do not fit.

    The degradation classifier may differ: its rows for the degradation types both models know are
    copied, rows for new types keep their fresh initialisation (fine-tuning on a list with a new type).
    A ``difference_head`` (auxiliary reference-difference estimate) that ``path`` lacks keeps its
    fresh initialisation. The ``pooling`` may differ too: between ``mean`` and ``disturbance`` the frame head is negated,
    which keeps every frame score (``exp(-softplus(-z)) = sigmoid(z)``) and changes only how frames
    are pooled.
    """
    from ..checkpoint import load_model

    source, _ = load_model(path)
    state = source.state_dict()
    pooling = (getattr(source, "pooling", None), getattr(model, "pooling", None))
    if None not in pooling and pooling[0] != pooling[1] and "frame_head.weight" in state:
        for key in ("frame_head.weight", "frame_head.bias"):
            state[key] = -state[key]
    old, new = list(getattr(source, "conditions", []) or []), list(getattr(model, "conditions", []) or [])
    heads = (getattr(model, "condition_head", None), getattr(source, "condition_head", None))
    if old != new and all(head is not None for head in heads):
        target = model.state_dict()
        rows = [(new.index(name), old.index(name)) for name in new if name in old]
        for key in ("condition_head.weight", "condition_head.bias"):
            merged = target[key].clone()
            for i, j in rows:
                merged[i] = state[key][j]
            state[key] = merged
    fresh = {k: v for k, v in model.state_dict().items() if k.startswith("difference_head.") and k not in state}
    state.update(fresh)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"{path}: weights do not fit the configured model ({str(err).splitlines()[0]})") from None


def merge_metric_logs(run_dir: Path) -> Path:
    """Join the CSV logs of every session of a run (``logs/version_*``, one per start or resume)
    into ``<run>/metrics.csv``; rows a later session rewrote (same epoch and step) keep the later one."""
    import pandas as pd

    from ..fileio import atomic_write

    parts = sorted((run_dir / "logs").glob("version_*/metrics.csv"), key=lambda p: int(p.parent.name.split("_")[1]))
    tables = [pd.read_csv(p) for p in parts if p.stat().st_size > 0]
    merged = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if {"epoch", "step"} <= set(merged.columns):
        keep = merged.groupby(["epoch", "step"], sort=False, dropna=False).ngroup()
        merged = merged.groupby(keep, sort=False).last().reset_index(drop=True)
    return atomic_write(run_dir / "metrics.csv", lambda tmp: merged.to_csv(tmp, index=False))


def train(args: argparse.Namespace) -> dict[str, float]:
    """Run training as configured by parsed CLI ``args``; returns the final validation metrics."""
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping
    from torch.utils.data import DataLoader

    from ..checkpoint import save_model
    from ..data import ListDataset, collate_batch
    from ..evaluate import head_metrics, predict_table
    from ..lists import degradation_names, read_list
    from ..losses import parse_loss_spec
    from ..reference_difference import DIFFERENCE_COLUMN
    from ..metrics import format_metrics, score_metrics
    from .module import QualityTask

    ckpt_path = None
    if args.resume:
        run_dir, ckpt_path = resolve_resume(args.resume)
        config = load_config(run_dir / "config.yaml")
        if args.max_epochs:
            config["max_epochs"] = args.max_epochs
        if args.max_minutes:
            config["max_minutes"] = args.max_minutes
    else:
        config = config_from_args(args)
        name = args.run_name or f"{config['tag']}_{time.strftime('%Y%m%d_%H%M%S')}"
        run_dir = Path(os.environ.get(RUN_DIR_ENV) or Path(args.out) / name)
    validate_config(config)
    train_list = args.train or config.get("train")
    valid_list = args.valid or config.get("valid")
    if not train_list or not valid_list:
        raise ValueError("give --train and --valid list files (or train:/valid: in the config)")
    config["train"], config["valid"] = str(train_list), str(valid_list)

    L.seed_everything(config["seed"], workers=True, verbose=False)
    target = config["target"]
    train_table = read_list(train_list, target=target)
    valid_table = read_list(valid_list, target=target)
    workers = int(config["num_workers"])
    loader_args = {"collate_fn": collate_batch, "num_workers": workers, "persistent_workers": workers > 0}
    crop = config["crop_seconds"] or None
    heads = list((config["model"].get("heads") or {}))
    if config["model"].get("conditions") == "auto":  # the degradation types of the training list
        if "condition" not in train_table.columns:
            raise ValueError(f"{train_list}: model.conditions: auto needs a 'condition' column")
        config["model"]["conditions"] = degradation_names(train_table["condition"].astype(str).tolist())
    conditions = list(config["model"].get("conditions") or [])
    # Dense reference-difference targets (quality.reference_difference) when the loss learns them.
    loss_terms = parse_loss_spec(config["loss"]) if isinstance(config["loss"], str) else config["loss"]
    difference = DIFFERENCE_COLUMN if "difference_mse" in loss_terms else None
    hop = int((config["model"].get("features") or {}).get("hop_length", 256))
    train_data = ListDataset(train_table, target, crop, heads, config.get("speed_perturb") or (), conditions,
                             difference, hop)
    train_loader = DataLoader(train_data, batch_size=config["batch_size"],
                              shuffle=True, drop_last=len(train_table) > config["batch_size"], **loader_args)
    valid_difference = difference if difference in valid_table.columns else None
    valid_loader = DataLoader(ListDataset(valid_table, target, heads=heads, conditions=conditions,
                                          difference=valid_difference, frame_hop=hop),
                              batch_size=config["batch_size"],
                              **loader_args)

    task = QualityTask(config["model"], config["loss"], config["optimizer"], config["lr"], config["weight_decay"],
                       config.get("lr_scheduler"))
    if args.init and not args.resume:
        init_weights(task.model, args.init)
        config["init"] = str(args.init)
    monitor = config["early_stopping"].get("monitor", "val_lcc")
    mode = MONITOR_MODES[monitor]
    best, last = checkpoint_callbacks(run_dir / "checkpoints", monitor, mode)
    stop = EarlyStopping(monitor=monitor, mode=mode, patience=int(config["early_stopping"].get("patience", 8)))
    # With epoch_batches, each "epoch" is that many batches of the shuffled list, so large lists are
    # validated (and the scheduler and early stopping step) as often as small ones.
    epoch_batches = config.get("epoch_batches") or len(train_loader)
    callbacks = [best, last, stop, *weight_averaging(config.get("ema_decay")),
                 *scheduler_callbacks(config.get("lr_scheduler"), min(epoch_batches, len(train_loader)))]
    trainer = build_trainer(run_dir, args, callbacks, max_epochs=config["max_epochs"],
                            max_minutes=config.get("max_minutes"), log_every=min(50, epoch_batches),
                            limit_train_batches=min(epoch_batches, len(train_loader)))
    best_path = fit_in_run_folder(trainer, task, train_loader, valid_loader, run_dir, config, ckpt_path,
                                  best, RUN_DIR_ENV)
    if best_path is None:  # not rank 0
        return {}
    kept_path = run_dir / "checkpoints" / "last.ckpt" if config.get("keep_weights", "best") == "last" else best_path
    state = torch.load(kept_path, map_location="cpu", weights_only=True)["state_dict"]
    task.load_state_dict(state)
    model = task.model.cpu().eval()
    pred, heads, _ = predict_table(model, valid_table, batch_size=config["batch_size"])
    metrics = score_metrics(pred, valid_table[target].to_numpy(), model.score_range)
    valid_heads = head_metrics(model, heads, valid_table)
    metadata = {
        "target": target, "train_list": str(train_list), "valid_list": str(valid_list),
        "epochs_trained": int(trainer.current_epoch), "best_checkpoint": kept_path.name,
        "valid_metrics": {k: float(v) for k, v in metrics.items()}, "valid_head_metrics": valid_heads,
        "command": " ".join(sys.argv), "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "train_config": config,
    }
    save_model(run_dir / "model.pt", model, metadata)
    print(f"run folder: {run_dir}")
    for name, values in valid_heads.items():
        print(f"{name}: {format_metrics(values)}")
    print(format_metrics(metrics))
    return metrics


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser, train, argv)
