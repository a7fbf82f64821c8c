#!/usr/bin/env bash
# A decision set for the session rules, built after the runs (both cores train first): N_sim's recipe
# (the 30 NOIZEUS sentences, 6 talkers, simulated degradations, 1500 files) with a fresh seed, and N_real
# (the real NOIZEUS files labelled against their clean references).
#   docs/experiments/build_decision.sh SEED OUT     e.g. docs/experiments/build_decision.sh 18 corpus/noizeus_sim5
# Run from the repository root; prints PREPARE_DONE at the end.
set -euo pipefail
SEED=$1; OUT=$2
P=.venv/bin/python
D=../shared/data/corpus
S=docs/experiments/session13
date
$P $S/noizeus_speech.py ../shared/data/noizeus/clean runs/v11/noizeus_speech
$P -m quality.corpus build --speech runs/v11/noizeus_speech --noise $D/noise --rir $D/rir \
    --out $OUT --num 1500 --seed $SEED --valid 0 --test 0 --max-seconds 8 --workers 2 --quiet
date
$P $S/make_nreal.py ../shared/data/noizeus runs/v11/noizeus_pairs.csv
$P -m quality.corpus label runs/v11/noizeus_pairs.csv --out corpus/noizeus_real/all.list
date
echo PREPARE_DONE
