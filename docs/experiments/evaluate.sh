# Sourced by the experiment scripts: `evaluate CHECKPOINT LIST OUT` runs quality.evaluate (one torch thread, no
# bootstrap) unless OUT already exists, its log in OUT.log. Needs P (the Python of the venv).
evaluate() {  # CHECKPOINT LIST OUT
    [ -d $3 ] || OMP_NUM_THREADS=1 $P -m quality.evaluate --bootstrap 0 --checkpoint $1 --list $2 --out $3 > $3.log 2>&1
}
evaluate_test_lists() {  # CHECKPOINT PREFIX: evaluate on the four test lists into PREFIX_<list>, two at a time
    evaluate $1 lists/test_tc.list ${2}_test_tc & evaluate $1 lists/test.list ${2}_test & wait
    evaluate $1 lists/test_voc.list ${2}_test_voc & evaluate $1 lists/test_gate.list ${2}_test_gate & wait
}
