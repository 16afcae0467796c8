"""The look-inside recordings checked against independent oracles, on the shipped networks.

- Activations: a plain forward pass, run layer by layer by the test itself, must give
  the same output at every layer, and ``predict_proba`` the same probabilities.
- Attributions: the gradient of a digit's score is compared with central finite
  differences of the served network's own forward pass, pixel by pixel, in float64
  (where a difference over 1e-8 is exact to about five digits); gradient times input
  is then that gradient times the pixel.
- The shared network is left untouched: no layer gains or changes a cached array.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from model import weights
from model.explain import STRONGEST_UNITS, explain
from model.mnist import MNIST, to_float
from model.network import Network

WEIGHTS = Path(__file__).resolve().parents[2] / "weights"
#: small enough that a nudge rarely carries a ReLU or a max across its kink (at 1e-6,
#: one of 35 pixels of the CNN did), large enough for float64 (logits ~10, error ~1e-7)
STEP = 1e-8


@pytest.fixture(scope="module", params=["cnn", "mlp", "mlp-refuse"])
def served(request: pytest.FixtureRequest) -> Network:
    network, _ = weights.load(WEIGHTS / f"{request.param}.json")
    return network


@pytest.fixture(scope="module")
def four(mnist: MNIST) -> np.ndarray:
    """The first 4 of the MNIST test set, as the network sees it (28x28, ink 1.0)."""
    index = int(np.flatnonzero(mnist.test_labels == 4)[0])
    return to_float(mnist.test_images[index : index + 1])[0]


def as_float64(network: Network) -> Network:
    twin = copy.deepcopy(network)
    for layer in twin.layers:
        for store in (layer.params, layer.state):
            for key in store:
                store[key] = store[key].astype(np.float64)
    return twin


def scores(network: Network, image: np.ndarray) -> np.ndarray:
    """The ten logits of a plain forward pass (no float32 cast: float64 stays float64)."""
    return network.forward(image.reshape(1, *network.input_shape))[0]


def test_every_layer_matches_a_plain_forward_pass(served: Network, four: np.ndarray) -> None:
    seen = explain(served, four)
    plain = copy.deepcopy(served)
    x = four.astype(np.float32).reshape(1, *plain.input_shape)
    assert len(seen.layers) == len(plain.layers)
    for record, layer in zip(seen.layers, plain.layers, strict=True):
        x = layer.forward(x, training=False)
        assert record.kind == layer.kind
        assert record.values.shape == x.shape[1:]
        np.testing.assert_allclose(record.values, x[0], rtol=1e-5, atol=1e-5)
    digits, refused = served.read(four[None])
    np.testing.assert_allclose(seen.probabilities, digits[0], atol=1e-6)
    if served.not_a_digit is None:
        assert seen.not_a_digit is None
    else:
        assert seen.not_a_digit == pytest.approx(float(refused[0]), abs=1e-6)
    assert seen.answer.digit == 4 and seen.runner_up.digit != 4
    assert seen.answer.score == pytest.approx(float(x[0, 4]), rel=1e-5)


def test_attribution_is_the_finite_difference_slope_times_the_ink(
    served: Network, four: np.ndarray
) -> None:
    network = as_float64(served)
    rng = np.random.default_rng(0)
    ink = np.flatnonzero(four.ravel() > 0.1)
    paper = np.flatnonzero(four.ravel() == 0)
    # A faint haze over the paper: where a max-pool window's values tie (blank paper
    # everywhere), the slope is not defined and a finite difference has no answer.
    image = four.astype(np.float64) + rng.uniform(0.0, 0.01, four.shape)
    seen = explain(network, image)
    picks = np.concatenate(
        [rng.choice(ink, 25, replace=False), rng.choice(paper, 10, replace=False)]
    )
    digits = [seen.answer.digit, seen.runner_up.digit]
    numeric = np.empty((len(picks), 2))
    for row, pixel in enumerate(picks):
        up, down = image.copy().ravel(), image.copy().ravel()
        up[pixel] += STEP
        down[pixel] -= STEP
        numeric[row] = (scores(network, up)[digits] - scores(network, down)[digits]) / (2 * STEP)
    for column, attribution in enumerate((seen.answer, seen.runner_up)):
        analytic = attribution.gradient.ravel()[picks]
        np.testing.assert_allclose(analytic, numeric[:, column], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(attribution.pixels, attribution.gradient * image)
        assert np.abs(analytic).max() > 1e-3  # a slope worth comparing, not all zeros
    np.testing.assert_allclose(seen.contrast, seen.answer.pixels - seen.runner_up.pixels)
    clean = explain(network, four.astype(np.float64))
    assert np.all(clean.answer.pixels.ravel()[paper] == 0)  # blank paper counts zero


def test_float32_attribution_agrees_with_float64(served: Network, four: np.ndarray) -> None:
    single = explain(served, four.astype(np.float32)).answer.pixels
    double = explain(as_float64(served), four.astype(np.float64)).answer.pixels
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, double, atol=1e-4 * np.abs(double).max())


def test_the_shared_layers_are_not_written_to(served: Network, four: np.ndarray) -> None:
    network = copy.deepcopy(served)
    before = [dict(vars(layer)) for layer in network.layers]
    grads = [{k: v.copy() for k, v in layer.grads.items()} for layer in network.layers]
    explain(network, four)
    for layer, attributes, old_grads in zip(network.layers, before, grads, strict=True):
        assert vars(layer).keys() == attributes.keys()
        assert all(vars(layer)[key] is value for key, value in attributes.items())
        for key, value in old_grads.items():
            np.testing.assert_array_equal(layer.grads[key], value)


def test_first_layer_weights_shapes(served: Network, four: np.ndarray) -> None:
    seen = explain(served, four)
    first = served.layers[0].params["W"]
    if served.layers[0].kind == "conv2d":
        assert seen.filters.shape == (first.shape[3], first.shape[0], first.shape[1])
        np.testing.assert_array_equal(seen.filters[3], first[:, :, 0, 3])
        assert seen.filter_units == []
    else:
        hidden = seen.layers[1].values
        assert seen.filters.shape == (STRONGEST_UNITS, 28, 28)
        assert seen.filter_units == list(np.argsort(-hidden, kind="stable")[:STRONGEST_UNITS])
        assert hidden[seen.filter_units[0]] == hidden.max()
        np.testing.assert_array_equal(seen.filters[0].ravel(), first[:, seen.filter_units[0]])


def test_a_network_sure_it_is_not_a_digit_still_names_digits(four: np.ndarray) -> None:
    network, _ = weights.load(WEIGHTS / "mlp-refuse.json")
    network = copy.deepcopy(network)
    assert network.not_a_digit == 10
    network.layers[-1].params["b"][10] += 40.0  # the not-a-digit output wins outright
    seen = explain(network, four)
    assert seen.not_a_digit is not None and seen.not_a_digit > 0.999
    assert seen.answer.digit == 4 and 0 <= seen.runner_up.digit <= 9
    assert seen.probabilities.shape == (10,) and seen.probabilities.sum() == pytest.approx(1.0)
