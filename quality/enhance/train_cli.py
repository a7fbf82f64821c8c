"""``train-enhancer`` / ``train_enhancer.py``: train an enhancer on mixtures made on the fly, with
the enhancement loss alone or plus a quality-model loss (``--quality-loss joint|grl``).

A run folder ``<out>/<tag>_<YYYYmmdd_HHMMSS>`` receives ``config.yaml``, ``metrics.csv`` (every
session of the run), TensorBoard logs, ``checkpoints/best.ckpt`` + ``last.ckpt`` (for
``--resume``), ``model.pt`` (the enhancer with the lowest validation enhancement loss; weights +
config as plain data) and, in GRL mode, ``critic.pt`` (the adapted quality model). The last line
printed is the validation result of ``model.pt``, e.g.
``pesq: 2.4312, stoi: 0.8934, sisdr: 12.3010, quality: 2.9032``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..training.cli import resolve_resume
from ..training.config import apply_override, load_config
from ..training.runner import build_trainer, checkpoint_callbacks, fit_in_run_folder, run_cli

RUN_DIR_ENV = "QUALITY_ENHANCER_RUN_DIR"
QUALITY_LOSS_MODES = ("none", "joint", "grl")

DEFAULTS: dict[str, Any] = {
    "tag": None,
    "enhancer": {"name": "dpcrn"},
    "loss": "si_snr",
    "lr": 1.0e-3,
    "weight_decay": 0.0,
    "batch_size": 8,
    "gradient_clip": 5.0,
    "data": {"speech": None, "noise": None, "rir": None, "valid_fraction": 0.1, "test_fraction": 0.1},
    "mixtures": {"seconds": 4.0, "snr_db": [-5.0, 20.0], "reverb_prob": 0.2, "level_db": [-35.0, -15.0]},
    "epoch_size": 2000,
    "valid_size": 64,
    "max_epochs": 100,
    "max_steps": -1,
    "max_minutes": None,
    "quality": {
        "mode": "none", "checkpoint": None, "weight": 1.0, "head": "mos", "lambda_": 1.0,
        "lambda_schedule": "ramp", "anchor_weight": 1.0, "lr": 1.0e-4, "reference_metric": "auto",
        "reference_workers": 1, "anchor_list": None, "anchor_batch_size": 8,
    },
    "num_workers": 0,
    "seed": 0,
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train-enhancer", description=(
        "Train a speech enhancer (DPCRN) on noisy mixtures made on the fly; optionally add a "
        "quality-model loss (joint: frozen; grl: adversarially updated through gradient reversal)."))
    p.add_argument("--config", help="YAML config (see configs/dpcrn.yaml); CLI options override it")
    p.add_argument("--speech", help="folder of clean speech (split by speaker into train/valid/test)")
    p.add_argument("--noise", help="folder of noise clips (split by file)")
    p.add_argument("--rir", help="folder of room impulse responses (optional; split by file)")
    p.add_argument("--enhancer", help="registry name (default dpcrn)")
    p.add_argument("--loss", help="enhancement loss spec, e.g. 'si_snr' or 'si_snr+cspec:0.5+psa'")
    p.add_argument("--quality-loss", choices=QUALITY_LOSS_MODES, help="quality-model loss mode (default none)")
    p.add_argument("--quality-checkpoint", help="quality model.pt (default: the shipped checkpoints/default.pt)")
    p.add_argument("--quality-weight", type=float, help="weight w of the quality loss (default 1)")
    p.add_argument("--anchor-list", help="GRL: labelled list (e.g. lists/train.list) that keeps the critic honest")
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--epoch-size", type=int, help="mixtures per training epoch (default 2000)")
    p.add_argument("--valid-size", type=int, help="validation mixtures (default 64)")
    p.add_argument("--max-epochs", type=int)
    p.add_argument("--max-steps", type=int, help="optimizer steps (the fair budget for comparing modes)")
    p.add_argument("--max-minutes", type=float, help="wall-clock budget in minutes (total across resumes)")
    p.add_argument("--num-workers", type=int, help="data-loading worker processes (default 0)")
    p.add_argument("--seed", type=int)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config entry, e.g. --set enhancer.inter_hidden=64 (repeatable)")
    p.add_argument("--out", default="runs", help="parent folder of run folders (default: runs)")
    p.add_argument("--tag", help="run-folder prefix (default: config tag or '<enhancer>_<mode>')")
    p.add_argument("--resume", help="run folder or Lightning .ckpt to continue from")
    p.add_argument("--accelerator", default="auto")
    p.add_argument("--devices", default="1", help="devices per node; >1 uses DDP")
    p.add_argument("--num-nodes", type=int, default=1)
    p.add_argument("--precision", default=None)
    return p


def config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Defaults < YAML config < explicit CLI options < --set overrides."""
    config = load_config(args.config, DEFAULTS)
    if args.enhancer and args.enhancer != config["enhancer"].get("name"):
        config["enhancer"] = {"name": args.enhancer}
    simple = {"loss": args.loss, "lr": args.lr, "batch_size": args.batch_size, "epoch_size": args.epoch_size,
              "valid_size": args.valid_size, "max_epochs": args.max_epochs, "max_steps": args.max_steps,
              "max_minutes": args.max_minutes, "num_workers": args.num_workers, "seed": args.seed, "tag": args.tag}
    config.update({k: v for k, v in simple.items() if v is not None})
    for key in ("speech", "noise", "rir"):
        if getattr(args, key):
            config["data"][key] = getattr(args, key)
    quality = {"mode": args.quality_loss, "checkpoint": args.quality_checkpoint, "weight": args.quality_weight,
               "anchor_list": args.anchor_list}
    config["quality"].update({k: v for k, v in quality.items() if v is not None})
    for assignment in args.set:
        apply_override(config, assignment)
    config["tag"] = config.get("tag") or f"{config['enhancer']['name']}_{config['quality']['mode']}"
    return config


