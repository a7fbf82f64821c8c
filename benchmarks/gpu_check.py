#!/usr/bin/env python3
"""GPU check (needs CUDA; not part of the test suite): the library on a CUDA device.

1. The shipped model scores the bundled examples (and one 65-s file, scored in windows) the same
   on CUDA as on the CPU, and the same with batch size 1 and 6 on CUDA (padding masked).
2. The joint quality loss gives the same value on CUDA as on the CPU and a finite gradient.
3. ``train_quality.py --accelerator gpu`` trains the shipped recipe's network on generated audio
   (score = SNR), writes a ``model.pt`` that loads with ``weights_only=True``, and that model
   scores the same on the CPU as on CUDA; files per second of training are reported.
4. ``train_enhancer.py --accelerator gpu`` trains the full-size DPCRN with the joint quality loss
   of the shipped model for a few steps; steps per second are reported.

    python benchmarks/gpu_check.py --out runs/gpu_check.json

Prints one JSON object (also written to ``--out``); exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the generated-audio helpers the tests use

from synthetic import SR, make_mixture_folders, make_snr_corpus  # noqa: E402

from quality.audio import load_audio  # noqa: E402
from quality.checkpoint import load_model  # noqa: E402
from quality.predict import Predictor  # noqa: E402
from quality.quality_loss import QualityLoss  # noqa: E402

GRADIENT_TOLERANCE = 1e-2  # of the largest gradient element
TOLERANCE = 1e-3  # of the score range (3.64 MOS points for PESQ-wb): float32 kernels differ between devices


def example_files(examples: Path, work: Path) -> list[Path]:
    """The bundled examples, plus one 65-s file made by repeating the first (scored in windows)."""
    files = sorted(examples.glob("*.flac"))
    first = load_audio(files[0])
    work.mkdir(parents=True, exist_ok=True)
    sf.write(work / "long_65s.flac", np.tile(first, int(np.ceil(65 * SR / len(first))))[: 65 * SR], SR)
    return [*files, work / "long_65s.flac"]


def scores(model, meta: dict, files: list[Path], batch_size: int) -> list[float]:
    """MOS per file through ``Predictor.predict_many`` (files share batches)."""
    out = []
    for path, result in Predictor(model, meta, batch_size=batch_size).predict_many(files):
        if not isinstance(result, list):
            raise RuntimeError(f"{path}: {result}")
        out.append(result[0].mos)
    return out


def max_diff(a: list[float], b: list[float], span: float = 1.0) -> float:
    """Largest difference between two lists of scores, as a fraction of ``span``."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) / span


def check_scores(checkpoint: Path, examples: Path, work: Path, device: str) -> dict:
    files = example_files(examples, work)
    model, meta = load_model(checkpoint)
    cpu = scores(model, meta, files, 6)
    model.to(device)
    dev6, dev1 = scores(model, meta, files, 6), scores(model, meta, files, 1)
    span = model.score_range.span
    return {"files": [f.name for f in files], "mos_cpu": cpu, f"mos_{device}": dev6,
            "cpu_vs_device_max_diff": max_diff(cpu, dev6, span),
            "device_batch1_vs_batch6_max_diff": max_diff(dev1, dev6, span)}


def check_quality_loss(checkpoint: Path, examples: Path, device: str) -> dict:
    waves = [load_audio(p)[: 3 * SR] for p in sorted(examples.glob("*.flac"))[:4]]
    batch = torch.from_numpy(np.stack(waves)).float()
    values, grads = {}, {}
    for where in ("cpu", device):
        loss_fn = QualityLoss(checkpoint, mode="joint").to(where)
        x = batch.clone().to(where).requires_grad_(True)
        loss = loss_fn(x)
        loss.backward()
        values[where], grads[where] = float(loss.detach()), x.grad.cpu()
    scale = float(grads["cpu"].abs().max())
    return {"loss_cpu": values["cpu"], f"loss_{device}": values[device],
            "loss_diff": abs(values["cpu"] - values[device]),  # the loss is already a fraction of the range
            "grad_finite": bool(torch.isfinite(grads[device]).all()), "grad_max_abs_cpu": scale,
            "grad_max_diff_rel": float((grads["cpu"] - grads[device]).abs().max()) / scale}


def accelerator(device: str) -> str:
    return "gpu" if device == "cuda" else "cpu"


