#!/usr/bin/env bash
# Session 26 (RULE19.md). Run from the repository root after launch.sh and
# `docs/experiments/build_decision.sh 28 corpus/noizeus_sim15`.
#   eval_rule19.sh decide   the shipped E+F+NT+K on the four test lists, E+F+NT+K+K2 against it on N_sim15 and N_real
#                           (eval_candidate.sh), the speed of both and the four test lists (candidate_speed_and_tests.sh)
#   eval_rule19.sh read     K2 and Kc alone on N_sim15 and the four test lists, beside the shipped model and K
#                           (read afterwards; decides nothing)
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v26
SET=corpus/noizeus_sim15/train.list
M=checkpoints/default_members
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
. docs/experiments/evaluate.sh
if [ "$1" = decide ]; then
    evaluate_test_lists checkpoints/default.pt $R/ev_shipped
    docs/experiments/eval_candidate.sh $R EFNTKK2 nsim15 $SET $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt \
        $M/NT_ft/model.pt $M/K_tcn/model.pt $R/K2_tcn/model.pt
    cp $R/paired_nreal.txt $R/paired_EFNTKK2_nreal.txt; cp $R/paired_nsim15.txt $R/paired_EFNTKK2_nsim15.txt
    docs/experiments/candidate_speed_and_tests.sh $R EFNTKK2
    echo DECIDE19_DONE; exit 0
fi
for m in K:$M/K_tcn K2:$R/K2_tcn Kc:$R/Kc_tcn; do
    for l in test_tc test test_voc test_gate; do
        evaluate ${m#*:}/model.pt lists/$l.list $R/ev_${m%%:*}_$l &
    done
    evaluate ${m#*:}/model.pt $SET $R/ev_${m%%:*}_nsim15 & wait
done
for l in test_tc test test_voc test_gate; do
    $PC --list lists/$l.list --predictions shipped=$R/ev_shipped_$l K=$R/ev_K_$l K2=$R/ev_K2_$l Kc=$R/ev_Kc_$l \
        > $R/paired_read_$l.txt
done
$PC --list $SET --predictions shipped=$R/ev_shipped_nsim15 K=$R/ev_K_nsim15 K2=$R/ev_K2_nsim15 Kc=$R/ev_Kc_nsim15 \
    > $R/paired_read_nsim15.txt
cat $R/paired_read_*.txt
