#!/usr/bin/env bash
# Ship the members a session rule admitted as checkpoints/default.pt and default.onnx (sessions 26 and on). Members are
# folder names in checkpoints/default_members/; a name not there yet is copied in from SRC/ (the runs folder of the
# session's launch.sh: model, config, metrics and the training log without its progress-bar lines).
#   ship.sh SRC OUT MEMBER...      e.g. ship.sh runs/v26 runs/v26 E_ftC_nodrop F_ftS_nodrop NT_ft K_tcn K2_tcn
# Writes OUT/ship_raw.pt, OUT/test_eval_shipped (bootstrap over speakers) and OUT/dev_sets.csv; prints SHIP_DONE.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
M=checkpoints/default_members
SRC=$1; OUT=$2; shift 2
members=()
for name in "$@"; do
    if [ ! -d $M/$name ]; then
        mkdir -p $M/$name
        cp $SRC/$name/model.pt $SRC/$name/config.yaml $SRC/$name/metrics.csv $M/$name/
        { echo "# trained in $SRC by that session's docs/experiments/sessionNN/launch.sh; progress-bar lines removed"
          tr '\r' '\n' < $SRC/$name.log | grep -v 'it/s\|s/it\|^\s*$' \
              | grep -v $'^[[:space:]]*\x1b\\[A[[:space:]]*$' ; } > $M/$name/train_filtered.log  # and cursor-up lines
    fi
    members+=($M/$name/model.pt)
done
$P -m quality.ensemble --members "${members[@]}" --valid lists/valid.list --output $OUT/ship_raw.pt
$P -m quality.calibrate --checkpoint $OUT/ship_raw.pt --list lists/valid_tc.list --output checkpoints/default.pt
$P -m quality.export --checkpoint checkpoints/default.pt --output checkpoints/default.onnx
$P -m quality.evaluate --checkpoint checkpoints/default.pt --list lists/test.list --out $OUT/test_eval_shipped --bootstrap 1000
$P benchmarks/dev_sets.py --dev ../shared/data/dev --checkpoint checkpoints/default.pt --out $OUT/dev_sets.csv
echo SHIP_DONE
