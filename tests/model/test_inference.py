"""The served forward pass (``model.inference``) equals the plain layer-by-layer one.

``Network.forward_plain`` runs every layer's own ``forward`` and stays the oracle;
``Network.forward_fast`` fuses the convolution blocks and walks the batch a few images
at a time. On random networks (with batch-norm statistics and signs that change the
values), random inputs, odd sizes, batches that do not divide into steps, and on MNIST
digits through the shipped CNN, both give the same logits up to float32 rounding and
the same predictions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

from model import inference
from model.architectures import PRESETS, build_network
from model.conv import Conv2D
from model.layers import Dense, Flatten, ReLU, strided_view
from model.mnist import MNIST, to_float
from model.network import Network
from model.normalization import BatchNorm
from model.pooling import MaxPool2D
from model.weights import load
from model.winograd import MIN_CHANNELS

ROOT = Path(__file__).resolve().parents[2]


def with_statistics(network: Network, rng: np.random.Generator) -> Network:
    """Batch norm whose running statistics and scales (some negative) change the values."""
    for layer in network.layers:
        if isinstance(layer, BatchNorm):
            shape = layer.features
            layer.state["running_mean"] = rng.normal(0, 0.5, shape).astype(np.float32)
            layer.state["running_var"] = rng.uniform(0.3, 3.0, shape).astype(np.float32)
            layer.params["gamma"] = rng.normal(0, 1.0, shape).astype(np.float32)
            layer.params["beta"] = rng.normal(0, 0.5, shape).astype(np.float32)
        if isinstance(layer, Conv2D):
            layer.params["b"] = rng.normal(0, 0.2, layer.filters).astype(np.float32)
    return network


def assert_same(network: Network, x: np.ndarray) -> None:
    plain, fast = network.forward_plain(x), network.forward_fast(x)
    assert fast.shape == plain.shape and fast.dtype == np.float32
    np.testing.assert_allclose(fast, plain, rtol=1e-4, atol=1e-4 * float(np.abs(plain).max()))
    assert (fast.argmax(axis=1) == plain.argmax(axis=1)).all()


@pytest.mark.parametrize("kernels", [[5, 5], [3, 5], [3, 3]])
@pytest.mark.parametrize("batch", [1, 3, 9])
def test_cnn_fast_pass_equals_plain_on_random_inputs(kernels: list[int], batch: int) -> None:
    """The first block has too few channels for Winograd's products; the second has enough."""
    rng = np.random.default_rng(sum(kernels) + batch)
    filters = [MIN_CHANNELS, 8]
    config = replace(PRESETS["cnn"], conv_filters=filters, conv_kernels=kernels, hidden=[16])
    network = with_statistics(build_network(config, rng), rng)
    assert_same(network, rng.random((batch, 28, 28, 1), dtype=np.float32))


def test_odd_sizes_pool_in_floor_mode_like_the_plain_pass() -> None:
    """Three blocks take 28 -> 14 -> 7 -> 3: the last pooling drops a row and a column."""
    rng = np.random.default_rng(7)
    layers = []
    channels = 1
    for filters in (4, 5, 6):
        conv = Conv2D(channels, filters, 3, padding=1, rng=rng)
        layers += [conv, MaxPool2D(2), BatchNorm(filters), ReLU()]
        channels = filters
    layers += [Flatten(), Dense(3 * 3 * 6, 10, rng=rng)]
    network = with_statistics(Network(layers, input_shape=(28, 28, 1)), rng)
    assert_same(network, rng.normal(0, 1, (5, 28, 28, 1)).astype(np.float32))


def test_blocks_it_cannot_fuse_run_layer_by_layer() -> None:
    """A strided convolution is not a fused block: the pass falls back and still agrees."""
    rng = np.random.default_rng(11)
    conv = Conv2D(1, 4, 3, stride=2, padding=1, rng=rng)
    network = Network([conv, ReLU(), Flatten(), Dense(14 * 14 * 4, 10, rng=rng)], (28, 28, 1))
    assert not inference.fusable(network.layers, 0)
    assert_same(network, rng.random((4, 28, 28, 1), dtype=np.float32))


def test_mlp_fast_pass_equals_plain() -> None:
    rng = np.random.default_rng(5)
    network = build_network(replace(PRESETS["mlp"], hidden=[64, 32], dropout=0.3), rng)
    assert_same(network, rng.random((7, 784), dtype=np.float32))


