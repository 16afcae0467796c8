"""The training loop: minibatches, schedule, validation, history, best weights.

``train(config, data)`` builds a network from the config with one seeded
generator, trains it on the training split (augmented on the fly when asked),
measures the validation split after every epoch and keeps the weights of the
best validation epoch. Ctrl-C (``KeyboardInterrupt``) ends training cleanly: the
best weights so far are restored and the run is marked as interrupted, so the
caller can still save them. The same seed gives the same weights.

With ``config.teacher`` set, the network is distilled (Hinton et al. 2015): the
teacher, a saved weights file run in inference mode, reads every augmented batch
too, and the loss mixes its softened probabilities with the labels
(``model.losses.distillation``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.architectures import TrainConfig, build_network
from model.augment import AugmentConfig, augment_some, pen_redraw
from model.evaluation import accuracy
from model.losses import distillation
from model.mixing import MixRecipe, MixSources, load_sources, mix_batch
from model.mnist import MNIST, to_float
from model.network import Network
from model.optimizers import Optimizer, Schedule, make_optimizer
from model.styles import StyleConfig, add_world_styles
from model.weights import load

Array = np.ndarray


@dataclass
class TrainResult:
    network: Network
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_val_accuracy: float = 0.0
    interrupted: bool = False
    seconds: float = 0.0
    #: the held-out validation images and labels, for calibration after training
    val_x: Array = field(default_factory=lambda: np.zeros((0, 28, 28), np.float32))
    val_y: Array = field(default_factory=lambda: np.zeros(0, np.int64))
    #: the teacher's file name, SHA-256 and test accuracy, when distilled
    teacher: dict[str, Any] | None = None
    #: the real writers' and non-digits' data, when mixed in (``MixSources.record``)
    sources: dict[str, Any] | None = None
    #: the weights file training started from (file name, SHA-256, test accuracy), if any
    started_from: dict[str, Any] | None = None


class Progress:
    """Callbacks the loop reports to; the default one is silent."""

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None: ...

    def step(self, loss: float, accuracy: float, images_per_s: float) -> None: ...

    def end_epoch(self, record: dict[str, float]) -> None: ...


def batches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[Array]:
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


#: Extra training images ``(n, 28, 28)`` uint8 and their labels ``(n,)``.
Extra = tuple[Array, Array]


@dataclass
class Split:
    train_x: Array  # (n, 28, 28) float32
    train_y: Array
    val_x: Array
    val_y: Array


def make_split(
    config: TrainConfig, data: MNIST, rng: np.random.Generator, extra: Extra | None = None
) -> Split:
    tx, ty, vx, vy = data.split_validation(config.val_size, rng)
    if config.train_subset:
        tx, ty = tx[: config.train_subset], ty[: config.train_subset]
    if extra is not None:  # more labelled images (uint8, ink high): training only, never validation
        tx, ty = np.concatenate([tx, extra[0]]), np.concatenate([ty, extra[1].astype(ty.dtype)])
    return Split(to_float(tx), ty, to_float(vx), vy)


@dataclass
class Teacher:
    network: Network
    record: dict[str, Any]  # file name, sha256, test accuracy: for the training record


def start_from(network: Network, path: str) -> dict[str, Any]:
    """Copy a saved network's parameters into ``network``; returns the file's record.

    The layers must match, except that a ten-digit file may start a network with a
    "not a digit" output: the ten digits' weights are copied and the new output
    keeps its fresh (seeded) initialisation, so a network trained on MNIST alone
    learns the new class and the real writers without starting over.
    """
    file = Path(path)
    base, doc = load(file)
    if len(base.layers) != len(network.layers):
        raise ValueError(
            f"{file}: {len(base.layers)} layers, the recipe builds {len(network.layers)}"
        )
    for index, (source, target) in enumerate(zip(base.layers, network.layers, strict=True)):
        for store in ("params", "state"):
            mine, theirs = getattr(target, store), getattr(source, store)
            for key, value in theirs.items():
                if mine[key].shape == value.shape:
                    mine[key][...] = value
                elif value.shape[-1] == 10 and mine[key].shape[-1] == 11:  # the new output
                    mine[key][..., :10] = value
                else:
                    raise ValueError(
                        f"{file}: layer {index} {key} has shape {list(value.shape)}, "
                        f"the recipe needs {list(mine[key].shape)}"
                    )
    return file_record(file, doc)


def file_record(file: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """A weights file as the training record names it: file name, SHA-256, test accuracy."""
    training = doc.get("training") or {}
    return {
        "file": file.name,
        "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
        "test_accuracy": training.get("test_accuracy"),
    }


def load_teacher(path: str) -> Teacher:
    file = Path(path)
    network, doc = load(file)
    return Teacher(network, file_record(file, doc))


def train_step(
    network: Network, images: Array, labels: Array, teacher: Teacher | None, config: TrainConfig
) -> tuple[float, Array]:
    """Forward and backward on one batch of images ``(batch, 28, 28)``; loss and logits."""
    x = network.prepare(images)
    if teacher is None:
        return network.train_step(x, labels)
    target = teacher.network.forward(teacher.network.prepare(images))  # (batch, outputs)
    if teacher.network.not_a_digit is not None and network.not_a_digit is None:
        # a digits-only student learns the teacher's digit logits: their softmax is the
        # teacher's digit probabilities renormalised, as ``Network.read`` gives them
        target = np.delete(target, teacher.network.not_a_digit, axis=1)

    def distilled(logits: Array, labels: Array) -> tuple[float, Array]:
        return distillation(
            logits, target, labels, config.distill_weight, config.distill_temperature
        )

    return network.train_step(x, labels, distilled)


def run_epoch(
    network: Network,
    optimizer: Optimizer,
    schedule: Callable[[float], float],
    split: Split,
    epoch: int,
    config: TrainConfig,
    rng: np.random.Generator,
    progress: Progress,
    teacher: Teacher | None = None,
    sources: MixSources | None = None,
) -> tuple[float, float]:
    """One pass over the training split; returns the mean loss and accuracy."""
    n = len(split.train_y)
    steps = -(-n // config.batch_size)
    progress.start_epoch(epoch, config.epochs, steps)
    aug = AugmentConfig() if config.augment else None
    styles = style_config(config)
    recipe = mix_recipe(config)
    total_loss = total_correct = seen = 0.0
    start = time.perf_counter()
    for step, idx in enumerate(batches(n, config.batch_size, rng)):
        x, y = split.train_x[idx], split.train_y[idx]
        if styles is not None:
            x = add_world_styles(x, y, rng, styles)
        if sources is not None:
            x, y = mix_batch(x, y, sources, recipe, rng)
        if config.pen_redraw > 0:
            x = pen_redraw(x, rng, config.pen_redraw)
        if aug is not None:
            x = augment_some(x, rng, aug, config.clean_fraction)
        optimizer.lr = schedule(epoch + step / steps)
        loss, logits = train_step(network, x, y, teacher, config)
        optimizer.step(network)
        total_loss += loss * len(idx)
        total_correct += float((logits.argmax(axis=1) == y).sum())
        seen += len(idx)
        progress.step(total_loss / seen, total_correct / seen, seen / (time.perf_counter() - start))
    return total_loss / seen, total_correct / seen


def style_config(config: TrainConfig) -> StyleConfig | None:
    if not config.styles:
        return None
    return StyleConfig(slashed_p=config.slashed_zeros, long_flag_p=config.long_flags)


def mix_recipe(config: TrainConfig) -> MixRecipe:
    return MixRecipe(
        real_writers=config.real_writers,
        not_digit=config.not_digit,
        doodles=config.doodles,
        turned=config.turned_digits,
        pairs=config.digit_pairs,
        letter_shapes=config.letter_shapes,
        hands=config.new_hands,
    )


def mix_sources(config: TrainConfig) -> MixSources | None:
    """The real writers' strokes and the letters, loaded only when the recipe mixes them."""
    if config.real_writers <= 0 and config.not_digit <= 0:
        return None
    digits_as_negatives = config.not_digit > 0 and (
        config.turned_digits > 0 or config.digit_pairs > 0
    )
    return load_sources(config.real_writers > 0 or digits_as_negatives, config.not_digit > 0)


