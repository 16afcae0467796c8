"""The sequential network: layers in a row, an output loss, and an input shape.

``Network`` owns the layer list, the loss that turns its last outputs into
probabilities, and the calibration temperature fitted after training. It hides
the input layout: ``predict_proba`` takes MNIST-style images ``(n, 28, 28)`` (or
already flat ``(n, 784)``) and reshapes them to what the first layer expects.

A network may have an 11th output, "not a digit" (``not_a_digit``, its index:
10), trained on drawings that are no digit. ``predict_proba`` still answers the
ten digits' probabilities (the 11th taken out and the rest renormalised, so
everything built on ten digits works unchanged); ``read`` also gives the
probability that the image is not a digit at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from model.inference import FastPass
from model.layers import Array, Layer
from model.losses import Loss, get_loss

NOT_A_DIGIT_INDEX = 10  # the label and output index of "not a digit"


class Network:
    def __init__(
        self,
        layers: list[Layer],
        input_shape: tuple[int, ...] = (784,),
        loss: str = "softmax_cross_entropy",
        temperature: float = 1.0,
        not_a_digit: int | None = None,
    ) -> None:
        self.layers = layers
        self.input_shape = tuple(input_shape)
        self.loss: Loss = get_loss(loss)
        self.temperature = float(temperature)
        self.not_a_digit = not_a_digit  # index of the "not a digit" output, if there is one
        self._served: FastPass | None = None  # made on the first served pass, see forward_fast
        if layers and hasattr(layers[0], "input_grad"):
            layers[0].input_grad = False  # nothing consumes the gradient of the images

    # -- the forward/backward protocol, for the whole stack ------------------------------
    def forward(self, x: Array, training: bool = False) -> Array:
        """``(batch, *input_shape) -> (batch, outputs)`` logits (10, or 11 with not-a-digit)."""
        if training:
            self._served = None  # the parameters are about to change
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def forward_plain(self, x: Array) -> Array:
        """Inference layer by layer, each layer's own forward: the oracle of the fast path."""
        for layer in self.layers:
            x = layer.forward(x, False)
        return x

    def forward_fast(self, x: Array) -> Array:
        """Inference with fused, cache-sized steps (``model.inference``): the served path.

        Its constants (folded batch norms, transformed filters) are made on the first call
        and kept until a training step or ``restore`` changes the parameters; code that
        writes ``layer.params`` by hand afterwards calls ``parameters_changed``."""
        served = self._served
        if served is None:
            served = self._served = FastPass.of(self.layers)
        return served(x)

    def parameters_changed(self) -> None:
        """Forget the served pass's constants: the next ``forward_fast`` makes them anew."""
        self._served = None

    def backward(self, grad: Array) -> Array:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def train_step(
        self,
        x: Array,
        labels: Array,
        loss_fn: Callable[[Array, Array], tuple[float, Array]] | None = None,
    ) -> tuple[float, Array]:
        """Forward and backward on one batch; returns the loss and the logits.

        ``loss_fn(logits, labels) -> (loss, dLoss/dLogits)`` replaces the network's own
        loss for this step (distillation mixes in a teacher's soft targets).
        """
        logits = self.forward(x, training=True)
        loss, grad = (loss_fn or self.loss)(logits, labels)
        self.backward(grad)
        return loss, logits

    # -- inference ---------------------------------------------------------------------
    def prepare(self, images: Array) -> Array:
        """Images ``(n, 28, 28)`` or ``(n, 784)`` in [0, 1] -> ``(n, *input_shape)`` float32."""
        x = np.asarray(images, dtype=np.float32)
        return x.reshape((x.shape[0], *self.input_shape))

    def logits(self, images: Array, batch_size: int = 1000, fast: bool = False) -> Array:
        """Logits of ``images``, ``batch_size`` at a time; ``fast`` takes the served path."""
        x = self.prepare(images)
        forward = self.forward_fast if fast else self.forward_plain
        parts = [forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, self.outputs), np.float32)

    @property
    def outputs(self) -> int:
        return 10 if self.not_a_digit is None else 11

    def read(
        self, images: Array, calibrated: bool = True, fast: bool = False
    ) -> tuple[Array, Array]:
        """``(n, 28, 28)`` -> the ten digits' probabilities ``(n, 10)`` (summing to 1) and
        the probability that each image is not a digit ``(n,)`` (0 without that output)."""
        logits = self.logits(images, fast=fast)
        if calibrated and self.temperature != 1.0:
            logits = logits / np.float32(self.temperature)
        return self.split_refusal(self.loss.probabilities(logits).astype(np.float32))

    def split_refusal(self, probabilities: Array) -> tuple[Array, Array]:
        """``(n, outputs)`` probabilities -> the ten digits' ``(n, 10)``, renormalised to sum
        to 1, and the not-a-digit probability ``(n,)`` (0 without that output)."""
        if self.not_a_digit is None:
            return probabilities, np.zeros(len(probabilities), np.float32)
        refused = probabilities[:, self.not_a_digit]
        digits = np.delete(probabilities, self.not_a_digit, axis=1)
        total = np.maximum(digits.sum(axis=1, keepdims=True), np.finfo(np.float32).tiny)
        return (digits / total).astype(np.float32), refused

    def predict_proba(self, images: Array, calibrated: bool = True, fast: bool = False) -> Array:
        """``(n, 28, 28)`` -> ``(n, 10)`` digit probabilities (temperature-scaled when
        calibrated); a not-a-digit output is left out (see ``read``)."""
        return self.read(images, calibrated, fast)[0]

    def predict(self, images: Array) -> Array:
        return self.predict_proba(images, calibrated=False).argmax(axis=1)

    # -- parameters --------------------------------------------------------------------
    def parameters(self) -> Iterator[tuple[Layer, str]]:
        """Every trainable (layer, key) pair, in layer order."""
        for layer in self.layers:
            for key in layer.params:
                yield layer, key

    def parameter_count(self) -> int:
        return int(sum(layer.params[key].size for layer, key in self.parameters()))

    def snapshot(self) -> list[dict[str, Array]]:
        """A deep copy of every layer's parameters and state (for keeping the best epoch)."""
        return [
            {k: v.copy() for k, v in {**layer.params, **layer.state}.items()}
            for layer in self.layers
        ]

    def restore(self, snapshot: list[dict[str, Array]]) -> None:
        self.parameters_changed()
        for layer, saved in zip(self.layers, snapshot, strict=True):
            for key, value in saved.items():
                target = layer.params if key in layer.params else layer.state
                target[key] = value.copy()
