#!/usr/bin/env bash
# RULE31.md, written in session 32 before H7e and H8e finished. Run from the repository root once they have
# (launch.sh: HASANet networks with the averaged `tcn` recipe, 180 minutes, seeds 7 and 8).
#   eval_rule31.sh rule31   after `docs/experiments/build_decision.sh 39 corpus/noizeus_sim26`:
#                           E+H7e+H8e+K3x+K4x+K5x+K6x (the session-31 default with F and NT replaced) against the
#                           default in place on N_sim26 and N_real, the speed of both (median of 5), the four test
#                           lists; outputs in runs/v33_rule31
#   eval_rule31.sh read     H7e and H8e alone against F and NT alone on N_sim26 and the four test lists
#                           (decides nothing); outputs beside rule31's
# If the default in place is no longer the session-31 one, change MEMBERS to its members with F and NT replaced.
# While it is, the shipped model's scores on N_real and the test lists can be copied first instead of computed:
#   for l in nreal test test_tc test_voc test_gate; do cp -r runs/v31_rule29/ev_EFNTK3xK4xK5xK6x_$l runs/v33_rule31/ev_shipped_$l; done
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 SPEED_REPEATS=5   # median of 5 (candidate_speed_and_tests.sh)
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v32
R=runs/v33_rule31 SET=corpus/noizeus_sim26/train.list
MEMBERS=($M/E_ftC_nodrop/model.pt $V/H7e_hasanet/model.pt $V/H8e_hasanet/model.pt $M/K3x_tcn/model.pt
         $M/K4x_tcn/model.pt $M/K5x_tcn/model.pt $M/K6x_tcn/model.pt)
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule31)
        decide $R EH7eH8eK3xK4xK5xK6x nsim26 $SET "${MEMBERS[@]}"
        echo DECIDE31_DONE ;;
    read)
        read_alone $R nsim26 $SET F:$M/F_ftS_nodrop/model.pt NT:$M/NT_ft/model.pt H7e:$V/H7e_hasanet/model.pt \
            H8e:$V/H8e_hasanet/model.pt ;;
    *) echo "usage: $0 rule31 | read" >&2; exit 1 ;;
esac
