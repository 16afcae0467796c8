"""The models the service serves: loaded once at start-up, picked by name per request.

``load_models(settings)`` reads every weights file the settings name (``cnn`` and
``mlp`` from the models folder by default, or the one ``DIGITS_WEIGHTS`` file) and
returns a ``ModelRegistry``. A listed file that is missing or invalid raises
``ModelLoadError`` naming the file and the problem, so the server stops at once
instead of starting without a model. ``registry.get(name)`` hands out a model for a
request; an unknown name is the client's mistake (422) and the message lists the
names that exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.settings import Settings
from app.vision.errors import InvalidInputError
from model.network import Network
from model.second_look import served_read
from model.weights import WeightsError, load


class ModelLoadError(RuntimeError):
    """No usable model: the message names the file and what is wrong with it."""


@dataclass(frozen=True, eq=False)
class ServedModel:
    """One trained network with what the API says about it (hashed by identity)."""

    name: str
    network: Network
    doc: dict[str, Any]
    path: Path
    sha256: str

    @property
    def architecture(self) -> str:
        """``cnn`` when the network has a convolution layer, else ``mlp``."""
        layers = self.doc.get("architecture", {}).get("layers", [])
        kinds = {layer.get("type") for layer in layers if isinstance(layer, dict)}
        return "cnn" if "conv2d" in kinds else "mlp"

    @property
    def training(self) -> dict[str, Any]:
        training = self.doc.get("training")
        return training if isinstance(training, dict) else {}

    @property
    def test_accuracy(self) -> float | None:
        return record_number(self.training.get("test_accuracy"))

    @property
    def temperature(self) -> float:
        return float(self.network.temperature)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """``(n, 28, 28)`` float32 -> ``(n, 10)`` calibrated probabilities (the fast pass)."""
        if len(images) == 0:
            return np.zeros((0, 10), dtype=np.float32)
        # no lock: a forward pass at inference keeps nothing on the layers, so the
        # request threads share one network (tests/model/test_shared_inference.py)
        return self.network.predict_proba(images, fast=True)

    def read(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(n, 28, 28)`` -> the ten digits' calibrated probabilities ``(n, 10)`` and the
        probability that each image is not a digit ``(n,)`` (zeros for a network without
        that output), as answers give them: with a second look where the network is
        unsure (``model.second_look``)."""
        if len(images) == 0:
            return np.zeros((0, 10), dtype=np.float32), np.zeros(0, dtype=np.float32)
        return served_read(self.network, images)

    def glance(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``read`` with one look only: for scoring the many candidate cuts of a number,
        where what counts is how well each piece reads at first sight."""
        return self.network.read(images, fast=True)


class ModelRegistry:
    """The loaded models by name, and which one answers when a request names none."""

    def __init__(self, models: dict[str, ServedModel], default: str) -> None:
        if default not in models:
            raise ModelLoadError(f"default model {default!r} is not among {sorted(models)}")
        self.models = models
        self.default = default

    @property
    def names(self) -> list[str]:
        return sorted(self.models)

    def get(self, name: str | None = None) -> ServedModel:
        """The named model, or the default; an unknown name is an ``InvalidInputError``."""
        if name is None or name == "":
            return self.models[self.default]
        if name not in self.models:
            raise InvalidInputError(
                f"Unknown model {name!r}. Available models: {', '.join(self.names)}."
            )
        return self.models[name]


def load_model(name: str, path: Path) -> ServedModel:
    """One weights file; ``ModelLoadError`` names the file and the problem."""
    try:
        network, doc = load(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except WeightsError as exc:
        raise ModelLoadError(f"cannot load model {name!r}: {exc}") from None
    except OSError as exc:
        raise ModelLoadError(f"cannot load model {name!r}: {path}: {exc}") from None
    return ServedModel(name=name, network=network, doc=doc, path=path, sha256=digest)


def weight_files(settings: Settings) -> dict[str, Path]:
    """The files to load, by model name, as the settings ask."""
    if settings.weights_path is not None:
        return {settings.weights_path.stem: settings.weights_path}
    files = {name: settings.models_dir / f"{name}.json" for name in settings.model_names}
    if settings.model_names_required:
        return files
    present = {name: path for name, path in files.items() if path.exists()}
    if not present:
        wanted = ", ".join(str(path) for path in files.values())
        raise ModelLoadError(
            f"no weights file found (looked for {wanted}); train one with "
            "`digits train` or set DIGITS_MODELS_DIR / DIGITS_WEIGHTS"
        )
    return present


def load_models(settings: Settings) -> ModelRegistry:
    """Every model the settings name, loaded and checked; the default picked."""
    models = {name: load_model(name, path) for name, path in weight_files(settings).items()}
    default = settings.default_model or next(iter(models))
    if default not in models:
        raise ModelLoadError(
            f"DIGITS_MODEL={default!r} is not loaded; loaded models: {', '.join(sorted(models))}"
        )
    return ModelRegistry(models, default)


def record_number(value: Any) -> float | None:
    """A number from a weights document's record as a float; anything else (missing,
    text, a boolean) as ``None``, so an odd or older file still serves."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
