"""What the guided cut of numbers costs and buys: shape alone against network-guided.

Reads 4-digit numbers of the held-out pendigits writers (ordinary, tight and
touching gaps, ``benchmarks/real_writers.py``) and MNIST's (the robustness
benchmark's canvases) both ways, as the API does (``prepare_number``, then one
batch through the network), and prints, per family, the share read whole, the
numbers cut into the wrong count of digits, and the CPU time per number (process
time, the least of ``--repeats`` reads: other work on a shared machine only adds),
with the same-run ratio.

    python benchmarks/number_cuts.py [--weights weights/cnn.json] [--numbers 40] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

import app  # noqa: E402, F401  (one BLAS thread, as the service runs)
from app.vision.pipeline import Prepared  # noqa: E402
from benchmarks import real_writers, stroke_scenes, synthetic  # noqa: E402
from benchmarks.robustness import decode, number_preparer  # noqa: E402
from model.mnist import load_mnist, to_float  # noqa: E402
from model.network import Network  # noqa: E402
from model.weights import load  # noqa: E402

LENGTH = 4


def families(numbers: int, seed: int) -> dict[str, list[synthetic.Sample]]:
    """The inputs: held-out writers' numbers per gap, and MNIST's."""
    held = real_writers.heldout_digits()
    out = {
        f"writers_{gap}": real_writers.number_inputs(LENGTH, gap, held, numbers, seed)
        for gap in stroke_scenes.GAPS
    }
    data = load_mnist()
    rng = np.random.default_rng([seed, 100 + LENGTH, 0])
    images, labels = to_float(data.test_images), data.test_labels
    out["mnist_canvas"] = synthetic.number_samples(LENGTH, images, labels, numbers, rng)
    return out


def read_number(
    network: Network, prepare: Callable[[Image.Image], Prepared], image: Image.Image
) -> tuple[int, ...]:
    """The number as the API reads it: the pipeline, then one batch through the network."""
    pieces = prepare(image).pieces
    images = np.array([p.image for p in pieces], np.float32).reshape(-1, 28, 28)
    read = network.read(images, fast=True)[0].argmax(axis=1) if len(images) else []
    return tuple(int(d) for d in read)


def measure(
    network: Network,
    prepare: Callable[[Image.Image], Prepared],
    inputs: list[synthetic.Sample],
    repeats: int,
) -> tuple[float, int, float]:
    """Share read whole, count of miscounted numbers, and the median over the numbers of
    each one's least CPU milliseconds in ``repeats`` reads (the least: other work on a
    shared machine only ever adds)."""
    right, miscounted, cpu = 0, 0, []
    for sample in inputs:
        image = decode(sample)
        times = []
        for _ in range(repeats):
            began = time.process_time()
            answer = read_number(network, prepare, image)
            times.append((time.process_time() - began) * 1000.0)
        cpu.append(min(times))
        right += answer == sample.labels
        miscounted += len(answer) != len(sample.labels)
    return right / max(1, len(inputs)), miscounted, float(np.median(cpu))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "cnn.json")
    parser.add_argument("--numbers", type=int, default=40, help="numbers per family")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="CPU timings per number")
    args = parser.parse_args(argv)
    network, _ = load(args.weights)
    print(f"weights {args.weights}, {args.numbers} numbers of {LENGTH} digits per family")
    print(
        f"  {'family':<18} {'shape':>7} {'guided':>7} {'miscount':>9} {'CPU ms':>15} {'ratio':>6}"
    )
    for name, inputs in families(args.numbers, args.seed).items():
        shape = measure(network, number_preparer(network, guided=False), inputs, args.repeats)
        guided = measure(network, number_preparer(network, guided=True), inputs, args.repeats)
        print(
            f"  {name:<18} {100 * shape[0]:6.1f}% {100 * guided[0]:6.1f}% "
            f"{shape[1]:4d} ->{guided[1]:3d} {shape[2]:6.1f} ->{guided[2]:6.1f} "
            f"{guided[2] / max(shape[2], 1e-9):5.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
