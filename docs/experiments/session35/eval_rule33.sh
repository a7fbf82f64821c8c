#!/usr/bin/env bash
# RULE33.md (docs/experiments/session34/), written before its runs (H7e and H8e continued to 360 CPU-minutes: H7x,
# H8x in runs/v34). Run from the repository root once `docs/experiments/session34/launch.sh` has printed LAUNCH_DONE:
#   eval_rule33.sh rule33   after `docs/experiments/build_decision.sh 41 corpus/noizeus_sim28`:
#                           H9e+H7x+H8x+K3x+K4x+H10e+K6x (the session-35 default with H7e and H8e replaced) against
#                           the default in place on N_sim28 and N_real, then (deciding nothing: RULE33 has no speed
#                           condition) the speed of both and the four test lists; outputs in runs/v36_rule33
#   eval_rule33.sh read     H7x and H8x alone against H7e and H8e alone on N_sim28 and the four test lists
#                           (decides nothing); outputs beside rule33's
# If the default in place is no longer the session-35 one, change MEMBERS to its members with H7e and H8e replaced.
# While it is, the shipped model's scores on N_real and the test lists can be copied first instead of computed
# (RULE32's candidate is the session-35 default; the same calibration):
#   mkdir -p runs/v36_rule33; for l in nreal test test_tc test_voc test_gate; do
#       cp -r runs/v34_rule32/ev_H9eH7eH8eK3xK4xH10eK6x_$l runs/v36_rule33/ev_shipped_$l; done
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 SPEED_REPEATS=5   # median of 5 (candidate_speed_and_tests.sh)
P=.venv/bin/python
M=checkpoints/default_members
V=runs/v34
R=runs/v36_rule33 SET=corpus/noizeus_sim28/train.list
MEMBERS=($M/H9e_hasanet/model.pt $V/H7x_hasanet/model.pt $V/H8x_hasanet/model.pt $M/K3x_tcn/model.pt
         $M/K4x_tcn/model.pt $M/H10e_hasanet/model.pt $M/K6x_tcn/model.pt)
. docs/experiments/evaluate.sh
case "${1:-}" in
    rule33)
        decide $R H9eH7xH8xK3xK4xH10eK6x nsim28 $SET "${MEMBERS[@]}"
        echo DECIDE33_DONE ;;
    read)
        read_alone $R nsim28 $SET H7e:$M/H7e_hasanet/model.pt H8e:$M/H8e_hasanet/model.pt \
            H7x:$V/H7x_hasanet/model.pt H8x:$V/H8x_hasanet/model.pt ;;
    *) echo "usage: $0 rule33 | read" >&2; exit 1 ;;
esac
