#!/usr/bin/env bash
# A candidate against the shipped model on a decision set and N_real (the reading of the session rules):
# equal-weight ensemble of the members (or the one network, when one is given), calibrated on $CALIBRATION_LIST (default
# lists/valid_tc.list), quality.evaluate of both models on both lists, paired 6-talker comparison.
#   [CALIBRATION_LIST=L] docs/experiments/eval_candidate.sh RUNS NAME SET_NAME SET_LIST MEMBER_PT [MEMBER_PT...]
# e.g. docs/experiments/eval_candidate.sh runs/v16 E3F3 nsim4 corpus/noizeus_sim4/train.list \
#          runs/v16/E3/model.pt runs/v16/F3/model.pt
# Run from the repository root; writes RUNS/NAME.pt, RUNS/ev_*, RUNS/paired_<SET_NAME>.txt, RUNS/paired_nreal.txt.
set -euo pipefail
R=$1; NAME=$2; SET=$3; LIST=$4; shift 4
CAL=${CALIBRATION_LIST:-lists/valid_tc.list}
P=.venv/bin/python
[ -f $R/$NAME.pt ] || {
    RAW=$1
    [ $# -eq 1 ] || { RAW=$R/${NAME}_raw.pt; $P -m quality.ensemble --members "$@" --output $RAW; }
    $P -m quality.calibrate --checkpoint $RAW --list $CAL --output $R/$NAME.pt
}
NR=corpus/noizeus_real/all.list
for m in shipped:checkpoints/default.pt $NAME:$R/$NAME.pt; do
    for l in $SET:$LIST nreal:$NR; do
        o=$R/ev_${m%%:*}_${l%%:*}
        [ -d $o ] || $P -m quality.evaluate --bootstrap 0 --checkpoint ${m#*:} --list ${l#*:} --out $o > $o.log 2>&1
    done
done
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
$PC --list $LIST --predictions shipped=$R/ev_shipped_$SET $NAME=$R/ev_${NAME}_$SET > $R/paired_$SET.txt
$PC --list $NR --predictions shipped=$R/ev_shipped_nreal $NAME=$R/ev_${NAME}_nreal > $R/paired_nreal.txt
cat $R/paired_$SET.txt $R/paired_nreal.txt
