"""The service a user would write instead: FastAPI and PyTorch, for ``http_load.py --peer``.

The same CNN (the weights file's layers and numbers, copied into PyTorch by
``benchmarks.inference_speed``), behind one ``POST /predict`` that takes the uploaded
image and does the usual demo preprocessing: composite the alpha channel onto white,
grey, invert, resize to 28x28, scale to [0, 1]; then the network in eval mode without
autograd, and a JSON answer with the digit and its probability. No checks, no
centring, no lighting or clutter analysis: what makes it a fair peer is that it is what
people deploy, not that it does Digits' work.

Served by uvicorn: ``DIGITS_PEER_WEIGHTS=weights/cnn.json uvicorn benchmarks.torch_peer:app``.
PyTorch gets one thread per process, as a prediction does in Digits.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from fastapi import FastAPI, UploadFile
from PIL import Image

from benchmarks.inference_speed import reorder_flattened, torch_network
from model.weights import load

WEIGHTS = Path(os.environ.get("DIGITS_PEER_WEIGHTS", "weights/cnn.json"))
SIDE = 28

torch.set_num_threads(1)


def _model() -> Any:
    network, _ = load(WEIGHTS)
    model = torch_network(torch, network)
    reorder_flattened(network, model, torch)
    if len(network.input_shape) == 1:  # an MLP reads the 784 pixels in a row
        model = torch.nn.Sequential(torch.nn.Flatten(), model)
    return model


MODEL = _model()
app = FastAPI()


def preprocess(data: bytes) -> torch.Tensor:
    """Alpha on white, grey, invert, 28x28, [0, 1]: ``(1, 1, 28, 28)``."""
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(white, image).convert("L").resize((SIDE, SIDE))
    pixels = (255.0 - np.asarray(grey, dtype=np.float32)) / 255.0
    return torch.from_numpy(pixels).reshape(1, 1, SIDE, SIDE)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict")
async def predict(file: UploadFile) -> dict[str, Any]:
    x = preprocess(await file.read())
    with torch.inference_mode():
        probabilities = torch.softmax(MODEL(x), dim=1)[0]
    digit = int(probabilities.argmax())
    return {"digit": digit, "confidence": float(probabilities[digit])}
