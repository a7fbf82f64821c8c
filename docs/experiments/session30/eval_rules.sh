#!/usr/bin/env bash
# Session 30 (docs/experiments/session29/RULE28.md). Run from the repository root once K3x and K4x have finished
# (docs/experiments/session29/launch_next.sh: K3e and K4e continued to 180 minutes in all).
#   eval_rules.sh rule28   after `docs/experiments/build_decision.sh 36 corpus/noizeus_sim23`:
#                          E+F+NT+Kc+K2+K3x+K4x against the default in place on N_sim23 and N_real, the speed of
#                          both (median of 5), the four test lists; outputs in runs/v30_rule28
#   eval_rules.sh read     K3x and K4x alone against K3e and K4e alone on N_sim23 and the four test lists
#                          (decides nothing); outputs beside rule28's
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 SPEED_REPEATS=5   # median of 5 (candidate_speed_and_tests.sh)
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v29
R=runs/v30_rule28 SET=corpus/noizeus_sim23/train.list
MEMBERS=($M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt $M/Kc_tcn/model.pt
         $M/K2_tcn/model.pt $V/K3x_tcn/model.pt $V/K4x_tcn/model.pt)
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule28)
        decide $R EFNTKcK2K3xK4x nsim23 $SET "${MEMBERS[@]}"
        echo DECIDE28_DONE ;;
    read)
        for k in K3e:$M/K3e_tcn/model.pt K4e:$M/K4e_tcn/model.pt K3x:$V/K3x_tcn/model.pt K4x:$V/K4x_tcn/model.pt; do
            n=${k%%:*} c=${k#*:}
            evaluate $c $SET $R/ev_${n}_nsim23 &
            evaluate_test_lists $c $R/ev_$n; wait
        done
        for l in nsim23:$SET test_tc:lists/test_tc.list test:lists/test.list test_voc:lists/test_voc.list \
                 test_gate:lists/test_gate.list; do
            n=${l%%:*}
            $PC --list ${l#*:} --predictions K3e=$R/ev_K3e_$n K3x=$R/ev_K3x_$n K4e=$R/ev_K4e_$n K4x=$R/ev_K4x_$n \
                > $R/paired_read_$n.txt
        done
        cat $R/paired_read_*.txt ;;
    *) echo "usage: $0 rule28 | read" >&2; exit 1 ;;
esac
