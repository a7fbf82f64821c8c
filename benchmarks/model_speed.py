#!/usr/bin/env python
"""Model size and CPU speed of every registered quality model, at the shipped settings.

For each model, built from the ``model:`` section of ``configs/<name>.yaml`` and trained with that
file's ``loss:`` section (and optimizer / learning rate), it measures:

- ``params``: number of parameters;
- training throughput (utterances per second): full optimizer steps (forward, combined loss,
  backward, optimizer step) on random batches of ``--batch-size`` x ``--seconds`` audio, after
  ``--train-warmup`` untimed steps; the median of ``--train-steps`` timed steps, for every
  thread count in ``--threads``;
- inference real-time factor (processing time / audio duration, lower is better) scoring
  ``--infer-seconds`` files one at a time (batch 1) in eval mode under ``torch.inference_mode``;
  the median of ``--infer-files`` timed files after ``--infer-warmup`` untimed ones, for every
  thread count in ``--threads``; ``x_realtime`` is 1 / RTF.

The inputs are random noise made before timing (speed does not depend on the content; every
utterance is full length, no padding). Timings use
``time.perf_counter``; nothing here asserts on a time. Progress goes to stderr, the table to
stdout (markdown with ``--markdown``), the rows to ``--out`` (CSV, written atomically).

Example::

    python benchmarks/model_speed.py --markdown --out docs/benchmarks_model_speed.csv
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

from quality.audio import SAMPLE_RATE
from quality.losses import build_loss
from quality.models import available_models, build_model
from quality.training.config import load_config

from common import (REPO_ROOT, load_average, log, markdown_table, non_negative_int, positive_float,
                    positive_int, write_csv)

DEFAULT_CONFIGS = REPO_ROOT / "configs"

CSV_FIELDS = [
    "model",
    "params",
    "threads",
    "batch_size",
    "train_seconds",
    "train_step_s",
    "train_step_min_s",
    "train_step_max_s",
    "train_utt_per_s",
    "infer_seconds",
    "infer_file_s",
    "infer_rtf",
    "infer_rtf_min",
    "infer_rtf_max",
    "x_realtime",
    "loss",
    "optimizer",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = p.add_argument
    add("--models", nargs="+", default=None, help="models to measure (default: all registered)")
    add("--configs", type=Path, default=DEFAULT_CONFIGS,
        help="directory of <model>.yaml configs (model:/loss: sections used) (default: %(default)s)")
    add("--seconds", type=positive_float, default=4.0,
        help="training utterance length in seconds (default: %(default)s)")
    add("--batch-size", type=positive_int, default=16,
        help="training batch size (default: %(default)s)")
    add("--train-steps", type=positive_int, default=8,
        help="timed training steps per thread count (default: %(default)s)")
    add("--train-warmup", type=non_negative_int, default=2,
        help="untimed training steps before timing (default: %(default)s)")
    add("--infer-files", type=positive_int, default=20,
        help="timed inference files per thread count (default: %(default)s)")
    add("--infer-warmup", type=non_negative_int, default=3,
        help="untimed inference files before timing (default: %(default)s)")
    add("--infer-seconds", type=positive_float, default=8.0,
        help="inference file length in seconds (default: %(default)s)")
    add("--threads", type=positive_int, nargs="+", default=[1, 2],
        help="torch thread counts (default: 1 2)")
    add("--seed", type=int, default=0,
        help="seed for weights and random inputs (default: %(default)s)")
    add("--out", type=Path, default=None, help="write one CSV row per model and thread count here")
    add("--markdown", action="store_true",
        help="print the final table as markdown instead of plain text")
    args = p.parse_args(argv)
    registered = available_models()
    if args.models is None:
        args.models = registered
    unknown = [m for m in args.models if m not in registered]
    if unknown:
        p.error(f"unknown model(s) {unknown}; choose from {registered}")
    if not args.configs.is_dir():
        p.error(f"--configs {args.configs}: not a directory")
    return args


def model_settings(name: str, configs: Path) -> dict[str, Any]:
    """Training config for ``name``: ``configs/<name>.yaml`` merged over the defaults."""
    path = configs / f"{name}.yaml"
    if not path.is_file():
        raise SystemExit(f"no config for model {name!r}: {path} does not exist")
    config = load_config(path)
    model_name = config["model"].get("name")
    if model_name != name:
        raise SystemExit(f"{path}: model.name is {model_name!r}, expected {name!r}")
    return config


def make_model(config: dict[str, Any]) -> torch.nn.Module:
    model_config = dict(config["model"])
    return build_model(model_config.pop("name"), **model_config)


def make_optimizer(config: dict[str, Any], model: torch.nn.Module) -> torch.optim.Optimizer:
    kwargs = {"lr": float(config["lr"]), "weight_decay": float(config["weight_decay"])}
    if config["optimizer"] == "rmsprop":
        return torch.optim.RMSprop(model.parameters(), **kwargs)
    return torch.optim.Adam(model.parameters(), **kwargs)


def time_calls(fn: Callable[[], Any], warmup: int, repeats: int) -> list[float]:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times; return the timings (s)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def bench_training(config: dict[str, Any], args: argparse.Namespace, threads: int) -> list[float]:
    """Seconds per full optimizer step (forward, loss, backward, step)."""
    torch.manual_seed(args.seed)
    model = make_model(config)
    model.train()
    loss_fn = build_loss(config["loss"], model.score_range, getattr(model, "bins", None))
    optimizer = make_optimizer(config, model)
    n = int(round(args.seconds * SAMPLE_RATE))
    gen = torch.Generator().manual_seed(args.seed)
    low, high = model.score_range.low, model.score_range.high

    wav = 0.1 * torch.randn(args.batch_size, n, generator=gen)
    lengths = torch.full((args.batch_size,), n, dtype=torch.long)
    target = low + (high - low) * torch.rand(args.batch_size, generator=gen)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        out = model(wav, lengths)
        total, _ = loss_fn(out, target)
        total.backward()
        optimizer.step()

    torch.set_num_threads(threads)
    return time_calls(step, args.train_warmup, args.train_steps)


def bench_inference(config: dict[str, Any], args: argparse.Namespace, threads: int) -> list[float]:
    """Seconds to score one ``--infer-seconds`` file (batch 1, eval mode, inference mode)."""
    torch.manual_seed(args.seed)
    model = make_model(config)
    model.eval()
    n = int(round(args.infer_seconds * SAMPLE_RATE))
    gen = torch.Generator().manual_seed(args.seed + 1)

    wav = 0.1 * torch.randn(1, n, generator=gen)
    lengths = torch.tensor([n], dtype=torch.long)

    def score() -> None:
        with torch.inference_mode():
            out = model(wav, lengths)
            float(out.utterance_score[0])

    torch.set_num_threads(threads)
    return time_calls(score, args.infer_warmup, args.infer_files)


def loss_label(spec: Any) -> str:
    if isinstance(spec, dict):
        parts = []
        for name, value in spec.items():
            weight = value.get("weight", 1.0) if isinstance(value, dict) else (1.0 if value is None else value)
            parts.append(name if float(weight) == 1.0 else f"{name}:{weight}")
        return "+".join(parts)
    return str(spec)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    saved_threads = torch.get_num_threads()
    try:
        for name in args.models:
            config = model_settings(name, args.configs)
            params = sum(p.numel() for p in make_model(config).parameters())
            log(f"[{name}] {params:,} parameters; loss {loss_label(config['loss'])}")
            for threads in args.threads:
                t0 = time.perf_counter()
                train = bench_training(config, args, threads)
                step = statistics.median(train)
                log(f"[{name}] threads={threads} train: median {step:.3f} s/step "
                    f"({args.batch_size / step:.1f} utt/s) in {time.perf_counter() - t0:.1f} s")
                t0 = time.perf_counter()
                infer = bench_inference(config, args, threads)
                per_file = statistics.median(infer)
                rtf = per_file / args.infer_seconds
                log(f"[{name}] threads={threads} infer: median {per_file * 1e3:.1f} ms/file, "
                    f"RTF {rtf:.4f} ({1 / rtf:.0f}x real time) in {time.perf_counter() - t0:.1f} s")
                rows.append({
                    "model": name,
                    "params": params,
                    "threads": threads,
                    "batch_size": args.batch_size,
                    "train_seconds": args.seconds,
                    "train_step_s": round(step, 5),
                    "train_step_min_s": round(min(train), 5),
                    "train_step_max_s": round(max(train), 5),
                    "train_utt_per_s": round(args.batch_size / step, 2),
                    "infer_seconds": args.infer_seconds,
                    "infer_file_s": round(per_file, 5),
                    "infer_rtf": round(rtf, 5),
                    "infer_rtf_min": round(min(infer) / args.infer_seconds, 5),
                    "infer_rtf_max": round(max(infer) / args.infer_seconds, 5),
                    "x_realtime": round(1 / rtf, 1),
                    "loss": loss_label(config["loss"]),
                    "optimizer": config["optimizer"],
                })
    finally:
        torch.set_num_threads(saved_threads)
    return rows


def table(rows: list[dict[str, Any]], threads: list[int]) -> tuple[list[str], list[list[str]]]:
    """Wide table: one line per model, columns per thread count."""
    header = ["model", "params"]
    header += [f"train utt/s ({t} thr)" for t in threads]
    header += [f"RTF ({t} thr)" for t in threads]
    header += [f"x real time ({t} thr)" for t in threads]
    by_model: dict[str, dict[int, dict[str, Any]]] = {}
    for row in rows:
        by_model.setdefault(row["model"], {})[row["threads"]] = row
    lines = []
    for model, per_thread in by_model.items():
        first = next(iter(per_thread.values()))
        line = [model, f"{first['params'] / 1e6:.2f} M"]
        line += [f"{per_thread[t]['train_utt_per_s']:.1f}" for t in threads]
        line += [f"{per_thread[t]['infer_rtf']:.4f}" for t in threads]
        line += [f"{per_thread[t]['x_realtime']:.0f}x" for t in threads]
        lines.append(line)
    return header, lines


def format_plain(header: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(line) for line in lines])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log(f"torch {torch.__version__}, {len(args.models)} model(s), threads {args.threads}, "
        f"train batch {args.batch_size} x {args.seconds:g} s "
        f"({args.train_warmup} warm-up + {args.train_steps} timed steps), "
        f"inference {args.infer_seconds:g} s files "
        f"({args.infer_warmup} warm-up + {args.infer_files} timed); "
        f"{os.cpu_count()} CPUs, load average {load_average()}")
    start = time.perf_counter()
    rows = run(args)
    log(f"done in {time.perf_counter() - start:.0f} s; load average {load_average()}")
    if args.out is not None:
        write_csv(args.out, rows, CSV_FIELDS)
        log(f"wrote {args.out}")
    header, lines = table(rows, args.threads)
    if args.markdown:
        print(markdown_table(header, lines, "l" + "r" * (len(header) - 1)))
    else:
        print(format_plain(header, lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
