#!/usr/bin/env bash
# Session 13: a fresh draw of degraded files from the same sources and the same speaker split as
# corpus/v3 (--split-seed 0), with a new seed (7) for every crop and degradation. Its train part
# holds sources the shipped model trained on (seen sources, unseen files); its test part holds the
# test speakers again (unseen sources, a second draw of files).
set -euo pipefail
cd "$(dirname "$0")/../.."
D=../shared/data/corpus
.venv/bin/python -m quality.corpus build --speech $D/speech --noise $D/noise --rir $D/rir \
    --out corpus/v3fresh --num 3000 --seed 7 --split-seed 0 --valid 0.1 --test 0.15 \
    --max-seconds 8 --workers 2
