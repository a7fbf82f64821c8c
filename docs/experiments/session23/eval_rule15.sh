#!/usr/bin/env bash
# Session 23 (RULE15.md). Run from the repository root after launch.sh and after
# `docs/experiments/build_decision.sh 24 corpus/noizeus_sim11`.
#   eval_rule15.sh shipped      the shipped E+F+NT on N_sim11 (while P and Q train)
#   eval_rule15.sh decide       E+F+NT+P+Q against the shipped E+F+NT on N_sim11 and N_real (eval_candidate.sh), the speed
#                               of both (ONNX, plain shell), test_tc (the rule's second branch), then the lists read
#                               afterwards (test, test_voc, test_gate); then P and Q alone on test
# The shipped model's predictions on N_real and the four test lists are session 21's (runs/v21/ev_shipped_*: the same
# checkpoint), linked here.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v23
SET=corpus/noizeus_sim11/train.list
M=checkpoints/default_members
mkdir -p $R
for l in nreal test_tc test test_voc test_gate; do
    [ -e $R/ev_shipped_$l ] || ln -s ../v21/ev_shipped_$l $R/ev_shipped_$l
done
if [ "$1" = shipped ]; then
    [ -d $R/ev_shipped_nsim11 ] || $P -m quality.evaluate --bootstrap 0 --checkpoint checkpoints/default.pt --list $SET \
        --out $R/ev_shipped_nsim11 > $R/ev_shipped_nsim11.log 2>&1
    echo SHIPPED_DONE; exit 0
fi
docs/experiments/eval_candidate.sh $R EFNTPQ nsim11 $SET $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt \
    $M/NT_ft/model.pt $R/P_disturbance/model.pt $R/Q_conv96/model.pt
docs/experiments/candidate_speed_and_tests.sh $R EFNTPQ
for m in P_disturbance Q_conv96; do
    [ -d $R/ev_${m}_test ] || $P -m quality.evaluate --bootstrap 0 --checkpoint $R/$m/model.pt --list lists/test.list \
        --out $R/ev_${m}_test > $R/ev_${m}_test.log 2>&1
done
$P benchmarks/paired_comparison.py --target pesq --resamples 1000 --list lists/test.list \
    --predictions shipped=$R/ev_shipped_test P=$R/ev_P_disturbance_test Q=$R/ev_Q_conv96_test > $R/paired_members_test.txt
cat $R/paired_members_test.txt
echo EVAL15_DONE
