#!/usr/bin/env bash
# RULE34.md: H11e and H12e, RULE31's recipe (docs/experiments/session32/launch.sh) with seeds 11 and 12, 180
# CPU-minutes each, side by side on one torch thread each, in runs/v35. Start it once RULE33's runs have ended
# (docs/experiments/session34/launch.sh printed LAUNCH_DONE). Run again after a session ends mid-run: each run
# resumes from its last Lightning checkpoint (the budget counts across resumes). Prints LAUNCH_DONE at the end.
set -euo pipefail
exec "$(dirname "$0")/../session32/launch.sh" runs/v35 11 12
