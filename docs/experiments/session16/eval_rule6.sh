#!/usr/bin/env bash
# RULE6's reading: E3+F3 against the shipped model on the decision set N_sim4 and on N_real.
# (This session ran the same steps written out; docs/experiments/eval_candidate.sh holds them now.)
set -euo pipefail
cd "$(dirname "$0")/../.."
docs/experiments/eval_candidate.sh runs/v16 E3F3 nsim4 corpus/noizeus_sim4/train.list \
    runs/v16/E3/model.pt runs/v16/F3/model.pt
