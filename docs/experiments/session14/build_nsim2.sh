#!/usr/bin/env bash
# Session 14: N_sim2 (runs/v14/RULE4.md): N_sim's recipe (runs/v11/build_nsim.sh) with --seed 14.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=../shared/data/corpus
[ -d runs/v11/noizeus_speech ] || { echo "run runs/v11/build_nsim.sh's first step (noizeus_speech)"; exit 1; }
.venv/bin/python -m quality.corpus build --speech runs/v11/noizeus_speech --noise $D/noise --rir $D/rir \
    --out corpus/noizeus_sim2 --num 1500 --seed 14 --valid 0 --test 0 --max-seconds 8 --workers 2 --quiet
