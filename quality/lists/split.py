"""Train/valid/test splits that keep every group (e.g. a speaker) in one part."""
from __future__ import annotations

import numpy as np
import pandas as pd

SPLITS = ("train", "valid", "test")


def split_list(
    df: pd.DataFrame, group: str | None, valid: float, test: float, seed: int = 0,
    max_group_share: float | None = None,
) -> dict[str, pd.DataFrame]:
    """Split rows into ``train``/``valid``/``test`` by ``group`` (None: each row is a group).

    A group never straddles two parts. Groups are shuffled (``seed``) and each goes to the part
    furthest below its target row count, so the fractions hold up to about one group's size.
    With ``max_group_share`` (e.g. 0.05), a group larger than that share of the validation or
    test part's target size stays out of that part (large groups go to training), so that no
    speaker with hundreds of files decides a held-out figure on its own.
    """
    if max_group_share is not None and not 0.0 < max_group_share <= 1.0:
        raise ValueError(f"max_group_share must be in (0, 1], got {max_group_share}")
    for name, fraction in (("valid", valid), ("test", test)):
        if not (0.0 <= fraction < 1.0):
            raise ValueError(f"{name} fraction must be in [0, 1), got {fraction}")
    if valid + test >= 1.0:
        raise ValueError(f"valid + test fractions must be below 1, got {valid + test:g}")
    if len(df) == 0:
        raise ValueError("empty list")
    if group is None:
        keys = pd.Series(np.arange(len(df)))
    else:
        if group not in df.columns:
            raise ValueError(f"no group column {group!r}; columns: {', '.join(map(str, df.columns))}")
        keys = df[group].reset_index(drop=True)
        if keys.isna().any():
            raise ValueError(f"group column {group!r} is empty on {int(keys.isna().sum())} row(s)")
    codes, uniques = pd.factorize(keys)
    sizes = np.bincount(codes, minlength=len(uniques))
    # shuffle a canonical (sorted) group order so the result does not depend on row order
    canonical = sorted(range(len(uniques)), key=lambda i: (type(uniques[i]).__name__, str(uniques[i])))
    order = np.asarray(canonical)[np.random.default_rng(seed).permutation(len(uniques))]
    wanted = np.array([1.0 - valid - test, valid, test]) * len(df)
    filled = np.zeros(3)
    part = np.zeros(len(uniques), dtype=np.int64)
    too_large = np.zeros((len(uniques), 2), dtype=bool)  # (groups, held-out parts); None: no group kept out
    if max_group_share is not None:
        too_large = sizes[:, None] > max_group_share * wanted[None, 1:]
    # groups too large for every held-out part go to training first, so the rest fill the targets
    only_train = too_large.all(axis=1)[order]
    order = np.concatenate([order[only_train], order[~only_train]])
    for g in order:
        room = wanted - filled
        room[1:][too_large[g]] = -np.inf  # training (room[0], finite) always can take a group
        k = int(np.argmax(room))
        part[g] = k
        filled[k] += sizes[g]
    row_part = part[codes]
    return {name: df.iloc[np.flatnonzero(row_part == k)].reset_index(drop=True) for k, name in enumerate(SPLITS)}
