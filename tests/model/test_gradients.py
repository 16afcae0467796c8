"""Finite-difference checks of every layer's and loss's backward pass.

Each check runs in float64 so central differences are exact enough to compare
with the analytic gradient to about 1e-6 relative error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from model.conv import Conv2D
from model.layers import Dense, Dropout, Flatten, Layer, ReLU, Sigmoid
from model.losses import LOSSES, distillation, get_loss, softmax
from model.normalization import BatchNorm
from model.pooling import GlobalAvgPool, MaxPool2D
from model.winograd import MIN_CHANNELS

EPS = 1e-5


def numeric_gradient(f: Callable[[], float], array: np.ndarray, samples: int, rng) -> tuple:
    """Central differences of ``f`` for a random sample of ``array``'s entries."""
    flat = array.reshape(-1)
    picks = rng.choice(flat.size, size=min(samples, flat.size), replace=False)
    grads = []
    for i in picks:
        old = flat[i]
        flat[i] = old + EPS
        up = f()
        flat[i] = old - EPS
        down = f()
        flat[i] = old
        grads.append((up - down) / (2 * EPS))
    return picks, np.array(grads)


def assert_close(analytic: np.ndarray, numeric: np.ndarray) -> None:
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-4)
    assert np.max(np.abs(analytic - numeric) / scale) < 1e-5, (analytic, numeric)


def to_float64(layer: Layer) -> Layer:
    for store in (layer.params, layer.state):
        for key in store:
            store[key] = store[key].astype(np.float64)
    for key in layer.grads:
        layer.grads[key] = layer.grads[key].astype(np.float64)
    return layer


def check_layer(layer: Layer, x: np.ndarray, reset: Callable[[], None] = lambda: None) -> None:
    rng = np.random.default_rng(1)
    to_float64(layer)
    reset()
    out = layer.forward(x, training=True)
    upstream = rng.normal(size=out.shape)
    dx = layer.backward(upstream)

    def objective() -> float:
        reset()
        return float((layer.forward(x, training=True) * upstream).sum())

    picks, numeric = numeric_gradient(objective, x, 40, rng)
    assert_close(dx.reshape(-1)[picks], numeric)
    for key, param in layer.params.items():
        picks, numeric = numeric_gradient(objective, param, 40, rng)
        assert_close(layer.grads[key].reshape(-1)[picks], numeric)


def test_dense() -> None:
    x = np.random.default_rng(0).normal(size=(4, 7))
    check_layer(Dense(7, 5, rng=np.random.default_rng(0)), x)


@pytest.mark.parametrize("layer", [ReLU(), Sigmoid(), Flatten()], ids=lambda layer: layer.kind)
def test_elementwise(layer: Layer) -> None:
    x = np.random.default_rng(0).normal(size=(3, 4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU away from its kink
    check_layer(layer, x)


def test_dropout_with_a_fixed_mask() -> None:
    layer = Dropout(0.4)

    def reset() -> None:
        layer.rng = np.random.default_rng(7)

    check_layer(layer, np.random.default_rng(0).normal(size=(6, 8)), reset)


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 2), (2, 1)])
def test_conv2d(stride: int, padding: int) -> None:
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 3))
    layer = Conv2D(3, 4, kernel=3, stride=stride, padding=padding, rng=np.random.default_rng(0))
    check_layer(layer, x)


@pytest.mark.parametrize("kernel", [3, 5])
def test_conv2d_in_winograds_domain(kernel: int) -> None:
    """Training's Winograd products (``model.winograd_conv``) against finite differences."""
    channels = MIN_CHANNELS
    x = np.random.default_rng(0).normal(size=(2, 6, 4, channels))
    layer = Conv2D(channels, 3, kernel, padding=kernel // 2, rng=np.random.default_rng(0))
    layer.winograd = True
    assert layer.takes_winograd(x.shape)
    check_layer(layer, x)


def test_maxpool() -> None:
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 3))  # odd height: floor mode
    check_layer(MaxPool2D(2), x)


