"""Export a quality model to one ONNX file, STFT front end included, verified against PyTorch.

Usage::

    python -m quality.export --checkpoint model.pt --output model.onnx

The file takes a 16 kHz waveform and returns scores (interface in :mod:`quality.onnx_backend`):

- inputs: ``waveform`` float32 ``(batch, samples)``: mono 16 kHz audio in [-1, 1], rows
  zero-padded to the longest; ``lengths`` int64 ``(batch,)``: valid samples of each row (pass the
  row length when nothing is padded). What lies past a row's length never affects its scores.
- outputs: ``mos`` ``(batch,)``; one ``(batch,)`` output per extra head, named after the head, in
  the model's order; ``frame_scores`` float32 ``(batch, frames)`` of the main head (0 on padded
  frames); ``frame_lengths`` int64 ``(batch,)``: valid frames, ``lengths // hop_length + 1``; for a
  model with a degradation classifier, ``degradations`` float32 ``(batch, types)``: probabilities of
  the types in the ``degradation_names`` metadata.
- batch and time axes are dynamic; ``metadata_props`` hold the model name and config, the library
  version, sample rate, hop length, head names, score ranges, the checkpoint's plain metadata
  (JSON) and the verification result.

Exporter: the TorchScript-based one (``torch.onnx.export(..., dynamo=False)``), opset 17, from eval
mode. The dynamo exporter is not used: it freezes the time axis of models with ``nn.LSTM``. Every
export is checked before it is kept: onnxruntime and PyTorch score lengths that differ from the
tracing length (0.5, 7 and 63 s by default) alone and mixed in one zero-padded batch; a difference
above 1e-3 (a thousandth of a score point; float32 recurrences over a
minute of audio drift by up to a few 1e-4, while a real export fault such as a frozen axis or lost
masking differs by 0.01 or more) raises :class:`ExportError` and no file is left behind (the file is written under a
temporary name, verified, then renamed).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from . import __version__
from .audio import SAMPLE_RATE
from .fileio import atomic_write
from .models import QualityModel
from .onnx_backend import (
    DEGRADATION_OUTPUT,
    FRAME_OUTPUTS,
    INPUT_NAMES,
    ONNX_FORMAT,
    ONNX_FORMAT_VERSION,
    export_output_names,
    file_sha256,
    import_onnxruntime,
    make_session,
    parse_metadata,
)

DEFAULT_OPSET = 17
VERIFY_LENGTHS_S = (0.5, 7.0, 63.0)
VERIFY_BATCH_SIZES = (1, 3)
VERIFY_ATOL = 1e-3
TRACE_LENGTHS = (20800, 15000)  # 1.3 s and 0.94 s: the example batch traced, unlike any verified length


class ExportError(RuntimeError):
    """An export that failed or does not reproduce the PyTorch model; the message says why."""


class OnnxWrapper(nn.Module):
    """``(waveform, lengths) -> (mos, *extra heads, frame_scores, frame_lengths[, degradations])``."""

    def __init__(self, model: QualityModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, waveform: Tensor, lengths: Tensor) -> tuple[Tensor, ...]:
        out = self.model(waveform, lengths)
        heads = [out.heads[name] for name in self.model.head_ranges]
        probs = self.model.condition_probabilities(out)
        return (out.utterance_score, *heads, out.frame_scores, out.frame_mask.sum(1),
                *([probs] if probs is not None else []))


def output_names(model: QualityModel) -> list[str]:
    """ONNX output names: ``mos``, the extra heads, ``frame_scores``, ``frame_lengths`` and, for a
    model with a degradation classifier, ``degradations``."""
    names = export_output_names(list(model.head_ranges), bool(model.conditions))
    clash = set(model.head_ranges) & {*INPUT_NAMES, *FRAME_OUTPUTS, DEGRADATION_OUTPUT}
    if clash:
        raise ExportError(f"extra head name(s) {sorted(clash)} clash with ONNX input/output names")
    return names


def plain_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """The entries of ``metadata`` that are plain JSON (others, e.g. NaN or objects, are dropped)."""
    plain = {}
    for key, value in (metadata or {}).items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            continue
        plain[str(key)] = value
    return plain


def model_props(model: QualityModel, metadata: dict[str, Any] | None = None) -> dict[str, str]:
    """``metadata_props`` of an export (all values strings; see :func:`~quality.onnx_backend.parse_metadata`)."""
    ranges = {"mos": model.score_range, **model.head_ranges}
    return {
        "format": ONNX_FORMAT,
        "format_version": str(ONNX_FORMAT_VERSION),
        "model_name": str(model.config.get("name", type(model).__name__)),
        "model_config": json.dumps(plain_metadata(model.config)),
        "quality_version": __version__,
        "sample_rate": str(SAMPLE_RATE),
        "hop_length": str(model.frontend.hop_length),
        "head_names": json.dumps(list(ranges)),
        "score_ranges": json.dumps({name: [r.low, r.high] for name, r in ranges.items()}),
        "degradation_names": json.dumps(list(model.conditions)),
        "checkpoint_metadata": json.dumps(plain_metadata(metadata)),
    }


def interface_doc(model: QualityModel, names: Sequence[str]) -> str:
    """The file's ``doc_string``: what goes in and what comes out."""
    heads = ", ".join(f"{name} (batch,)" for name in ["mos", *model.head_ranges])
    degradations = (f"; {DEGRADATION_OUTPUT} float32 (batch, {len(model.conditions)}), probability of each "
                    f"degradation type in metadata degradation_names" if model.conditions else "")
    return (
        f"Speech quality model '{model.config.get('name', type(model).__name__)}' (quality {__version__}), "
        f"STFT front end included. Inputs: waveform float32 (batch, samples), mono {SAMPLE_RATE} Hz, rows "
        f"zero-padded to the longest; lengths int64 (batch,), valid samples of each row. Outputs: {heads} "
        f"utterance scores; frame_scores float32 (batch, frames), main-head scores every "
        f"{model.frontend.hop_length} samples, 0 on padded frames; frame_lengths int64 (batch,), valid frames "
        f"of each row{degradations}. metadata_props: score ranges, head names, config and checkpoint metadata "
        f"(JSON values)."
    )


