"""Does the network say "not a digit" to what is none, and only to that?

Measured both ways, for every weights file given:

- **refusals** of non-digits never trained on, per kind: the letters of the
  held-out uji-letters writers (those written like digits on their own line,
  for information: refusing or reading them are both fair), the generated kinds
  the network trained on but drawn from other seeds, and kinds it never saw
  (``model.negatives.HELDOUT_KINDS``), each sent as a canvas, a photo or a scan
  through ``app.vision.pipeline`` as the API does. A non-digit the pipeline
  finds empty counts as refused too (the API answers 422);
- **false refusals** of real digits: MNIST test, the held-out pendigits writers
  (every family of ``benchmarks/real_writers.py``) and every robustness family.

The score of an image is the network's "not a digit" probability (its 11th
output); a network without one is scored by ``1 - max probability``, the usual
baseline. The operating point is chosen on *validation* data only: the MNIST
validation split the training held out (the same seeded split), plain and drawn
as canvases and photos, taking the lowest threshold whose false refusals stay
within ``VAL_MNIST_BUDGET`` and ``VAL_CANVAS_BUDGET``. ``--report out.png`` draws
the trade-off curve (refusals against false refusals as the threshold moves)
with the chosen point; matplotlib comes with the ``train`` extra.

    python benchmarks/not_digits.py [--weights weights/cnn.json ...] [--count 80] [--report out.png]

Targets (issue 24): at least 95% of non-digits refused, at most 1% of
real-writer digits and at most 0.3% of MNIST test digits refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from app.vision.pipeline import prepare_digit  # noqa: E402
from benchmarks import stroke_scenes, synthetic  # noqa: E402
from benchmarks.real_writers import heldout_digits  # noqa: E402
from benchmarks.robustness import decode  # noqa: E402
from benchmarks.synthetic import Sample  # noqa: E402
from model.mnist import load_mnist, to_float  # noqa: E402
from model.negatives import HELDOUT_KINDS, OPEN_KINDS, TRAIN_KINDS, draw  # noqa: E402
from model.network import Network  # noqa: E402
from model.strokedata import (  # noqa: E402
    DIGIT_LIKE_LETTERS,
    HELDOUT_UJI_WRITERS,
    load_uji_letters,
    split_writers,
)
from model.weights import load  # noqa: E402

Array = np.ndarray
VAL_MNIST_BUDGET = 0.002  # false refusals allowed on the MNIST validation split
VAL_CANVAS_BUDGET = 0.005  # ... and on its digits drawn as canvases and photos
THRESHOLDS = np.round(np.arange(0.02, 1.0, 0.01), 2)
SCENES = ("canvas_white", "canvas_transparent", "canvas_dark", "photo_paper", "scan")
BENCH_SEED = 24_000  # generators here never share a seed with training's draws
TARGETS = {"refused": 0.95, "real_writers": 0.01, "mnist_test": 0.003}
#: how each generated kind relates to training, as the report names it
KIND_TAGS = {
    **dict.fromkeys(TRAIN_KINDS, "trained kind, new seed"),
    **dict.fromkeys(HELDOUT_KINDS, "never trained"),
    **dict.fromkeys(OPEN_KINDS, "trained with --doodles, new seed"),
}


def scores(network: Network, images: Array) -> Array:
    """The not-a-digit score of each 28x28 image (higher: less like a digit)."""
    if not len(images):
        return np.zeros(0, np.float32)
    digits, refused = network.read(images)
    return refused if network.not_a_digit is not None else 1.0 - digits.max(axis=1)


def through_pipeline(network: Network, inputs: list[Sample]) -> Array:
    """Each input's score as the API would see it; an empty verdict scores infinity."""
    out = np.full(len(inputs), np.inf, np.float32)
    images, where = [], []
    for i, sample in enumerate(inputs):
        prepared = prepare_digit(decode(sample))
        if prepared.empty or not prepared.pieces:
            continue
        images.append(np.asarray(prepared.pieces[0].image, np.float32).reshape(28, 28))
        where.append(i)
    if images:
        out[where] = scores(network, np.stack(images))
    return out


def scenes_of(strokes_list: list, labels: list[str], rng: np.random.Generator) -> list[Sample]:
    return [
        stroke_scenes.scene(SCENES[int(rng.integers(len(SCENES)))], strokes, label, rng)
        for strokes, label in zip(strokes_list, labels, strict=True)
    ]


def non_digit_inputs(count: int, seed: int) -> dict[str, list[Sample]]:
    """Every kind of non-digit kept apart from training, ``count`` of each."""
    rng = np.random.default_rng([BENCH_SEED, seed])
    letters = split_writers(load_uji_letters(), HELDOUT_UJI_WRITERS)[1]
    plain = [s for s in letters if s.label not in DIGIT_LIKE_LETTERS]
    like = [s for s in letters if s.label in DIGIT_LIKE_LETTERS]
    out = {
        "letters (held-out writers)": scenes_of(
            [s.strokes for s in plain], [s.label for s in plain], rng
        ),
        "digit-like letters (info)": scenes_of(
            [s.strokes for s in like], [s.label for s in like], rng
        ),
    }
    for kind, tag in KIND_TAGS.items():  # doodles last: the older kinds' draws stay as they were
        drawn = [draw(kind, rng) for _ in range(count)]
        out[f"{kind} ({tag})"] = scenes_of(drawn, ["x"] * count, rng)
    return out


