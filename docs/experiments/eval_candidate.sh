#!/usr/bin/env bash
# A candidate pair against the shipped model on a decision set and N_real (the reading of the
# session rules): equal-weight ensemble of the two members, calibrated on lists/valid_tc.list,
# quality.evaluate of both models on both lists, paired 6-talker comparison.
#   docs/experiments/eval_candidate.sh RUNS NAME MEMBER_A MEMBER_B SET_NAME SET_LIST
# e.g. docs/experiments/eval_candidate.sh runs/v16 E3F3 runs/v16/E3/model.pt runs/v16/F3/model.pt \
#          nsim4 corpus/noizeus_sim4/train.list
# Run from the repository root; writes RUNS/NAME.pt, RUNS/ev_*, RUNS/paired_<SET_NAME>.txt, RUNS/paired_nreal.txt.
set -euo pipefail
R=$1; NAME=$2; A=$3; B=$4; SET=$5; LIST=$6
P=.venv/bin/python
[ -f $R/$NAME.pt ] || {
    $P -m quality.ensemble --members $A $B --output $R/${NAME}_raw.pt
    $P -m quality.calibrate --checkpoint $R/${NAME}_raw.pt --list lists/valid_tc.list --output $R/$NAME.pt
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
