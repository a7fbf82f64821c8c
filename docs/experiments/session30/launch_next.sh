#!/usr/bin/env bash
# RULE29.md: K5e and K6e (sessions 28/29) continued to 180 minutes in all, side by side on one torch thread each, in
# copies of their run folders (runs/v30/K5x_tcn, runs/v30/K6x_tcn), so the earlier runs stay as they were.
# Run again to continue after a session ends mid-run (the budget counts across resumes). Run from the repository
# root; prints LAUNCH_DONE at the end. (Session 30 started it with the same loop inline; it now lives in
# continue_runs.sh.)
exec "$(dirname "$0")/../continue_runs.sh" 180 runs/v28:K5e_tcn:runs/v30:K5x_tcn runs/v28:K6e_tcn:runs/v30:K6x_tcn
