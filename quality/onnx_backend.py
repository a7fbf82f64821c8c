"""Score waveforms with an ONNX export of a quality model through onnxruntime.

:class:`OnnxBackend` is a :class:`~quality.predict.Predictor` backend like
:class:`~quality.inference.TorchBackend`: same batching (length-sorted, zero-padded batches), same
results to within 1e-3 (checked when the file was exported, see :mod:`quality.export`).

The file's interface (written by :func:`quality.export.export_onnx`):

- inputs ``waveform`` float32 ``(batch, samples)``, mono 16 kHz, rows zero-padded to the longest,
  and ``lengths`` int64 ``(batch,)``, the valid samples of each row;
- outputs ``mos`` ``(batch,)``, then one ``(batch,)`` output per extra head named after it, then
  ``frame_scores`` float32 ``(batch, frames)`` (main head, 0 on padded frames) and
  ``frame_lengths`` int64 ``(batch,)`` (valid frames of each row), then, for a model with a
  degradation classifier (format 2), ``degradations`` float32 ``(batch, types)``: the probability
  that each type named in the ``degradation_names`` metadata is present;
- ``metadata_props`` as read by :func:`parse_metadata`.

Only numpy and onnxruntime are needed to run such a file; this module adds the batching and
imports neither torch nor onnx.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .inference import length_sorted_batches

ONNX_FORMAT = "quality-onnx"
ONNX_FORMAT_VERSION = 2  # 2: the optional ``degradations`` output
INPUT_NAMES = ("waveform", "lengths")
FRAME_OUTPUTS = ("frame_scores", "frame_lengths")
DEGRADATION_OUTPUT = "degradations"
# metadata_props values that hold JSON (all values are strings in ONNX).
JSON_PROPS = ("model_config", "head_names", "score_ranges", "checkpoint_metadata", "verification",
              "degradation_names")
INT_PROPS = ("format_version", "sample_rate", "hop_length")


def import_onnxruntime():
    """``onnxruntime``, or an ImportError that says how to install it."""
    try:
        import onnxruntime
    except ImportError:
        raise ImportError("the onnx backend needs onnxruntime: pip install 'quality[export]'") from None
    return onnxruntime


def default_threads() -> int | None:
    """``$OMP_NUM_THREADS`` when set to a number (onnxruntime itself ignores it), else None."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def check_threads(threads: int | None) -> None:
    """ValueError unless ``threads`` (intra-op threads) is None or at least 1."""
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")


def make_session(model: str | os.PathLike | bytes, threads: int | None = None):
    """A CPU ``onnxruntime.InferenceSession`` for a file or serialized model.

    ``threads``: intra-op threads; None -> :func:`default_threads`, and onnxruntime's own choice
    (one per physical core) when that is None too. Inter-op parallelism is off (one thread).
    """
    check_threads(threads)
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    threads = threads if threads is not None else default_threads()
    if threads is not None:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])


