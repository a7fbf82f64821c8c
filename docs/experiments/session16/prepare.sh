#!/usr/bin/env bash
# Session 16 (RULE6): difference targets for the members' list.
set -euo pipefail
H=$(cd "$(dirname "$0")" && pwd)
cd "$(dirname "$0")/../.."
P=.venv/bin/python
D=../shared/data/corpus
date
# (This session restored the corpora before restore wrote chain records, so it ran restore once
# more with --check 0 here; setup.sh's make corpora now writes them.)
date
$P -m quality.reference_difference lists/train_tc_balanced.list --out runs/v16/train_tc_diff.list \
    --mel-bands 64 --n-fft 512 --hop-length 256 --workers 2
date
echo PREPARE_DONE
