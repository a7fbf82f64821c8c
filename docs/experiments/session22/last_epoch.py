"""model.pt of a run's last epoch (checkpoints/last.ckpt) instead of its best-on-validation one.

    python docs/experiments/session22/last_epoch.py RUN OUT [KEY]

KEY is the weight set of last.ckpt: ``state_dict`` (default; with ``ema_decay`` the averaged weights) or
``current_model_state`` (with ``ema_decay``, the raw weights of the last step; session 28).
"""
import sys, torch
from pathlib import Path
from quality.checkpoint import load_model, save_model
run, out = Path(sys.argv[1]), Path(sys.argv[2])
key = sys.argv[3] if len(sys.argv) > 3 else "state_dict"
model, meta = load_model(run / "model.pt")
state = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)[key]
model.load_state_dict({k[len("model."):]: v for k, v in state.items() if k.startswith("model.")})
out.mkdir(parents=True, exist_ok=True)
save_model(out / "model.pt", model.eval(), {**meta, "best_checkpoint": f"last.ckpt ({key})"})
print(out)
