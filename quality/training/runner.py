"""Run-folder plumbing shared by ``train-quality`` and ``train-enhancer``: one Lightning Trainer
set-up (devices, DDP, loggers, time budget) and one fit-and-find-the-best-checkpoint sequence."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml


def parse_devices(text: str) -> int | str | list[int]:
    """``--devices`` value: ``auto``, a count, or a comma-separated list of indices."""
    if text == "auto":
        return text
    if "," in text:
        return [int(x) for x in text.split(",") if x.strip()]
    return int(text)


def weight_averaging(ema_decay: float | None) -> list[Any]:
    """Callbacks keeping an exponential moving average of the weights (Lightning's ``WeightAveraging``,
    updated after every optimiser step) when ``ema_decay`` is set, else none. Validation, the saved
    checkpoints and therefore ``model.pt`` use the averaged weights."""
    if not ema_decay:
        return []
    from lightning.pytorch.callbacks import WeightAveraging
    from torch.optim.swa_utils import get_ema_multi_avg_fn

    return [WeightAveraging(multi_avg_fn=get_ema_multi_avg_fn(float(ema_decay)))]


def checkpoint_callbacks(checkpoint_dir: Path, monitor: str, mode: str) -> tuple[Any, Any]:
    """``(best, last)`` checkpoint callbacks writing ``best.ckpt`` (the best ``monitor`` value so far)
    and ``last.ckpt`` (overwritten after every validation, so ``--resume`` continues from the latest
    epoch). Lightning's own ``save_last=True`` rewrites ``last.ckpt`` only when a best checkpoint
    is saved, which would make a resume restart from the best epoch and drop the later ones."""
    from lightning.pytorch.callbacks import ModelCheckpoint

    best = ModelCheckpoint(dirpath=checkpoint_dir, filename="best", monitor=monitor, mode=mode, save_top_k=1,
                           enable_version_counter=False)
    last = ModelCheckpoint(dirpath=checkpoint_dir, filename="last", monitor=None, save_top_k=1,
                           enable_version_counter=False)
    return best, last


def build_trainer(run_dir: Path, args: argparse.Namespace, callbacks: list[Any], *, max_epochs: int,
                  max_minutes: float | None = None, log_every: int = 50, **options: Any):
    """A Lightning Trainer writing CSV + TensorBoard logs under ``run_dir``; ``args`` carries
    ``accelerator``, ``devices``, ``num_nodes``, ``precision`` and optionally ``strategy`` (DDP is
    chosen when more than one device or node is asked for). ``options`` go to the Trainer."""
    import lightning as L
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    devices = parse_devices(str(args.devices))
    distributed = args.num_nodes > 1 or (isinstance(devices, int) and devices > 1) or isinstance(devices, list)
    strategy = getattr(args, "strategy", "auto")
    if strategy == "auto" and distributed:
        strategy = "ddp"
    return L.Trainer(
        max_epochs=max_epochs, max_time=timedelta(minutes=max_minutes) if max_minutes else None,
        accelerator=args.accelerator, devices=devices, num_nodes=args.num_nodes, strategy=strategy,
        precision=args.precision, callbacks=callbacks,
        logger=[CSVLogger(run_dir, name="logs"), TensorBoardLogger(run_dir, name="tensorboard", version="")],
        log_every_n_steps=max(1, log_every), default_root_dir=run_dir, enable_model_summary=False, **options,
    )


def fit_in_run_folder(trainer: Any, task: Any, train_loader: Any, valid_loader: Any, run_dir: Path,
                      config: dict[str, Any], ckpt_path: Path | None, best: Any, env_var: str) -> Path | None:
    """Write ``config.yaml``, fit (resuming from ``ckpt_path`` if given), merge the sessions' metric
    logs into ``metrics.csv``; returns the best checkpoint on rank 0 and None on other ranks.

    ``env_var`` holds the run folder while fitting: DDP child processes re-run the command and
    must land in the same folder. ``best`` is the run's ``ModelCheckpoint`` callback.
    """
    from .cli import merge_metric_logs

    if trainer.is_global_zero:
        run_dir.mkdir(parents=True, exist_ok=True)
        with open(run_dir / "config.yaml", "w") as fh:
            yaml.safe_dump(config, fh, sort_keys=False)
    previous = os.environ.get(env_var)
    os.environ[env_var] = str(run_dir)
    try:
        trainer.fit(task, train_loader, valid_loader, ckpt_path=ckpt_path, weights_only=True)
    finally:
        if previous is None:
            os.environ.pop(env_var, None)
    if not trainer.is_global_zero:
        return None
    merge_metric_logs(run_dir)
    return best_checkpoint(run_dir, best.best_model_path)


def best_checkpoint(run_dir: Path, best_path: str | None) -> Path:
    """The best checkpoint of a run: the callback's path, or the folder's own ``checkpoints/best.ckpt``
    when that is empty (a resume that improved nothing) or gone (the run folder was moved)."""
    path = Path(best_path) if best_path else run_dir / "checkpoints" / "best.ckpt"
    return path if path.is_file() else run_dir / "checkpoints" / "best.ckpt"


def run_cli(build_parser: Callable[[], argparse.ArgumentParser], train: Callable[[argparse.Namespace], Any],
            argv: list[str] | None = None) -> int:
    """Parse ``argv`` and train; a usage or data error (ValueError, FileNotFoundError) becomes one
    ``error: ...`` line on stderr and exit status 1."""
    args = build_parser().parse_args(argv)
    try:
        train(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
