#!/usr/bin/env bash
# Session 18 (RULE7.md): the decision set N_sim5 (N_sim's recipe, --seed 18) and N_real, built after
# the runs (both cores train first); no model has scored N_sim5 before the candidate exists.
set -euo pipefail
cd "$(dirname "$0")/../../.."
docs/experiments/build_decision.sh 18 corpus/noizeus_sim5
