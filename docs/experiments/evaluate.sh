# Sourced by the experiment scripts: `evaluate CHECKPOINT LIST OUT` runs quality.evaluate (one torch thread, no
# bootstrap) unless OUT already exists, its log in OUT.log. Needs P (the Python of the venv). `decide` is a session
# rule's whole reading (sessions 27 and 28; run from the repository root), `read_alone` its networks alone.
# `wait_quiet` precedes every speed run.
evaluate() {  # CHECKPOINT LIST OUT
    [ -d $3 ] || OMP_NUM_THREADS=1 $P -m quality.evaluate --bootstrap 0 --checkpoint $1 --list $2 --out $3 > $3.log 2>&1
}
evaluate_test_lists() {  # CHECKPOINT PREFIX: evaluate on the four test lists into PREFIX_<list>, two at a time
    evaluate $1 lists/test_tc.list ${2}_test_tc & evaluate $1 lists/test.list ${2}_test & wait
    evaluate $1 lists/test_voc.list ${2}_test_voc & evaluate $1 lists/test_gate.list ${2}_test_gate & wait
}
decide() {  # RUNS NAME SET_NAME SET_LIST MEMBER...: the shipped model on the test lists, eval_candidate.sh, then the
            # speed (SPEED_REPEATS from the environment) and the test lists (candidate_speed_and_tests.sh)
    local R=$1 NAME=$2 SET=$3; mkdir -p $R
    evaluate_test_lists checkpoints/default.pt $R/ev_shipped
    docs/experiments/eval_candidate.sh "$@"
    cp $R/paired_nreal.txt $R/paired_${NAME}_nreal.txt; cp $R/paired_$SET.txt $R/paired_${NAME}_$SET.txt
    docs/experiments/candidate_speed_and_tests.sh $R $NAME
}

read_alone() {  # RUNS SET_NAME SET_LIST NAME:CHECKPOINT...: each network alone on the set and the four test lists
                # (RUNS/ev_<NAME>_<list>), then their paired comparison per list, the first network the reference
                # (RUNS/paired_read_<list>.txt, printed). Needs P; the sessions' "read" modes (decide nothing).
    local R=$1 SET=$2 LIST=$3; shift 3
    for k in "$@"; do
        evaluate ${k#*:} $LIST $R/ev_${k%%:*}_$SET &
        evaluate_test_lists ${k#*:} $R/ev_${k%%:*}; wait
    done
    for l in $SET:$LIST test_tc:lists/test_tc.list test:lists/test.list test_voc:lists/test_voc.list \
             test_gate:lists/test_gate.list; do
        local n=${l%%:*} preds=()
        for k in "$@"; do preds+=(${k%%:*}=$R/ev_${k%%:*}_$n); done
        $P benchmarks/paired_comparison.py --target pesq --resamples 1000 --list ${l#*:} --predictions "${preds[@]}" \
            > $R/paired_read_$n.txt
    done
    cat $R/paired_read_*.txt
}

wait_quiet() {  # until the 1-minute load average is below 0.5, at most 10 minutes
    for _ in $(seq 60); do
        awk -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { exit !(l < 0.5) }' && break
        sleep 10
    done
    echo "speed run starts at load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
