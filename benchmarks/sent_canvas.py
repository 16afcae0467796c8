"""The drawing page's canvas as it sends it: full size, or grey at half size.

The page used to send the pad at its logical size (280x280 for a digit, 560x280 for a
number) as an RGBA PNG; it now sends it grey at half that size, the size the ink
analysis reads anyway (``app.vision.pipeline``: a digit is analysed at no more than
200 pixels on its longer side, a number at 400). Only the final cut can read more
pixels at full size, so the 28x28 images differ a little. This benchmark shows what that
costs in accuracy: the held-out pendigits writers' digits and 4-digit numbers drawn black
on white as the page draws them (``benchmarks/stroke_scenes.py``), each read both ways
(the half-size copy is the full one box-averaged, which is what a browser's anti-aliased
rendering at half scale comes to), and prints the accuracy of each, how often the two
answers agree, the mean difference of the 28x28 images, and the milliseconds each takes.

    python benchmarks/sent_canvas.py [--count 300] [--numbers 40] [--weights weights/cnn.json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads OpenBLAS, as the server

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from app.vision.pipeline import Prepared, prepare_digit  # noqa: E402
from benchmarks.real_writers import heldout_digits, number_inputs  # noqa: E402
from benchmarks.robustness import number_preparer, read_as_served  # noqa: E402
from benchmarks.stroke_scenes import canvas_alpha  # noqa: E402
from benchmarks.synthetic import canvas_of  # noqa: E402
from model.network import Network  # noqa: E402
from model.weights import load  # noqa: E402

#: The page's sent picture is this fraction of its logical size (static/js/pad.js).
SENT_SCALE = 2
SEED = 25

#: Images and the digits they show.
Inputs = list[tuple[Image.Image, tuple[int, ...]]]


def half(image: Image.Image) -> Image.Image:
    return image.reduce(SENT_SCALE)


def digits(count: int) -> Inputs:
    """White canvases of the held-out writers' digits, black ink, as the pad draws."""
    samples = heldout_digits()
    rng = np.random.default_rng(SEED)
    chosen = rng.choice(len(samples), size=min(count, len(samples)), replace=False)
    out = []
    for i in chosen:
        alpha = canvas_alpha("canvas_white", samples[i].strokes, rng)
        out.append((canvas_of("canvas_white", alpha, rng), (int(samples[i].label),)))
    return out


def numbers(count: int) -> Inputs:
    scenes = number_inputs(4, "ordinary", heldout_digits(), count, SEED)
    return [(scene.image, scene.labels) for scene in scenes if scene.image is not None]


def read(network: Network, prepared: Prepared) -> tuple[tuple[int, ...], np.ndarray]:
    images = np.array([p.image for p in prepared.pieces], dtype=np.float32).reshape(-1, 28, 28)
    answer = tuple(int(d) for d in read_as_served(network, images))
    return answer, images


def compare(
    name: str, network: Network, inputs: Inputs, prepare: Callable[[Image.Image], Prepared]
) -> str:
    """Each input read at full and at half size: accuracy, agreement, CPU time."""
    right = {"full": 0, "half": 0}
    agree, differences = 0, []
    times: dict[str, list[float]] = {"full": [], "half": []}
    for image, labels in inputs:
        answers = {}
        for size, picture in (("full", image), ("half", half(image))):
            began = time.process_time()
            answers[size] = read(network, prepare(picture))
            times[size].append((time.process_time() - began) * 1000)
            right[size] += answers[size][0] == labels
        agree += answers["full"][0] == answers["half"][0]
        full, small = answers["full"][1], answers["half"][1]
        if full.shape == small.shape:
            differences.append(float(np.abs(full - small).mean()))
    n = max(1, len(inputs))
    return (
        f"{name:<22} {len(inputs):>5}  full {right['full'] / n:7.2%}  "
        f"half {right['half'] / n:7.2%}  same answer {agree / n:7.2%}  28x28 mean |difference| "
        f"{statistics.mean(differences) if differences else float('nan'):.4f}  CPU ms "
        f"{statistics.median(times['full']):.2f} -> {statistics.median(times['half']):.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="single digits")
    parser.add_argument("--numbers", type=int, default=40, help="4-digit numbers")
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "cnn.json")
    args = parser.parse_args(argv)
    network, _ = load(args.weights)
    print(f"{args.weights.name}: the pad's drawing read at full size and at half size")
    print(compare("digits (280 -> 140)", network, digits(args.count), prepare_digit))
    print(compare("numbers (560 -> 280)", network, numbers(args.numbers), number_preparer(network)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
