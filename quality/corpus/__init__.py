"""Build a labelled quality corpus from clean speech, noise and impulse responses.

``python -m quality.corpus build --speech DIR --noise DIR --rir DIR --out DIR --num N --seed S``
draws, for every output file, a clean utterance (cropped to ``--max-seconds``), a degradation
chain (:func:`quality.simulate.sample_chain`) and a seed, applies the chain, and labels the result
against the clean crop with PESQ (ITU-T P.862.2 wideband MOS-LQO, the primary target), STOI and
SI-SDR. Output folder::

    audio/000000.flac ...    16-bit FLAC, 16 kHz mono
    all.csv                  every labelled file: path pesq stoi sisdr condition speaker split ...
    train.list valid.list test.list   columns path pesq stoi sisdr condition speaker (by speaker)
    train_balanced.list      train.list balanced on pesq (quality.lists.balance_list)
    chains.jsonl             per file: speech source, crop, source variation, chain with parameters, seed
    failures.csv             files left out (index, stage, error, ...)
    build.json               the build's settings, codecs found, counts, time

Job ``i`` is seeded by ``(seed, i)`` only, so the corpus does not depend on ``--workers``; an
interrupted build resumes where it stopped (``.journal.jsonl``), and a larger ``--num`` extends
a finished one. The speakers are split into train/valid/test *before* simulation, so babble and
competing talkers come from the same part as the target speaker where possible.

``python -m quality.corpus label PAIRS --out LIST`` labels real (degraded, reference) recordings
the same way (:mod:`quality.pair_labels`).

Modules: :mod:`.labels` (PESQ-wb/STOI/SI-SDR), :mod:`.speech` (the clean speech, split by
speaker), :mod:`.jobs` (one file from its seed; many in processes), :mod:`.records` (the corpus
folder's files), :mod:`.build`, :mod:`.restore` and :mod:`.cli`.
"""
from __future__ import annotations

from ..lists import SPLITS
from .build import build_corpus
from .cli import build_parser, main, parse_weights
from .jobs import draw_job, to_pcm16
from .labels import LabelError, compute_labels, si_sdr
from .records import (ALL_COLUMNS, CHAIN_KEYS, CORPUS_FORMAT_VERSION, JOURNAL, LIST_COLUMNS, read_chains,
                      summarize)
from .restore import clean_reference, regenerate, restore_corpus
from .speech import speech_table, split_speech_table

__all__ = [
    "ALL_COLUMNS", "CHAIN_KEYS", "CORPUS_FORMAT_VERSION", "JOURNAL", "LIST_COLUMNS", "SPLITS", "LabelError",
    "build_corpus", "build_parser", "clean_reference", "compute_labels", "draw_job", "main", "parse_weights",
    "read_chains", "regenerate", "restore_corpus", "si_sdr", "speech_table", "split_speech_table", "summarize",
    "to_pcm16",
]
