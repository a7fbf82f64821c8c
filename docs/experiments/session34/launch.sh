#!/usr/bin/env bash
# RULE33.md: H7e and H8e (session 32) continued to 360 CPU-minutes in all, side by side on one torch thread each, in
# copies of their run folders (runs/v34/H7x_hasanet, runs/v34/H8x_hasanet), so session 32's runs stay as they were.
# Run again to continue after a session ends mid-run (the budget counts across resumes). Prints LAUNCH_DONE at the end.
exec "$(dirname "$0")/../continue_runs.sh" 360 runs/v32:H7e_hasanet:runs/v34:H7x_hasanet \
    runs/v32:H8e_hasanet:runs/v34:H8x_hasanet
