"""How fast does the NumPy network train, against the machine's peak and against PyTorch?

For the classic 784-256-10 MLP and the shipped CNN architecture (batch 128, float32,
plain SGD, no augmentation so only the network is timed), this script prints:

- epoch time and images/s of the NumPy implementation;
- the FLOPs an epoch needs (forward + backward, counted per layer) and the fraction of
  the machine's matmul GFLOP/s (measured here, in this process) that the epoch achieves;
- when PyTorch happens to be installed (it is not a dependency), the same network,
  batch and data trained by PyTorch on the CPU, with the NumPy/PyTorch time ratio;
- for the CNN, the same epoch with the previous code path too: every convolution by
  im2col (``--conv direct``) against Winograd's products where they fit (the default),
  with the ratio of the two. FLOPs are counted as direct products in both, so the
  fraction of peak is "as fast as a direct convolution running at that fraction".

Usage: ``python benchmarks/train_speed.py [--images 60000] [--models mlp cnn] [--rounds 3]``.
NumPy and PyTorch epochs alternate ``--rounds`` times, so a burst of load elsewhere
on the machine hits both; the ratio printed is the median of the rounds' ratios.

NumPy runs as ``digits train`` runs it: BLAS on one thread (the ``digits`` command
pins it, see ``app/__init__.py``) and the batch split over ``DIGITS_TRAIN_THREADS``
threads (default: every core). The matmul peak is one GEMM per thread at once,
the most that setup can do. PyTorch gets every core for its own threads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads OpenBLAS, as `digits` does

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: this checkout's model/, not an installed one
    sys.path.insert(0, str(ROOT))

from model import parallel  # noqa: E402
from model.architectures import PRESETS, TrainConfig, build_network  # noqa: E402
from model.conv import Conv2D  # noqa: E402
from model.layers import Dense  # noqa: E402
from model.mnist import load_mnist, to_float  # noqa: E402
from model.network import Network  # noqa: E402
from model.optimizers import SGD  # noqa: E402

BATCH = 128
CONFIGS: dict[str, TrainConfig] = {
    "mlp": replace(PRESETS["relu256"], hidden=[256]),
    "cnn": replace(PRESETS["cnn"], dropout=0.0, augment=False),
}
#: the previous code path, timed in the same rounds: (its label, its config)
BASELINES: dict[str, tuple[str, TrainConfig]] = {
    "cnn": ("direct", replace(CONFIGS["cnn"], conv="direct")),
}


def matmul_gflops(size: int = 1024, repeats: int = 20) -> float:
    """Peak-ish float32 GEMM throughput of this machine: one product per training thread."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    workers = parallel.threads()

    def products(_: slice) -> None:
        for _ in range(repeats):
            a @ b

    parallel.map_chunks(products, workers, size=1)  # warm-up: thread pool start
    best = float("inf")
    for _ in range(3):  # the best of three: a burst of load elsewhere only lowers a round
        start = time.perf_counter()
        parallel.map_chunks(products, workers, size=1)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats * workers / best / 1e9


def epoch_flops(network: Network, images: int) -> float:
    """Forward + backward multiply-adds x2 of the dense and conv layers for one epoch."""
    flops, shape = 0.0, network.input_shape
    for index, layer in enumerate(network.layers):
        out = layer.output_shape(shape)
        if isinstance(layer, Dense):
            macs = layer.n_in * layer.n_out
        elif isinstance(layer, Conv2D):
            macs = out[0] * out[1] * layer.kernel**2 * layer.in_channels * layer.filters
        else:
            macs = 0
        passes = 2 if index == 0 else 3  # forward, dW, and dX except for the first layer
        flops += 2.0 * macs * passes
        shape = out
    return flops * images


def numpy_epoch(config: TrainConfig, x: np.ndarray, y: np.ndarray) -> tuple[float, Network]:
    network = build_network(config, np.random.default_rng(0))
    optimizer = SGD(lr=0.01, momentum=0.9)
    xs = network.prepare(x)

    def step(i: int) -> None:
        network.train_step(xs[i : i + BATCH], y[i : i + BATCH])
        optimizer.step(network)

    return time_epoch(step, len(y)), network


def time_epoch(step: Callable[[int], None], n: int) -> float:
    step(0)  # warm-up
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        step(i)
    return time.perf_counter() - start


