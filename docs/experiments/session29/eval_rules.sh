#!/usr/bin/env bash
# Session 29 (RULE26.md, RULE27.md). Run from the repository root once K5e and K6e have finished
# (train-quality --resume runs/v28/K5e_tcn --max-minutes 90, the same for K6e).
#   eval_rules.sh rule26   after `docs/experiments/build_decision.sh 34 corpus/noizeus_sim21`:
#                          E+F+NT+Kc+K3e+K4e+K5e+K6e against the default in place on N_sim21 and N_real, the speed of
#                          both (median of 5 on a quiet machine), the four test lists; outputs in runs/v29_rule26
#   eval_rules.sh rule27   after RULE26 is decided (and shipped, if it passed) and after
#                          `docs/experiments/build_decision.sh 35 corpus/noizeus_sim22`: Kc+K3e+K4e+K5e+K6e against
#                          the default in place; outputs in runs/v29_rule27
#   eval_rules.sh read     K5e and K6e alone on N_sim21 and the four test lists (decides nothing)
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 SPEED_REPEATS=5   # the rules' speed condition: median of 5 (candidate_speed_and_tests.sh)
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v28
HASANET=($M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt)
TCN=($M/Kc_tcn/model.pt $M/K3e_tcn/model.pt $M/K4e_tcn/model.pt $V/K5e_tcn/model.pt $V/K6e_tcn/model.pt)
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule26)
        decide runs/v29_rule26 EFNTKcK3eK4eK5eK6e nsim21 corpus/noizeus_sim21/train.list "${HASANET[@]}" "${TCN[@]}"
        echo DECIDE26_DONE ;;
    rule27)
        decide runs/v29_rule27 KcK3eK4eK5eK6e nsim22 corpus/noizeus_sim22/train.list "${TCN[@]}"
        echo DECIDE27_DONE ;;
    read)
        R=runs/v29_rule26 SET=corpus/noizeus_sim21/train.list
        for k in K5e K6e; do
            evaluate $V/${k}_tcn/model.pt $SET $R/ev_${k}_nsim21 &
            evaluate_test_lists $V/${k}_tcn/model.pt $R/ev_$k; wait
        done
        for l in nsim21:$SET test_tc:lists/test_tc.list test:lists/test.list test_voc:lists/test_voc.list \
                 test_gate:lists/test_gate.list; do
            n=${l%%:*}
            $PC --list ${l#*:} --predictions shipped=$R/ev_shipped_$n K5e=$R/ev_K5e_$n K6e=$R/ev_K6e_$n \
                > $R/paired_read_$n.txt
        done
        cat $R/paired_read_*.txt ;;
    *) echo "usage: $0 rule26 | rule27 | read" >&2; exit 1 ;;
esac
