#!/usr/bin/env bash
# Session 26 (RULE20.md): the default of the moment with K replaced by Kc, against that default on N_sim16 and N_real,
# then the speed of both and the four test lists. Run from the repository root after RULE19 is decided (and, if it
# shipped, after ship.sh 19) and after `docs/experiments/build_decision.sh 29 corpus/noizeus_sim16`.
#   eval_rule20.sh with-K2      RULE19 shipped E+F+NT+K+K2: the candidate is E+F+NT+Kc+K2
#   eval_rule20.sh without-K2   RULE19 did not ship: the candidate is E+F+NT+Kc
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v26_rule20          # its own folder: ev_shipped_* here are the default of the moment
M=checkpoints/default_members
. docs/experiments/evaluate.sh
case "$1" in
    with-K2) NAME=EFNTKcK2; EXTRA=(runs/v26/K2_tcn/model.pt) ;;
    without-K2) NAME=EFNTKc; EXTRA=() ;;
    *) echo "usage: $0 with-K2|without-K2" >&2; exit 1 ;;
esac
mkdir -p $R
evaluate_test_lists checkpoints/default.pt $R/ev_shipped
docs/experiments/eval_candidate.sh $R $NAME nsim16 corpus/noizeus_sim16/train.list $M/E_ftC_nodrop/model.pt \
    $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt runs/v26/Kc_tcn/model.pt "${EXTRA[@]}"
cp $R/paired_nreal.txt $R/paired_${NAME}_nreal.txt; cp $R/paired_nsim16.txt $R/paired_${NAME}_nsim16.txt
docs/experiments/candidate_speed_and_tests.sh $R $NAME
echo DECIDE20_DONE
