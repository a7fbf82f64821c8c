#!/usr/bin/env bash
# Session 18 (RULE7.md): the decision set N_sim5 (N_sim's recipe, --seed 18) and N_real, built after
# the runs (both cores train first); no model has scored N_sim5 before the candidate exists.
set -euo pipefail
cd "$(dirname "$0")/../../.."
P=.venv/bin/python
D=../shared/data/corpus
S=docs/experiments/session13
date
$P $S/noizeus_speech.py ../shared/data/noizeus/clean runs/v11/noizeus_speech
$P -m quality.corpus build --speech runs/v11/noizeus_speech --noise $D/noise --rir $D/rir \
    --out corpus/noizeus_sim5 --num 1500 --seed 18 --valid 0 --test 0 --max-seconds 8 --workers 2 --quiet
date
$P $S/make_nreal.py ../shared/data/noizeus runs/v11/noizeus_pairs.csv
$P -m quality.corpus label runs/v11/noizeus_pairs.csv --out corpus/noizeus_real/all.list
date
echo PREPARE_DONE
