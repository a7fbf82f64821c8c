#!/usr/bin/env python3
"""Train every model family on the same lists with the same wall-clock budget, then score the test list.

Each run is ``train_quality.py --config configs/<model>.yaml`` plus the shared options below, in
its own process with ``OMP_NUM_THREADS`` threads; ``--parallel`` runs go side by side. Results
(params, epochs, training minutes, validation and test MSE/LCC/SRCC) go to a CSV and a markdown
table on stdout.

    python benchmarks/compare_models.py --train lists/train_balanced.list --valid lists/valid.list \\
        --test lists/test.list --target pesq --score-range 1.0 4.64 --minutes 12 --out runs/compare
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import REPO_ROOT, log, markdown_table

sys.path.insert(0, str(REPO_ROOT))

from quality.fileio import atomic_write  # noqa: E402


def run_one(model: str, args: argparse.Namespace) -> dict:
    """Train one model family and evaluate it on the test list; returns a result row."""
    out = Path(args.out) / model
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONPATH": str(REPO_ROOT)}
    log_path = out.with_suffix(".log")
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(REPO_ROOT / "train_quality.py"), "--config",
           str(REPO_ROOT / "configs" / f"{model}.yaml"),
           "--train", args.train, "--valid", args.valid, "--target", args.target,
           "--set", f"model.score_range=[{args.score_range[0]},{args.score_range[1]}]",
           "--max-minutes", str(args.minutes), "--max-epochs", "1000", "--num-workers", str(args.num_workers),
           "--out", str(out), *sum((["--set", s] for s in args.set), [])]
    start = time.time()
    with open(log_path, "w") as fh:
        fh.write(" ".join(cmd) + "\n")
        fh.flush()
        code = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env).returncode
    minutes = (time.time() - start) / 60
    log(f"[{model}] training exit {code} after {minutes:.1f} min (log: {log_path})")
    if code != 0:
        return {"model": model, "error": f"training failed, see {log_path}"}
    run = max(out.glob(f"{model}_*"), key=lambda p: p.stat().st_mtime)
    evaluation = run / "test_eval"
    subprocess.run([sys.executable, "-m", "quality.evaluate", "--checkpoint", str(run / "model.pt"),
                    "--list", args.test, "--target", args.target, "--out", str(evaluation)],
                   check=True, env=env, cwd=REPO_ROOT, capture_output=True)
    test = json.loads((evaluation / "metrics.json").read_text())
    import torch

    payload = torch.load(run / "model.pt", weights_only=True)
    params = sum(v.numel() for k, v in payload["state_dict"].items() if not k.startswith("frontend."))
    meta = payload["metadata"]
    return {
        "model": model, "params": params, "epochs": meta["epochs_trained"], "train_minutes": round(minutes, 1),
        **{f"valid_{k}": round(meta["valid_metrics"][k], 4) for k in ("mse", "lcc", "srcc")},
        **{f"test_{k}": round(test[k], 4) for k in ("mse", "lcc", "srcc")},
        "run": str(run),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", default=["hasanet", "hasanet_class", "cnn_mattn", "cnn_class",
                                                    "can2d_class", "lstm_can_class", "crn"])
    p.add_argument("--train", required=True)
    p.add_argument("--valid", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--target", default="pesq")
    p.add_argument("--score-range", nargs=2, type=float, default=[1.0, 4.64])
    p.add_argument("--minutes", type=float, default=12.0, help="training budget per model")
    p.add_argument("--parallel", type=int, default=2, help="runs side by side")
    p.add_argument("--threads", type=int, default=1, help="torch threads per run")
    p.add_argument("--num-workers", type=int, default=0)
    p.add_argument("--set", action="append", default=[], help="extra config override for every run")
    p.add_argument("--out", default="runs/compare")
    args = p.parse_args()
    with ThreadPoolExecutor(args.parallel) as pool:
        rows = list(pool.map(lambda m: run_one(m, args), args.models))
    import pandas as pd

    table = pd.DataFrame(rows)
    atomic_write(Path(args.out) / "comparison.csv", lambda tmp: table.to_csv(tmp, index=False))
    shown = table.drop(columns=["run"], errors="ignore").fillna("")
    lines = [[str(v) for v in row] for row in shown.itertuples(index=False)]
    print(markdown_table(list(shown.columns), lines, "l" * len(shown.columns)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
