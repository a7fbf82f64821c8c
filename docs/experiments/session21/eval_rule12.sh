#!/usr/bin/env bash
# Session 21 (RULE12.md). Run from the repository root after launch.sh.
#   eval_rule12.sh shipped           the shipped E+F+NT on N_sim9, N_real and the four test lists (beside `select`)
#   eval_rule12.sh select            the five members (E, F, NT, T, W) on lists/valid_tc.list and the three
#                                    candidate means (select.txt; the mean is what the uncalibrated ensemble scores)
#   eval_rule12.sh decide NAME M...  candidate NAME of members M... against the shipped E+F+NT on N_sim9 and
#                                    N_real (eval_candidate.sh), the speed of both (ONNX), then test_tc (the rule's second branch), then the
#                                    lists read afterwards (test, test_voc, test_gate)
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v21
M=checkpoints/default_members
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
evaluate() {  # CHECKPOINT LIST OUT
    [ -d $3 ] || $P -m quality.evaluate --bootstrap 0 --checkpoint $1 --list $2 --out $3 > $3.log 2>&1
}
if [ "$1" = shipped ]; then
    for l in nsim9:corpus/noizeus_sim9/train.list nreal:corpus/noizeus_real/all.list test_tc:lists/test_tc.list \
             test:lists/test.list test_voc:lists/test_voc.list test_gate:lists/test_gate.list; do
        evaluate checkpoints/default.pt ${l#*:} $R/ev_shipped_${l%%:*}
    done
    echo SHIPPED_DONE; exit 0
fi
if [ "$1" = select ]; then
    for m in E:$M/E_ftC_nodrop NT:$M/NT_ft T:$R/T_scratch; do evaluate ${m#*:}/model.pt lists/valid_tc.list $R/ev_${m%%:*}_valid_tc & done; wait
    for m in F:$M/F_ftS_nodrop W:$R/W_whole; do evaluate ${m#*:}/model.pt lists/valid_tc.list $R/ev_${m%%:*}_valid_tc & done; wait
    $PC --list lists/valid_tc.list --predictions $(for m in E F NT T W; do echo $m=$R/ev_${m}_valid_tc; done) \
        --means E+F+NT E+F+W E+F+NT+T E+F+W+T > $R/select.txt
    cat $R/select.txt
    echo SELECT_DONE; exit 0
fi
NAME=$2; shift 2
# the rule's candidate, calibrated as the shipped model was; its speed (condition 3) beside the shipped model's
docs/experiments/eval_candidate.sh $R $NAME nsim9 corpus/noizeus_sim9/train.list "$@"
docs/experiments/candidate_speed_and_tests.sh $R $NAME
echo EVAL12_DONE
