#!/usr/bin/env bash
# Session 17: evaluate the learning-curve runs (best epoch by validation LCC) on the test split and
# on up to 1500 of their own training files (lists/fit_spkN.list: the fit), then compare on test.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
for n in "$@"; do
    $P -m quality.evaluate --checkpoint runs/v17/spk$n/model.pt --list lists/test.list \
        --out runs/v17/eval_spk${n}_test --bootstrap 0 > runs/v17/eval_spk${n}_test.log 2>&1
    $P -m quality.evaluate --checkpoint runs/v17/spk$n/model.pt --list runs/v17/lists/fit_spk$n.list \
        --out runs/v17/eval_spk${n}_fit --bootstrap 0 > runs/v17/eval_spk${n}_fit.log 2>&1
done
args=()
for n in "$@"; do args+=("spk$n=runs/v17/eval_spk${n}_test"); done
$P benchmarks/paired_comparison.py --list lists/test.list --resamples 2000 --predictions "${args[@]}" \
    > runs/v17/paired_test.txt 2>&1 || true