def example_batch(lengths: Sequence[int], seed: int = 0) -> tuple[Tensor, Tensor]:
    """Deterministic noise-like waveforms of ``lengths`` samples, zero-padded ``(B, N)``, and lengths."""
    gen = torch.Generator().manual_seed(seed)
    wav = torch.zeros(len(lengths), max(lengths))
    for row, n in enumerate(lengths):
        # noise with a slow envelope: some loud and some near-silent frames, like speech
        env = torch.sin(torch.linspace(0, 3.0 * n / SAMPLE_RATE, n)).abs() + 0.01
        wav[row, :n] = 0.1 * env * torch.randn(n, generator=gen)
    return wav, torch.tensor(list(lengths), dtype=torch.long)


def verify_cases(lengths_s: Sequence[float], batch_sizes: Sequence[int]) -> list[list[int]]:
    """Row lengths (samples) of each verification batch: every length alone for batch size 1, and
    for a batch size ``b > 1`` one batch of ``b`` rows cycling through the lengths (mixed, padded)."""
    samples = [max(1, int(round(s * SAMPLE_RATE))) for s in lengths_s]
    cases = []
    for b in batch_sizes:
        if b == 1:
            cases += [[n] for n in samples]
        else:
            cases.append([samples[i % len(samples)] for i in range(b)])
    return cases


