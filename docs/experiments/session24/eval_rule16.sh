#!/usr/bin/env bash
# Session 24 (../session23/RULE16.md). Run from the repository root after S50 and S100 have trained and after
# `docs/experiments/build_decision.sh 25 corpus/noizeus_sim12`.
#   eval_rule16.sh decide   S50 (calibrated on lists/valid_tc.list) against the shipped E+F+NT on N_sim12 and N_real
#                           (eval_candidate.sh), the speed of both (ONNX, plain shell), then the four test lists
#   eval_rule16.sh read     read afterwards: S100 and T_last (the control trained on the labels) on the four test lists,
#                           S50 against T_last on N_sim12
# The shipped model's predictions on N_real and the four test lists are session 21's (runs/v21/ev_shipped_*: the same
# checkpoint), linked here.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v24
SET=corpus/noizeus_sim12/train.list
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
mkdir -p $R
for l in nreal test_tc test test_voc test_gate; do
    [ -e $R/ev_shipped_$l ] || ln -s ../v21/ev_shipped_$l $R/ev_shipped_$l
done
. docs/experiments/evaluate.sh
if [ "$1" = decide ]; then
    docs/experiments/eval_candidate.sh $R S50 nsim12 $SET runs/v23/S50/model.pt
    docs/experiments/candidate_speed_and_tests.sh $R S50
    echo DECIDE_DONE; exit 0
fi
[ -f $R/S100.pt ] || $P -m quality.calibrate --checkpoint runs/v23/S100/model.pt --list lists/valid_tc.list --output $R/S100.pt
[ -f $R/T_last.pt ] || $P -m quality.calibrate --checkpoint runs/v22/T_last/model.pt --list lists/valid_tc.list --output $R/T_last.pt
evaluate $R/T_last.pt $SET $R/ev_T_last_nsim12
$PC --list $SET --predictions shipped=$R/ev_shipped_nsim12 T_last=$R/ev_T_last_nsim12 S50=$R/ev_S50_nsim12 > $R/paired_read_nsim12.txt
for l in test_tc test test_voc test_gate; do
    evaluate $R/S100.pt lists/$l.list $R/ev_S100_$l & evaluate $R/T_last.pt lists/$l.list $R/ev_T_last_$l & wait
    $PC --list lists/$l.list --predictions shipped=$R/ev_shipped_$l T_last=$R/ev_T_last_$l S50=$R/ev_S50_$l \
        S100=$R/ev_S100_$l > $R/paired_read_$l.txt
done
cat $R/paired_read_*.txt
echo READ_DONE
