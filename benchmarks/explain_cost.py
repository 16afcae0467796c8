"""What looking inside costs: ``POST /explain`` against ``POST /predict`` for one canvas.

For every model (default: the shipped CNN and MLP) and a set of 280x280 canvas PNGs
(MNIST test digits drawn as the page's canvas sends them), it times the server's
whole work for each request: decode, prepare, the network (and for ``/explain``
every layer's outputs, both attributions and the pictures), and the response's
JSON, as the service runs them (``app.service.predictor.predict_digit`` and
``app.service.explain_view.explain_image``), without the HTTP around them, which
both pay alike. The two run interleaved, canvas by canvas, so a busy machine slows
both the same. It prints the medians, their ratio (the project's limit: 10x) and
the answer's size.

Usage, from the repository root: ``python benchmarks/explain_cost.py [--canvases 40]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from app.service.explain_view import ExplainRequest, explain_image  # noqa: E402
from app.service.inputs import ImageBytes  # noqa: E402
from app.service.predictor import Options, predict_digit  # noqa: E402
from app.service.registry import ServedModel, load_model  # noqa: E402
from app.settings import Settings  # noqa: E402
from benchmarks import synthetic  # noqa: E402
from model.mnist import load_mnist  # noqa: E402

#: the most an explanation may cost, in predictions (issue: "at most 10 times")
LIMIT = 10.0
REPEATS = 5  # timings per canvas and request kind; the median of all is reported


def server_ms(work: Callable[[ServedModel, Any, Options], BaseModel], *args: Any) -> float:
    """Milliseconds for ``work(*args)``: the answer built and serialised as the API sends it."""
    began = time.perf_counter()
    work(*args).model_dump_json()
    return (time.perf_counter() - began) * 1000.0


def measure(model: ServedModel, canvases: list[bytes]) -> dict[str, float]:
    options = Options.of(Settings.from_env())
    predict_times, explain_times = [], []
    sizes = []
    for png in canvases:
        source = ImageBytes(png)
        request = ExplainRequest(source)
        predict_digit(model, source, options)  # warm this canvas's path once
        sizes.append(len(explain_image(model, request, options).model_dump_json()))
        for _ in range(REPEATS):
            predict_times.append(server_ms(predict_digit, model, source, options))
            explain_times.append(server_ms(explain_image, model, request, options))
    predict, explain = statistics.median(predict_times), statistics.median(explain_times)
    return {
        "predict (ms)": predict,
        "explain (ms)": explain,
        "ratio": explain / predict,
        "answer (kB)": statistics.median(sizes) / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [ROOT / "weights" / "cnn.json", ROOT / "weights" / "mlp.json"]
    parser.add_argument("--weights", type=Path, nargs="+", default=default)
    parser.add_argument("--canvases", type=int, default=40, help="canvas PNGs to time")
    args = parser.parse_args()
    data = load_mnist()
    rng = np.random.default_rng(0)
    canvases = [
        synthetic.canvas_png("canvas_transparent", digit, rng)
        for digit in data.test_images[: args.canvases]
    ]
    print(f"{len(canvases)} canvases x {REPEATS} runs each, predict and explain interleaved")
    print(f"{'model':8}{'predict ms':>12}{'explain ms':>12}{'ratio':>8}{'answer kB':>11}")
    for path in args.weights:
        figures = measure(load_model(path.stem, path), canvases)
        verdict = "within" if figures["ratio"] <= LIMIT else "OVER"
        print(
            f"{path.stem:8}{figures['predict (ms)']:12.2f}{figures['explain (ms)']:12.2f}"
            f"{figures['ratio']:7.1f}x{figures['answer (kB)']:11.0f}"
            f"   {verdict} the {LIMIT:.0f}x limit"
        )


if __name__ == "__main__":
    main()
