#!/usr/bin/env bash
# Session 16 (RULE6): the decision set N_sim4 (N_sim's recipe, --seed 16) and N_real, built after
# the runs (both cores train first); no model has scored either before the candidate exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
docs/experiments/build_decision.sh 16 corpus/noizeus_sim4
