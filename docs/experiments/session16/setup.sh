#!/usr/bin/env bash
set -euo pipefail
cd /work/main
date
make install > runs/v16/install.log 2>&1
P=.venv/bin/python
date
$P -m quality.corpus restore lists/train.list lists/train_balanced.list lists/valid.list lists/test.list \
    --build lists/corpus_build.json --out corpus/v3
for c in v3src v3voc v3gate v3tc; do
    $P -m quality.corpus restore lists/train_tc_balanced.list lists/valid_tc.list \
        lists/test_voc.list lists/test_gate.list lists/test_tc.list --build lists/corpus_${c}_build.json --out corpus/$c
done
date
echo SETUP_DONE
