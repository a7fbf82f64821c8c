#!/usr/bin/env bash
# After eval_candidate.sh: candidate NAME (RUNS/NAME.pt) exported to ONNX, its speed beside the shipped model's
# (the rules' speed condition), then the four test lists against the shipped model's predictions
# RUNS/ev_shipped_<list> (test_tc first: the rules' second branch), paired 6-talker comparisons.
#   docs/experiments/candidate_speed_and_tests.sh RUNS NAME      (shared by session 21's eval_rule12.sh and 22's eval_rule14.sh)
# Each speed run starts once the 1-minute load average is below 0.5 (waiting up to 10 minutes; it prints the load it
# starts at); SPEED_REPEATS timed runs each, the median reported (default 2; session 28's rules: 5).
# Run from the repository root; prints RULE_READ after the speed, and writes RUNS/paired_NAME_<list>.txt.
set -euo pipefail
R=$1; NAME=$2
P=.venv/bin/python
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
. "$(dirname "$0")/evaluate.sh"
[ -f $R/$NAME.onnx ] || $P -m quality.export --checkpoint $R/$NAME.pt --output $R/$NAME.onnx
# speed as a user gets it: the thread settings of a plain shell (session 21's first run timed both under
# OMP_NUM_THREADS=1, one onnxruntime thread: 186x / 144x; kept as its speed_*_omp1.csv)
for m in shipped:checkpoints/default $NAME:$R/$NAME; do
    [ -f $R/speed_${m%%:*}.csv ] && continue
    wait_quiet
    env -u OMP_NUM_THREADS $P benchmarks/scoring_speed.py --checkpoint ${m#*:}.pt --onnx ${m#*:}.onnx --no-torch \
        --durations 8 --files 75 --workers 1 2 --threads default --repeats ${SPEED_REPEATS:-2} --no-dnsmos \
        --out $R/speed_${m%%:*}.csv
done
cat $R/speed_shipped.csv $R/speed_$NAME.csv
echo RULE_READ
evaluate_test_lists $R/$NAME.pt $R/ev_${NAME}
for l in test_tc test test_voc test_gate; do
    $PC --list lists/$l.list --predictions shipped=$R/ev_shipped_$l $NAME=$R/ev_${NAME}_$l > $R/paired_${NAME}_$l.txt
    cat $R/paired_${NAME}_$l.txt
done