def torch_model(torch: object, config: TrainConfig) -> object:
    nn = torch.nn  # type: ignore[attr-defined]
    if config.arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    layers: list[object] = []
    channels = 1
    for filters, kernel in zip(config.conv_filters, config.conv_kernels, strict=True):
        layers += [
            nn.Conv2d(channels, filters, kernel, padding=kernel // 2),
            nn.MaxPool2d(2),
            nn.BatchNorm2d(filters),
            nn.ReLU(),
        ]
        channels = filters
    layers += [nn.Flatten(), nn.Linear(7 * 7 * channels, config.hidden[0]), nn.ReLU()]
    layers.append(nn.Linear(config.hidden[0], 10))
    return nn.Sequential(*layers)


def torch_epoch(config: TrainConfig, x: np.ndarray, y: np.ndarray) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    model = torch_model(torch, config)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)  # type: ignore[attr-defined]
    loss_fn = torch.nn.CrossEntropyLoss()
    xs = torch.from_numpy(x.reshape(-1, 1, 28, 28).copy())
    ys = torch.from_numpy(y.astype(np.int64))

    def step(i: int) -> None:
        optimizer.zero_grad()
        loss = loss_fn(model(xs[i : i + BATCH]), ys[i : i + BATCH])  # type: ignore[operator]
        loss.backward()
        optimizer.step()

    return time_epoch(step, len(y))


def report(
    name: str, config: TrainConfig, x: np.ndarray, y: np.ndarray, peak: float, rounds: int
) -> None:
    """Alternate NumPy (and its baseline) and PyTorch epochs ``rounds`` times; print medians
    and the ratios."""
    baseline = BASELINES.get(name)
    numpy_times: list[float] = []
    base_times: list[float] = []
    torch_times: list[float] = []
    for _ in range(rounds):
        seconds, network = numpy_epoch(config, x, y)
        numpy_times.append(seconds)
        if baseline is not None:
            base_times.append(numpy_epoch(baseline[1], x, y)[0])
        torch_seconds = torch_epoch(config, x, y)
        if torch_seconds is not None:
            torch_times.append(torch_seconds)
    seconds = statistics.median(numpy_times)
    flops = epoch_flops(network, len(y))
    achieved = flops / seconds / 1e9
    print(f"\n{name}: {network.parameter_count():,} parameters, batch {BATCH}, {len(y):,} images")
    label = f"NumPy {config.conv}" if baseline else "NumPy  "
    print(epoch_line(label, numpy_times, len(y)))
    print(
        f"          {flops / 1e9:,.0f} GFLOP/epoch -> {achieved:.1f} GFLOP/s = "
        f"{achieved / peak:.0%} of the machine's matmul peak"
    )
    if baseline is not None:
        print(epoch_line(f"NumPy {baseline[0]}", base_times, len(y)))
        print(ratio_line(f"NumPy {config.conv} / NumPy {baseline[0]}", numpy_times, base_times))
    if not torch_times:
        print("  PyTorch not installed: no comparison (pip install torch to get one)")
        return
    print(epoch_line("PyTorch", torch_times, len(y)))
    print(ratio_line("NumPy / PyTorch", numpy_times, torch_times))
    if baseline is not None:
        print(ratio_line(f"NumPy {baseline[0]} / PyTorch", base_times, torch_times))


def ratio_line(what: str, times: list[float], others: list[float]) -> str:
    """The median of the rounds' time ratios, and each round's."""
    ratios = [a / b for a, b in zip(times, others, strict=True)]
    each = ", ".join(f"{r:.2f}x" for r in ratios)
    median = statistics.median(ratios)
    return f"  {what} epoch time: {median:.2f}x median of {len(ratios)} alternating rounds ({each})"


def epoch_line(library: str, times: list[float], images: int) -> str:
    """The median epoch time and rate, and the range over the rounds."""
    seconds = statistics.median(times)
    spread = f"  (rounds {min(times):.2f}-{max(times):.2f} s)" if len(times) > 1 else ""
    return f"  {library} epoch {seconds:7.2f} s  {images / seconds:9,.0f} images/s{spread}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60000, help="images per epoch")
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"], choices=sorted(CONFIGS))
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating NumPy/PyTorch epochs per model"
    )
    args = parser.parse_args()
    data = load_mnist()
    x, y = to_float(data.train_images[: args.images]), data.train_labels[: args.images]
    peak = matmul_gflops()
    print(
        f"machine: {os.cpu_count()} cores, float32 matmul peak {peak:.1f} GFLOP/s "
        f"(1024x1024 GEMMs on {parallel.threads()} threads, NumPy {np.__version__})"
    )
    for name in args.models:
        report(name, CONFIGS[name], x, y, peak, args.rounds)


if __name__ == "__main__":
    main()
