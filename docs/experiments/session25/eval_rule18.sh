#!/usr/bin/env bash
# Session 25 (RULE18.md): E+F+NT+K against the shipped E+F+NT on N_sim14 and N_real, then the speed of both and the
# four test lists. Run from the repository root after launch.sh, eval_rule17.sh decide (the shipped model's
# predictions on the test lists) and `docs/experiments/build_decision.sh 27 corpus/noizeus_sim14`.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
R=runs/v25
M=checkpoints/default_members
docs/experiments/eval_candidate.sh $R EFNTK nsim14 corpus/noizeus_sim14/train.list $M/E_ftC_nodrop/model.pt \
    $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt $R/K_tcn/model.pt
docs/experiments/candidate_speed_and_tests.sh $R EFNTK
echo EVAL18_DONE