def test_kept_buffers_give_every_call_its_own_answer() -> None:
    """A thread's buffers outlive a call: batches of other sizes after it (a last step of
    one image, then two again) and other threads at once still get their own answers."""
    rng = np.random.default_rng(13)
    config = replace(PRESETS["cnn"], conv_filters=[MIN_CHANNELS, 8], hidden=[16])
    network = with_statistics(build_network(config, rng), rng)
    batches = [rng.random((n, 28, 28, 1), dtype=np.float32) for n in (3, 1, 4, 1, 5)]
    expected = [network.forward_plain(x) for x in batches]
    for x, plain in zip(batches * 2, expected * 2, strict=True):
        np.testing.assert_allclose(network.forward_fast(x), plain, rtol=1e-4, atol=1e-5)

    def answers(order: list[int]) -> list[np.ndarray]:
        return [network.forward_fast(batches[i]) for i in order for _ in range(20)]

    orders = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(answers, orders))
    for order, got in zip(orders, results, strict=True):
        for index, answer in zip([i for i in order for _ in range(20)], got, strict=True):
            np.testing.assert_allclose(answer, expected[index], rtol=1e-4, atol=1e-5)


def test_strided_view_is_as_strideds_read_only_view() -> None:
    """The served pass's views equal NumPy's ``as_strided`` ones, contiguous base or not."""
    rng = np.random.default_rng(3)
    base = rng.random((3, 10, 10, 2), dtype=np.float32)
    for array in (base, base[1:], base[:, 1:]):  # the last is not contiguous
        sn, sh, sw, sc = array.strides
        shape, strides = (2, 2, len(array), 4, 4, 2), (sh, sw, sn, 2 * sh, 2 * sw, sc)
        view = strided_view(array, shape, strides)
        expected = as_strided(array, shape, strides, writeable=False)
        np.testing.assert_array_equal(view, expected)
        assert np.shares_memory(view, array) and not view.flags.writeable


def test_fast_pass_keeps_nothing_on_the_layers() -> None:
    rng = np.random.default_rng(2)
    network = build_network(replace(PRESETS["cnn"], conv_filters=[4, 8], hidden=[16]), rng)
    before = [set(vars(layer)) for layer in network.layers]
    network.forward_fast(rng.random((6, 28, 28, 1), dtype=np.float32))
    assert [set(vars(layer)) for layer in network.layers] == before


def test_shipped_cnn_reads_mnist_digits_the_same_both_ways(mnist: MNIST) -> None:
    network, _ = load(ROOT / "weights" / "cnn.json")
    images = to_float(mnist.test_images[:300])
    plain = network.predict_proba(images)
    fast = network.predict_proba(images, fast=True)
    np.testing.assert_allclose(fast, plain, atol=1e-5)
    assert (fast.argmax(axis=1) == plain.argmax(axis=1)).all()
    assert (plain.argmax(axis=1) == mnist.test_labels[:300]).mean() > 0.98  # a working network


def test_a_training_step_or_restore_renews_the_served_constants() -> None:
    """The served pass folds batch norm and transforms filters once; after the parameters
    change it must not answer with the old ones."""
    rng = np.random.default_rng(4)
    config = replace(PRESETS["cnn"], conv_filters=[4, MIN_CHANNELS])
    network = with_statistics(build_network(replace(config, hidden=[16]), rng), rng)
    x = rng.random((3, 28, 28, 1), dtype=np.float32)
    saved, first = network.snapshot(), network.forward_fast(x)
    network.train_step(x, np.array([1, 2, 3]))
    network.layers[4].params["W"] += np.float32(0.1)  # as an optimizer does, in place
    assert_same(network, x)
    assert not np.allclose(network.forward_fast(x), first)
    network.restore(saved)
    np.testing.assert_allclose(network.forward_fast(x), first, rtol=1e-6, atol=1e-6)


def test_training_and_its_measurements_keep_the_plain_pass_bit_for_bit() -> None:
    """Calibration, evaluation and distillation read ``logits``/``predict_proba`` without
    ``fast``: exactly the plain pass, so retraining reproduces the shipped file's numbers."""
    rng = np.random.default_rng(9)
    network = with_statistics(
        build_network(replace(PRESETS["cnn"], conv_filters=[4, 8], hidden=[16]), rng), rng
    )
    images = rng.random((5, 28, 28), dtype=np.float32)
    plain = network.forward_plain(network.prepare(images))
    assert np.array_equal(network.logits(images), plain)
    assert np.array_equal(network.forward(network.prepare(images)), plain)
