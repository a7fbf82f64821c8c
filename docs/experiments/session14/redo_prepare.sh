#!/usr/bin/env bash
# Session 15: RULE5's data again on a fresh machine (runs/ and corpus/ were lost with session 14's).
# 1. the corpora the training pool names (restore), 2. corpus/v3more + its training list
# (docs/experiments/session14/prepare_more.sh), 3. N_sim3 and N_real.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
D=../shared/data/corpus
date
$P -m quality.corpus restore lists/train.list lists/train_balanced.list lists/valid.list lists/test.list \
    --build lists/corpus_build.json --out corpus/v3
for c in v3src v3voc v3gate v3tc; do
    $P -m quality.corpus restore lists/train_tc_balanced.list lists/valid_tc.list \
        lists/test_voc.list lists/test_gate.list lists/test_tc.list --build lists/corpus_${c}_build.json --out corpus/$c
done
date
# NOIZEUS clean sentences as speech (also build_nsim.sh's first step)
$P docs/experiments/session13/noizeus_speech.py ../shared/data/noizeus/clean runs/v11/noizeus_speech
bash runs/v14/prepare_more.sh
date
$P docs/experiments/session13/make_nreal.py ../shared/data/noizeus runs/v11/noizeus_pairs.csv
$P -m quality.corpus label runs/v11/noizeus_pairs.csv --out corpus/noizeus_real/all.list
date
echo PREPARE_DONE
