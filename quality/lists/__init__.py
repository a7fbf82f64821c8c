"""List files of scored utterances: read/write, score-balanced sampling, group splits, stats.

A list is a ``.list`` (``path score [more columns ...]``, whitespace separated, an optional
``# columns:`` header) or a ``.csv``/``.tsv`` table with a ``path`` column; the formats are
described in :mod:`quality.lists.reading`.

Modules: ``reading`` (:func:`read_list`), ``writing`` (:func:`write_list`), ``scores`` (bins,
:func:`balance_list`, stats), ``split`` (:func:`split_list`), ``conditions`` (degradation types),
``teacher`` (:func:`blend_teacher`, distillation targets), ``cli``
(``python -m quality.lists {balance,split,stats,convert,teacher} --help``).
"""
from __future__ import annotations

from .cli import build_parser, main
from .conditions import CLEAN_CONDITION, CONDITION_SEPARATOR, degradation_names, degradation_targets
from .reading import ListError, read_list, resolve_path
from .scores import balance_list, bin_counts, format_stats, resolve_target
from .split import SPLITS, split_list
from .teacher import blend_teacher, read_predictions
from .writing import write_list

__all__ = [
    "ListError",
    "read_list",
    "resolve_path",
    "write_list",
    "resolve_target",
    "balance_list",
    "split_list",
    "blend_teacher",
    "read_predictions",
    "bin_counts",
    "format_stats",
    "degradation_names",
    "degradation_targets",
    "main",
    "build_parser",
    "SPLITS",
    "CONDITION_SEPARATOR",
    "CLEAN_CONDITION",
]
