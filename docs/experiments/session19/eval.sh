#!/usr/bin/env bash
# Session 19 (RULE8.md): the condition-aware calibration (runs/v19/map.json, fitted on lists/valid_tc.list by
# stack.py fit) against the shipped model on N_sim6 and N_real (the rule), then on the test lists (afterwards).
# Run from the repository root after prepare.sh.
set -euo pipefail
export OMP_NUM_THREADS=1
P=.venv/bin/python
S="$P docs/experiments/session19/stack.py"
R=runs/v19
[ -f $R/features_valid_tc.csv ] || $S features --checkpoint checkpoints/default.pt --list lists/valid_tc.list --out $R/features_valid_tc.csv
[ -f $R/map.json ] || $S fit --features $R/features_valid_tc.csv --out $R/map.json
read_set() {  # NAME LIST
    [ -f $R/features_$1.csv ] || $S features --checkpoint checkpoints/default.pt --list $2 --out $R/features_$1.csv
    [ -d $R/ev_stacked_$1 ] || $S apply --map $R/map.json --features $R/features_$1.csv --out $R/ev_stacked_$1
    [ -d $R/ev_shipped_$1 ] || $P -m quality.evaluate --bootstrap 0 --checkpoint checkpoints/default.pt --list $2 \
        --out $R/ev_shipped_$1 > $R/ev_shipped_$1.log 2>&1
    $P benchmarks/paired_comparison.py --list $2 --target pesq --resamples 1000 \
        --predictions shipped=$R/ev_shipped_$1 stacked=$R/ev_stacked_$1 > $R/paired_$1.txt
    cat $R/paired_$1.txt
}
read_set nsim6 corpus/noizeus_sim6/train.list
read_set nreal corpus/noizeus_real/all.list
echo RULE_READ
[ "${1:-}" = after ] || exit 0
for l in test test_voc test_gate test_tc; do read_set $l lists/$l.list; done
echo EVAL_DONE