def run_main(main, args: list[str]) -> float:
    start = time.perf_counter()
    code = main(args)
    if code not in (0, None):
        raise RuntimeError(f"exit status {code} for {args}")
    return time.perf_counter() - start


def check_training(work: Path, files: int, epochs: int, device: str) -> dict:
    from quality.training.cli import main as train_main

    lines = make_snr_corpus(work / "audio", files, seed=1, seconds=(4.0, 8.0))
    split = int(0.8 * len(lines))
    header = "# columns: path score speaker\n"
    (work / "train.list").write_text(header + "".join(f"audio/{l}\n" for l in lines[:split]))
    (work / "valid.list").write_text(header + "".join(f"audio/{l}\n" for l in lines[split:]))
    args = ["--config", str(REPO / "configs/shipped.yaml"), "--train", str(work / "train.list"),
            "--valid", str(work / "valid.list"), "--target", "score", "--set", "model.score_range=[0,30]",
            "--set", "model.heads={}", "--set", "model.conditions=null", "--loss", "mse+frame_mse",
            "--set", "epoch_batches=null", "--max-epochs", str(epochs), "--num-workers", "4",
            "--accelerator", accelerator(device), "--out", str(work / "runs")]
    seconds = run_main(train_main, args)
    model_pt = next((work / "runs").glob("*/model.pt"))
    model, meta = load_model(model_pt)  # weights_only=True inside
    valid_files = [work / "audio" / l.split()[0] for l in lines[split:]]
    cpu = scores(model, meta, valid_files, 8)
    gpu = scores(model.to(device), meta, valid_files, 8)
    return {"train_files": split, "epochs": epochs, "seconds": seconds,
            "train_files_per_s": split * epochs / seconds, "cpu_vs_device_max_diff": max_diff(cpu, gpu, model.score_range.span),
            "valid_metrics": meta.get("valid_metrics")}


def check_enhancer(work: Path, checkpoint: Path, steps: int, device: str) -> dict:
    from quality.enhance.train_cli import main as enhance_main

    make_mixture_folders(work, speakers=12, utterances=2, seconds=4.0, rooms=0)
    args = ["--config", str(REPO / "configs/dpcrn.yaml"), "--speech", str(work / "speech"),
            "--noise", str(work / "noise"), "--quality-loss", "joint", "--quality-checkpoint", str(checkpoint),
            "--batch-size", "8", "--max-steps", str(steps), "--epoch-size", str(8 * steps), "--valid-size", "8",
            "--accelerator", accelerator(device), "--out", str(work / "runs")]
    seconds = run_main(enhance_main, args)
    return {"steps": steps, "seconds": seconds, "steps_per_s": steps / seconds,
            "model_written": any((work / "runs").glob("*/model.pt"))}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", type=Path, default=REPO / "checkpoints/default.pt")
    p.add_argument("--examples", type=Path, default=REPO / "examples")
    p.add_argument("--train-files", type=int, default=320)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--enhancer-steps", type=int, default=40)
    p.add_argument("--out", type=Path, help="JSON file to write")
    p.add_argument("--device", default="cuda", help="cuda (default), or cpu to try the script itself here")
    args = p.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: no CUDA device", file=sys.stderr)
        return 1
    name = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    report: dict = {"device": name, "torch": torch.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        work, dev = Path(tmp), args.device
        checks = {"scores": lambda: check_scores(args.checkpoint, args.examples, work / "long", dev),
                  "quality_loss": lambda: check_quality_loss(args.checkpoint, args.examples, dev),
                  "training": lambda: check_training(work / "train", args.train_files, args.epochs, dev),
                  "enhancer": lambda: check_enhancer(work / "enh", args.checkpoint, args.enhancer_steps, dev)}
        for name, check in checks.items():
            try:
                report[name] = check()
            except Exception as exc:  # report every check, keep going
                report[name] = {"error": f"{type(exc).__name__}: {exc}"}
    ok = (report["scores"].get("cpu_vs_device_max_diff", 1) < TOLERANCE
          and report["scores"].get("device_batch1_vs_batch6_max_diff", 1) < TOLERANCE
          and report["quality_loss"].get("loss_diff", 1) < TOLERANCE
          and report["quality_loss"].get("grad_finite", False)
          and report["quality_loss"].get("grad_max_diff_rel", 1) < GRADIENT_TOLERANCE
          and report["training"].get("cpu_vs_device_max_diff", 1) < TOLERANCE
          and report["enhancer"].get("model_written", False))
    report["ok"] = bool(ok)
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
