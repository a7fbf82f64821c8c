"""The prediction API: ``load_predictor()`` and :class:`Predictor`.

Recordings of any rate, channel count and length are scored at 16 kHz. Files longer than
``window_seconds`` are scored in equal windows (streamed from disk, so memory stays bounded) and
aggregated with frame-count weights, which for frame-averaging models equals the mean over all
frames. Scores do not depend on batch size or on which other files are scored alongside.

torch is imported only where a model runs in or comes from PyTorch: scoring a ``.onnx`` export,
or a ``model.pt`` with ``backend="onnx"`` whose verified export is cached, needs only numpy,
soundfile and onnxruntime, which keeps ``predict-mos`` start-up short.
"""
from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .audio import SAMPLE_RATE, AudioError, ChannelMode, audio_info, iter_audio_windows, load_audio, prepare_audio
from .errors import CheckpointError

if TYPE_CHECKING:  # torch is imported only by the torch backend
    import torch

    from .models import QualityModel
    from .onnx_backend import OnnxBackend

CHECKPOINT_ENV = "QUALITY_CHECKPOINT"
DEFAULT_WINDOW_SECONDS = 20.0


def default_checkpoint() -> Path:
    """The shipped model: ``$QUALITY_CHECKPOINT`` or ``checkpoints/default.pt`` of this repository."""
    env = os.environ.get(CHECKPOINT_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "checkpoints" / "default.pt"


@dataclass
class Prediction:
    """Scores of one recording (or one channel of it, with ``channels="each"``).

    ``mos``: utterance score of the main head; ``heads``: every head by name (``mos`` included);
    ``frames``: per-frame main-head scores, one every ``frame_seconds``; ``duration_s`` of the
    audio at its own rate; ``channel``: channel index for ``channels="each"``, else None;
    ``degradations``: for a model with a degradation classifier, the probability (0-1) that each
    degradation type it was trained on (e.g. ``noise``, ``reverb``, ``opus``) is present, else empty.
    """

    mos: float
    heads: dict[str, float]
    frames: np.ndarray
    frame_seconds: float
    duration_s: float
    source: str = "<array>"
    channel: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    degradations: dict[str, float] = field(default_factory=dict)

    def likely_degradations(self, threshold: float = 0.5) -> dict[str, float]:
        """The ``degradations`` with a probability of at least ``threshold``, most likely first."""
        found = ((name, p) for name, p in self.degradations.items() if p >= threshold)
        return dict(sorted(found, key=lambda item: -item[1]))

    def __getattr__(self, name: str) -> float:
        heads = self.__dict__.get("heads", {})
        if name in heads:
            return heads[name]
        raise AttributeError(name)


class Predictor:
    """Scores recordings with a quality model (see module docstring).

    ``backend``: a :class:`~quality.models.QualityModel` (scored with PyTorch) or any backend
    object with ``head_names``, ``condition_names``, ``frame_seconds`` and
    ``score(waves, batch_size)`` like :class:`~quality.inference.TorchBackend`.
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        backend: QualityModel | Any,
        metadata: dict[str, Any] | None = None,
        *,
        batch_size: int = 8,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        name: str = "model",
    ) -> None:
        if window_seconds < 1.0:
            raise ValueError(f"window_seconds must be at least 1 s, got {window_seconds}")
        models = sys.modules.get(f"{__package__}.models")  # a QualityModel exists only once this is loaded
        if models is not None and isinstance(backend, models.QualityModel):
            from .inference import TorchBackend

            backend = TorchBackend(backend)
        self.backend = backend
        self.metadata = metadata or {}
        self.batch_size = batch_size
        self.window_seconds = window_seconds
        self.name = name
        self.frame_seconds = self.backend.frame_seconds
        self.head_names = ["mos", *self.backend.head_names]
        self.degradation_names = list(self.backend.condition_names)

    def _windows(self, audio: np.ndarray) -> list[np.ndarray]:
        """Equal windows of at most ``window_seconds`` of a 16 kHz mono array."""
        limit = int(self.window_seconds * SAMPLE_RATE)
        count = max(1, int(np.ceil(len(audio) / limit)))
        bounds = np.linspace(0, len(audio), count + 1).round().astype(int)
        return [audio[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def _score_groups(self, groups: list[list[np.ndarray]]) -> list[tuple[dict[str, float], np.ndarray, np.ndarray]]:
        """Score several recordings, each a list of windows, in shared batches; returns per
        recording its head scores (``mos`` and extra heads), main-head frames and degradation
        probabilities.

        A recording's score is the frame-weighted mean of its windows' scores, for every head, and
        likewise for the degradation probabilities."""
        flat = [w for windows in groups for w in windows]
        scores, frames, heads, conditions = self.backend.score(flat, self.batch_size)
        per_head = {"mos": scores, **heads}
        results, pos = [], 0
        for windows in groups:
            part = slice(pos, pos + len(windows))
            weights = np.array([len(f) for f in frames[part]], dtype=np.float64)
            values = {name: float(np.sum(v[part] * weights) / weights.sum()) for name, v in per_head.items()}
            probs = weights @ conditions[part] / weights.sum()
            results.append((values, np.concatenate(frames[part]), probs))
            pos += len(windows)
        return results

    def _make(self, heads: dict[str, float], frames: np.ndarray, probs: np.ndarray, duration: float, source: str,
              channel: int | None) -> Prediction:
        degradations = {name: float(p) for name, p in zip(self.degradation_names, probs)}
        return Prediction(heads["mos"], heads, frames, self.frame_seconds, duration, source, channel,
                          degradations=degradations)

    def _predict_audio(self, audio: np.ndarray, duration: float, source: str) -> list[Prediction]:
        """Predictions for a loaded 16 kHz array: ``(samples,)`` or ``(channels, samples)``."""
        tracks = [audio] if audio.ndim == 1 else list(audio)
        channel = (lambda c: None) if audio.ndim == 1 else (lambda c: c)
        results = self._score_groups([self._windows(t) for t in tracks])
        return [self._make(s, f, p, duration, source, channel(c)) for c, (s, f, p) in enumerate(results)]

    def _predict_long_file(self, path: Path, channels: ChannelMode) -> list[Prediction]:
        """Stream a long file window by window; only ``batch_size`` windows are held at once."""
        sums: dict[int, dict[str, float]] = {}
        prob_sums: dict[int, np.ndarray] = {}
        weights: dict[int, float] = {}
        frames: dict[int, list[np.ndarray]] = {}
        samples, pending = 0, []

        def flush() -> None:
            tracks = [[w] for w in pending]  # each window scored on its own, batched together
            for k, (scores, f, probs) in enumerate(self._score_groups(tracks)):
                c = k % n_tracks
                total = sums.setdefault(c, dict.fromkeys(scores, 0.0))
                for name, value in scores.items():
                    total[name] += value * len(f)
                prob_sums[c] = prob_sums.get(c, 0.0) + probs * len(f)
                weights[c] = weights.get(c, 0.0) + len(f)
                frames.setdefault(c, []).append(f)
            pending.clear()

        n_tracks = 1
        for window in iter_audio_windows(path, self.window_seconds, channels=channels):
            tracks = [window] if window.ndim == 1 else list(window)
            n_tracks = len(tracks)
            samples += window.shape[-1]
            pending.extend(tracks)
            if len(pending) >= self.batch_size * n_tracks:
                flush()
        if pending:
            flush()
        duration = samples / SAMPLE_RATE
        multi = channels == "each"
        return [self._make({name: v / weights[c] for name, v in sums[c].items()}, np.concatenate(frames[c]),
                           prob_sums[c] / weights[c], duration, str(path), c if multi else None)
                for c in range(n_tracks)]

    def predict(
        self,
        path_or_array: str | os.PathLike | np.ndarray | torch.Tensor,
        sample_rate: int | None = None,
        *,
        channels: ChannelMode = "mix",
    ) -> Prediction | list[Prediction]:
        """Score a file path or an array (``(samples,)`` or ``(samples, channels)``, needs
        ``sample_rate``). Returns one :class:`Prediction`, or one per channel for ``"each"``.
        Raises :class:`~quality.audio.AudioError` for unusable audio."""
        if isinstance(path_or_array, (str, os.PathLike)):
            results = next(self.predict_many([path_or_array], channels=channels))[1]
            if isinstance(results, AudioError):
                raise results
        else:
            if sample_rate is None:
                raise ValueError("sample_rate is required when scoring an array")
            array = path_or_array
            loaded_torch = sys.modules.get("torch")  # a torch.Tensor exists only once torch is loaded
            if loaded_torch is not None and isinstance(array, loaded_torch.Tensor):
                array = array.detach().cpu().numpy()
            array = np.asarray(array)
            audio = prepare_audio(array, sample_rate, channels=channels)
            results = self._predict_audio(audio, array.shape[0] / sample_rate, "<array>")
        return results if channels == "each" else results[0]

    def _load(self, path: Path, channels: ChannelMode) -> np.ndarray | AudioError | None:
        """Decode a short file; None for a long one (streamed later); the error for a bad one."""
        try:
            if path.is_file() and path.stat().st_size > 0 and audio_info(path)[1] > self.window_seconds:
                return None
            return load_audio(path, channels=channels)
        except AudioError as err:
            return err

    def predict_many(
        self,
        paths: Iterable[str | os.PathLike],
        *,
        channels: ChannelMode = "mix",
        workers: int = 1,
        chunk_files: int = 64,
    ) -> Iterator[tuple[str, list[Prediction] | AudioError]]:
        """Score many files; yields ``(path, [predictions])`` or ``(path, AudioError)`` per file in
        input order and keeps going past bad files. Short files are decoded by ``workers`` threads
        and scored together in batches; long files are streamed one at a time."""
        paths = [Path(p) for p in paths]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for start in range(0, len(paths), chunk_files):
                chunk = paths[start : start + chunk_files]
                loaded = list(pool.map(lambda p: self._load(p, channels), chunk))
                short = [(p, a) for p, a in zip(chunk, loaded) if isinstance(a, np.ndarray)]
                groups, owners = [], []
                for p, audio in short:
                    tracks = [audio] if audio.ndim == 1 else list(audio)
                    groups.extend(self._windows(t) for t in tracks)
                    owners.append((p, audio, len(tracks)))
                scored = iter(self._score_groups(groups)) if groups else iter(())
                done: dict[Path, list[Prediction]] = {}
                for p, audio, n in owners:
                    duration = audio.shape[-1] / SAMPLE_RATE
                    multi = channels == "each"
                    done[p] = [self._make(*next(scored), duration, str(p), c if multi else None) for c in range(n)]
                for p, item in zip(chunk, loaded):
                    if isinstance(item, AudioError):
                        yield str(p), item
                    elif item is None:
                        try:
                            yield str(p), self._predict_long_file(p, channels)
                        except AudioError as err:
                            yield str(p), err
                    else:
                        yield str(p), done[p]


BACKENDS = ("torch", "onnx")
ONNX_CACHE_ENV = "QUALITY_CACHE_DIR"


def onnx_cache_dir() -> Path:
    """Where ``load_predictor(..., backend="onnx")`` keeps exports of ``model.pt`` files:
    ``$QUALITY_CACHE_DIR/onnx``, else ``$XDG_CACHE_HOME/quality/onnx`` (``~/.cache/quality/onnx``);
    the system temp folder's ``quality-onnx`` when that cannot be created."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    root = os.environ.get(ONNX_CACHE_ENV) or Path(cache_home) / "quality"
    folder = Path(root) / "onnx"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir()) / "quality-onnx"
    return folder