def verify_onnx(
    model: QualityModel,
    path: str | os.PathLike | bytes,
    lengths_s: Sequence[float] = VERIFY_LENGTHS_S,
    batch_sizes: Sequence[int] = VERIFY_BATCH_SIZES,
    atol: float = VERIFY_ATOL,
    threads: int | None = None,
) -> dict[str, Any]:
    """Compare onnxruntime on ``path`` (a file or serialized model) with ``model`` in eval mode.

    Each batch of :func:`verify_cases` is scored by both; every output must have the same shape,
    frame lengths must be equal and scores within ``atol``. Returns what was checked and
    ``max_abs_diff``; raises :class:`ExportError` naming the batch and output that differ.
    """
    if not lengths_s or not batch_sizes or min(batch_sizes) < 1:
        raise ValueError("verification needs at least one length and batch sizes of at least 1")
    try:
        session = make_session(path, threads)
    except Exception as err:  # onnxruntime's own exception types
        raise ExportError(f"onnxruntime cannot load the export: {err}") from None
    names = [o.name for o in session.get_outputs()]
    expected = output_names(model)
    if names != expected:
        raise ExportError(f"ONNX outputs {names} differ from the model's {expected}")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    worst = 0.0
    try:
        for case_no, lengths in enumerate(verify_cases(lengths_s, batch_sizes)):
            what = f"batch of {len(lengths)} ({', '.join(f'{n / SAMPLE_RATE:g} s' for n in lengths)})"
            wav, lens = example_batch(lengths, seed=1 + case_no)
            with torch.inference_mode():
                ref = [t.cpu().numpy() for t in OnnxWrapper(model)(wav.to(device), lens.to(device))]
            try:
                got = session.run(names, {"waveform": wav.numpy(), "lengths": lens.numpy()})
            except Exception as err:  # onnxruntime raises its own types; a frozen axis fails here
                raise ExportError(f"onnxruntime failed on a {what}: {err}") from None
            for name, a, b in zip(names, got, ref):
                if a.shape != b.shape:
                    raise ExportError(f"output {name!r} has shape {a.shape} in ONNX but {b.shape} in torch "
                                      f"for a {what} (an axis frozen at the tracing size?)")
                if name == "frame_lengths":
                    if not np.array_equal(a, b):
                        raise ExportError(f"frame_lengths differ for a {what}: ONNX {a}, torch {b}")
                    continue
                diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
                if not diff <= atol:  # also catches NaN
                    raise ExportError(f"output {name!r} differs from torch by {diff:.3g} (> {atol:g}) for a {what}")
                worst = max(worst, diff)
    finally:
        model.train(was_training)
    ort = import_onnxruntime()
    return {"max_abs_diff": worst, "atol": atol, "lengths_s": [float(s) for s in lengths_s],
            "batch_sizes": [int(b) for b in batch_sizes], "onnxruntime": ort.__version__, "torch": torch.__version__}


