"""Exceptions shared by the torch and torch-free (ONNX) prediction paths; no heavy imports."""
from __future__ import annotations


class CheckpointError(ValueError):
    """A file that is not a usable ``model.pt`` or ONNX export; the message names the file and the reason."""
