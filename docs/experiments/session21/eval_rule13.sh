#!/usr/bin/env bash
# Session 21 (RULE13.md): the default RULE12 leaves (BASE = shipped for E+F+NT, or the candidate's NAME), calibrated
# with a cubic (quality.calibrate --degree 3) on lists/valid_tc.list, against the same ensemble with its line, on
# N_sim9, N_real and test_tc (the rule), then test (read afterwards; the clean files' mean score from
# metrics_by_condition.csv). Run from the repository root after eval_rule12.sh.
#   eval_rule13.sh BASE
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v21
M=checkpoints/default_members
B=$1
if [ "$B" = shipped ]; then
    [ -f $R/shipped_raw.pt ] || $P -m quality.ensemble --members $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt \
        $M/NT_ft/model.pt --output $R/shipped_raw.pt
fi
C=${B}_cubic
[ -f $R/$C.pt ] || $P -m quality.calibrate --degree 3 --checkpoint $R/${B}_raw.pt --list lists/valid_tc.list --output $R/$C.pt
evaluate() {  # LIST OUT
    [ -d $2 ] || $P -m quality.evaluate --bootstrap 0 --checkpoint $R/$C.pt --list $1 --out $2 > $2.log 2>&1
}
evaluate corpus/noizeus_sim9/train.list $R/ev_${C}_nsim9 & evaluate corpus/noizeus_real/all.list $R/ev_${C}_nreal & wait
evaluate lists/test_tc.list $R/ev_${C}_test_tc & evaluate lists/test.list $R/ev_${C}_test & wait
for l in nsim9:corpus/noizeus_sim9/train.list nreal:corpus/noizeus_real/all.list test_tc:lists/test_tc.list test:lists/test.list; do
    $P benchmarks/paired_comparison.py --target pesq --resamples 1000 --list ${l#*:} \
        --predictions line=$R/ev_${B}_${l%%:*} cubic=$R/ev_${C}_${l%%:*} > $R/paired_${C}_${l%%:*}.txt
    cat $R/paired_${C}_${l%%:*}.txt
done
for m in $B $C; do echo "$m, clean files of lists/test.list:"; grep -i "^clean," $R/ev_${m}_test/metrics_by_condition.csv || true; done
echo EVAL13_DONE
