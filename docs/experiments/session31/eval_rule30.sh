#!/usr/bin/env bash
# RULE30.md, written in session 31 before K3y and K4y finished. Run from the repository root once they have
# (docs/experiments/session31/launch_next.sh: K3x and K4x continued to 270 minutes in all).
#   eval_rule30.sh rule30   after `docs/experiments/build_decision.sh 38 corpus/noizeus_sim25`:
#                           E+F+NT+K3y+K4y+K5x+K6x (the session-31 default with K3x and K4x replaced) against the
#                           default in place on N_sim25 and N_real, the speed of both (median of 5), the four test
#                           lists; outputs in runs/v32_rule30
#   eval_rule30.sh read     K3y and K4y alone against K3x and K4x alone on N_sim25 and the four test lists
#                           (decides nothing); outputs beside rule30's
# If the default in place is no longer the session-31 one, change MEMBERS to its members with K3x and K4x replaced.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 SPEED_REPEATS=5   # median of 5 (candidate_speed_and_tests.sh)
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v31
R=runs/v32_rule30 SET=corpus/noizeus_sim25/train.list
MEMBERS=($M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt $V/K3y_tcn/model.pt
         $V/K4y_tcn/model.pt $M/K5x_tcn/model.pt $M/K6x_tcn/model.pt)
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule30)
        decide $R EFNTK3yK4yK5xK6x nsim25 $SET "${MEMBERS[@]}"
        echo DECIDE30_DONE ;;
    read)
        read_alone $R nsim25 $SET K3x:$M/K3x_tcn/model.pt K3y:$V/K3y_tcn/model.pt K4x:$M/K4x_tcn/model.pt \
            K4y:$V/K4y_tcn/model.pt ;;
    *) echo "usage: $0 rule30 | read" >&2; exit 1 ;;
esac
