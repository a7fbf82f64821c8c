#!/usr/bin/env bash
# Session 19 (RULE8.md): the audio of the lists the rule reads — the calibration list lists/valid_tc.list
# and the test lists read afterwards — from the five corpora's build records, then the decision set
# N_sim6 (seed 19) and N_real. Run from the repository root; prints PREPARE_DONE at the end.
set -euo pipefail
P=.venv/bin/python
L="lists/valid_tc.list lists/test.list lists/test_voc.list lists/test_gate.list lists/test_tc.list"
date
[ -f corpus/v3/build.json ] || $P -m quality.corpus restore $L --build lists/corpus_build.json --out corpus/v3
for c in v3voc v3gate v3tc; do   # v3src has no files in these lists
    $P -m quality.corpus restore $L --build lists/corpus_${c}_build.json --out corpus/$c
done
docs/experiments/build_decision.sh 19 corpus/noizeus_sim6