def open_onnx(path: Path, threads: int | None = None) -> OnnxBackend:
    """An :class:`~quality.onnx_backend.OnnxBackend` on ``path``; :class:`CheckpointError` (naming the
    file) when it is missing, unloadable or not a quality export. Needs neither torch nor onnx."""
    from .onnx_backend import OnnxBackend

    try:
        return OnnxBackend(path, threads=threads)
    except ValueError as err:  # not a quality export; the message names the file
        raise CheckpointError(str(err)) from None
    except ImportError:
        raise
    except Exception as err:  # onnxruntime's own exception types for an unloadable file
        raise CheckpointError(f"{path}: not a loadable ONNX model ({err})") from None


def find_cached_onnx(checkpoint: Path, threads: int | None = None) -> OnnxBackend | None:
    """An :class:`~quality.onnx_backend.OnnxBackend` on an existing verified ONNX export of
    ``checkpoint``, or None when there is none.

    Looked for: ``<stem>.onnx`` beside the checkpoint, then ``<cache>/<stem>-<sha256[:16]>.onnx``
    (see :func:`onnx_cache_dir`); used only if it was verified and records this checkpoint's
    SHA-256 and this library version (``python -m quality.export --checkpoint model.pt`` writes such
    a ``model.onnx``). Its metadata is read by onnxruntime when the file is opened: no torch needed.
    """
    from . import __version__
    from .onnx_backend import ONNX_FORMAT_VERSION, file_sha256

    sha = file_sha256(checkpoint)
    for candidate in (checkpoint.with_suffix(".onnx"), _cache_entry(checkpoint, sha)):
        if not candidate.is_file():
            continue
        try:
            scorer = open_onnx(candidate, threads)
        except CheckpointError:  # unreadable or not ours: not a usable cache entry
            continue
        meta = scorer.metadata
        verified = not meta.get("verification", {"skipped": True}).get("skipped", False)
        if verified and (meta.get("checkpoint_sha256"), meta.get("quality_version"), meta.get("format_version")) == (
                sha, __version__, ONNX_FORMAT_VERSION):
            return scorer
    return None


