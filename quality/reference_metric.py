"""True metrics (PESQ-wb, STOI, SI-SDR) of enhanced speech against its clean reference, computed
off the training thread so a training step never waits for PESQ."""
from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

REFERENCE_METRICS = ("pesq", "stoi", "sisdr")


def reference_score(metric: str, ref: np.ndarray, deg: np.ndarray) -> float | None:
    """``metric`` of ``deg`` against ``ref`` (16 kHz, same length); None when it cannot be computed
    (e.g. PESQ finds no speech)."""
    from .corpus import LabelError, compute_labels, si_sdr

    if metric not in REFERENCE_METRICS:
        raise ValueError(f"reference metric must be one of {REFERENCE_METRICS}, got {metric!r}")
    if metric == "sisdr":
        return si_sdr(deg, ref)
    try:
        return compute_labels(ref, deg)[metric]
    except LabelError:
        return None


class ReferenceLabeller:
    """Queue of ``(enhanced, clean)`` pairs labelled with the true ``metric`` in worker processes.

    :meth:`submit` hands pairs over and returns at once; :meth:`collect` returns the pairs whose
    label is ready as ``(enhanced, label)``. With ``workers=0`` labels are computed in
    :meth:`submit` itself (deterministic; for tests). At most ``max_pending`` pairs wait; more are
    dropped, so a slow metric never piles up memory.
    """

    def __init__(self, metric: str = "pesq", workers: int = 1, max_pending: int = 64) -> None:
        if metric not in REFERENCE_METRICS:
            raise ValueError(f"reference metric must be one of {REFERENCE_METRICS}, got {metric!r}")
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        self.metric = metric
        self.workers = workers
        self.max_pending = max_pending
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[Future, np.ndarray]] = deque()
        self._ready: list[tuple[np.ndarray, float]] = []
        self.failed = 0
        self.dropped = 0

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def submit(self, enhanced: np.ndarray, clean: np.ndarray) -> None:
        """Queue one pair of 1-D 16 kHz signals of the same length."""
        enhanced = np.asarray(enhanced, dtype=np.float32)
        clean = np.asarray(clean, dtype=np.float32)
        if self.workers == 0:
            self._keep(enhanced, reference_score(self.metric, clean, enhanced))
            return
        if len(self._pending) >= self.max_pending:
            self.dropped += 1
            return
        future = self._executor().submit(reference_score, self.metric, clean, enhanced)
        self._pending.append((future, enhanced))

    def _keep(self, enhanced: np.ndarray, label: float | None) -> None:
        if label is None or not np.isfinite(label):
            self.failed += 1
        else:
            self._ready.append((enhanced, float(label)))

    def collect(self) -> list[tuple[np.ndarray, float]]:
        """Pairs labelled since the last call, oldest first."""
        while self._pending and self._pending[0][0].done():
            future, enhanced = self._pending.popleft()
            try:
                label = future.result()
            except Exception:  # a crashed worker loses that pair, never the training run
                label = None
            self._keep(enhanced, label)
        ready, self._ready = self._ready, []
        return ready

    def close(self) -> None:
        """Stop the worker processes (pending pairs are abandoned)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._pending.clear()

    def __getstate__(self) -> dict:  # never pickle a live pool (DDP spawn, deepcopy)
        state = dict(self.__dict__)
        state.update(_pool=None, _pending=deque(), _ready=[])
        return state
