"""``python -m quality.ensemble``: combine trained ``model.pt`` files into one model that averages
their scores (``quality.models.ensemble.Ensemble``).

The members must share the score range, the extra heads, the front end and the training target;
the ensemble is saved as an ordinary ``model.pt`` (weights of every member, configs as plain
data), so every tool takes it: ``predict_mos.py --checkpoint``, ``quality.evaluate``,
``quality.calibrate``, ``quality.export``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .audio import AudioError
from .checkpoint import FORMAT, CheckpointError, read_weights, save_model
from .evaluate import head_metrics, predict_table
from .lists import read_list
from .metrics import format_metrics, score_metrics
from .models import build_model
from .onnx_backend import file_sha256


def build_ensemble(paths: list[str | Path], weights: list[float] | None = None):
    """The ensemble of the ``model.pt`` files at ``paths`` and its metadata; ValueError or
    CheckpointError naming the file that does not fit."""
    if len(paths) < 2:
        raise ValueError("give at least two --members")
    configs, states, metas = [], [], []
    for path in paths:
        config, state, meta = read_weights(path, FORMAT)
        if config.get("name") == "ensemble":
            raise ValueError(f"{path}: is itself an ensemble; give its members instead")
        configs.append(config)
        states.append(state)
        metas.append(meta)
    targets = {meta.get("target") for meta in metas}
    if len(targets) > 1:
        raise ValueError(f"the members were trained on different targets: {sorted(map(str, targets))}")
    try:
        model = build_model("ensemble", members=configs, weights=weights)
    except ValueError as err:
        raise ValueError(f"{', '.join(map(str, paths))}: {err}") from None
    for member, state in zip(model.members, states):
        member.load_state_dict(state)
    metadata = {
        "target": targets.pop(),
        "members": [{"path": str(p), "sha256": file_sha256(Path(p)), "weight": w, "metadata": meta}
                    for p, w, meta in zip(paths, model.weights, metas)],
    }
    return model.eval(), metadata


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m quality.ensemble", description=__doc__.split("\n")[0])
    p.add_argument("--members", nargs="+", required=True, metavar="MODEL_PT", help="trained model.pt files")
    p.add_argument("--weights", nargs="+", type=float, help="one positive weight per member (default: equal)")
    p.add_argument("--output", required=True, help="where to write the ensemble's model.pt")
    p.add_argument("--valid", help="labelled list to score the ensemble on; stored as its valid_metrics")
    args = p.parse_args(argv)
    try:
        model, metadata = build_ensemble(args.members, args.weights)
        if args.valid:
            target = metadata["target"] or "score"
            table = read_list(args.valid, target=target)
            pred, heads, _ = predict_table(model, table)
            metrics = score_metrics(pred, table[target].to_numpy(dtype=float), model.score_range)
            metadata.update(valid_list=str(args.valid), valid_metrics={k: float(v) for k, v in metrics.items()},
                            valid_head_metrics=head_metrics(model, heads, table))
    except (ValueError, CheckpointError, AudioError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    save_model(args.output, model, metadata)
    params = sum(t.numel() for t in model.parameters())
    print(f"wrote {args.output}: ensemble of {len(model.members)} models, {params:,} parameters, "
          f"weights {', '.join(f'{w:.3f}' for w in model.weights)}")
    if args.valid:
        print(f"{args.valid}: {format_metrics(metadata['valid_metrics'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
