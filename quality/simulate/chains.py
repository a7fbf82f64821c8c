"""Chains of degradations: sampling, naming, JSON round trip and application."""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..lists import CLEAN_CONDITION, CONDITION_SEPARATOR

from .dsp import SAFE_PEAK, set_level
from .registry import DEGRADATIONS, Degradation
from .resources import Resources


Chain = list  # list of (name, params) pairs; JSON round trip turns the pairs into lists


#: probability of a chain of 0 (clean), 1, 2 or 3 degradations
CHAIN_LENGTHS = {0: 0.06, 1: 0.50, 2: 0.30, 3: 0.14}


def sample_chain(
    rng: np.random.Generator,
    resources: Resources | None = None,
    *,
    speaker: str | None = None,
    split: str | None = None,
    lengths: Mapping[int, float] | None = None,
    names: Iterable[str] | None = None,
    severity: float | None = None,
    weights: Mapping[str, float] | None = None,
) -> Chain:
    """Draw a chain of 0-3 degradations (0 = clean speech) with their parameters.

    Degradations are drawn by weight without two of one family (e.g. one codec, one additive
    noise), ordered by stage; every codec shares one weight so the mix does not depend on how many
    codecs a machine has. Each step gets a severity in [0, 1] -- uniform for one step, skewed mild
    for longer chains so combinations do not all land at the bottom of the scale. ``names``
    restricts the choice; ``severity`` fixes it; ``weights`` multiplies the draw weight of the
    degradations it names (``{"vocoder": 8}`` for a build that emphasises one type; 0 leaves one out).
    """
    factors = dict(weights or {})
    lengths = dict(lengths or CHAIN_LENGTHS)
    pool = [n for n in (names if names is not None else DEGRADATIONS)
            if DEGRADATIONS[n].available(resources) and factors.get(n, 1.0) > 0]
    ks = sorted(lengths)
    probs = np.array([lengths[k] for k in ks], dtype=float)
    k = int(ks[int(rng.choice(len(ks), p=probs / probs.sum()))])
    ncodecs = max(1, sum(DEGRADATIONS[n].family == "codec" for n in pool))
    chosen: list[str] = []
    families: set[str] = set()
    for _ in range(k):
        cand = [n for n in pool if DEGRADATIONS[n].family not in families]
        if not cand:
            break
        w = np.array([DEGRADATIONS[n].weight * factors.get(n, 1.0) / (ncodecs if DEGRADATIONS[n].family == "codec" else 1)
                      for n in cand])
        name = cand[int(rng.choice(len(cand), p=w / w.sum()))]
        chosen.append(name)
        families.add(DEGRADATIONS[name].family)
    chosen.sort(key=lambda n: DEGRADATIONS[n].stage)
    ctx = {"speaker": speaker, "split": split}
    chain: Chain = []
    for name in chosen:
        sev = float(severity) if severity is not None else float(rng.random() ** (1.0 + 0.5 * (len(chosen) - 1)))
        chain.append((name, DEGRADATIONS[name].sample(rng, sev, resources, ctx)))
    return chain


def condition_name(chain: Chain) -> str:
    """``"clean"`` or the step names joined by ``+`` (``"reverb+opus"``)."""
    return CONDITION_SEPARATOR.join(str(step[0]) for step in chain) or CLEAN_CONDITION


def chain_to_json(chain: Chain) -> str:
    return json.dumps([[name, params] for name, params in chain], sort_keys=True)


def chain_from_json(data: str | Sequence) -> Chain:
    """Inverse of :func:`chain_to_json` (also accepts the already-parsed list)."""
    raw = json.loads(data) if isinstance(data, str) else data
    return [(str(name), dict(params)) for name, params in raw]


def _resolve(deg: Degradation, params: Mapping[str, Any], resources: Resources | None) -> dict:
    out = dict(params)
    for key, kind in deg.resource_params.items():
        ref = out.get(key)
        if ref is None:
            continue
        if resources is None:
            raise ValueError(f"{deg.name}: parameter {key!r} names a {kind} file but no resources were given")
        out[key] = [resources.load(kind, r) for r in ref] if isinstance(ref, (list, tuple)) else resources.load(kind, ref)
    return out


def apply_chain(
    clean: np.ndarray,
    chain: Chain,
    resources: Resources | None = None,
    seed: int = 0,
    *,
    normalize: bool = True,
) -> np.ndarray:
    """Apply ``chain`` to ``clean`` (float32 16 kHz mono); identical output for identical inputs.

    The input is first set to :data:`TARGET_LEVEL_DB` (``normalize``); step ``i`` gets its own
    generator ``default_rng([seed, i])``. After a step other than ``level``/``clip`` that overshoots
    full scale, the signal is scaled to a peak of :data:`SAFE_PEAK`. The result has the input's
    length.
    """
    x = np.asarray(clean, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected mono (samples,) audio, got shape {x.shape}")
    n = len(x)
    if normalize:
        x = set_level(x)
    for i, (name, params) in enumerate(chain):
        if name not in DEGRADATIONS:
            raise KeyError(f"unknown degradation {name!r}; known: {sorted(DEGRADATIONS)}")
        deg = DEGRADATIONS[name]
        rng = np.random.default_rng([int(seed), i])
        y = np.asarray(deg(x, rng, **_resolve(deg, params, resources)), dtype=np.float32)
        if y.shape != (n,):
            raise RuntimeError(f"{name} returned shape {y.shape}, expected ({n},)")
        if not np.all(np.isfinite(y)):
            raise RuntimeError(f"{name} produced NaN/Inf")
        peak = float(np.max(np.abs(y))) if n else 0.0
        if peak > 1.0 and deg.family != "level":
            y = y * np.float32(SAFE_PEAK / peak)
        x = y
    peak = float(np.max(np.abs(x))) if n else 0.0
    if peak > 1.0:
        x = x * np.float32(SAFE_PEAK / peak)
    return x.astype(np.float32, copy=False)


def describe() -> str:
    """A table of the registered degradations (for docs and ``--help``)."""
    lines = []
    for name, d in DEGRADATIONS.items():
        lines.append(f"{name:12s} {d.family:10s} {d.description}")
    return "\n".join(lines)