def digit_inputs(count: int, seed: int, images: Array, labels: Array) -> dict[str, list[Sample]]:
    """Real digits sent through the pipeline: held-out writers and robustness families."""
    held = heldout_digits()
    rng = np.random.default_rng([BENCH_SEED + 1, seed])
    out: dict[str, list[Sample]] = {}
    for family in stroke_scenes.FAMILIES:
        picks = rng.choice(len(held), size=count, replace=False)
        out[f"writers: {family}"] = [
            stroke_scenes.scene(family, held[i].strokes, held[i].label, rng) for i in picks
        ]
    for family in synthetic.FAMILIES:
        out[f"robustness: {family}"] = synthetic.family_samples(family, images, labels, count, rng)
    return out


def validation(network: Network, count: int) -> tuple[Array, Array]:
    """Scores of the MNIST validation split the training held out: plain, and drawn."""
    data = load_mnist()
    _, _, val_x, val_y = data.split_validation(5000, np.random.default_rng(0))
    plain = scores(network, to_float(val_x))
    rng = np.random.default_rng([BENCH_SEED + 2])
    drawn: list[Sample] = []
    for family in ("canvas_white", "canvas_thin", "photo_paper", "scan"):
        drawn += synthetic.family_samples(family, to_float(val_x), val_y, count, rng)
    return plain, through_pipeline(network, drawn)


def choose_threshold(val_plain: Array, val_drawn: Array) -> float:
    """The lowest threshold whose validation false refusals stay within budget."""
    for t in THRESHOLDS:
        if (val_plain >= t).mean() <= VAL_MNIST_BUDGET and (val_drawn >= t).mean() <= (
            VAL_CANVAS_BUDGET
        ):
            return float(t)
    return float(THRESHOLDS[-1])


def rate(values: Array, t: float) -> float:
    return float((values >= t).mean()) if len(values) else 0.0


def report_png(path: Path, curves: dict[str, tuple[Array, Array]], chosen: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for name, (non_digits, digits) in curves.items():
        refused = [rate(non_digits, t) for t in THRESHOLDS]
        false = [rate(digits, t) for t in THRESHOLDS]
        ax.plot(np.array(false) * 100, np.array(refused) * 100, label=name)
        ax.plot([rate(digits, chosen) * 100], [rate(non_digits, chosen) * 100], "o")
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel("real digits refused (%; held-out writers, every family)")
    ax.set_ylabel("non-digits refused (%; kept apart from training)")
    ax.set_title(f"not a digit: the trade-off (dots: threshold {chosen:.2f}, chosen on validation)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(network: Network, count: int, seed: int, threshold: float | None) -> tuple:
    val_plain, val_drawn = validation(network, count)
    chosen = threshold if threshold is not None else choose_threshold(val_plain, val_drawn)
    print(
        f"threshold {chosen:.2f} (validation false refusals: "
        f"MNIST {100 * rate(val_plain, chosen):.2f}%, drawn {100 * rate(val_drawn, chosen):.2f}%)"
    )
    data = load_mnist()
    images, labels = to_float(data.test_images), data.test_labels
    mnist = scores(network, images)
    print(f"\nNon-digits refused at {chosen:.2f} (empty = the pipeline found no ink)")
    pooled, counted = [], []
    for kind, inputs in non_digit_inputs(count, seed).items():
        s = through_pipeline(network, inputs)
        empty = int(np.isinf(s).sum())
        print(f"  {kind:<40} {100 * rate(s, chosen):6.1f}%  n {len(s):4d}  empty {empty:3d}")
        pooled.append(s)
        if "info" not in kind:
            counted.append(s)
    refused_all = np.concatenate(counted)
    print(
        f"  {'ALL (without digit-like letters)':<40} {100 * rate(refused_all, chosen):6.1f}%"
        f"  (target >= {100 * TARGETS['refused']:.0f}%)"
    )
    print(f"\nReal digits refused at {chosen:.2f} (false refusals)")
    print(
        f"  {'MNIST test':<40} {100 * rate(mnist, chosen):6.2f}%  n {len(mnist)}"
        f"  (target <= {100 * TARGETS['mnist_test']:.1f}%)"
    )
    writers = []
    for family, inputs in digit_inputs(count, seed, images, labels).items():
        s = through_pipeline(network, inputs)
        s = s[np.isfinite(s)]  # an empty digit is the accuracy benchmarks' business
        print(f"  {family:<40} {100 * rate(s, chosen):6.2f}%  n {len(s):4d}")
        if family.startswith("writers"):
            writers.append(s)
    held = np.concatenate(writers)
    print(
        f"  {'ALL held-out writers':<40} {100 * rate(held, chosen):6.2f}%"
        f"  (target <= {100 * TARGETS['real_writers']:.0f}%)"
    )
    return chosen, refused_all, held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, nargs="+", default=[ROOT / "weights" / "cnn.json"])
    parser.add_argument("--count", type=int, default=80, help="inputs per kind and family")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, help="use this instead of choosing one")
    parser.add_argument("--report", type=Path, help="draw the trade-off curve into this PNG")
    args = parser.parse_args(argv)
    curves, chosen = {}, 0.5
    for path in args.weights:
        network, _doc = load(path)
        kind = "11th output" if network.not_a_digit is not None else "1 - max probability"
        print(f"\n=== weights {path} (score: {kind})")
        chosen, refused, held = run(network, args.count, args.seed, args.threshold)
        curves[path.name] = (refused, held)
    if args.report:
        report_png(args.report, curves, chosen)
        print(f"\nwrote {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
