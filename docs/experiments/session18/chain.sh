#!/usr/bin/env bash
# Session 18: after the runs, the decision sets, then eval.sh.
cd "$(dirname "$0")/../../.."
until grep -q LAUNCH_DONE runs/v18/launch.log 2>/dev/null; do sleep 20; done
date; echo TRAIN_DONE
docs/experiments/session18/build_decision.sh > runs/v18/build_decision.log 2>&1
grep -q PREPARE_DONE runs/v18/build_decision.log || { echo PREPARE_FAILED; exit 1; }
docs/experiments/session18/eval.sh > runs/v18/eval.log 2>&1
date; echo CHAIN_DONE
