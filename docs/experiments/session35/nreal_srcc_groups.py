"""Where N_real's SRCC fell between two models: LCC / SRCC / mean error per group (clean, noisy, each SNR) and the
mean SRCC within each noise type, from two `quality.evaluate` output folders on corpus/noizeus_real/all.list.

    python docs/experiments/session35/nreal_srcc_groups.py runs/v34_rule32/ev_shipped_nreal \
        runs/v34_rule32/ev_H9eH7eH8eK3xK4xH10eK6x_nreal
"""
import sys

import pandas as pd

from quality.metrics import lcc, srcc


def summary(group: pd.DataFrame, column: str) -> str:
    if group.target.nunique() < 2:
        return f"mean error {(group[column] - group.target).mean():+.2f}"
    return (f"{lcc(group[column], group.target):.3f} / {srcc(group[column], group.target):.3f}, "
            f"mean error {(group[column] - group.target).mean():+.2f}")


def main(old_dir: str, new_dir: str) -> None:
    old = pd.read_csv(f"{old_dir}/predictions.csv")[["path", "target", "prediction"]]
    new = pd.read_csv(f"{new_dir}/predictions.csv")[["path", "prediction"]]
    files = old.merge(new, on="path", suffixes=("_old", "_new"))
    files["kind"] = files.path.str.extract(r"/(clean|noisy)/")[0]
    files["snr"] = files.path.str.extract(r"_(\d+)dB/")[0] + " dB"
    files["noise"] = files.path.str.extract(r"noisy/([a-z]+)_")[0]
    groups = [("all", files), *files.groupby("kind"), *files.groupby("snr")]
    for name, group in groups:
        print(f"{name:>6} {len(group):4d}  old {summary(group, 'prediction_old'):34s} new {summary(group, 'prediction_new')}")
    noisy = files[files.kind == "noisy"]
    for column in ("prediction_old", "prediction_new"):
        within = noisy.groupby("noise").apply(lambda g: srcc(g[column], g.target)).mean()
        print(f"{column}: mean SRCC within each noise type {within:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
