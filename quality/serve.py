"""``python -m quality.serve --model model.pt|model.onnx``: an HTTP scoring service (FastAPI + uvicorn).

Endpoints (OpenAPI docs at ``/docs``, schema at ``/openapi.json``):

- ``POST /v1/score``: the body is one audio file (WAV, FLAC, OGG or anything else libsndfile
  reads), sent raw (``Content-Type: audio/*`` or ``application/octet-stream``) or as the
  multipart field ``file``. ``?frames=true`` adds per-frame main-head scores. Returns
  ``{"mos", <extra heads>, "duration_s", "sample_rate", "channels", "model", "warnings"}``
  (plus ``"frame_seconds"`` and ``"frames"`` with ``frames=true``, and ``"degradations"``,
  ``{type: probability}``, for a model with a degradation classifier); ``sample_rate`` and
  ``channels`` are those of the upload, which is mixed to mono and scored at 16 kHz.
- ``POST /v1/score/batch``: multipart with several file parts (any field name, e.g. ``files``);
  answers 200 with ``{"model", "scored", "failed", "results"}``, one entry per file in upload
  order: a result as above plus ``"file"`` (the upload's file name), or
  ``{"file", "error", "status"}``.
- ``GET /health``: ``{"status": "ok", "model", "busy", "waiting"}`` (requests being scored /
  waiting for a scoring thread).
- ``GET /v1/model``: the model's name, heads, degradation types, frame rate, backend, metadata and
  the limits.

Errors are JSON ``{"error": message, "status": code}``: 400 for an empty, undecodable, too short
or NaN-holding upload (and malformed requests), 413 for a body over ``--max-bytes`` or audio
over ``--max-seconds`` (or a batch of more than ``--max-files`` files), 415 for a content
type that is not audio (``audio/*``, ``application/octet-stream``, ``application/ogg``, or
none) or multipart. Client input never causes a 500.

The request body limit is checked against ``Content-Length`` before reading and again while the
body streams in (chunked uploads), so an oversized upload is never held in memory. The duration
limit is checked from the file header before the audio is decoded. Decoding and scoring run in
a bounded thread pool (``--concurrency`` threads) off the event loop, all sharing the one model
(one onnxruntime session / one torch model per process), so ``/health`` answers while scoring is
busy. ``--workers N`` > 1 starts N uvicorn worker processes, each loading its own copy of the
model (the settings reach them through ``QUALITY_SERVE_*`` environment variables). uvicorn
handles SIGTERM/SIGINT: it stops accepting, finishes the requests in flight (at most
``--graceful-seconds``), and exits 0.
"""
from __future__ import annotations

import argparse
import io
import math
import os
import signal
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .audio import SAMPLE_RATE, AudioError, SilentAudioWarning, prepare_audio

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_SECONDS = 600.0
DEFAULT_PORT = 8000
MAX_BATCH_FILES = 64
ENV_PREFIX = "QUALITY_SERVE_"
RAW_TYPES = frozenset({"application/octet-stream", "application/ogg", ""})
RESERVED_KEYS = frozenset({"duration_s", "sample_rate", "channels", "model", "warnings", "frames",
                           "degradations", "frame_seconds", "file", "error", "status"})


