"""Write <run>/last_model.pt: the run's model.pt architecture with the weights of checkpoints/last.ckpt."""
import sys
import torch
from quality.checkpoint import load_model, save_model

for run in sys.argv[1:]:
    model, meta = load_model(f"{run}/model.pt")
    state = torch.load(f"{run}/checkpoints/last.ckpt", map_location="cpu", weights_only=True)
    weights = {k[len("model."):]: v for k, v in state["state_dict"].items() if k.startswith("model.")}
    model.load_state_dict(weights)
    save_model(f"{run}/last_model.pt", model.eval(), {"target": meta["target"], "epoch": state["epoch"]})
    print(run, "last epoch", state["epoch"])
