#!/usr/bin/env bash
# Read after RULE5's decision, deciding nothing: E2+F2 and the shipped model on the test split,
# the validation list and the add-on test lists.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
R=runs/v14
E="$P -m quality.evaluate --bootstrap 0"
for m in shipped:checkpoints/default.pt E2F2:$R/E2F2.pt; do
    for l in test:lists/test.list valid_tc:lists/valid_tc.list voc:lists/test_voc.list gate:lists/test_gate.list tc:lists/test_tc.list; do
        o=$R/ev_${m%%:*}_${l%%:*}
        [ -d $o ] || $E --checkpoint ${m#*:} --list ${l#*:} --out $o > $o.log 2>&1
    done
done
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
for l in test:lists/test.list valid_tc:lists/valid_tc.list voc:lists/test_voc.list gate:lists/test_gate.list tc:lists/test_tc.list; do
    $PC --list ${l#*:} --predictions shipped=$R/ev_shipped_${l%%:*} E2F2=$R/ev_E2F2_${l%%:*} > $R/paired_after_${l%%:*}.txt
done
cat $R/paired_after_*.txt
