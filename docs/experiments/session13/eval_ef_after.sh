#!/usr/bin/env bash
# Session 13: read after the choice: test, the fresh test draw and the fit on training files.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
E="$P -m quality.evaluate --checkpoint runs/v11/EF.pt"
$E --list lists/test.list --out runs/v11/ev_EF_test > runs/v11/ev_EF_test.log 2>&1
$E --list corpus/v3fresh/test.list --out runs/v11/ev_EF_fresh_test > runs/v11/ev_EF_fresh_test.log 2>&1
$E --list runs/v11/train_seen_1500.list --out runs/v11/ev_EF_seen_files > runs/v11/ev_EF_seen_files.log 2>&1
$E --list corpus/v3fresh/train.list --out runs/v11/ev_EF_fresh_train > runs/v11/ev_EF_fresh_train.log 2>&1
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
$PC --list lists/test.list --predictions shipped=runs/bench/test_eval EF=runs/v11/ev_EF_test > runs/v11/paired_test.txt
$PC --list corpus/v3fresh/test.list --predictions shipped=runs/v11/eval_fresh_test EF=runs/v11/ev_EF_fresh_test > runs/v11/paired_fresh_test.txt
cat runs/v11/paired_test.txt runs/v11/paired_fresh_test.txt
