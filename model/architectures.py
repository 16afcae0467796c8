"""Network architectures built from a few hyperparameters.

``build_network(config, rng)`` turns a :class:`TrainConfig` into a fresh network
whose every random draw (initial weights, dropout masks) comes from ``rng``.

- ``mlp``: 784 -> hidden... -> 10 with ReLU or sigmoid hidden units and optional
  dropout after each hidden layer.
- ``cnn``: two convolution blocks (conv, 2x2 max pool, batch norm, ReLU),
  by default 32 filters of 5x5 and 64 filters of 3x3, then a dense layer with
  dropout and the 10 outputs; input ``(28, 28, 1)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from itertools import pairwise
from typing import Any

import numpy as np

from model.conv import Conv2D
from model.layers import Dense, Dropout, Flatten, Layer, ReLU, Sigmoid
from model.network import NOT_A_DIGIT_INDEX, Network
from model.normalization import BatchNorm
from model.pooling import MaxPool2D


@dataclass
class TrainConfig:
    """Everything that decides a training run; saved in the weights file."""

    arch: str = "mlp"
    hidden: list[int] = field(default_factory=lambda: [512])
    activation: str = "relu"
    init: str = "he_normal"
    loss: str = "softmax_cross_entropy"
    dropout: float = 0.0
    conv_filters: list[int] = field(default_factory=lambda: [32, 64])
    conv_kernels: list[int] = field(default_factory=lambda: [5, 3])
    conv: str = "winograd"  # training's convolution products: "winograd" or "direct" (im2col)
    optimizer: str = "nesterov"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup: float = 0.0
    epochs: int = 20
    batch_size: int = 128
    seed: int = 0
    val_size: int = 5000
    augment: bool = False
    clean_fraction: float = 0.0  # share of each batch left un-augmented
    pen_redraw: float = 0.0  # share of digits redrawn along their skeleton with a uniform pen
    styles: bool = False  # synthesise flagged ones and crossed sevens (model/styles.py)
    real_writers: float = 0.0  # share of each batch: pendigits training writers, rendered
    not_digit: float = 0.0  # share of each batch: non-digits; above 0 adds an 11th output
    slashed_zeros: float = 0.0  # share of zeros given a slash (with styles)
    long_flags: float = 0.0  # share of flagged ones whose flag is long and shallow
    doodles: float = 0.0  # share of the generated non-digits that are random doodles
    turned_digits: float = 0.0  # share of the non-digits that are real digits turned into none
    letter_shapes: float = 0.0  # share of the non-digits that are letters drawn from templates
    digit_pairs: float = 0.0  # share of the non-digits that are two real digits side by side
    new_hands: float = 0.0  # share of real writers' strokes redrawn in another hand (hands.py)
    init_from: str = ""  # weights file to start from (same layers; a 10-output file may grow 11)
    train_subset: int = 0  # 0: the whole training split
    teacher: str = ""  # weights file whose softened probabilities the network also learns
    distill_weight: float = 0.7  # share of the teacher's soft loss (the rest: the labels)
    distill_temperature: float = 4.0  # softmax temperature of the soft targets

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """A saved config; one without ``conv`` was trained before there was a choice."""
        known = {f.name for f in fields(cls)}
        return cls(**{"conv": "direct", **{k: v for k, v in data.items() if k in known}})


#: how training computes a convolution's products (``TrainConfig.conv``): Winograd's
#: F(2x2, kxk) where it fits (``model.winograd_conv``), or im2col and one matrix product
CONV_PRODUCTS = ("winograd", "direct")


def outputs(config: TrainConfig) -> int:
    """Ten digits, and an 11th "not a digit" output when trained on non-digits."""
    return 11 if config.not_digit > 0 else 10


def mlp_layers(config: TrainConfig, rng: np.random.Generator) -> list[Layer]:
    layers: list[Layer] = []
    sizes = [784, *config.hidden]
    for n_in, n_out in pairwise(sizes):
        layers.append(Dense(n_in, n_out, config.init, rng))
        layers.append(ReLU() if config.activation == "relu" else Sigmoid())
        if config.dropout:
            layers.append(Dropout(config.dropout, rng))
    layers.append(Dense(sizes[-1], outputs(config), config.init, rng))
    return layers


def cnn_layers(config: TrainConfig, rng: np.random.Generator) -> list[Layer]:
    layers: list[Layer] = []
    channels, size = 1, 28
    for filters, kernel in zip(config.conv_filters, config.conv_kernels, strict=True):
        layers += [
            _conv(config, channels, filters, kernel, rng),
            MaxPool2D(2),  # pooling first: batch norm and ReLU then touch 4x fewer values
            BatchNorm(filters),
            ReLU(),
        ]
        channels, size = filters, size // 2
    layers.append(Flatten())
    features = size * size * channels
    for width in config.hidden:
        layers += [Dense(features, width, "he_normal", rng), ReLU()]
        if config.dropout:
            layers.append(Dropout(config.dropout, rng))
        features = width
    layers.append(Dense(features, outputs(config), "he_normal", rng))
    return layers


def _conv(
    config: TrainConfig, channels: int, filters: int, kernel: int, rng: np.random.Generator
) -> Conv2D:
    conv = Conv2D(channels, filters, kernel, padding=kernel // 2, init="he_normal", rng=rng)
    conv.winograd = config.conv == "winograd"
    return conv


def build_network(config: TrainConfig, rng: np.random.Generator) -> Network:
    if config.activation not in ("relu", "sigmoid"):
        raise ValueError(f"unknown activation {config.activation!r}; known: relu, sigmoid")
    if config.conv not in CONV_PRODUCTS:
        raise ValueError(f"unknown convolution products {config.conv!r}; known: winograd, direct")
    refuse = NOT_A_DIGIT_INDEX if config.not_digit > 0 else None
    if config.arch == "mlp":
        return Network(mlp_layers(config, rng), (784,), config.loss, not_a_digit=refuse)
    if config.arch == "cnn":
        return Network(cnn_layers(config, rng), (28, 28, 1), config.loss, not_a_digit=refuse)
    raise ValueError(f"unknown architecture {config.arch!r}; known: mlp, cnn")


#: Named, documented training recipes (``digits train --preset NAME``).
PRESETS: dict[str, TrainConfig] = {
    # Nielsen, "Neural Networks and Deep Learning", ch. 1: network.py
    "nielsen": TrainConfig(
        hidden=[30],
        activation="sigmoid",
        init="standard_normal",
        loss="quadratic",
        optimizer="sgd",
        momentum=0.0,
        lr=3.0,
        schedule="constant",
        epochs=30,
        batch_size=10,
        val_size=10000,
    ),
    # Nielsen ch. 3: network2.py, the coursework network: cross-entropy, L2, 1/sqrt(n_in) init
    "coursework": TrainConfig(
        hidden=[100],
        activation="sigmoid",
        init="scaled_normal",
        loss="sigmoid_cross_entropy",
        optimizer="sgd",
        momentum=0.0,
        lr=0.5,
        weight_decay=5.0 / 50000,
        schedule="constant",
        epochs=30,
        batch_size=10,
        val_size=10000,
    ),
    # the 784-256-10 ReLU/softmax network of the source reports
    "relu256": TrainConfig(
        hidden=[256],
        optimizer="sgd",
        momentum=0.0,
        lr=0.1,
        schedule="constant",
        epochs=20,
        batch_size=128,
    ),
    # the shipped MLP: weights/mlp.json
    "mlp": TrainConfig(
        hidden=[1150],
        dropout=0.3,
        optimizer="nesterov",
        lr=0.05,
        momentum=0.9,
        weight_decay=5e-5,
        schedule="cosine",
        warmup=0.5,
        epochs=60,
        batch_size=128,
        augment=True,
    ),
    # the shipped CNN: weights/cnn.json
    "cnn": TrainConfig(
        arch="cnn",
        hidden=[128],
        dropout=0.3,
        conv_filters=[32, 64],
        conv_kernels=[5, 5],
        optimizer="nesterov",
        lr=0.05,
        momentum=0.9,
        weight_decay=5e-5,
        schedule="cosine",
        warmup=0.5,
        epochs=30,
        batch_size=128,
        augment=True,
        clean_fraction=0.25,
        pen_redraw=0.3,
        styles=True,
    ),
}
