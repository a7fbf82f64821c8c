#!/usr/bin/env bash
# Session 14: the add-on test lists (lists/test_{voc,gate,tc}.list) scored by a checkpoint:
#   runs/v14/eval_addon_tests.sh NAME CHECKPOINT
set -euo pipefail
cd "$(dirname "$0")/../.."
N=$1; C=$2
for c in voc gate tc; do
    .venv/bin/python -m quality.evaluate --checkpoint $C --list lists/test_$c.list --out runs/v14/ev_${N}_test_$c \
        > runs/v14/ev_${N}_test_$c.log 2>&1
    echo "$N test_$c: $(tail -1 runs/v14/ev_${N}_test_$c.log)"
done
