"""model.pt of a run's last epoch (checkpoints/last.ckpt) instead of its best-on-validation one."""
import sys, torch
from pathlib import Path
from quality.checkpoint import load_model, save_model
run, out = Path(sys.argv[1]), Path(sys.argv[2])
model, meta = load_model(run / "model.pt")
state = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["state_dict"]
model.load_state_dict({k[len("model."):]: v for k, v in state.items() if k.startswith("model.")})
out.mkdir(parents=True, exist_ok=True)
save_model(out / "model.pt", model.eval(), {**meta, "best_checkpoint": "last.ckpt"})
print(out)
