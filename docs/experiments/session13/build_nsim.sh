#!/usr/bin/env bash
# Session 13: N_sim (runs/v11/RULE3.md): the 30 NOIZEUS sentences at 16 kHz as the only speech.
set -euo pipefail
H=$(cd "$(dirname "$0")" && pwd)
cd "$(dirname "$0")/../.."
P=.venv/bin/python
$P "$H/noizeus_speech.py" ../shared/data/noizeus/clean runs/v11/noizeus_speech
D=../shared/data/corpus
$P -m quality.corpus build --speech runs/v11/noizeus_speech --noise $D/noise --rir $D/rir \
    --out corpus/noizeus_sim --num 1500 --seed 5 --valid 0 --test 0 --max-seconds 8 --workers 2 --quiet
