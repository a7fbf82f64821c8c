#!/usr/bin/env bash
# RULE30.md: K3x and K4x (sessions 29/30) continued to 270 minutes in all, side by side on one torch thread each, in
# copies of their run folders (runs/v31/K3y_tcn, runs/v31/K4y_tcn), so the earlier runs stay as they were.
# Run again to continue after a session ends mid-run (the budget counts across resumes). Run from the repository
# root; prints LAUNCH_DONE at the end.
exec "$(dirname "$0")/../continue_runs.sh" 270 runs/v29:K3x_tcn:runs/v31:K3y_tcn runs/v29:K4x_tcn:runs/v31:K4y_tcn