class ServiceError(Exception):
    """A request the service refuses: an HTTP status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_seconds: float = DEFAULT_MAX_SECONDS
    max_files: int = MAX_BATCH_FILES


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _is_audio_type(media_type: str) -> bool:
    return media_type.startswith("audio/") or media_type in RAW_TYPES


def _plain(value: Any) -> Any:
    """JSON-safe plain data: non-finite floats become None, numpy scalars/arrays become Python."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def decode_upload(data: bytes, name: str, max_seconds: float) -> tuple[np.ndarray, int]:
    """Decode an in-memory audio file as ``(samples, channels)`` float32 and its sample rate.

    Raises :class:`ServiceError` 400 (empty or undecodable) or 413 (longer than ``max_seconds``,
    judged from the header before decoding)."""
    import soundfile as sf

    if not data:
        raise ServiceError(400, f"{name}: empty upload (0 bytes)")
    try:
        with sf.SoundFile(io.BytesIO(data)) as fh:
            sample_rate, frames = int(fh.samplerate), int(fh.frames)
            if sample_rate <= 0:
                raise ServiceError(400, f"{name}: invalid sample rate {sample_rate}")
            if frames / sample_rate > max_seconds:
                raise ServiceError(413, f"{name}: audio is {frames / sample_rate:.1f} s long; "
                                        f"this service accepts at most {max_seconds:g} s")
            audio = fh.read(frames=min(frames, int(max_seconds * sample_rate) + 1), dtype="float32",
                            always_2d=True)
    except ServiceError:
        raise
    except Exception as err:  # soundfile raises LibsndfileError, RuntimeError, TypeError, ValueError...
        reason = getattr(err, "error_string", None) or str(err)  # without soundfile's "<BytesIO at 0x...>"
        raise ServiceError(400, f"{name}: cannot decode audio ({reason}); send WAV, FLAC or OGG") from None
    if audio.shape[0] / sample_rate > max_seconds:  # a header that under-reported the length
        raise ServiceError(413, f"{name}: audio is longer than {max_seconds:g} s")
    return audio, sample_rate


def score_upload(predictor: Any, data: bytes, name: str, max_seconds: float, frames: bool = False) -> dict[str, Any]:
    """Decode, validate and score one upload; the JSON result. Raises :class:`ServiceError`."""
    audio, sample_rate = decode_upload(data, name, max_seconds)
    notes = []
    try:
        mono = prepare_audio(audio, sample_rate, source=name)  # SilentAudioWarning: ignored by main()
        if not np.any(mono):
            notes.append("digital silence (all samples are zero): the score means little")
        prediction = predictor.predict(mono, sample_rate=SAMPLE_RATE)
    except AudioError as err:
        raise ServiceError(400, str(err)) from None
    result: dict[str, Any] = {"mos": prediction.mos}
    result.update((h, v) for h, v in prediction.heads.items() if h != "mos" and h not in RESERVED_KEYS)
    result.update(duration_s=round(audio.shape[0] / sample_rate, 4), sample_rate=sample_rate,
                  channels=int(audio.shape[1]), model=predictor.name, warnings=notes)
    if prediction.degradations:
        result["degradations"] = {name: round(p, 4) for name, p in prediction.degradations.items()}
    if frames:
        result["frame_seconds"] = prediction.frame_seconds
        result["frames"] = [round(float(x), 4) for x in np.asarray(prediction.frames).ravel()]
    return _plain(result)


def score_batch(predictor: Any, uploads: list[tuple[str, bytes | ServiceError]], max_seconds: float,
                frames: bool) -> list[dict[str, Any]]:
    """One result or one error per upload, in order."""
    results = []
    for name, data in uploads:
        try:
            if isinstance(data, ServiceError):
                raise data
            results.append({"file": name, **score_upload(predictor, data, name, max_seconds, frames)})
        except ServiceError as err:
            results.append({"file": name, "error": err.message, "status": err.status})
    return results


def model_info(predictor: Any) -> dict[str, Any]:
    backend = getattr(predictor, "backend", None)
    return _plain({
        "name": predictor.name,
        "heads": list(predictor.head_names),
        "degradations": list(getattr(predictor, "degradation_names", [])),
        "sample_rate": SAMPLE_RATE,
        "frame_seconds": getattr(predictor, "frame_seconds", None),
        "window_seconds": getattr(predictor, "window_seconds", None),
        "backend": type(backend).__name__ if backend is not None else type(predictor).__name__,
        "metadata": getattr(predictor, "metadata", {}),
        "version": __version__,
    })


_BINARY = {"type": "string", "format": "binary"}
_ERRORS = {
    400: {"description": "empty, undecodable, too short or NaN audio; malformed request"},
    413: {"description": "body over the byte limit or audio over the length limit"},
    415: {"description": "content type is neither audio nor multipart/form-data"},
}
_SCORE_BODY = {"requestBody": {"required": True, "content": {
    "audio/wav": {"schema": _BINARY}, "audio/flac": {"schema": _BINARY}, "audio/ogg": {"schema": _BINARY},
    "application/octet-stream": {"schema": _BINARY},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": _BINARY}}},
}}}
_BATCH_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"], "properties": {"files": {"type": "array", "items": _BINARY}}}}}}}