def validate_config(config: dict[str, Any]) -> None:
    """Raise ValueError naming the setting that cannot work."""
    mode = config["quality"]["mode"]
    if mode not in QUALITY_LOSS_MODES:
        raise ValueError(f"quality.mode must be one of {QUALITY_LOSS_MODES}, got {mode!r}")
    for key in ("speech", "noise"):
        if not config["data"].get(key):
            raise ValueError(f"give --{key} (a folder of {key} files) or data.{key} in the config")
    for key in ("lr", "batch_size", "epoch_size", "valid_size"):
        if not config[key] or config[key] <= 0:
            raise ValueError(f"{key} must be positive, got {config[key]!r}")


def quality_options(config: dict[str, Any]) -> dict[str, Any] | None:
    """Keyword arguments for :class:`~quality.enhance.task.EnhancementTask`'s ``quality`` (None: mode none)."""
    if config["quality"]["mode"] == "none":
        return None
    return {k: v for k, v in config["quality"].items() if k not in ("anchor_list", "anchor_batch_size")}


def train(args: argparse.Namespace) -> dict[str, float]:
    """Train as configured by parsed CLI ``args``; returns the validation metrics of ``model.pt``."""
    import lightning as L
    import torch
    from lightning.pytorch.utilities import CombinedLoader
    from torch.utils.data import DataLoader, RandomSampler

    from ..checkpoint import load_model, save_model
    from ..predict import default_checkpoint
    from .checkpoint import save_enhancer
    from .data import MixtureDataset, collate_mixtures, mixture_splits
    from .task import EnhancementTask

    ckpt_path = None
    if args.resume:
        run_dir, ckpt_path = resolve_resume(args.resume)
        config = load_config(run_dir / "config.yaml", DEFAULTS)
        for key in ("max_epochs", "max_steps", "max_minutes"):
            if getattr(args, key) is not None:
                config[key] = getattr(args, key)
    else:
        config = config_from_args(args)
        run_dir = Path(os.environ.get(RUN_DIR_ENV) or Path(args.out) / f"{config['tag']}_{time.strftime('%Y%m%d_%H%M%S')}")
    validate_config(config)
    quality_checkpoint = config["quality"]["checkpoint"] or str(default_checkpoint())
    config["quality"]["checkpoint"] = quality_checkpoint
    L.seed_everything(config["seed"], workers=True, verbose=False)

    data = config["data"]
    splits = mixture_splits(data["speech"], data["noise"], data.get("rir"), data["valid_fraction"],
                            data["test_fraction"], config["seed"])
    mixing = {"seconds": config["mixtures"]["seconds"], "snr_db": tuple(config["mixtures"]["snr_db"]),
              "reverb_prob": config["mixtures"]["reverb_prob"], "level_db": tuple(config["mixtures"]["level_db"])}
    train_set = MixtureDataset(splits["train"], config["epoch_size"], seed=config["seed"], **mixing)
    valid_set = MixtureDataset(splits["valid"], config["valid_size"], seed=config["seed"], fixed=True, **mixing)
    workers = int(config["num_workers"])
    loader_args = {"collate_fn": collate_mixtures, "num_workers": workers, "persistent_workers": workers > 0}
    train_loader: Any = DataLoader(train_set, batch_size=config["batch_size"], shuffle=True, drop_last=True, **loader_args)
    valid_loader = DataLoader(valid_set, batch_size=config["batch_size"], **loader_args)

    quality = quality_options(config)
    judge = load_model(quality_checkpoint)[0] if Path(quality_checkpoint).is_file() else None
    if quality and quality["mode"] == "grl" and config["quality"].get("anchor_list"):
        from ..data import ListDataset, collate_batch
        from ..lists import read_list

        target = load_model(quality_checkpoint)[1].get("target", "pesq")
        anchor_set = ListDataset(read_list(config["quality"]["anchor_list"], target=target), target,
                                 crop_seconds=config["mixtures"]["seconds"])
        sampler = RandomSampler(anchor_set, replacement=True, num_samples=len(train_loader) * config["quality"]["anchor_batch_size"])
        anchor_loader = DataLoader(anchor_set, batch_size=config["quality"]["anchor_batch_size"], sampler=sampler,
                                   collate_fn=collate_batch, num_workers=workers, persistent_workers=workers > 0)
        train_loader = CombinedLoader({"mixtures": train_loader, "anchor": anchor_loader}, mode="min_size")

    task = EnhancementTask(config["enhancer"], config["loss"], config["lr"], config["weight_decay"], quality, judge)
    best, last = checkpoint_callbacks(run_dir / "checkpoints", "val_loss", "min")
    trainer = build_trainer(run_dir, args, [best, last], max_epochs=config["max_epochs"], max_minutes=config.get("max_minutes"),
                            log_every=min(50, config["epoch_size"] // config["batch_size"]),
                            max_steps=config["max_steps"], gradient_clip_val=config["gradient_clip"] or None)
    if trainer.is_global_zero:
        print(f"run folder: {run_dir}", file=sys.stderr)
        for name, source in splits.items():
            print(f"{name}: {source.describe()}", file=sys.stderr)
    best_path = fit_in_run_folder(trainer, task, train_loader, valid_loader, run_dir, config, ckpt_path, best,
                                  RUN_DIR_ENV)
    if best_path is None:  # not rank 0
        return {}
    task.load_state_dict(torch.load(best_path, map_location="cpu", weights_only=True)["state_dict"])
    scorer = L.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                       enable_model_summary=False)
    (results,) = scorer.validate(task, valid_loader, verbose=False)
    metrics = {k[len("val_"):]: float(v) for k, v in results.items() if k.startswith("val_") and k != "val_loss"}
    metadata = {
        "train_config": config, "epochs_trained": int(trainer.current_epoch), "steps": int(trainer.global_step),
        "best_checkpoint": best_path.name, "valid_metrics": metrics,
        "splits": {name: source.describe() for name, source in splits.items()},
        "command": " ".join(sys.argv), "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    save_enhancer(run_dir / "model.pt", task.enhancer.cpu().eval(), metadata)
    if task.quality_loss is not None and task.quality_loss.mode == "grl":
        save_model(run_dir / "critic.pt", task.quality_loss.model.cpu().eval(),
                   {"note": "GRL critic adapted during enhancer training", "enhancer_run": str(run_dir)})
    print(f"run folder: {run_dir}")
    print(", ".join(f"{name}: {value:.4f}" for name, value in metrics.items()))
    return metrics


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser, train, argv)
