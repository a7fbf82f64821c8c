#!/usr/bin/env bash
# Session 30: the new default (E+F+NT+Kc+K2+K3x+K4x) and the session-28 default it replaced (same architecture;
# D28 = a folder holding its default.pt and default.onnx, e.g. from `git show <commit>:checkpoints/default.onnx`),
# timed alternately on 8-s files (new, old, new, old; 3 repeats each), then the new one on 3- and 60-s files.
#   docs/experiments/session30/speed_quiet.sh D28 OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/../../.."
D28=$1 OUT=$2; mkdir -p $OUT
P=.venv/bin/python
. docs/experiments/evaluate.sh
run() {  # CHECKPOINT_PREFIX DURATIONS OUT_CSV
    wait_quiet
    env -u OMP_NUM_THREADS $P benchmarks/scoring_speed.py --checkpoint $1.pt --onnx $1.onnx --no-torch --durations $2 \
        --files 75 --workers 1 2 --threads default --repeats 3 --no-dnsmos --out $3
}
run checkpoints/default 8 $OUT/speed_new_8s_a.csv
run $D28/default 8 $OUT/speed_d28_8s_a.csv
run checkpoints/default 8 $OUT/speed_new_8s_b.csv
run $D28/default 8 $OUT/speed_d28_8s_b.csv
run checkpoints/default "3 60" $OUT/speed_new_3s_60s.csv
echo SPEED_DONE