def _cache_entry(checkpoint: Path, sha: str) -> Path:
    return onnx_cache_dir() / f"{checkpoint.stem}-{sha[:16]}.onnx"


def cached_onnx(checkpoint: Path, threads: int | None = None) -> OnnxBackend:
    """:func:`find_cached_onnx`, or else export ``checkpoint`` (verified) into the cache and open that."""
    scorer = find_cached_onnx(checkpoint, threads)
    if scorer is not None:
        return scorer
    from .export import export_checkpoint  # torch: only when there is no usable export
    from .onnx_backend import file_sha256

    target = _cache_entry(checkpoint, file_sha256(checkpoint))
    return open_onnx(export_checkpoint(checkpoint, target, threads=threads), threads)


def _have_onnxruntime() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def load_predictor(
    path: str | os.PathLike | None = None,
    backend: str | None = None,
    *,
    threads: int | None = None,
    **options: Any,
) -> Predictor:
    """A :class:`Predictor` for a ``model.pt`` or a ``.onnx`` export (default: the shipped checkpoint).

    ``backend``: ``"torch"`` (PyTorch; ``model.pt`` only), ``"onnx"`` (onnxruntime, same scores
    within 1e-3), or None: ``"onnx"`` for a ``.onnx`` file; for a ``model.pt``, ``"onnx"`` when a
    verified export of exactly this checkpoint exists (:func:`find_cached_onnx`; the shipped
    ``checkpoints/default.onnx`` is one) and onnxruntime is installed, else ``"torch"``. A
    ``model.pt`` with ``backend="onnx"`` is exported and verified once and the export cached
    (:func:`cached_onnx`). The onnx backend never imports torch (fastest start-up).
    ``threads``: onnxruntime intra-op threads (onnx only; default ``$OMP_NUM_THREADS`` or
    onnxruntime's choice; for torch use ``torch.set_num_threads``). ``options`` go to :class:`Predictor`.
    """
    path = Path(path) if path is not None else default_checkpoint()
    is_onnx = path.suffix.lower() == ".onnx"
    auto = backend is None
    backend = backend or ("onnx" if is_onnx else "torch")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "torch" and is_onnx:
        raise ValueError(f"{path}: an ONNX file is scored with backend 'onnx', not 'torch'")
    if not path.is_file():
        kind = "ONNX model" if is_onnx else "checkpoint"
        raise CheckpointError(
            f"{path}: no such {kind}; pass a model.pt from train-quality or a .onnx from quality.export, "
            f"or set ${CHECKPOINT_ENV}"
        )
    if auto and not is_onnx and _have_onnxruntime():
        scorer = find_cached_onnx(path, threads)  # a verified export of this very checkpoint: same scores
        if scorer is not None:
            return _onnx_predictor(scorer, path, options)
    if backend == "torch" and threads is not None:
        raise ValueError("threads applies to backend 'onnx'; for torch set OMP_NUM_THREADS or torch.set_num_threads")
    if backend == "torch":
        from .checkpoint import load_model  # torch: only for the torch backend

        model, metadata = load_model(path)
        return Predictor(model, metadata, name=metadata.get("name", path.stem), **options)
    from .onnx_backend import check_threads

    check_threads(threads)  # a bad value, not a bad file
    scorer = open_onnx(path, threads) if is_onnx else cached_onnx(path, threads)
    return _onnx_predictor(scorer, path, options)


def _onnx_predictor(scorer: OnnxBackend, path: Path, options: dict[str, Any]) -> Predictor:
    metadata = scorer.metadata.get("checkpoint_metadata", {})
    return Predictor(scorer, metadata, name=metadata.get("name", path.stem), **options)
