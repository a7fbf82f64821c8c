"""Session 17: the speaker learning curve (PLAN.md). Reads the paired comparison of the three new
runs (paired_test.txt) and session 12's arm A (225 speakers, docs/experiments/session12/paired_AB_test.txt),
prints the table and the log2 line fit with n*, the speaker count at which it reaches 0.97."""
import json
import re
import sys
from pathlib import Path

import numpy as np


def rows(path: Path) -> dict[str, list[str]]:
    out = {}
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 10 and cells[1].isdigit():
            out[cells[0]] = cells
    return out


root = Path(__file__).resolve().parents[2]
new = rows(Path(__file__).with_name("paired_test.txt"))
arm_a = rows(root / "docs/experiments/session12/paired_AB_test.txt")["A"]
table = [(int(re.sub(r"\D", "", name)), cells) for name, cells in new.items()] + [(225, arm_a)]
table.sort()
here = Path(__file__).parent


def fit_lcc(n: int) -> str:
    """LCC on up to 1500 of the run's own training files (eval.sh), or blank."""
    path = here / f"eval_spk{n}_fit/metrics.json"
    return f"{json.loads(path.read_text())['lcc']:.4f}" if path.is_file() else ""


print("| speakers | test LCC | LCC 95 % | SRCC | MSE | LCC (speakers equal) | LCC on own training files |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for n, c in table:
    print(f"| {n} | {c[2]} | {c[3]} | {c[4]} | {c[6]} | {c[9]} | {fit_lcc(n)} |")
n = np.array([t[0] for t in table], float)
lcc = np.array([float(t[1][2]) for t in table])
b, a = np.polyfit(np.log2(n), lcc, 1)
pred = a + b * np.log2(n)
print(f"\nfit: LCC = {a:.4f} + {b:.4f} * log2(speakers)   (residuals {np.round(lcc - pred, 4).tolist()})")
print(f"gain per doubling of speakers: {b:+.4f}")
if b > 0:
    n_star = 2 ** ((0.97 - a) / b)
    print(f"n* (line reaches 0.97): {n_star:,.0f} speakers = {n_star / 265:,.0f} x the 265 in ../shared/data/corpus")
    print(f"line at 265 speakers: {a + b * np.log2(265):.4f}")
else:
    print("no gain with more speakers: the line never reaches 0.97")
sys.exit(0)
