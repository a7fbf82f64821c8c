#!/usr/bin/env bash
# Read after RULE6's decision, deciding nothing: E3+F3 and the shipped model on the test split,
# the validation list and the add-on test lists (the two models side by side, one thread each).
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
R=runs/v16
export OMP_NUM_THREADS=1
E="$P -m quality.evaluate --bootstrap 0"
LISTS="test:lists/test.list valid_tc:lists/valid_tc.list voc:lists/test_voc.list gate:lists/test_gate.list tc:lists/test_tc.list"
for m in shipped:checkpoints/default.pt E3F3:$R/E3F3.pt; do
    for l in $LISTS; do
        o=$R/ev_${m%%:*}_${l%%:*}
        [ -d $o ] || $E --checkpoint ${m#*:} --list ${l#*:} --out $o > $o.log 2>&1
    done &
done
wait
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
for l in $LISTS; do
    $PC --list ${l#*:} --predictions shipped=$R/ev_shipped_${l%%:*} E3F3=$R/ev_E3F3_${l%%:*} > $R/paired_after_${l%%:*}.txt
done
cat $R/paired_after_*.txt
echo AFTER_DONE
