#!/usr/bin/env bash
# Session 25 (RULE17.md). Run from the repository root after launch.sh and after
# `docs/experiments/build_decision.sh 26 corpus/noizeus_sim13`.
#   eval_rule17.sh decide   the shipped E+F+NT on every list, then E+F+NT+C against it on N_sim13 and N_real
#                           (eval_candidate.sh), the speed of both and the four test lists (test_tc first: the rule's
#                           second branch; candidate_speed_and_tests.sh)
#   eval_rule17.sh read     C and K alone on the four test lists and N_sim13, E+F+NT+K on test (read afterwards)
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v25
SET=corpus/noizeus_sim13/train.list
M=checkpoints/default_members
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
. docs/experiments/evaluate.sh
if [ "$1" = decide ]; then
    evaluate_test_lists checkpoints/default.pt $R/ev_shipped
    docs/experiments/eval_candidate.sh $R EFNTC nsim13 $SET $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt \
        $M/NT_ft/model.pt $R/C_cnn_mattn/model.pt
    docs/experiments/candidate_speed_and_tests.sh $R EFNTC
    echo DECIDE17_DONE; exit 0
fi
for m in C:C_cnn_mattn K:K_tcn; do
    for l in test_tc test test_voc test_gate; do
        evaluate $R/${m#*:}/model.pt lists/$l.list $R/ev_${m%%:*}_$l &
    done
    evaluate $R/${m#*:}/model.pt $SET $R/ev_${m%%:*}_nsim13 & wait
done
for l in test_tc test test_voc test_gate; do
    $PC --list lists/$l.list --predictions shipped=$R/ev_shipped_$l C=$R/ev_C_$l K=$R/ev_K_$l > $R/paired_read_$l.txt
done
$PC --list $SET --predictions shipped=$R/ev_shipped_nsim13 C=$R/ev_C_nsim13 K=$R/ev_K_nsim13 > $R/paired_read_nsim13.txt
[ -f $R/EFNTK_raw.pt ] || $P -m quality.ensemble --members $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt \
    $M/NT_ft/model.pt $R/K_tcn/model.pt --output $R/EFNTK_raw.pt
evaluate $R/EFNTK_raw.pt lists/test.list $R/ev_EFNTK_test
$PC --list lists/test.list --predictions shipped=$R/ev_shipped_test EFNTC=$R/ev_EFNTC_test EFNTK=$R/ev_EFNTK_test \
    > $R/paired_read_ensembles_test.txt
cat $R/paired_read_*.txt
echo READ17_DONE