def create_app(predictor: Any, max_bytes: int = DEFAULT_MAX_BYTES, max_seconds: float = DEFAULT_MAX_SECONDS, *,
               concurrency: int | None = None, max_files: int = MAX_BATCH_FILES) -> FastAPI:
    """The FastAPI app scoring with ``predictor`` (any :class:`~quality.predict.Predictor`).

    ``concurrency``: uploads decoded and scored at once, each in a worker thread (default: the
    CPU count, at most 8); ``max_files``: most files in one batch request."""
    if max_bytes < 1 or max_seconds <= 0 or max_files < 1:
        raise ValueError("max_bytes, max_seconds and max_files must be positive")
    concurrency = concurrency or min(8, os.cpu_count() or 1)
    limits = Limits(int(max_bytes), float(max_seconds), int(max_files))
    limiter_box: list[Any] = []  # created lazily: a CapacityLimiter belongs to the running event loop

    def limiter() -> Any:
        if not limiter_box:
            limiter_box.append(anyio.CapacityLimiter(concurrency))
        return limiter_box[0]

    app = FastAPI(
        title="quality: speech quality scoring",
        version=__version__,
        description="Non-intrusive speech quality (MOS and extra heads) of uploaded recordings. "
                    f"Model: {predictor.name}. Errors are JSON {{\"error\": message, \"status\": code}}.",
    )
    app.state.predictor = predictor
    app.state.limits = limits

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message, "status": status}, status_code=status)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return error(exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = error(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
        return error(400, "invalid request: " + "; ".join(parts))

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception) -> JSONResponse:  # a bug, never client input
        return error(500, f"internal error ({type(exc).__name__})")

    def limited(request: Request) -> Request:
        """The request with a body that raises 413 past ``max_bytes`` (declared or streamed)."""
        declared = request.headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > limits.max_bytes:
            raise ServiceError(413, f"request body is {int(declared)} bytes; the limit is {limits.max_bytes}")
        received = 0
        receive = request.receive

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > limits.max_bytes:
                    raise ServiceError(413, f"request body exceeds the limit of {limits.max_bytes} bytes")
            return message

        return Request(request.scope, counting_receive)

    async def read_raw(request: Request) -> bytes:
        body = bytearray()
        async for chunk in limited(request).stream():
            body += chunk
        return bytes(body)

    async def read_files(request: Request) -> list[tuple[str, str, bytes | ServiceError]]:
        """``(field, filename, bytes or a 415 error)`` for every file part of a multipart body."""
        try:
            form = await limited(request).form(max_files=limits.max_files, max_fields=100)
        except ServiceError:
            raise
        except StarletteHTTPException as err:  # starlette's MultiPartException, as a 400
            if str(err.detail).startswith("Too many files"):
                raise ServiceError(413, f"too many files; at most {limits.max_files} per request") from None
            raise ServiceError(400, f"malformed multipart body: {err.detail}") from None
        except Exception as err:
            raise ServiceError(400, f"malformed multipart body ({type(err).__name__}: {err})") from None
        try:
            files: list[tuple[str, str, bytes | ServiceError]] = []
            for field, value in form.multi_items():
                if not isinstance(value, UploadFile):
                    continue
                name = value.filename or field
                part_type = _media_type(value.content_type)
                if not _is_audio_type(part_type):
                    files.append((field, name, ServiceError(415, f"{name}: unsupported content type "
                                                                  f"{part_type!r}; send audio/* files")))
                else:
                    files.append((field, name, await value.read()))
            return files
        finally:
            await form.close()

    def check_type(request: Request, *, raw_ok: bool) -> str:
        media_type = _media_type(request.headers.get("content-type"))
        if media_type == "multipart/form-data" or (raw_ok and _is_audio_type(media_type)):
            return media_type
        wanted = "audio/* (or application/octet-stream) or multipart/form-data" if raw_ok else "multipart/form-data"
        raise ServiceError(415, f"unsupported content type {media_type!r}; send {wanted}")

    async def in_thread(func, *args) -> Any:
        return await anyio.to_thread.run_sync(func, *args, limiter=limiter())

    @app.post("/v1/score", openapi_extra=_SCORE_BODY, responses=_ERRORS,
              summary="Score one recording", tags=["scoring"])
    async def score(request: Request, frames: bool = False) -> dict[str, Any]:
        """The body is the audio file itself, or multipart with the file in field ``file``."""
        if check_type(request, raw_ok=True) == "multipart/form-data":
            files = [f for f in await read_files(request) if f[0] == "file"]
            if not files:
                raise ServiceError(400, "multipart body has no file upload in a field named 'file' "
                                        "(curl -F file=@x.wav)")
            _, name, data = files[0]
            if isinstance(data, ServiceError):
                raise data
        else:
            name, data = "upload", await read_raw(request)
        return await in_thread(score_upload, predictor, data, name, limits.max_seconds, frames)

    @app.post("/v1/score/batch", openapi_extra=_BATCH_BODY, responses=_ERRORS,
              summary="Score several recordings", tags=["scoring"])
    async def score_many(request: Request, frames: bool = False) -> dict[str, Any]:
        """Multipart with several file parts; one result or one error per file, in order."""
        check_type(request, raw_ok=False)
        files = await read_files(request)
        if not files:
            raise ServiceError(400, "multipart body holds no files (curl -F files=@a.wav -F files=@b.wav)")
        uploads = [(name, data) for _, name, data in files]
        results = await in_thread(score_batch, predictor, uploads, limits.max_seconds, frames)
        failed = sum("error" in r for r in results)
        return {"model": predictor.name, "scored": len(results) - failed, "failed": failed, "results": results}

    @app.get("/health", summary="Liveness and load", tags=["service"])
    async def health() -> dict[str, Any]:
        stats = limiter().statistics()
        return {"status": "ok", "model": predictor.name, "busy": stats.borrowed_tokens,
                "waiting": stats.tasks_waiting}

    @app.get("/v1/model", summary="Model metadata and service limits", tags=["service"])
    async def model() -> dict[str, Any]:
        return {**model_info(predictor), "limits": {"max_bytes": limits.max_bytes, "max_seconds": limits.max_seconds,
                                                     "max_batch_files": limits.max_files,
                                                     "concurrency": concurrency}}

    return app


def load_service_predictor(model: str | os.PathLike | None, threads: int | None = None, backend: str | None = None,
                           warm_up: bool = True):
    """Load the model once, with ``threads`` intra-op threads, and score one second of noise so
    the first request is not slow. ``backend``: ``"onnx"`` (onnxruntime; default for a ``.onnx``
    file, and a ``model.pt`` is exported once and cached) or ``"torch"`` (default for ``model.pt``)."""
    from .predict import load_predictor

    path = Path(model) if model is not None else None
    onnx = backend == "onnx" or (backend is None and path is not None and path.suffix.lower() == ".onnx")
    if onnx:
        predictor = load_predictor(path, "onnx", threads=threads)
    else:
        if threads:
            import torch

            torch.set_num_threads(threads)
        predictor = load_predictor(path, backend)
    if warm_up:
        noise = np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32) * 0.1
        predictor.predict(noise, sample_rate=SAMPLE_RATE)
    return predictor


