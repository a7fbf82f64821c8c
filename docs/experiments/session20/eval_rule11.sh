#!/usr/bin/env bash
# Session 20 (RULE11.md). `eval_rule11.sh shipped`: the shipped model on N_sim8, N_real and the four test lists
# (may run during training). `eval_rule11.sh X`: the candidate E+F+X (X = NT_ft or T_scratch, chosen by the
# rule's selection) against it on N_sim8 and N_real (eval_candidate.sh), then test_voc and test_tc (the rule's
# second branch), then test and test_gate (read afterwards). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v20
LISTS="nsim8:corpus/noizeus_sim8/train.list nreal:corpus/noizeus_real/all.list"
for l in test_voc test_tc test test_gate; do LISTS="$LISTS $l:lists/$l.list"; done
if [ "$1" = shipped ]; then
    for l in $LISTS; do
        o=$R/ev_shipped_${l%%:*}
        [ -d $o ] || $P -m quality.evaluate --bootstrap 0 --checkpoint checkpoints/default.pt --list ${l#*:} --out $o > $o.log 2>&1
    done
    echo SHIPPED_DONE; exit 0
fi
X=$1; M=checkpoints/default_members
docs/experiments/eval_candidate.sh $R EF$X nsim8 corpus/noizeus_sim8/train.list \
    $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $R/$X/model.pt
echo RULE_READ
for l in test_voc test_tc test test_gate; do
    o=$R/ev_EF${X}_$l
    [ -d $o ] || $P -m quality.evaluate --bootstrap 0 --checkpoint $R/EF$X.pt --list lists/$l.list --out $o > $o.log 2>&1
    $P benchmarks/paired_comparison.py --list lists/$l.list --target pesq --resamples 1000 \
        --predictions shipped=$R/ev_shipped_$l EF$X=$o > $R/paired_EF${X}_$l.txt
    cat $R/paired_EF${X}_$l.txt
done
echo EVAL11_DONE
