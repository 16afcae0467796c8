"""Look inside the network: what each layer made of one image, and why it chose its answer.

``explain(network, image)`` runs one 28x28 image through the network layer by
layer and keeps every layer's output (each convolution's feature maps, after
pooling, after batch normalisation, after ReLU, the dense activations, the
output scores), then asks which pixels pushed the network toward its answer and
toward the runner-up.

**Gradient times input**, in one line for a learner: *for each pixel, how much
the digit's score would change if that pixel's ink faded to nothing, to first
order* (the score's slope along the pixel times the pixel's ink). Positive
pixels pushed toward the digit, negative ones against it, blank pixels count
zero. The slope comes from the network's own backward pass (the one training
uses), run on one image; the map of the answer minus the map of the runner-up
says what made it, say, a 4 rather than a 9.

The served network is shared by every request thread, and a layer's
``backward`` needs the arrays its ``forward`` kept on the layer object, which a
shared layer keeps only while training. So nothing here runs on the shared
layers: each call works on private twins (shallow copies that share the
read-only parameters, remember their own forward pass and get their own
gradient buffers). Batch normalisation at inference is a fixed affine map
per channel, so its slope is computed here (the layer's own ``backward`` is the
training one, with batch statistics); dropout is the identity at inference.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from model.conv import Conv2D
from model.layers import Array, Dense, Dropout, Layer
from model.network import NOT_A_DIGIT_INDEX, Network
from model.normalization import BatchNorm

#: How many hidden units of an MLP show their input weights (the most active ones).
STRONGEST_UNITS = 8
IMAGE_SIDE = 28


@dataclass(frozen=True)
class LayerOutput:
    """One layer's output for the image: ``values`` without the batch axis."""

    index: int
    kind: str  # the layer's ``kind``: conv2d, maxpool2d, batchnorm, relu, dense, ...
    values: Array  # (H, W, C) for image-like layers, (units,) for dense ones


@dataclass(frozen=True)
class Attribution:
    """Gradient times input for one digit's score (its logit)."""

    digit: int
    score: float  # the logit, before the softmax
    gradient: Array  # (28, 28): d score / d pixel
    pixels: Array  # (28, 28): gradient * input; > 0 pushed toward ``digit``


@dataclass(frozen=True)
class Explanation:
    """Everything the look-inside view shows for one 28x28 image."""

    image: Array  # (28, 28), ink 1.0
    layers: list[LayerOutput]
    probabilities: Array  # (10,), calibrated, the digits' alone (as ``Network.read``)
    not_a_digit: float | None  # the not-a-digit probability; None without that output
    answer: Attribution
    runner_up: Attribution
    #: first-layer weights as small images: a CNN's filters (F, k, k); for an MLP,
    #: the input weights (k, 28, 28) of its most active hidden units
    filters: Array
    #: for an MLP, which hidden units ``filters`` belong to (empty for a CNN)
    filter_units: list[int]

    @property
    def contrast(self) -> Array:
        """What made it the answer rather than the runner-up (answer map minus runner-up's)."""
        return self.answer.pixels - self.runner_up.pixels


def explain(network: Network, image: Array) -> Explanation:
    """Record every layer's output for ``image`` (28x28, ink 1.0) and both attributions.

    The image goes through as a batch of two identical rows, so one backward pass
    gives the answer's slope in row 0 and the runner-up's in row 1. A float64
    image keeps float64 throughout (the finite-difference tests need it); any
    other image is computed in float32, as the service predicts.
    """
    pixels = np.asarray(image)
    dtype = np.float64 if pixels.dtype == np.float64 else np.float32
    pixels = pixels.astype(dtype, copy=False).reshape(IMAGE_SIDE, IMAGE_SIDE)
    twins = [_twin(layer) for layer in network.layers]
    x = np.broadcast_to(pixels.reshape(1, *network.input_shape), (2, *network.input_shape))
    outputs = []
    for layer in twins:
        x = layer.forward(np.ascontiguousarray(x), training=False)
        outputs.append(x)
    logits = outputs[-1][0]
    # the answer and runner-up are digits; a "not a digit" output is reported on its own
    order = np.argsort(-logits[:NOT_A_DIGIT_INDEX], kind="stable")  # the ten digits come first
    answer, runner_up = int(order[0]), int(order[1])
    filters, units = _first_layer_weights(network, outputs)
    probabilities, refused = _calibrated(network, logits)
    slopes = input_gradient(twins, outputs, (answer, runner_up)).reshape(2, IMAGE_SIDE, IMAGE_SIDE)
    return Explanation(
        image=pixels,
        layers=[
            LayerOutput(index, layer.kind, values[0])
            for index, (layer, values) in enumerate(zip(network.layers, outputs, strict=True))
        ],
        probabilities=probabilities,
        not_a_digit=None if network.not_a_digit is None else refused,
        answer=_attribution(answer, logits, slopes[0], pixels),
        runner_up=_attribution(runner_up, logits, slopes[1], pixels),
        filters=filters,
        filter_units=units,
    )


