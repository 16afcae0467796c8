"""The maths learns: overfitting a tiny set, reproducibility, a real short run, optimizers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from model.architectures import PRESETS, TrainConfig, build_network
from model.calibration import fit_temperature
from model.conv import Conv2D, bias_gradient, im2col, offset_patches, sum_in_order
from model.evaluation import accuracy, expected_calibration_error
from model.layers import Dense
from model.losses import softmax
from model.mnist import MNIST, to_float
from model.network import Network
from model.optimizers import SGD, Adam, Schedule
from model.parallel import CHUNK_ITEMS
from model.training import train

CNN = Path(__file__).resolve().parents[2] / "weights" / "cnn.json"
#: 11 outputs: the ten digits and "not a digit"
REFUSING = Path(__file__).resolve().parents[2] / "weights" / "mlp-refuse.json"


def test_mlp_overfits_a_tiny_set(mnist: MNIST) -> None:
    x, y = to_float(mnist.train_images[:64]), mnist.train_labels[:64]
    net = build_network(TrainConfig(hidden=[64]), np.random.default_rng(0))
    opt = Adam(lr=3e-3)
    for _ in range(150):
        net.train_step(net.prepare(x), y)
        opt.step(net)
    assert accuracy(net, x, y) == 1.0
    loss, _ = net.loss(net.logits(x), y)
    assert loss < 0.05


def test_cnn_overfits_a_tiny_set(mnist: MNIST) -> None:
    x, y = to_float(mnist.train_images[:32]), mnist.train_labels[:32]
    config = replace(PRESETS["cnn"], conv_filters=[4, 8], hidden=[16], dropout=0.0)
    net = build_network(config, np.random.default_rng(0))
    opt = Adam(lr=1e-2)
    for _ in range(60):
        net.train_step(net.prepare(x), y)
        opt.step(net)
    assert accuracy(net, x, y) == 1.0


def test_same_seed_same_weights(mnist: MNIST) -> None:
    config = replace(PRESETS["mlp"], hidden=[32], epochs=1, train_subset=600, val_size=200)
    first = train(config, mnist).network.snapshot()
    second = train(config, mnist).network.snapshot()
    other = train(replace(config, seed=1), mnist).network.snapshot()
    for a, b in zip(first, second, strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(first[0]["W"], other[0]["W"])


@pytest.mark.slow
def test_short_run_on_5000_images_beats_90_percent(mnist: MNIST) -> None:
    config = replace(PRESETS["relu256"], epochs=5, batch_size=32, train_subset=5000)
    result = train(config, mnist)
    test_acc = accuracy(result.network, to_float(mnist.test_images), mnist.test_labels)
    assert test_acc > 0.90, test_acc
    assert len(result.history) == 5
    assert result.history[-1]["loss"] < result.history[0]["loss"]


def test_interrupt_keeps_the_best_weights(mnist: MNIST) -> None:
    from model.training import Progress

    class StopAfterTwoEpochs(Progress):
        def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
            if epoch == 2:
                raise KeyboardInterrupt

    config = replace(PRESETS["relu256"], epochs=5, train_subset=2000, val_size=500)
    result = train(config, mnist, StopAfterTwoEpochs())
    assert result.interrupted and len(result.history) == 2
    val_x = to_float(mnist.train_images)  # any images: the restored net must predict
    assert result.network.predict(val_x[:10]).shape == (10,)
    assert result.best_epoch in (1, 2)


def test_distillation_learns_from_the_teacher_not_the_labels(mnist: MNIST) -> None:
    wrong = replace(mnist, train_labels=(mnist.train_labels + 1) % 10)  # every label off by one
    config = replace(
        PRESETS["relu256"], hidden=[64], epochs=3, batch_size=32, train_subset=1000, val_size=200
    )
    taught = replace(config, teacher=str(CNN), distill_weight=1.0, distill_temperature=2.0)
    test_x, test_y = to_float(mnist.test_images[:1000]), mnist.test_labels[:1000]
    result = train(taught, wrong)
    assert accuracy(result.network, test_x, test_y) > 0.75  # 0.83 measured
    assert accuracy(train(config, wrong).network, test_x, test_y) < 0.1
    assert result.teacher is not None and result.teacher["file"] == "cnn.json"
    assert len(result.teacher["sha256"]) == 64 and result.teacher["test_accuracy"] > 0.99


def test_distillation_at_weight_zero_is_plain_training(mnist: MNIST) -> None:
    config = replace(
        PRESETS["mlp"], hidden=[32], epochs=1, train_subset=600, val_size=200, not_digit=0.0
    )
    plain = train(config, mnist).network.snapshot()
    zero = train(replace(config, teacher=str(CNN), distill_weight=0.0), mnist).network.snapshot()
    half = train(replace(config, teacher=str(CNN), distill_weight=0.5), mnist).network.snapshot()
    for a, b in zip(plain, zero, strict=True):  # the teacher draws nothing from the rng
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(plain[0]["W"], half[0]["W"])


def test_weight_decay_spares_biases() -> None:
    layer = Dense(3, 2, rng=np.random.default_rng(0))
    layer.params["b"][...] = 1.0
    for grads in layer.grads.values():
        grads[...] = 0.0
    net = Network([layer], (3,), "softmax_cross_entropy")
    w_before = layer.params["W"].copy()
    SGD(lr=0.1, weight_decay=0.5).step(net)
    np.testing.assert_allclose(layer.params["W"], w_before * (1 - 0.05), rtol=1e-6)
    np.testing.assert_array_equal(layer.params["b"], np.ones(2, np.float32))


def test_nesterov_and_momentum_differ_from_plain_sgd() -> None:
    def run(opt: SGD) -> np.ndarray:
        layer = Dense(2, 2, rng=np.random.default_rng(0))
        net = Network([layer], (2,))
        for _ in range(3):
            layer.grads["W"][...] = 1.0
            layer.grads["b"][...] = 0.0
            opt.step(net)
        return layer.params["W"].copy()

    plain, heavy, nesterov = run(SGD(0.1)), run(SGD(0.1, 0.9)), run(SGD(0.1, 0.9, True))
    start = Dense(2, 2, rng=np.random.default_rng(0)).params["W"]
    np.testing.assert_allclose(start - plain, 0.3, rtol=1e-5)  # 3 steps of 0.1
    np.testing.assert_allclose(start - heavy, 0.1 + 0.19 + 0.271, rtol=1e-5)
    np.testing.assert_allclose(start - nesterov, 0.19 + 0.271 + 0.3439, rtol=1e-5)


def test_cosine_schedule_with_warmup() -> None:
    schedule = Schedule("cosine", 0.1, epochs=10, warmup=1.0)
    assert schedule(0.0) < 0.001
    assert schedule(5.0) == pytest.approx(0.05)
    assert schedule(10.0) == pytest.approx(0.0, abs=1e-12)
    assert Schedule("step", 1.0, 30, gamma=0.1, step_epochs=10)(25) == pytest.approx(0.01)


def test_conv_matches_a_direct_convolution() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 7, 3)).astype(np.float32)
    layer = Conv2D(3, 4, kernel=3, stride=2, padding=1, rng=rng)
    layer.params["b"] = rng.normal(size=4).astype(np.float32)
    out = layer.forward(x)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    w, b = layer.params["W"], layer.params["b"]
    expected = np.zeros((2, 3, 4, 4), np.float32)
    for n in range(2):
        for i in range(3):
            for j in range(4):
                for f in range(4):
                    patch = xp[n, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3, :]
                    expected[n, i, j, f] = (patch * w[:, :, :, f]).sum() + b[f]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("stride", [1, 2])
def test_a_one_channel_layer_trains_on_patches_by_offset_with_im2cols_bits(stride: int) -> None:
    """A first layer's training patches are laid out by kernel offset; its output and
    gradients have the same bits as from im2col's matrix, on chunks of uneven size."""
    rng = np.random.default_rng(stride)
    x = rng.random((37, 28, 28, 1), dtype=np.float32)
    layer = Conv2D(1, 8, kernel=5, stride=stride, padding=2, rng=rng)
    layer.params["b"] = rng.normal(size=8).astype(np.float32)
    out = layer.forward(x, training=True)
    cols, _ = layer._cache
    assert isinstance(cols, np.ndarray) and cols.shape == (25, out.size // 8)
    grad = rng.normal(size=out.shape).astype(np.float32)
    layer.backward(grad)

    xp = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    patches = im2col(xp, 5, 5, stride).reshape(-1, 25)  # (N*OH*OW, 25)
    np.testing.assert_array_equal(
        offset_patches(xp, 5, 5, stride, np.empty((25, len(patches)), np.float32)), patches.T
    )
    expected = patches @ layer.params["W"].reshape(25, 8) + layer.params["b"]
    np.testing.assert_allclose(out.reshape(-1, 8), expected, rtol=1e-5, atol=1e-5)
    g2d = grad.reshape(-1, 8)
    chunks = [slice(start, min(start + CHUNK_ITEMS, 37)) for start in range(0, 37, CHUNK_ITEMS)]
    per_image = len(g2d) // 37
    partials = [
        (
            g2d[c.start * per_image : c.stop * per_image].T
            @ patches[c.start * per_image : c.stop * per_image]
        ).T
        for c in chunks
    ]
    np.testing.assert_array_equal(layer.grads["W"].reshape(25, 8), sum_in_order(partials))


@pytest.mark.parametrize("shape", [(5, 3), (37 * 784, 8), (128 * 784, 32), (128 * 196, 64)])
def test_bias_gradient_adds_like_numpys_sum(shape: tuple[int, int]) -> None:
    """The faster column sums keep ``sum(axis=0)``'s order of additions, so its bits."""
    grad = np.random.default_rng(shape[0]).normal(size=shape).astype(np.float32)
    np.testing.assert_array_equal(bias_gradient(grad), grad.sum(axis=0))


def test_temperature_scaling_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 10)) * 3
    probs = softmax(true_logits)
    labels = np.array([rng.choice(10, p=p) for p in probs])
    overconfident = true_logits * 2.5  # a network that is 2.5x too sure
    temperature = fit_temperature(overconfident, labels)
    assert temperature == pytest.approx(2.5, rel=0.1)
    before = expected_calibration_error(softmax(overconfident), labels)
    after = expected_calibration_error(softmax(overconfident / temperature), labels)
    assert after < before / 2


def test_a_not_a_digit_teacher_teaches_a_digits_only_student(mnist: MNIST) -> None:
    wrong = replace(mnist, train_labels=(mnist.train_labels + 1) % 10)  # every label off by one
    config = replace(
        PRESETS["relu256"], hidden=[64], epochs=3, batch_size=32, train_subset=1000, val_size=200
    )
    taught = replace(config, teacher=str(REFUSING), distill_weight=1.0, distill_temperature=2.0)
    result = train(taught, wrong)
    assert result.network.outputs == 10
    test_x, test_y = to_float(mnist.test_images[:1000]), mnist.test_labels[:1000]
    assert accuracy(result.network, test_x, test_y) > 0.75  # it learnt the teacher's digits
    with pytest.raises(ValueError, match="not-a-digit"):  # ten outputs cannot teach eleven
        train(replace(config, teacher=str(REFUSING.with_name("mlp.json")), not_digit=0.1), wrong)
