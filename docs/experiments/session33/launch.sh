#!/usr/bin/env bash
# RULE32.md: H9e and H10e, RULE31's recipe (docs/experiments/session32/launch.sh) with seeds 9 and 10, 180
# CPU-minutes each, side by side on one torch thread each, in runs/v33. Run again after a session ends mid-run: each
# run resumes from its last Lightning checkpoint (the budget counts across resumes). Prints LAUNCH_DONE at the end.
set -euo pipefail
exec "$(dirname "$0")/../session32/launch.sh" runs/v33 9 10