def validation_loss(network: Network, x: Array, y: Array) -> float:
    logits = network.logits(x)
    return network.loss(logits, y)[0]


def train(
    config: TrainConfig,
    data: MNIST,
    progress: Progress | None = None,
    extra: Extra | None = None,
) -> TrainResult:
    """Train from ``config``'s seed; ``extra`` images and labels join the training split."""
    rng = np.random.default_rng(config.seed)
    split = make_split(config, data, rng, extra)
    network = build_network(config, rng)
    teacher = load_teacher(config.teacher) if config.teacher else None
    if teacher is not None and teacher.network.outputs < network.outputs:
        raise ValueError(
            f"the teacher has {teacher.network.outputs} outputs and the network "
            f"{network.outputs}: distil a not-a-digit network only from another one"
        )
    sources = mix_sources(config)
    result_start = start_from(network, config.init_from) if config.init_from else None
    optimizer = make_optimizer(config.optimizer, config.lr, config.momentum, config.weight_decay)
    schedule = Schedule(config.schedule, config.lr, config.epochs, warmup=config.warmup)
    progress = progress or Progress()
    result = TrainResult(network, val_x=split.val_x, val_y=split.val_y)
    result.sources = sources.record() if sources else None
    result.started_from = result_start
    result.teacher = teacher.record if teacher else None
    best = network.snapshot()
    began = time.perf_counter()
    try:
        for epoch in range(config.epochs):
            t0 = time.perf_counter()
            loss, acc = run_epoch(
                network, optimizer, schedule, split, epoch, config, rng, progress, teacher, sources
            )
            seconds = time.perf_counter() - t0
            record = {
                "epoch": epoch + 1,
                "loss": loss,
                "accuracy": acc,
                "val_loss": validation_loss(network, split.val_x, split.val_y),
                "val_accuracy": accuracy(network, split.val_x, split.val_y),
                "lr": schedule(epoch + 1),
                "seconds": seconds,
                "images_per_s": len(split.train_y) / seconds,
            }
            result.history.append(record)
            progress.end_epoch(record)
            if record["val_accuracy"] >= result.best_val_accuracy:
                result.best_val_accuracy, result.best_epoch = record["val_accuracy"], epoch + 1
                best = network.snapshot()
    except KeyboardInterrupt:
        result.interrupted = True
    network.restore(best)
    result.seconds = time.perf_counter() - began
    return result


def training_record(
    config: TrainConfig, result: TrainResult, extra: dict[str, Any]
) -> dict[str, Any]:
    """The ``training`` section of the weights file."""
    return {
        "hyperparameters": config.to_dict(),
        "seed": config.seed,
        "augmentation": AugmentConfig().to_dict() if config.augment else None,
        "styles": style.to_dict() if (style := style_config(config)) else None,
        "mixed_in": result.sources,
        "started_from": result.started_from,
        "teacher": result.teacher,
        "history": result.history,
        "best_epoch": result.best_epoch,
        "val_accuracy": result.best_val_accuracy,
        "interrupted": result.interrupted,
        "seconds": round(result.seconds, 1),
        **extra,
    }
