"""One network shared by many threads: inference keeps no per-call state on a layer.

The service loads each network once and every request thread predicts with it,
without a lock. That is safe only if a forward pass at inference writes nothing to
its layers (a cache meant for ``backward``, a mask, a shape): these tests run
networks holding every layer type from several threads at once, by the plain
layer-by-layer pass and by the served one (``model.inference``), compare with the
answers computed one by one, and check no layer gained an attribute.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from model.architectures import PRESETS, build_network
from model.conv import Conv2D
from model.layers import Dense, Sigmoid
from model.network import Network
from model.pooling import GlobalAvgPool
from model.weights import LAYER_TYPES

THREADS = 6
ROUNDS = 4


def networks() -> dict[str, Network]:
    rng = np.random.default_rng(3)
    cnn = build_network(replace(PRESETS["cnn"], conv_filters=[4, 8], hidden=[16], dropout=0.3), rng)
    for layer in cnn.layers:  # batch norm with statistics that actually change the values
        if "running_var" in layer.state:
            layer.state["running_mean"] = rng.normal(0, 0.1, layer.state["running_mean"].shape)
            layer.state["running_var"] = rng.uniform(0.5, 2.0, layer.state["running_var"].shape)
    layers = [Conv2D(1, 4, 3, padding=1, rng=rng), GlobalAvgPool(), Dense(4, 16, rng=rng)]
    pooled = Network([*layers, Sigmoid(), Dense(16, 10, rng=rng)], input_shape=(28, 28, 1))
    return {"cnn": cnn, "pooled": pooled}


def batches(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.random((int(rng.integers(1, 9)), 28, 28), dtype=np.float32) for _ in range(count)]


def test_the_test_networks_hold_every_layer_type() -> None:
    kinds = {layer.kind for network in networks().values() for layer in network.layers}
    assert kinds == set(LAYER_TYPES)


@pytest.mark.parametrize("fast", [False, True], ids=["plain", "served"])
@pytest.mark.parametrize("name", ["cnn", "pooled"])
def test_threads_sharing_one_network_get_the_answers_of_one_thread(name: str, fast: bool) -> None:
    network = networks()[name]
    inputs = batches(THREADS * 2)
    expected = [network.predict_proba(images, fast=fast) for images in inputs]
    start = threading.Barrier(THREADS)

    def worker(offset: int) -> list[tuple[int, np.ndarray]]:
        start.wait()  # all threads in the network at once
        answers = []
        for round_ in range(ROUNDS):
            for k in range(offset, len(inputs), THREADS):
                index = (k + round_) % len(inputs)
                answers.append((index, network.predict_proba(inputs[index], fast=fast)))
        return answers

    with ThreadPoolExecutor(THREADS) as pool:
        results = [a for answers in pool.map(worker, range(THREADS)) for a in answers]
    assert len(results) == THREADS * ROUNDS * 2
    for index, probabilities in results:
        np.testing.assert_array_equal(probabilities, expected[index])


@pytest.mark.parametrize("fast", [False, True], ids=["plain", "served"])
@pytest.mark.parametrize("name", ["cnn", "pooled"])
def test_inference_leaves_every_layer_as_it_was(name: str, fast: bool) -> None:
    network = networks()[name]
    before = [dict(vars(layer)) for layer in network.layers]
    network.predict_proba(batches(1)[0], fast=fast)
    for layer, attributes in zip(network.layers, before, strict=True):
        assert set(vars(layer)) == set(attributes), layer.kind
        for key, value in attributes.items():
            assert vars(layer)[key] is value, f"{layer.kind}.{key} was replaced"


def test_training_still_caches_what_backward_needs() -> None:
    network = networks()["cnn"]
    images = batches(1)[0]
    labels = np.arange(len(images)) % 10
    loss, _ = network.train_step(images.reshape(len(images), 28, 28, 1), labels)
    assert np.isfinite(loss)
    assert any(np.abs(layer.grads[key]).sum() > 0 for layer, key in network.parameters())
