"""``python -m quality.ensemble``: combine trained ``model.pt`` files into one model that averages
their scores (``quality.models.ensemble.Ensemble``), or, with ``--average-weights``, into one
network whose weights are the mean of theirs (a "model soup": for fine-tunes of one starting
model, which share an architecture and lie in one basin; it costs what one member costs).

The members must share the score range, the extra heads, the front end and the training target;
the ensemble is saved as an ordinary ``model.pt`` (weights of every member, configs as plain
data), so every tool takes it: ``predict_mos.py --checkpoint``, ``quality.evaluate``,
``quality.calibrate``, ``quality.export``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from .audio import AudioError
from .checkpoint import FORMAT, CheckpointError, read_weights, save_model
from .evaluate import head_metrics, predict_table
from .lists import read_list
from .metrics import format_metrics, score_metrics
from .models import build_model
from .models.ensemble import member_shares
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


def average_weights(paths: list[str | Path], weights: list[float] | None = None):
    """One network whose every weight is the (weighted) mean of the ``model.pt`` files' at ``paths``,
    and its metadata. The files must hold the same architecture (their configs may differ only in
    dropout, which has no weights). ValueError or CheckpointError naming the file that does not fit."""
    if len(paths) < 2:
        raise ValueError("give at least two --members")
    shares = member_shares(weights, len(paths))
    loaded = [read_weights(path, FORMAT) for path in paths]
    first_config, first_state, first_meta = loaded[0]
    if first_config.get("name") == "ensemble":
        raise ValueError(f"{paths[0]}: is an ensemble; average the weights of its members instead")
    if first_config.get("calibration") is not None:
        raise ValueError(f"{paths[0]}: has a calibration; average uncalibrated models and calibrate the result")

    def architecture(config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in ("dropout", "attention_dropout")}

    for path, (config, state, meta) in zip(paths[1:], loaded[1:]):
        if architecture(config) != architecture(first_config):
            differ = sorted(k for k in set(config) | set(first_config) if config.get(k) != first_config.get(k))
            raise ValueError(f"{path}: another model than {paths[0]} (config differs in {', '.join(differ)})")
        if meta.get("target") != first_meta.get("target"):
            raise ValueError(f"{path}: trained on {meta.get('target')!r}, {paths[0]} on {first_meta.get('target')!r}")
        if {k: tuple(v.shape) for k, v in state.items()} != {k: tuple(v.shape) for k, v in first_state.items()}:
            raise ValueError(f"{path}: its weights do not match {paths[0]}'s in names or shapes")
    averaged = {}
    for key, value in first_state.items():
        if value.is_floating_point():
            averaged[key] = sum(share * state[key] for share, (_, state, _) in zip(shares, loaded))
        else:  # integer buffers (counters) cannot be averaged; they must agree
            if any(not torch.equal(state[key], value) for _, state, _ in loaded[1:]):
                raise ValueError(f"the members' integer buffer {key!r} differs; cannot average them")
            averaged[key] = value
    config = dict(first_config)
    model = build_model(config.pop("name"), **config)
    model.load_state_dict(averaged)
    metadata = {
        "target": first_meta.get("target"),
        "averaged_from": [{"path": str(p), "sha256": file_sha256(Path(p)), "weight": s, "metadata": meta}
                          for p, s, (_, _, meta) in zip(paths, shares, loaded)],
    }
    return model.eval(), metadata


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m quality.ensemble", description=__doc__.split("\n")[0])
    p.add_argument("--members", nargs="+", required=True, metavar="MODEL_PT", help="trained model.pt files")
    p.add_argument("--weights", nargs="+", type=float, help="one positive weight per member (default: equal)")
    p.add_argument("--average-weights", action="store_true",
                   help="one network with the mean of the members' weights (fine-tunes of one start) "
                        "instead of the mean of their scores")
    p.add_argument("--output", required=True, help="where to write the ensemble's model.pt")
    p.add_argument("--valid", help="labelled list to score the ensemble on; stored as its valid_metrics")
    args = p.parse_args(argv)
    try:
        combine = average_weights if args.average_weights else build_ensemble
        model, metadata = combine(args.members, args.weights)
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
    if args.average_weights:
        print(f"wrote {args.output}: weights averaged over {len(args.members)} models, {params:,} parameters, "
              "shares " + ", ".join(f"{m['weight']:.3f}" for m in metadata["averaged_from"]))
    else:
        print(f"wrote {args.output}: ensemble of {len(model.members)} models, {params:,} parameters, "
              f"weights {', '.join(f'{w:.3f}' for w in model.weights)}")
    if args.valid:
        print(f"{args.valid}: {format_metrics(metadata['valid_metrics'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
