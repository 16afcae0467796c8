"""How fast does the shipped network answer, against the same network in PyTorch?

The network of a weights file (default: the shipped CNN) runs forward on MNIST test
images, one image and a batch of 64, with BLAS on one thread (as a prediction does in
the server). When PyTorch is installed (it is not a dependency), the same architecture
with the same weights runs in PyTorch, eval mode, no autograd, one intra-op thread,
in the same process; the script prints both and the NumPy/PyTorch ratio.

Each round times every contender in turn (NumPy's served path, the same with every
convolution as direct products instead of Winograd's, NumPy's plain layer-by-layer path,
PyTorch), so a burst of load elsewhere on the machine hits all of
them; the ratio printed is the median of the rounds' ratios, with each round's ratio.
Times are CPU time of this process (``time.process_time``), which a loaded machine
inflates far less than wall time; the wall-time ratio is printed as well.

Usage: ``python benchmarks/inference_speed.py [--weights weights/cnn.json] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads OpenBLAS

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: this checkout's model/, not an installed one
    sys.path.insert(0, str(ROOT))

from benchmarks.latency import median_ms  # noqa: E402
from model.conv import Conv2D  # noqa: E402
from model.inference import FastPass  # noqa: E402
from model.layers import Dense, Dropout, Flatten, Layer, ReLU  # noqa: E402
from model.mnist import load_mnist, to_float  # noqa: E402
from model.network import Network  # noqa: E402
from model.normalization import BatchNorm  # noqa: E402
from model.pooling import MaxPool2D  # noqa: E402
from model.weights import load  # noqa: E402

#: the two batch sizes the targets name, and how many calls one round times for each
BATCHES = {1: 200, 64: 10}


def torch_network(torch: Any, network: Network) -> Any:
    """The same layers and weights as a PyTorch ``nn.Sequential`` (NCHW), in eval mode."""
    nn = torch.nn
    modules: list[Any] = []
    shape: tuple[int, ...] = network.input_shape
    for layer in network.layers:
        modules.append(torch_layer(torch, layer, shape))
        shape = layer.output_shape(shape)
    model = nn.Sequential(*modules).eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def torch_layer(torch: Any, layer: Layer, shape: tuple[int, ...]) -> Any:
    """One layer in PyTorch; ``shape`` is NumPy's (NHWC) input shape of one example."""
    nn, tensor = torch.nn, torch.from_numpy
    if isinstance(layer, Conv2D):
        conv = nn.Conv2d(layer.in_channels, layer.filters, layer.kernel, padding=layer.padding)
        conv.weight.data = tensor(layer.params["W"].transpose(3, 2, 0, 1).copy())  # (F, C, kh, kw)
        conv.bias.data = tensor(layer.params["b"].copy())
        return conv
    if isinstance(layer, MaxPool2D):
        return nn.MaxPool2d(layer.size)
    if isinstance(layer, BatchNorm):
        norm = (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(layer.features, layer.eps)
        norm.weight.data = tensor(layer.params["gamma"])
        norm.bias.data = tensor(layer.params["beta"])
        norm.running_mean.data = tensor(layer.state["running_mean"])
        norm.running_var.data = tensor(layer.state["running_var"])
        return norm
    if isinstance(layer, Dense):
        linear = nn.Linear(layer.n_in, layer.n_out)
        linear.weight.data = tensor(layer.params["W"].T.copy())  # (n_out, n_in)
        linear.bias.data = tensor(layer.params["b"].copy())
        return linear
    if isinstance(layer, Flatten):
        return nn.Flatten()
    if isinstance(layer, ReLU):
        return nn.ReLU()
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.rate)
    raise ValueError(f"no PyTorch counterpart for {type(layer).__name__}")


