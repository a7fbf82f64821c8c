#!/usr/bin/env bash
# RULE5's reading: E2+F2 (equal-weight mean, calibrated on lists/valid_tc.list) against the shipped
# model on the decision set N_sim3 (paired 6-talker interval) and on N_real.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
R=runs/v14
$P -m quality.ensemble --members $R/E2/model.pt $R/F2/model.pt --output $R/E2F2_raw.pt
$P -m quality.calibrate --checkpoint $R/E2F2_raw.pt --list lists/valid_tc.list --output $R/E2F2.pt
E="$P -m quality.evaluate --bootstrap 0"
NS=corpus/noizeus_sim3/train.list
NR=corpus/noizeus_real/all.list
for m in shipped:checkpoints/default.pt E2F2:$R/E2F2.pt; do
    for l in nsim3:$NS nreal:$NR; do
        o=$R/ev_${m%%:*}_${l%%:*}
        [ -d $o ] || $E --checkpoint ${m#*:} --list ${l#*:} --out $o > $o.log 2>&1
    done
done
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
$PC --list $NS --predictions shipped=$R/ev_shipped_nsim3 E2F2=$R/ev_E2F2_nsim3 > $R/paired_rule5_nsim3.txt
$PC --list $NR --predictions shipped=$R/ev_shipped_nreal E2F2=$R/ev_E2F2_nreal > $R/paired_rule5_nreal.txt
cat $R/paired_rule5_nsim3.txt $R/paired_rule5_nreal.txt
