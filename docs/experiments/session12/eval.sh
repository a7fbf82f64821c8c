#!/usr/bin/env bash
# Session 12: read arms A and B (runs/v10/RULE.md) on lists/test.list and lists/valid.list.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
for arm in A_mean B_disturbance; do
    for split in test valid; do
        $P -m quality.evaluate --checkpoint runs/v10/$arm/model.pt --list lists/$split.list \
            --out runs/v10/eval_${arm}_$split > runs/v10/eval_${arm}_$split.log 2>&1
    done
done
$P -m quality.evaluate --checkpoint checkpoints/default.pt --list lists/valid.list \
    --out runs/v10/eval_shipped_valid > runs/v10/eval_shipped_valid.log 2>&1
cp -r runs/bench/test_eval runs/v10/eval_shipped_test
for split in test valid; do
    $P benchmarks/paired_comparison.py --list lists/$split.list \
        --predictions A=runs/v10/eval_A_mean_$split B=runs/v10/eval_B_disturbance_$split \
        shipped=runs/v10/eval_shipped_$split --means A+B > runs/v10/paired_$split.txt 2>&1 || true
done
# secondary: the last epoch's weights (runs/v10/last_model.py), equal training for both arms
for arm in A_mean B_disturbance; do
    $P -m quality.evaluate --checkpoint runs/v10/$arm/last_model.pt --list lists/test.list \
        --out runs/v10/eval_${arm}_last_test > runs/v10/eval_${arm}_last_test.log 2>&1
done
$P benchmarks/paired_comparison.py --list lists/test.list \
    --predictions A_last=runs/v10/eval_A_mean_last_test B_last=runs/v10/eval_B_disturbance_last_test \
    > runs/v10/paired_last_test.txt 2>&1 || true
