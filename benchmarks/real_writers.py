"""How well the networks read people they never trained on: the held-out pendigits writers.

MNIST's writers are not the service's users. This benchmark takes the 10
pendigits writers no network trains on (``model.strokedata.HELDOUT_PENDIGITS_WRITERS``),
renders their real pen strokes the ways users send them
(``benchmarks/stroke_scenes.py``: canvases with every pen, transparent, white and
inverted; phone photos; faint and small scans; numbers of 3 to 6 digits of one
writer with ordinary, tight and touching gaps), runs each through
``app.vision.pipeline`` exactly as the API does, and prints, for every weights
file given, the accuracy per family, a confusion table and the accuracy per
writer (single digits, all families together).

    python benchmarks/real_writers.py [--weights weights/cnn.json weights/mlp.json] [--count 300]

Targets (issue 23, held-out writers): canvases at least 99.0% (CNN) and 98.0%
(MLP), photos and scans at least 98.5% (CNN), 4-digit numbers at least 96% as
whole strings (CNN).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from app.vision.pipeline import prepare_digit  # noqa: E402
from benchmarks import stroke_scenes  # noqa: E402
from benchmarks.robustness import Result, interval, number_preparer, read  # noqa: E402
from benchmarks.synthetic import Sample  # noqa: E402
from model.network import Network  # noqa: E402
from model.strokedata import (  # noqa: E402
    HELDOUT_PENDIGITS_WRITERS,
    StrokeSample,
    load_pendigits,
    split_writers,
)
from model.weights import load  # noqa: E402

NUMBER_LENGTHS = (3, 4, 5, 6)
TARGETS = {"canvas": {"cnn": 0.99, "mlp": 0.98}, "photo": {"cnn": 0.985}, "number_4": {"cnn": 0.96}}


def heldout_digits() -> list[StrokeSample]:
    return split_writers(load_pendigits(), HELDOUT_PENDIGITS_WRITERS)[1]


def family_inputs(
    family: str, samples: list[StrokeSample], count: int, seed: int
) -> tuple[list[Sample], list[str]]:
    """``count`` inputs of ``family`` and their writers (the same draw for every network)."""
    rng = np.random.default_rng([seed, 23, stroke_scenes.FAMILIES.index(family)])
    chosen = rng.choice(len(samples), size=min(count, len(samples)), replace=False)
    inputs = [
        stroke_scenes.scene(family, samples[i].strokes, samples[i].label, rng) for i in chosen
    ]
    return inputs, [samples[i].writer for i in chosen]


def number_inputs(
    length: int, gap: str, samples: list[StrokeSample], count: int, seed: int
) -> list[Sample]:
    """``count`` numbers of ``length`` digits, each written by one held-out writer."""
    rng = np.random.default_rng([seed, 230 + length, list(stroke_scenes.GAPS).index(gap)])
    by_writer: dict[str, list[StrokeSample]] = defaultdict(list)
    for s in samples:
        by_writer[s.writer].append(s)
    writers = sorted(by_writer)
    out = []
    for _ in range(count):
        own = by_writer[writers[int(rng.integers(len(writers)))]]
        picks = rng.choice(len(own), size=length, replace=False)
        chars = [own[i].strokes for i in picks]
        out.append(stroke_scenes.number_scene(chars, [own[i].label for i in picks], gap, rng))
    return out


def score(
    name: str, network: Network, inputs: list[Sample], number: bool, guided: bool = True
) -> tuple[Result, list]:
    """Accuracy of ``inputs`` read through the pipeline, and the answers; for numbers,
    touching digits are cut where the network reads them best (``guided``) or by shape."""
    prepare = number_preparer(network, guided) if number else prepare_digit
    answers, times, empty, several = read(network, inputs, prepare)
    right = sum(a == s.labels for a, s in zip(answers, inputs, strict=True))
    miscounted = sum(len(a) != len(s.labels) for a, s in zip(answers, inputs, strict=True))
    median = statistics.median(times) if times else 0.0
    count = len(inputs)
    result = Result(name, right / max(1, count), count, median, empty, miscounted, several)
    return result, answers


def print_results(title: str, results: list[Result]) -> None:
    print(f"\n{title}")
    print(
        f"  {'family':<26} {'accuracy':>9} {'95% interval':>15} {'n':>5} {'empty':>6} "
        f"{'miscount':>9} {'median ms':>10}"
    )
    for r in results:
        low, high = interval(round(r.accuracy * r.count), r.count)
        print(
            f"  {r.name:<26} {100 * r.accuracy:8.2f}% {100 * low:6.1f}..{100 * high:5.1f}% "
            f"{r.count:5d} {r.empty:6d} {r.miscounted:9d} {r.median_ms:10.2f}"
        )


def print_confusion(confusion: np.ndarray) -> None:
    """Rows: the true digit; columns: what was read (``-`` none: empty or several)."""
    print("\nConfusion, single digits of every family (rows: written, columns: read; '-': none)")
    print("       " + "".join(f"{d:>6}" for d in range(10)) + f"{'-':>6}{'right':>8}")
    for d in range(10):
        row = confusion[d]
        share = row[d] / max(1, row.sum())
        print(f"  {d:>3}  " + "".join(f"{v:6d}" for v in row) + f"{100 * share:7.1f}%")


def run(
    network: Network,
    samples: list[StrokeSample],
    count: int,
    numbers: int,
    seed: int,
    guided: bool = True,
) -> None:
    confusion = np.zeros((10, 11), np.int64)
    per_writer: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    singles = []
    for family in stroke_scenes.FAMILIES:
        inputs, writers = family_inputs(family, samples, count, seed)
        result, answers = score(family, network, inputs, number=False)
        singles.append(result)
        for answer, sample, writer in zip(answers, inputs, writers, strict=True):
            truth = sample.labels[0]
            read_as = answer[0] if len(answer) == 1 else 10
            confusion[truth, read_as] += 1
            per_writer[writer][0] += int(answer == sample.labels)
            per_writer[writer][1] += 1
    print_results("Single digits of held-out writers", singles)
    runs = [
        score(f"number_{n}_{gap}", network, inputs, True, guided)[0]
        for n in NUMBER_LENGTHS
        for gap in stroke_scenes.GAPS
        for inputs in [number_inputs(n, gap, samples, numbers, seed)]
    ]
    print_results("Numbers of one held-out writer (whole number right)", runs)
    print_confusion(confusion)
    print("\nPer writer, single digits of every family")
    for writer in sorted(per_writer):
        right, total = per_writer[writer]
        print(f"  {writer}  {100 * right / total:6.2f}%  ({right}/{total})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, nargs="+", default=[ROOT / "weights" / "cnn.json"])
    parser.add_argument("--count", type=int, default=300, help="inputs per family")
    parser.add_argument("--numbers", type=int, default=0, help="numbers per length and gap")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--geometric", action="store_true", help="cut numbers by shape alone, not guided"
    )
    args = parser.parse_args(argv)
    samples = heldout_digits()
    writers = sorted({s.writer for s in samples})
    print(f"held-out writers: {', '.join(writers)} ({len(samples)} digits)")
    for path in args.weights:
        network, _doc = load(path)
        print(f"\n=== weights {path}")
        numbers = args.numbers or max(1, args.count // 3)
        run(network, samples, args.count, numbers, args.seed, not args.geometric)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