def reorder_flattened(network: Network, model: Any, torch: Any) -> None:
    """A dense layer after ``Flatten`` reads (h, w, c) in NumPy and (c, h, w) in PyTorch."""
    shape: tuple[int, ...] = network.input_shape
    for index, layer in enumerate(network.layers[:-1]):
        dense = network.layers[index + 1]
        if isinstance(layer, Flatten) and len(shape) == 3 and isinstance(dense, Dense):
            h, w, c = shape
            by_channel = dense.params["W"].reshape(h, w, c, -1).transpose(2, 0, 1, 3)
            rows = by_channel.reshape(h * w * c, -1)  # (c*h*w, n_out)
            model[index + 1].weight.data = torch.from_numpy(rows.T.copy())
        shape = layer.output_shape(shape)


def cpu_ms(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median CPU and wall milliseconds of ``repeats`` calls (after one warm-up call)."""
    wall, cpu = median_ms(call, repeats)
    return cpu, wall


def channels_first(x: np.ndarray) -> np.ndarray:
    """NumPy's NHWC images as PyTorch's NCHW (a view); flat MLP inputs stay as they are."""
    return x.transpose(0, 3, 1, 2) if x.ndim == 4 else x


def contenders(network: Network, images: np.ndarray) -> dict[str, Callable[[np.ndarray], Any]]:
    """What each round times: NumPy's served forward, the same with direct products only,
    its plain oracle, and PyTorch."""
    direct = FastPass.of(network.layers, winograd=False)
    runs: dict[str, Callable[[np.ndarray], Any]] = {
        "numpy": lambda x: network.forward_fast(x),
        "numpy direct": direct,
        "numpy plain": lambda x: network.forward_plain(x),
    }
    try:
        import torch
    except ImportError:
        return runs
    torch.set_num_threads(1)
    model = torch_network(torch, network)
    reorder_flattened(network, model, torch)
    expected = network.forward_plain(images[:8])
    answer = model(torch.from_numpy(channels_first(images[:8]).copy())).numpy()
    if not np.allclose(answer, expected, atol=1e-3):
        raise SystemExit("PyTorch's copy of the network disagrees with NumPy's; not timing it")

    def torch_forward(x: np.ndarray) -> Any:
        with torch.inference_mode():
            return model(torch.from_numpy(channels_first(x)))

    runs["pytorch"] = torch_forward
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "cnn.json")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    network, _ = load(args.weights)
    images = network.prepare(to_float(load_mnist().test_images[:64]))
    runs = contenders(network, images)
    blas = os.environ.get("OPENBLAS_CORETYPE", "chosen by OpenBLAS")
    print(
        f"{args.weights.name}: forward pass, BLAS on one thread (OpenBLAS kernels: {blas}), "
        f"{args.rounds} alternating rounds, CPU time of this process"
    )
    for batch, repeats in BATCHES.items():
        x = np.ascontiguousarray(images[:batch])
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():
                times[name].append(cpu_ms(lambda run=run, x=x: run(x), repeats))
        report(batch, times)


def report(batch: int, times: dict[str, list[tuple[float, float]]]) -> None:
    """Median CPU ms of each contender, and per-round ratios to the direct pass and PyTorch."""
    print(f"\nbatch of {batch}:")
    for name, rounds in times.items():
        cpu = statistics.median(t[0] for t in rounds)
        wall = statistics.median(t[1] for t in rounds)
        print(f"  {name:12} {cpu:8.3f} ms CPU  ({wall:.3f} ms wall)")
    ratio(times, "numpy", "numpy direct")
    if "pytorch" not in times:
        print("  PyTorch not installed: no comparison (pip install torch to get one)")
        return
    for name in ("numpy", "numpy direct", "numpy plain"):
        ratio(times, name, "pytorch")


def ratio(times: dict[str, list[tuple[float, float]]], name: str, baseline: str) -> None:
    """The median of the rounds' CPU-time ratios ``name / baseline``, and each round's."""
    ratios = [n[0] / t[0] for n, t in zip(times[name], times[baseline], strict=True)]
    walls = [n[1] / t[1] for n, t in zip(times[name], times[baseline], strict=True)]
    print(
        f"  {name} / {baseline}: {statistics.median(ratios):.2f}x CPU time "
        f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}); "
        f"wall {statistics.median(walls):.2f}x"
    )


if __name__ == "__main__":
    main()