def parse_metadata(props: dict[str, str]) -> dict[str, Any]:
    """Decode a quality export's ``metadata_props`` (JSON and integer values) into plain data.

    Keys: ``format``, ``format_version``, ``model_name``, ``model_config``, ``quality_version``,
    ``sample_rate``, ``hop_length``, ``head_names`` (``mos`` first), ``score_ranges``
    (``{head: [low, high]}``), ``degradation_names`` (types of the ``degradations`` output; empty
    when there is none), ``checkpoint_metadata`` (the checkpoint's plain metadata),
    ``verification`` (what the export checked and the largest difference it measured), and
    ``checkpoint_sha256`` when exported from a file. Raises ValueError for other files.
    """
    if props.get("format") != ONNX_FORMAT:
        raise ValueError(f"not a quality ONNX export (no '{ONNX_FORMAT}' metadata)")
    meta: dict[str, Any] = dict(props)
    try:
        for key in JSON_PROPS:
            if key in meta:
                meta[key] = json.loads(meta[key])
        for key in INT_PROPS:
            meta[key] = int(meta[key])
    except (KeyError, ValueError) as err:
        raise ValueError(f"damaged quality ONNX metadata ({type(err).__name__}: {err})") from None
    meta.setdefault("degradation_names", [])  # format 1 files have no degradation output
    if meta["format_version"] > ONNX_FORMAT_VERSION:
        raise ValueError(f"ONNX export format {meta['format_version']} is newer than this library reads "
                         f"({ONNX_FORMAT_VERSION}); update quality")
    return meta


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (an export's ``checkpoint_sha256``)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_output_names(head_names: Sequence[str], degradations: bool) -> list[str]:
    """Outputs of an export, in order: ``mos``, the extra heads, ``frame_scores``, ``frame_lengths``
    and, for a model with a degradation classifier, ``degradations``."""
    return ["mos", *head_names, *FRAME_OUTPUTS, *([DEGRADATION_OUTPUT] if degradations else [])]


def pad_batch(waves: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Zero-padded float32 batch ``(B, longest)`` and int64 lengths ``(B,)`` of 1-D waveforms."""
    lengths = np.array([len(w) for w in waves], dtype=np.int64)
    batch = np.zeros((len(waves), int(lengths.max())), dtype=np.float32)
    for row, w in enumerate(waves):
        batch[row, : len(w)] = w
    return batch, lengths


class OnnxBackend:
    """Scores waveforms with a quality ONNX export (see module docstring) through onnxruntime.

    ``path``: the ``.onnx`` file; ``threads``: onnxruntime intra-op threads (see
    :func:`make_session`). ``metadata``: the file's decoded metadata (:func:`parse_metadata`).
    Backend interface: ``head_names`` (extra heads), ``condition_names`` (degradation types),
    ``frame_seconds``, :meth:`score`.
    """

    def __init__(self, path: str | os.PathLike, threads: int | None = None) -> None:
        self.path = Path(path)
        self.session = make_session(self.path, threads)
        try:
            self.metadata = parse_metadata(self.session.get_modelmeta().custom_metadata_map)
        except ValueError as err:
            raise ValueError(f"{self.path}: {err}") from None
        self.head_names = [name for name in self.metadata["head_names"] if name != "mos"]
        self.frame_seconds = self.metadata["hop_length"] / self.metadata["sample_rate"]
        self.condition_names = [str(name) for name in self.metadata["degradation_names"]]
        self.output_names = export_output_names(self.head_names, bool(self.condition_names))
        found = [o.name for o in self.session.get_outputs()]
        if found != self.output_names or [i.name for i in self.session.get_inputs()] != list(INPUT_NAMES):
            raise ValueError(f"{self.path}: outputs {found} do not match its metadata {self.output_names}")

    def run(self, waveform: np.ndarray, lengths: np.ndarray) -> dict[str, np.ndarray]:
        """Raw outputs by name for one padded batch."""
        values = self.session.run(self.output_names, {"waveform": waveform, "lengths": lengths})
        return dict(zip(self.output_names, values))

    def score(self, waves: Sequence[np.ndarray], batch_size: int) -> tuple[np.ndarray, list[np.ndarray], dict,
                                                                           np.ndarray]:
        """Utterance scores ``(n,)``, per-file frame scores, extra heads by name and degradation
        probabilities ``(n, len(condition_names))``, batched like
        :func:`~quality.inference.score_waveforms`."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        scores = np.zeros(len(waves), dtype=np.float64)
        frames: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(waves)
        heads = {name: np.zeros(len(waves), dtype=np.float64) for name in self.head_names}
        conditions = np.zeros((len(waves), len(self.condition_names)), dtype=np.float64)
        for batch in length_sorted_batches([len(w) for w in waves], batch_size):
            wav, lengths = pad_batch([np.asarray(waves[i], dtype=np.float32) for i in batch])
            out = self.run(wav, lengths)
            for row, i in enumerate(batch):
                scores[i] = float(out["mos"][row])
                frames[i] = out["frame_scores"][row, : int(out["frame_lengths"][row])].astype(np.float32)
                for name in self.head_names:
                    heads[name][i] = float(out[name][row])
                if self.condition_names:
                    conditions[i] = out[DEGRADATION_OUTPUT][row]
        return scores, frames, heads, conditions
