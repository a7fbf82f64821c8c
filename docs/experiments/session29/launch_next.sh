#!/usr/bin/env bash
# RULE28.md: K3e and K4e (session 28) continued to 180 minutes in all, side by side on one torch thread each, in
# copies of their run folders (runs/v29/K3x_tcn, runs/v29/K4x_tcn), so session 28's runs stay as they were.
# Run again to continue after a session ends mid-run (the budget counts across resumes). Run from the repository
# root; prints LAUNCH_DONE at the end. (Sessions 29 and 30 ran this loop inline; it now lives in continue_runs.sh.)
exec "$(dirname "$0")/../continue_runs.sh" 180 runs/v28:K3e_tcn:runs/v29:K3x_tcn runs/v28:K4e_tcn:runs/v29:K4x_tcn
