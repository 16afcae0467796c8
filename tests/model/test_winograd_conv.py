"""Training in Winograd's domain computes what the direct convolution computes.

The oracle is the layer's direct path (im2col and one matrix product, itself checked
against a loop-by-loop convolution and finite differences): in float64 the output and
all three gradients agree to rounding, on kernels 3 to 7, rectangular images and
batches that split into uneven steps and chunks.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model import parallel
from model.architectures import PRESETS, TrainConfig, build_network
from model.conv import Conv2D
from model.winograd import MIN_CHANNELS
from model.winograd_conv import STEP


def twins(channels: int, filters: int, kernel: int, dtype: type) -> tuple[Conv2D, Conv2D]:
    """The same layer twice, direct and in Winograd's domain, parameters in ``dtype``."""
    pair = []
    for winograd in (False, True):
        conv = Conv2D(channels, filters, kernel, padding=kernel // 2, rng=np.random.default_rng(1))
        conv.winograd = winograd
        for store in (conv.params, conv.grads):
            for key in store:
                store[key] = store[key].astype(dtype)
        pair.append(conv)
    return pair[0], pair[1]


def passes(conv: Conv2D, x: np.ndarray, grad: np.ndarray) -> list[np.ndarray]:
    out = conv.forward(x, training=True)
    dx = conv.backward(grad)
    return [out, dx, conv.grads["W"].copy(), conv.grads["b"].copy()]


@pytest.mark.parametrize(
    ("kernel", "shape"),
    [(5, (2 * STEP + 3, 14, 14)), (3, (37, 10, 12)), (7, (5, 8, 8)), (5, (1, 4, 6))],
)
def test_every_pass_equals_the_direct_one(kernel: int, shape: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(kernel)
    direct, fewer = twins(MIN_CHANNELS, 24, kernel, np.float64)
    assert fewer.takes_winograd((*shape, MIN_CHANNELS))
    x = rng.normal(size=(*shape, MIN_CHANNELS))
    grad = rng.normal(size=(*shape, 24))
    for name, expected, got in zip(
        ("output", "input gradient", "dW", "db"),
        passes(direct, x, grad),
        passes(fewer, x, grad),
        strict=True,
    ):
        scale = np.abs(expected).max()
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * scale, err_msg=name)


def test_float32_stays_within_rounding_of_the_direct_pass() -> None:
    rng = np.random.default_rng(2)
    direct, fewer = twins(32, 64, 5, np.float32)
    x = rng.normal(size=(20, 14, 14, 32)).astype(np.float32)
    grad = rng.normal(size=(20, 14, 14, 64)).astype(np.float32)
    for expected, got in zip(passes(direct, x, grad), passes(fewer, x, grad), strict=True):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=0, atol=5e-5 * np.abs(expected).max())


def test_a_first_layer_does_not_need_its_input_gradient() -> None:
    rng = np.random.default_rng(3)
    direct, fewer = twins(MIN_CHANNELS, 8, 3, np.float64)
    for conv in (direct, fewer):
        conv.input_grad = False
    x = rng.normal(size=(6, 8, 8, MIN_CHANNELS))
    grad = rng.normal(size=(6, 8, 8, 8))
    expected, got = passes(direct, x, grad), passes(fewer, x, grad)
    assert got[1].shape == expected[1].shape == (0, 10, 10, MIN_CHANNELS)
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-12)


def run(threads: int) -> list[np.ndarray]:
    parallel.set_threads(threads)
    try:
        rng = np.random.default_rng(4)
        _, conv = twins(MIN_CHANNELS, 8, 5, np.float32)
        x = rng.random((70, 14, 14, MIN_CHANNELS), dtype=np.float32)
        return passes(conv, x, rng.normal(size=(70, 14, 14, 8)).astype(np.float32))
    finally:
        parallel.set_threads(None)


def test_one_or_two_threads_give_the_same_bits() -> None:
    for serial, chunked in zip(run(1), run(2), strict=True):
        np.testing.assert_array_equal(chunked, serial)


@pytest.mark.parametrize(
    ("change", "shape"),
    [
        ({"winograd": False}, (2, 8, 8, MIN_CHANNELS)),  # not asked
        ({}, (2, 8, 8, MIN_CHANNELS - 1)),  # too few channels: the transforms cost more
        ({"stride": 2}, (2, 8, 8, MIN_CHANNELS)),
        ({"padding": 0}, (2, 8, 8, MIN_CHANNELS)),  # not "same": outputs shrink
        ({}, (2, 7, 8, MIN_CHANNELS)),  # odd output: tiles would overrun
    ],
)
def test_what_stays_on_direct_products(change: dict, shape: tuple[int, ...]) -> None:
    conv = Conv2D(shape[-1], 4, 3, padding=1, rng=np.random.default_rng(0))
    conv.winograd = True
    for key, value in change.items():
        setattr(conv, key, value)
    assert not conv.takes_winograd(shape)
    x = np.random.default_rng(1).random(shape, dtype=np.float32)
    out = conv.forward(x, training=True)
    assert conv.backward(np.ones_like(out)).shape[0] == shape[0]


def test_the_config_chooses_and_older_records_mean_direct() -> None:
    config = replace(PRESETS["cnn"], conv_filters=[MIN_CHANNELS, 8])
    convs = [
        layer
        for layer in build_network(config, np.random.default_rng(0)).layers
        if isinstance(layer, Conv2D)
    ]
    assert PRESETS["cnn"].conv == "winograd"
    assert [conv.winograd for conv in convs] == [True, True]
    assert [
        conv.takes_winograd((1, 28 // 2**i, 28 // 2**i, conv.in_channels))
        for i, conv in enumerate(convs)
    ] == [False, True]  # one channel: direct
    direct = build_network(replace(config, conv="direct"), np.random.default_rng(0))
    assert not any(getattr(layer, "winograd", False) for layer in direct.layers)
    saved = config.to_dict()
    assert TrainConfig.from_dict(saved).conv == "winograd"
    del saved["conv"]  # a file written before the choice existed
    assert TrainConfig.from_dict(saved).conv == "direct"
    with pytest.raises(ValueError, match="convolution products"):
        build_network(replace(config, conv="fft"), np.random.default_rng(0))
