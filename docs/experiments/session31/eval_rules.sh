#!/usr/bin/env bash
# Session 31 (docs/experiments/session30/RULE29.md). Run from the repository root once K5x and K6x have finished
# (docs/experiments/session30/launch_next.sh: K5e and K6e continued to 180 minutes in all).
#   eval_rules.sh rule29   after `docs/experiments/build_decision.sh 37 corpus/noizeus_sim24`:
#                          E+F+NT+K3x+K4x+K5x+K6x against the default in place on N_sim24 and N_real, the speed of
#                          both (median of 5), the four test lists; outputs in runs/v31_rule29
#   eval_rules.sh read     K5x and K6x alone against K5e and K6e alone on N_sim24 and the four test lists
#                          (decides nothing); outputs beside rule29's
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 SPEED_REPEATS=5   # median of 5 (candidate_speed_and_tests.sh)
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v30
R=runs/v31_rule29 SET=corpus/noizeus_sim24/train.list
MEMBERS=($M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt $M/K3x_tcn/model.pt
         $M/K4x_tcn/model.pt $V/K5x_tcn/model.pt $V/K6x_tcn/model.pt)
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule29)
        decide $R EFNTK3xK4xK5xK6x nsim24 $SET "${MEMBERS[@]}"
        echo DECIDE29_DONE ;;
    read)
        read_alone $R nsim24 $SET K5e:runs/v28/K5e_tcn/model.pt K5x:$V/K5x_tcn/model.pt K6e:runs/v28/K6e_tcn/model.pt \
            K6x:$V/K6x_tcn/model.pt ;;
    *) echo "usage: $0 rule29 | read" >&2; exit 1 ;;
esac