def _settings_from_env() -> dict[str, Any]:
    env = os.environ
    return {
        "model": env.get(ENV_PREFIX + "MODEL") or None,
        "backend": env.get(ENV_PREFIX + "BACKEND") or None,
        "threads": int(env[ENV_PREFIX + "THREADS"]) if env.get(ENV_PREFIX + "THREADS") else None,
        "max_bytes": int(env.get(ENV_PREFIX + "MAX_BYTES", DEFAULT_MAX_BYTES)),
        "max_seconds": float(env.get(ENV_PREFIX + "MAX_SECONDS", DEFAULT_MAX_SECONDS)),
        "concurrency": int(env[ENV_PREFIX + "CONCURRENCY"]) if env.get(ENV_PREFIX + "CONCURRENCY") else None,
        "max_files": int(env.get(ENV_PREFIX + "MAX_FILES", MAX_BATCH_FILES)),
    }


def app_from_env():
    """App factory for uvicorn worker processes (``--workers`` > 1): settings from
    ``QUALITY_SERVE_MODEL``, ``_BACKEND``, ``_THREADS``, ``_MAX_BYTES``, ``_MAX_SECONDS``, ``_MAX_FILES``,
    ``_CONCURRENCY``."""
    warnings.simplefilter("ignore", SilentAudioWarning)
    s = _settings_from_env()
    predictor = load_service_predictor(s["model"], s["threads"], s["backend"])
    return create_app(predictor, s["max_bytes"], s["max_seconds"], concurrency=s["concurrency"],
                      max_files=s["max_files"])