def export_onnx(
    model: QualityModel,
    path: str | os.PathLike,
    metadata: dict[str, Any] | None = None,
    opset: int = DEFAULT_OPSET,
    verify: bool = True,
    *,
    threads: int | None = None,
    extra_props: dict[str, str] | None = None,
) -> Path:
    """Export ``model`` (in eval mode; its mode is restored) to ``path``, STFT included.

    ``metadata``: the checkpoint's metadata; its plain-JSON entries go into ``metadata_props``
    with the model's own (see module docstring), plus ``extra_props``. With ``verify`` (strongly
    recommended) the export is checked by :func:`verify_onnx` (``threads`` for onnxruntime) before
    it is renamed into place; on failure :class:`ExportError` is raised and ``path`` is untouched.
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs onnx and onnxruntime: pip install 'quality[export]'") from None
    names = output_names(model)
    props = {**model_props(model, metadata), **(extra_props or {})}
    device = next(model.parameters()).device
    wav, lengths = example_batch(TRACE_LENGTHS)
    dynamic_axes = {"waveform": {0: "batch", 1: "samples"}, "lengths": {0: "batch"},
                    **{name: {0: "batch"} for name in names}, "frame_scores": {0: "batch", 1: "frames"}}
    # (``degradations`` keeps its second axis: the number of types is fixed)
    was_training = model.training
    model.eval()

    def write(tmp: str) -> None:
        with warnings.catch_warnings():
            # Known and harmless here (verification below is the real check): the notice that this
            # is the legacy exporter, nn.LSTM's internal shape checks while tracing, and the
            # LSTM-with-batch warning that concerns initial states passed as inputs (we pass none).
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module=r"torch\.")
            warnings.filterwarnings("ignore", message=r".*legacy TorchScript-based ONNX export")
            warnings.filterwarnings("ignore", message=r".*batch_size other than 1, with a variable length with LSTM")
            warnings.filterwarnings("ignore", message=r".*Constant folding - Only steps=1")
            warnings.filterwarnings("ignore", message=r"The feature will be removed")  # torch.onnx internals
            try:
                torch.onnx.export(
                    OnnxWrapper(model), (wav.to(device), lengths.to(device)), tmp, dynamo=False,
                    opset_version=opset, input_names=list(INPUT_NAMES), output_names=names,
                    dynamic_axes=dynamic_axes, do_constant_folding=True,
                )
            except Exception as err:
                raise ExportError(f"torch.onnx.export failed for {props['model_name']}: {err}") from err
        proto = onnx.load(tmp)
        proto.doc_string = interface_doc(model, names)
        onnx.helper.set_model_props(proto, props)
        if verify:
            report = verify_onnx(model, proto.SerializeToString(), threads=threads)
        else:
            report = {"skipped": True}
        onnx.helper.set_model_props(proto, {**props, "verification": json.dumps(report)})
        onnx.save(proto, tmp)

    try:
        return atomic_write(path, write)
    finally:
        model.train(was_training)


def export_checkpoint(
    checkpoint: str | os.PathLike,
    output: str | os.PathLike,
    opset: int = DEFAULT_OPSET,
    verify: bool = True,
    *,
    threads: int | None = None,
) -> Path:
    """Export a ``model.pt`` (see :func:`export_onnx`); records its SHA-256 as ``checkpoint_sha256``."""
    from .checkpoint import load_model

    model, metadata = load_model(checkpoint)
    extra = {"checkpoint_sha256": file_sha256(checkpoint), "checkpoint_file": Path(checkpoint).name}
    return export_onnx(model, output, metadata, opset, verify, threads=threads, extra_props=extra)


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Decoded ``metadata_props`` of an export (:func:`~quality.onnx_backend.parse_metadata`)."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return parse_metadata({p.key: p.value for p in proto.metadata_props})


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m quality.export",
        description="Export a quality model to one ONNX file (16 kHz waveform + lengths in, scores out), "
                    "verified against PyTorch.",
        epilog="Inputs: waveform float32 (batch, samples) at 16 kHz, zero-padded; lengths int64 (batch,). "
               "Outputs: mos, one per extra head, frame_scores (batch, frames), frame_lengths (batch,), and "
               "degradations (batch, types) for a model with a degradation classifier. "
               "Exit status: 0 exported and verified, 1 error (nothing written).",
    )
    p.add_argument("--checkpoint", required=True, help="model.pt to export")
    p.add_argument("--output", help="ONNX file to write (default: the checkpoint's name with .onnx)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the onnxruntime-vs-torch check (discouraged: the file may score differently)")
    p.add_argument("--threads", type=int, help="onnxruntime threads for the check (default: $OMP_NUM_THREADS "
                                               "or onnxruntime's choice)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .checkpoint import CheckpointError

    output = Path(args.output) if args.output else Path(args.checkpoint).with_suffix(".onnx")
    try:
        path = export_checkpoint(args.checkpoint, output, args.opset, not args.no_verify, threads=args.threads)
    except (CheckpointError, ExportError, ImportError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    meta = read_metadata(path)
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.2f} MB): {meta['model_name']}, heads {', '.join(meta['head_names'])}, "
          f"opset {args.opset}")
    check = meta["verification"]
    if check.get("skipped"):
        print("not verified (--no-verify): scores may differ from the PyTorch model")
    else:
        lengths = ", ".join(f"{s:g}" for s in check["lengths_s"])
        print(f"verified: onnxruntime vs torch on {lengths} s, batch sizes {check['batch_sizes']}: "
              f"max |diff| {check['max_abs_diff']:.2e} (limit {check['atol']:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
