#!/usr/bin/env bash
# RULE6's reading: E3+F3 (equal-weight mean, calibrated on lists/valid_tc.list) against the shipped
# model on the decision set N_sim4 (paired 6-talker interval) and on N_real.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
R=runs/v16
[ -f $R/E3F3.pt ] || {
    $P -m quality.ensemble --members $R/E3/model.pt $R/F3/model.pt --output $R/E3F3_raw.pt
    $P -m quality.calibrate --checkpoint $R/E3F3_raw.pt --list lists/valid_tc.list --output $R/E3F3.pt
}
E="$P -m quality.evaluate --bootstrap 0"
NS=corpus/noizeus_sim4/train.list
NR=corpus/noizeus_real/all.list
for m in shipped:checkpoints/default.pt E3F3:$R/E3F3.pt; do
    for l in nsim4:$NS nreal:$NR; do
        o=$R/ev_${m%%:*}_${l%%:*}
        [ -d $o ] || $E --checkpoint ${m#*:} --list ${l#*:} --out $o > $o.log 2>&1
    done
done
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
$PC --list $NS --predictions shipped=$R/ev_shipped_nsim4 E3F3=$R/ev_E3F3_nsim4 > $R/paired_rule6_nsim4.txt
$PC --list $NR --predictions shipped=$R/ev_shipped_nreal E3F3=$R/ev_E3F3_nreal > $R/paired_rule6_nreal.txt
cat $R/paired_rule6_nsim4.txt $R/paired_rule6_nreal.txt