def input_gradient(layers: list[Layer], outputs: list[Array], digits: tuple[int, ...]) -> Array:
    """d logit[digits[i]] / d input for row ``i``, by the layers' own backward passes.

    ``layers`` are the twins that just ran forward (their caches hold that pass);
    ``outputs`` is what each one returned.
    """
    grad = np.zeros_like(outputs[-1])
    grad[np.arange(len(digits)), list(digits)] = 1
    for layer in reversed(layers):
        grad = _backward(layer, grad)
    return grad


def _backward(layer: Layer, grad: Array) -> Array:
    """One layer's inference-time slope: its own backward, except where inference differs."""
    if isinstance(layer, BatchNorm):  # y = (x - running_mean) / std * gamma + beta
        var, eps = layer.state["running_var"], np.asarray(layer.eps, dtype=grad.dtype)
        return grad * (layer.params["gamma"] / np.sqrt(var + eps)).astype(grad.dtype)
    if isinstance(layer, Dropout):  # inference passes its input through untouched
        return grad
    return layer.backward(grad)


def _twin(layer: Layer) -> Layer:
    """A shallow copy with the shared, read-only parameters and its own scratch space.

    ``backward`` writes parameter gradients into ``grads``; the twin gets fresh ones so
    the shared layer is never written to. The first layer computes no input gradient
    in training (nobody needs it there); the twin does, as that is the attribution.
    """
    twin = copy.copy(layer)
    twin.remember = True  # its backward runs after an inference pass
    twin.grads = {key: np.empty_like(value) for key, value in layer.params.items()}
    if isinstance(twin, Dense | Conv2D):
        twin.input_grad = True
    return twin


def _calibrated(network: Network, logits: Array) -> tuple[Array, float]:
    """As ``Network.read`` computes them: logits over the temperature, the loss's
    probabilities, then the digits' (renormalised) and the not-a-digit one apart."""
    scaled = logits.astype(np.float32)[None, :]
    if network.temperature != 1.0:
        scaled = scaled / np.float32(network.temperature)
    digits, refused = network.split_refusal(network.loss.probabilities(scaled).astype(np.float32))
    return digits[0], float(refused[0])


def _attribution(digit: int, logits: Array, gradient: Array, pixels: Array) -> Attribution:
    return Attribution(digit, float(logits[digit]), gradient, gradient * pixels)


def _first_layer_weights(network: Network, outputs: list[Array]) -> tuple[Array, list[int]]:
    """A CNN's first filters (F, k, k), or an MLP's strongest hidden units' input weights."""
    first = network.layers[0]
    if isinstance(first, Conv2D):
        weights = first.params["W"]  # (k, k, in_channels, F); the input has one channel
        return np.moveaxis(weights[:, :, 0, :], -1, 0), []
    if isinstance(first, Dense):
        hidden = outputs[1][0] if len(outputs) > 1 else outputs[0][0]  # after the activation
        units = [int(u) for u in np.argsort(-hidden, kind="stable")[:STRONGEST_UNITS]]
        weights = first.params["W"][:, units].T.reshape(len(units), IMAGE_SIDE, IMAGE_SIDE)
        return weights, units
    raise ValueError(f"cannot show the first layer of kind {first.kind!r}")
