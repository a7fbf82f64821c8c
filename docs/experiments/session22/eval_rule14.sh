#!/usr/bin/env bash
# Session 22 (RULE14.md). Run from the repository root after launch.sh and after
# `docs/experiments/build_decision.sh 23 corpus/noizeus_sim10`.
#   eval_rule14.sh select            T2 and T3 on lists/valid_tc.list beside session 21's E, F and T (runs/v21), and
#                                    the four candidate means (select.txt; the mean is what the uncalibrated ensemble scores)
#   eval_rule14.sh decide NAME M...  candidate NAME of members M... against the shipped E+F+NT on N_sim10 and N_real
#                                    (eval_candidate.sh), the speed of both (ONNX, plain shell), then test_tc (the rule's
#                                    second branch), then the lists read afterwards (test, test_voc, test_gate)
# The shipped model's predictions on N_real and the four test lists are session 21's (runs/v21/ev_shipped_*: the same
# checkpoint), linked here; its N_sim10 predictions are made by eval_candidate.sh.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v22
R21=runs/v21
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
evaluate() {  # CHECKPOINT LIST OUT
    [ -d $3 ] || $P -m quality.evaluate --bootstrap 0 --checkpoint $1 --list $2 --out $3 > $3.log 2>&1
}
mkdir -p $R
for l in nreal test_tc test test_voc test_gate; do
    [ -e $R/ev_shipped_$l ] || ln -s ../v21/ev_shipped_$l $R/ev_shipped_$l
done
if [ "$1" = select ]; then
    evaluate $R/T2/model.pt lists/valid_tc.list $R/ev_T2_valid_tc & evaluate $R/T3/model.pt lists/valid_tc.list $R/ev_T3_valid_tc & wait
    $PC --list lists/valid_tc.list --predictions E=$R21/ev_E_valid_tc F=$R21/ev_F_valid_tc NT=$R21/ev_NT_valid_tc \
        T=$R21/ev_T_valid_tc T2=$R/ev_T2_valid_tc T3=$R/ev_T3_valid_tc \
        --means E+F+NT E+F+T T+T2+T3 E+T+T2+T3 E+F+T+T2 > $R/select.txt
    cat $R/select.txt
    echo SELECT_DONE; exit 0
fi
NAME=$2; shift 2
docs/experiments/eval_candidate.sh $R $NAME nsim10 corpus/noizeus_sim10/train.list "$@"
docs/experiments/candidate_speed_and_tests.sh $R $NAME
echo EVAL14_DONE
