"""The ``condition`` column: degradation types of a file and their multi-hot targets."""
from __future__ import annotations

from typing import Sequence

import numpy as np

#: joins the degradation types of a combined ``condition`` (``room+talker``)
CONDITION_SEPARATOR = "+"
#: the ``condition`` of undegraded files: not a degradation type
CLEAN_CONDITION = "clean"


def degradation_names(conditions: Sequence[str]) -> list[str]:
    """Sorted distinct degradation types in ``condition`` values; ``room+talker`` counts as
    ``room`` and ``talker``, and ``clean`` is not a degradation."""
    parts = {part.strip() for value in conditions for part in str(value).split(CONDITION_SEPARATOR)}
    return sorted(parts - {"", CLEAN_CONDITION})


def degradation_targets(conditions: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Multi-hot ``(len(conditions), len(names))`` float32: 1 where a file's condition contains that
    degradation type. Types not in ``names`` are ignored (a clean file is all zeros)."""
    column = {name: i for i, name in enumerate(names)}
    out = np.zeros((len(conditions), len(names)), np.float32)
    for row, value in enumerate(conditions):
        for part in (p.strip() for p in str(value).split(CONDITION_SEPARATOR)):
            if part in column:
                out[row, column[part]] = 1.0
    return out