@pytest.mark.parametrize("shape", [(19, 8, 6, 3), (11, 7, 5, 2)])
def test_maxpool_splits_the_gradient_among_tied_maxima(shape: tuple[int, ...]) -> None:
    """Against a window-by-window loop, on a batch of several cached steps whose
    windows tie (blank background, as a padded convolution gives) or not."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, size=shape).astype(np.float32)  # three values: many ties
    layer = MaxPool2D(2)
    out = layer.forward(x, training=True)
    upstream = rng.normal(size=out.shape).astype(np.float32)
    expected = np.zeros_like(x)
    for n, i, j, c in np.ndindex(*out.shape):
        window = x[n, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, c]
        winners = window == window.max()
        expected[n, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, c] = (
            winners * upstream[n, i, j, c] / winners.sum()
        )
    np.testing.assert_allclose(layer.backward(upstream), expected, rtol=1e-6, atol=0)


@pytest.mark.parametrize("shape", [(8, 5), (3, 4, 4, 5)])
def test_batchnorm(shape: tuple[int, ...]) -> None:
    layer = BatchNorm(5)
    layer.params["gamma"] = np.random.default_rng(3).normal(size=5).astype(np.float32)
    layer.params["beta"] = np.random.default_rng(4).normal(size=5).astype(np.float32)
    check_layer(layer, np.random.default_rng(0).normal(size=shape))


def test_global_avg_pool() -> None:
    check_layer(GlobalAvgPool(), np.random.default_rng(0).normal(size=(2, 3, 4, 5)))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradient(name: str) -> None:
    rng = np.random.default_rng(0)
    loss = get_loss(name)
    logits = rng.normal(size=(5, 10)) * 3
    labels = rng.integers(0, 10, 5)
    _, grad = loss(logits, labels)
    picks, numeric = numeric_gradient(lambda: loss(logits, labels)[0], logits, 50, rng)
    assert_close(grad.reshape(-1)[picks].astype(np.float64), numeric)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_is_finite_for_huge_logits(name: str) -> None:
    loss = get_loss(name)
    logits = np.array([[1e4, -1e4, 0, 5e3, -5e3, 1, 2, 3, 4, 1e4]], dtype=np.float32)
    for label in (0, 1, 9):
        value, grad = loss(logits, np.array([label]))
        assert np.isfinite(value) and np.isfinite(grad).all()
    probs = loss.probabilities(logits)
    assert np.isfinite(probs).all() and abs(float(probs.sum()) - 1.0) < 1e-5


@pytest.mark.parametrize("weight,temperature", [(1.0, 1.0), (1.0, 4.0), (0.7, 4.0), (0.3, 2.5)])
def test_distillation_gradient(weight: float, temperature: float) -> None:
    rng = np.random.default_rng(0)
    logits, teacher = rng.normal(size=(5, 10)) * 3, rng.normal(size=(5, 10)) * 5
    labels = rng.integers(0, 10, 5)

    def loss() -> float:
        return distillation(logits, teacher, labels, weight, temperature)[0]

    _, grad = distillation(logits, teacher, labels, weight, temperature)
    picks, numeric = numeric_gradient(loss, logits, 50, rng)
    assert_close(grad.reshape(-1)[picks], numeric)


def test_distillation_soft_part() -> None:
    rng = np.random.default_rng(0)
    logits, teacher = rng.normal(size=(4, 10)), rng.normal(size=(4, 10)) * 4
    labels = rng.integers(0, 10, 4)
    # a student that already matches the teacher: zero soft loss and gradient
    value, grad = distillation(teacher, teacher, labels, 1.0, 4.0)
    assert abs(value) < 1e-9 and np.abs(grad).max() < 1e-9
    # weight 0: the plain softmax cross-entropy
    plain = get_loss("softmax_cross_entropy")(logits, labels)
    mixed = distillation(logits, teacher, labels, 0.0, 4.0)
    assert mixed[0] == pytest.approx(plain[0]) and np.allclose(mixed[1], plain[1])
    # the soft gradient at temperature T is T (p_s - p_t) / batch
    _, soft = distillation(logits, teacher, labels, 1.0, 4.0)
    expected = 4.0 * (softmax(logits / 4.0) - softmax(teacher / 4.0)) / 4
    np.testing.assert_allclose(soft, expected, atol=1e-12)