def _exit_0(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m quality.serve",
        description="HTTP service scoring speech quality of uploaded recordings (docs at /docs).",
    )
    p.add_argument("--model", help="model.pt or model.onnx (default: the shipped checkpoints/default.pt)")
    p.add_argument("--backend", choices=["torch", "onnx"],
                   help="onnx (onnxruntime; default for .onnx; a model.pt is exported once and cached) or torch")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes, each with its own copy of the model (default 1)")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                   help=f"largest request body in bytes (default {DEFAULT_MAX_BYTES}, 50 MiB)")
    p.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS,
                   help=f"longest audio accepted, in seconds (default {DEFAULT_MAX_SECONDS:g})")
    p.add_argument("--max-files", type=int, default=MAX_BATCH_FILES,
                   help=f"most files in one batch request (default {MAX_BATCH_FILES})")
    p.add_argument("--threads", type=int, default=1,
                   help="intra-op threads of the model per scoring call (onnxruntime / torch; default 1)")
    p.add_argument("--concurrency", type=int, default=None,
                   help="uploads scored at once per worker, each in its own thread (default: CPU count, at most 8)")
    p.add_argument("--graceful-seconds", type=float, default=30.0,
                   help="on SIGTERM, wait at most this long for requests in flight (default 30)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .errors import CheckpointError

    try:
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port must be 0-65535, got {args.port}")
        for name in ("workers", "max_bytes", "max_files", "threads"):
            if getattr(args, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        if args.concurrency is not None and args.concurrency < 1:
            raise ValueError("--concurrency must be at least 1")
        if not args.max_seconds > 0:
            raise ValueError("--max-seconds must be positive")
        warnings.simplefilter("ignore", SilentAudioWarning)
        predictor = load_service_predictor(args.model, args.threads, args.backend)  # also checks it for --workers
    except (ValueError, OSError, ImportError, CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1

    import uvicorn

    options = dict(host=args.host, port=args.port, log_level=args.log_level,
                   timeout_graceful_shutdown=args.graceful_seconds)
    if args.workers == 1:
        app = create_app(predictor, args.max_bytes, args.max_seconds, concurrency=args.concurrency,
                         max_files=args.max_files)
        # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal with the handler it
        # found: with this one that ends the process with status 0 instead of "killed by SIGTERM".
        signal.signal(signal.SIGTERM, _exit_0)
        try:
            uvicorn.run(app, **options)
        except KeyboardInterrupt:  # SIGINT, re-raised by uvicorn after its graceful shutdown
            pass
    else:
        del predictor
        os.environ.update({
            ENV_PREFIX + "MODEL": str(Path(args.model).resolve()) if args.model else "",
            ENV_PREFIX + "BACKEND": args.backend or "",
            ENV_PREFIX + "THREADS": str(args.threads),
            ENV_PREFIX + "MAX_BYTES": str(args.max_bytes),
            ENV_PREFIX + "MAX_SECONDS": repr(args.max_seconds),
            ENV_PREFIX + "MAX_FILES": str(args.max_files),
            ENV_PREFIX + "CONCURRENCY": str(args.concurrency or ""),
        })
        uvicorn.run("quality.serve:app_from_env", factory=True, workers=args.workers, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
