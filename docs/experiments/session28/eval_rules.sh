#!/usr/bin/env bash
# Session 28 (RULE24.md, RULE25.md). Run from the repository root after launch.sh.
#   eval_rules.sh rule24   after `docs/experiments/build_decision.sh 33 corpus/noizeus_sim20`: the shipped
#                          E+F+NT+Kc+K2 on the four test lists, E+F+NT+Kc+K2+K3e+K4e against it on N_sim20 and
#                          N_real (eval_candidate.sh), the speed of both (median of 5, on a quiet machine), the four
#                          test lists; outputs in runs/v28
#   eval_rules.sh read     K3e and K4e alone, averaged (model.pt) and raw last-step weights (last.ckpt's
#                          current_model_state), on N_sim20 and the four test lists (decides nothing)
#   eval_rules.sh rule25   if RULE24 did not ship, after `docs/experiments/build_decision.sh 34 corpus/noizeus_sim21`:
#                          E+F+NT+Kc+K2+Kx, Kx the one of K3e/K4e with the higher valid_tc LCC in its model.pt;
#                          outputs in runs/v28_rule25
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 SPEED_REPEATS=5   # the rules' speed condition: median of 5 (candidate_speed_and_tests.sh)
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v28
SHIPPED=($M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt $M/Kc_tcn/model.pt $M/K2_tcn/model.pt)
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule24)
        decide $V EFNTKcK2K3eK4e nsim20 corpus/noizeus_sim20/train.list "${SHIPPED[@]}" \
            $V/K3e_tcn/model.pt $V/K4e_tcn/model.pt
        echo DECIDE24_DONE ;;
    read)
        SET=corpus/noizeus_sim20/train.list
        for k in K3e K4e; do
            [ -f $V/${k%e}r_tcn/model.pt ] || $P docs/experiments/session22/last_epoch.py $V/${k}_tcn \
                $V/${k%e}r_tcn current_model_state
        done
        for m in K3e:$V/K3e_tcn K4e:$V/K4e_tcn K3r:$V/K3r_tcn K4r:$V/K4r_tcn Kc:$M/Kc_tcn K2:$M/K2_tcn; do
            evaluate ${m#*:}/model.pt $SET $V/ev_${m%%:*}_nsim20 &
            evaluate_test_lists ${m#*:}/model.pt $V/ev_${m%%:*}; wait
        done
        for l in nsim20:$SET test_tc:lists/test_tc.list test:lists/test.list test_voc:lists/test_voc.list \
                 test_gate:lists/test_gate.list; do
            n=${l%%:*}
            $PC --list ${l#*:} --predictions shipped=$V/ev_shipped_$n K3e=$V/ev_K3e_$n K3r=$V/ev_K3r_$n \
                K4e=$V/ev_K4e_$n K4r=$V/ev_K4r_$n Kc=$V/ev_Kc_$n K2=$V/ev_K2_$n > $V/paired_read_$n.txt
        done
        cat $V/paired_read_*.txt ;;
    rule25)
        KX=$($P -c "
import sys
from quality.checkpoint import load_model
lcc = {k: load_model(f'$V/{k}_tcn/model.pt')[1]['valid_metrics']['lcc'] for k in ('K3e', 'K4e')}
print(lcc, file=sys.stderr)
print(max(lcc, key=lcc.get))")
        echo "RULE25: Kx = $KX"
        decide runs/v28_rule25 EFNTKcK2$KX nsim21 corpus/noizeus_sim21/train.list "${SHIPPED[@]}" $V/${KX}_tcn/model.pt
        echo DECIDE25_DONE ;;
    *) echo "usage: $0 rule24 | read | rule25" >&2; exit 1 ;;
esac
