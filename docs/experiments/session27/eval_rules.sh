#!/usr/bin/env bash
# Session 27 (RULE21.md, RULE22.md). Run from the repository root after launch.sh.
#   eval_rules.sh rule21        after `docs/experiments/build_decision.sh 30 corpus/noizeus_sim17`: the shipped
#                               E+F+NT+Kc+K2 on the four test lists, E+F+NT+Kc+K2c against it on N_sim17 and N_real
#                               (eval_candidate.sh), the speed of both and the four test lists; outputs in runs/v27
#   eval_rules.sh read          K2, Kc, K2c and Kcc alone on N_sim17 and the four test lists (decides nothing)
#   eval_rules.sh rule22 K2c|K2 after RULE21 is decided (and shipped, if it passed) and after
#                               `docs/experiments/build_decision.sh 31 corpus/noizeus_sim18`: E+F+NT+Kcc+<K2c|K2>
#                               against the default of that moment; outputs in runs/v27_rule22
#   eval_rules.sh rule23        after `docs/experiments/build_decision.sh 32 corpus/noizeus_sim19`:
#                               E+F+NT+Kc+K2+K2c+Kcc against the default; outputs in runs/v27_rule23
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v27
BASE=($M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt)
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule21)
        decide $V EFNTKcK2c nsim17 corpus/noizeus_sim17/train.list "${BASE[@]}" $M/Kc_tcn/model.pt \
            $V/K2c_tcn/model.pt
        echo DECIDE21_DONE ;;
    read)
        SET=corpus/noizeus_sim17/train.list
        for m in K2:$M/K2_tcn Kc:$M/Kc_tcn K2c:$V/K2c_tcn Kcc:$V/Kcc_tcn; do
            evaluate ${m#*:}/model.pt $SET $V/ev_${m%%:*}_nsim17 &
            evaluate_test_lists ${m#*:}/model.pt $V/ev_${m%%:*}; wait
        done
        for l in nsim17:$SET test_tc:lists/test_tc.list test:lists/test.list test_voc:lists/test_voc.list \
                 test_gate:lists/test_gate.list; do
            n=${l%%:*}
            $PC --list ${l#*:} --predictions shipped=$V/ev_shipped_$n K2=$V/ev_K2_$n Kc=$V/ev_Kc_$n \
                K2c=$V/ev_K2c_$n Kcc=$V/ev_Kcc_$n > $V/paired_read_$n.txt
        done
        cat $V/paired_read_*.txt ;;
    rule22)
        case "${2:-}" in
            K2c) SECOND=$V/K2c_tcn/model.pt ;;
            K2) SECOND=$M/K2_tcn/model.pt ;;
            *) echo "usage: $0 rule22 K2c|K2" >&2; exit 1 ;;
        esac
        decide runs/v27_rule22 EFNTKcc$2 nsim18 corpus/noizeus_sim18/train.list "${BASE[@]}" $V/Kcc_tcn/model.pt \
            $SECOND
        echo DECIDE22_DONE ;;
    rule23)
        decide runs/v27_rule23 EFNTKcK2K2cKcc nsim19 corpus/noizeus_sim19/train.list "${BASE[@]}" \
            $M/Kc_tcn/model.pt $M/K2_tcn/model.pt $V/K2c_tcn/model.pt $V/Kcc_tcn/model.pt
        echo DECIDE23_DONE ;;
    *) echo "usage: $0 rule21 | read | rule22 K2c|K2 | rule23" >&2; exit 1 ;;
esac
