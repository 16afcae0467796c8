"""Inference latency of the shipped networks, alone and end to end.

Prints, for every weights file given (default: the shipped MLP and CNN):

- load time of the weights file and its size;
- forward latency for one image and for a batch of 64 (median of many runs),
  with the per-image cost of the batch;
- end to end (decode, preprocess, forward) for a 280x280 canvas PNG and for a
  12-megapixel phone-photo JPEG, the paths a request to ``POST /predict`` takes;
- end to end for the drawing page's canvas as it sent it before (the 280x280 pad as
  an RGBA PNG) and as it sends it now (grey, 140x140: ``static/js/pad.js``), the same
  7 both times, with the ratio of the two.

As the server runs it: BLAS on one thread and the served forward pass
(``model.inference``). Each figure is the median wall time and, in brackets, the median
CPU time of this process, which a machine busy with other work inflates far less.

The MLP is the baseline each CNN figure is compared with (ratio column).

Usage, from the repository root: ``python benchmarks/latency.py [--weights A.json B.json]``
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

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from app.vision.pipeline import load_image, prepare_digit  # noqa: E402
from benchmarks import synthetic  # noqa: E402
from benchmarks.http_load import canvas_png  # noqa: E402
from benchmarks.robustness import big_photo  # noqa: E402
from model.mnist import load_mnist, to_float  # noqa: E402
from model.network import Network  # noqa: E402
from model.second_look import looks_twice, served_read  # noqa: E402
from model.weights import load  # noqa: E402

REPO = ROOT


def end_to_end(network: Network, data: bytes) -> None:
    prepared = prepare_digit(load_image(data))
    served_read(network, np.stack([piece.image for piece in prepared.pieces]))


def second_look_cost(network: Network, images: np.ndarray) -> dict[str, tuple[float, float]]:
    """An image the network is unsure of, read once and as served (with the second look)."""
    if not looks_twice(network):
        return {}
    digits, _ = network.read(images[:1000], fast=True)
    unsure = images[int(digits.max(axis=1).argmin())][None]  # the least sure of 1,000
    once = median_ms(lambda: network.read(unsure, fast=True), 100)
    twice = median_ms(lambda: served_read(network, unsure), 100)
    return {
        "unsure image, one look (ms)": once,
        "unsure image, as served (ms)": twice,
    }


def median_ms(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``repeats`` calls, after one warm-up call."""
    run()
    wall, cpu = [], []
    for _ in range(repeats):
        began_wall, began_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - began_wall)
        cpu.append(time.process_time() - began_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def measure(
    path: Path, images: np.ndarray, png: bytes, photo: bytes
) -> dict[str, tuple[float, float]]:
    """Every row of the table for one weights file: (wall ms, CPU ms)."""
    began = time.perf_counter()
    network, _ = load(path)
    load_ms = (time.perf_counter() - began) * 1000
    one, batch = images[:1], images[:64]
    batch_ms = median_ms(lambda: network.predict_proba(batch, fast=True), 30)
    return {
        "file size (MB)": (path.stat().st_size / 1e6, float("nan")),
        "load (ms)": (load_ms, float("nan")),
        "forward, 1 image (ms)": median_ms(lambda: network.predict_proba(one, fast=True), 200),
        "forward, batch of 64 (ms)": batch_ms,
        "  per image in the batch (ms)": (batch_ms[0] / 64, batch_ms[1] / 64),
        "canvas PNG end to end (ms)": median_ms(lambda: end_to_end(network, png), 50),
        "12 MP photo end to end (ms)": median_ms(lambda: end_to_end(network, photo), 7),
        **page_canvas(network),
        **second_look_cost(network, images),
    }


#: The drawing page's 7 as it sent it before (the pad's 280x280 as RGBA) and sends it now.
PAGE_CANVASES = {"before": canvas_png(280, "RGBA"), "now": canvas_png()}


def page_canvas(network: Network) -> dict[str, tuple[float, float]]:
    """The page's canvas before and now, end to end, and now as a share of before."""
    rows = {}
    for when, data in PAGE_CANVASES.items():
        row = f"page canvas {when}, {len(data)} B (ms)"
        rows[row] = median_ms(lambda data=data: end_to_end(network, data), 100)
    before, now = rows.values()
    rows["  page canvas now / before"] = (now[0] / before[0], now[1] / before[1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [REPO / "weights" / "mlp.json", REPO / "weights" / "cnn.json"]
    parser.add_argument("--weights", type=Path, nargs="+", default=default)
    args = parser.parse_args()
    data = load_mnist()
    images = to_float(data.test_images[:1000])  # 64 for the batch, 1,000 to find an unsure one
    rng = np.random.default_rng(0)
    png, photo = (
        synthetic.canvas_png("canvas_transparent", data.test_images[0], rng),
        big_photo(data.test_images[1], rng),
    )
    results = {path.stem: measure(path, images, png, photo) for path in args.weights}
    names = list(results)
    print(f"{'':34}" + "".join(f"{name:>22}" for name in names) + "   ratio to first")
    rows = dict.fromkeys(row for name in names for row in results[name])  # in order, once
    for row in rows:
        values = [results[name].get(row, (float("nan"), float("nan"))) for name in names]
        first, last = values[0][0], values[-1][0]
        known = len(values) > 1 and first and not np.isnan(first) and not np.isnan(last)
        ratio = f"   {last / first:.2f}x" if known else ""
        print(f"{row:34}" + "".join(cell(*value) for value in values) + ratio)


def cell(wall: float, cpu: float) -> str:
    """Wall time, and CPU time in brackets where it was measured (not for sizes)."""
    if np.isnan(wall):  # a row this network has not (the second look of an MLP)
        return f"{'-':>22}"
    return f"{wall:12.3f}" + (f" ({cpu:7.3f})" if not np.isnan(cpu) else " " * 10)


if __name__ == "__main__":
    main()
