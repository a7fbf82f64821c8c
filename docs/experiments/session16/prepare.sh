#!/usr/bin/env bash
# Session 16 (RULE6): chain records of the restored corpora and difference targets for the members' list.
set -euo pipefail
H=$(cd "$(dirname "$0")" && pwd)
cd "$(dirname "$0")/../.."
P=.venv/bin/python
D=../shared/data/corpus
date
# chain records of the restored corpora (restore draws them for files already there)
$P -m quality.corpus restore lists/train.list lists/train_balanced.list lists/valid.list lists/test.list \
    --build lists/corpus_build.json --out corpus/v3 --check 0
for c in v3src v3voc v3gate v3tc; do
    $P -m quality.corpus restore lists/train_tc_balanced.list lists/valid_tc.list \
        lists/test_voc.list lists/test_gate.list lists/test_tc.list --build lists/corpus_${c}_build.json \
        --out corpus/$c --check 0
done
date
$P -m quality.reference_difference lists/train_tc_balanced.list --out runs/v16/train_tc_diff.list \
    --mel-bands 64 --n-fft 512 --hop-length 256 --workers 2
date
echo PREPARE_DONE
