#!/usr/bin/env bash
# Session 26: ship the members a rule admitted as checkpoints/default.pt and default.onnx. Members are folder names in
# checkpoints/default_members/; a name not there yet is copied in from runs/v26/ (model, config, metrics, filtered log).
#   ship.sh OUT MEMBER...      e.g. ship.sh runs/v26 E_ftC_nodrop F_ftS_nodrop NT_ft K_tcn K2_tcn
# Writes OUT/ship_raw.pt, OUT/test_eval_shipped (bootstrap over speakers) and OUT/dev_sets.csv; prints SHIP_DONE.
set -euo pipefail
cd "$(dirname "$0")/../../.."
P=.venv/bin/python
M=checkpoints/default_members
OUT=$1; shift
members=()
for name in "$@"; do
    if [ ! -d $M/$name ]; then
        mkdir -p $M/$name
        cp runs/v26/$name/model.pt runs/v26/$name/config.yaml runs/v26/$name/metrics.csv $M/$name/
        { echo "# docs/experiments/session26/launch.sh (RULE19.md, RULE20.md); progress-bar lines removed"
          tr '\r' '\n' < runs/v26/$name.log | grep -v 'it/s\|s/it\|^\s*$' ; } > $M/$name/train_filtered.log
    fi
    members+=($M/$name/model.pt)
done
$P -m quality.ensemble --members "${members[@]}" --valid lists/valid.list --output $OUT/ship_raw.pt
$P -m quality.calibrate --checkpoint $OUT/ship_raw.pt --list lists/valid_tc.list --output checkpoints/default.pt
$P -m quality.export --checkpoint checkpoints/default.pt --output checkpoints/default.onnx
$P -m quality.evaluate --checkpoint checkpoints/default.pt --list lists/test.list --out $OUT/test_eval_shipped --bootstrap 1000
$P benchmarks/dev_sets.py --dev ../shared/data/dev --checkpoint checkpoints/default.pt --out $OUT/dev_sets.csv
echo SHIP_DONE
