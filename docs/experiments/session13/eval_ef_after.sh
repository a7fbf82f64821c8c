#!/usr/bin/env bash
# Session 13: read after the choice: test, the fresh test draw and the fit on training files.
# ./eval_ef_after.sh EF
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
N=${1:-EF}
E="$P -m quality.evaluate --checkpoint runs/v11/$N.pt"
$E --list lists/test.list --out runs/v11/ev_${N}_test > runs/v11/ev_${N}_test.log 2>&1
$E --list corpus/v3fresh/test.list --out runs/v11/ev_${N}_fresh_test > runs/v11/ev_${N}_fresh_test.log 2>&1
$E --list runs/v11/train_seen_1500.list --out runs/v11/ev_${N}_seen_files > runs/v11/ev_${N}_seen_files.log 2>&1
$E --list corpus/v3fresh/train.list --out runs/v11/ev_${N}_fresh_train > runs/v11/ev_${N}_fresh_train.log 2>&1
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
$PC --list lists/test.list --predictions shipped=runs/bench/test_eval $N=runs/v11/ev_${N}_test > runs/v11/paired_${N}_test.txt
$PC --list corpus/v3fresh/test.list --predictions shipped=runs/v11/eval_fresh_test $N=runs/v11/ev_${N}_fresh_test > runs/v11/paired_${N}_fresh_test.txt
$PC --list runs/v11/train_seen_1500.list --predictions shipped=runs/v11/eval_seen_files $N=runs/v11/ev_${N}_seen_files > runs/v11/paired_${N}_seen_files.txt
cat runs/v11/paired_${N}_test.txt runs/v11/paired_${N}_fresh_test.txt runs/v11/paired_${N}_seen_files.txt
