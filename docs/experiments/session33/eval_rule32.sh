#!/usr/bin/env bash
# RULE32.md, written in session 33 before H9e and H10e started. Run from the repository root once they have
# (launch.sh: HASANet networks with the averaged `tcn` recipe, 180 minutes, seeds 9 and 10).
#   eval_rule32.sh rule32   after `docs/experiments/build_decision.sh 40 corpus/noizeus_sim27`:
#                           H9e+H7e+H8e+K3x+K4x+H10e+K6x (the session-33 default with E and K5x replaced) against
#                           the default in place on N_sim27 and N_real, the speed of both (median of 5), the four
#                           test lists; outputs in runs/v34_rule32
#   eval_rule32.sh read     H9e and H10e alone against E and K5x alone on N_sim27 and the four test lists
#                           (decides nothing); outputs beside rule32's
# If the default in place is no longer the session-33 one, change MEMBERS to its members with E and K5x replaced.
# While it is, the shipped model's scores on N_real and the test lists can be copied first instead of computed:
#   for l in nreal test test_tc test_voc test_gate; do cp -r runs/v33_rule31/ev_EH7eH8eK3xK4xK5xK6x_$l runs/v34_rule32/ev_shipped_$l; done
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 SPEED_REPEATS=5   # median of 5 (candidate_speed_and_tests.sh)
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v33
R=runs/v34_rule32 SET=corpus/noizeus_sim27/train.list
MEMBERS=($V/H9e_hasanet/model.pt $M/H7e_hasanet/model.pt $M/H8e_hasanet/model.pt $M/K3x_tcn/model.pt
         $M/K4x_tcn/model.pt $V/H10e_hasanet/model.pt $M/K6x_tcn/model.pt)
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule32)
        decide $R H9eH7eH8eK3xK4xH10eK6x nsim27 $SET "${MEMBERS[@]}"
        echo DECIDE32_DONE ;;
    read)
        read_alone $R nsim27 $SET E:$M/E_ftC_nodrop/model.pt K5x:$M/K5x_tcn/model.pt H9e:$V/H9e_hasanet/model.pt \
            H10e:$V/H10e_hasanet/model.pt ;;
    *) echo "usage: $0 rule32 | read" >&2; exit 1 ;;
esac
