"""The shape of ``POST /explain``: what each layer saw and why the network chose its answer.

Every map is a PNG data URL on one colour scale (white zero, orange positive, blue
negative; ``app.service.pictures``) with the numbers behind it: the scale's end
(so each pixel reads back to a value), each map's peak, every dense unit's value,
and the attribution maps' 28x28 values in full.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.service.schemas import ModelInfo

#: A 2x2 picture, for the examples in the OpenAPI document (real answers are larger).
TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAF0lEQVR4nGPY7M7w"
    "//9/hv///3MEzgEAN6UH6u/uAzcAAAAASUVORK5CYII="
)
METHOD = (
    "Gradient times input: for each pixel, how much the digit's score would change if that "
    "pixel's ink faded away (to first order). Orange pixels pushed toward the digit, blue "
    "ones against it; blank paper counts zero."
)


class LayerView(BaseModel):
    """One layer's output for the image, as a picture and as numbers."""

    index: int = Field(ge=0, examples=[0], description="Position in the network's layer list.")
    kind: str = Field(examples=["conv2d"], description="conv2d, maxpool2d, batchnorm, relu, ...")
    title: str = Field(examples=["Convolution 1"])
    caption: str = Field(
        examples=[
            "32 filters of 5x5 slide over the image; each map lights up where its pattern is."
        ],
        description="What the layer does, in words for someone who has not read the code.",
    )
    shape: list[int] = Field(
        examples=[[28, 28, 32]], description="One image's output: height, width, maps; or units."
    )
    picture: str = Field(
        examples=[TINY_PNG],
        description="PNG data URL: the maps side by side (`tiles`, `columns` to a row, one grey "
        "pixel between them), or a dense layer's units as cells, 32 to a row.",
    )
    tiles: int = Field(ge=1, examples=[32], description="Maps in the picture (1 for units).")
    columns: int = Field(ge=1, examples=[8], description="Maps (or cells) per row.")
    scale: float = Field(
        gt=0,
        examples=[2.5],
        description="The colour scale runs from -scale (deepest blue) through 0 (white) to "
        "+scale (deepest orange), shared by the layer's maps.",
    )
    peaks: list[float] | None = Field(
        default=None, examples=[[0.8, 2.5]], description="Each map's largest value (maps only)."
    )
    values: list[float] | None = Field(
        default=None, examples=[[0.0, 1.7, 0.3]], description="Every unit's value (units only)."
    )


class FiltersView(BaseModel):
    """The first layer's learned weights, drawn as small images."""

    caption: str
    picture: str = Field(examples=[TINY_PNG], description="PNG data URL, tiles side by side.")
    shape: list[int] = Field(
        examples=[[32, 5, 5]], description="Tiles, height, width of each tile."
    )
    columns: int = Field(ge=1, examples=[8])
    scale: float = Field(gt=0, examples=[0.4])
    units: list[int] = Field(
        default_factory=list,
        examples=[[17, 402]],
        description="For an MLP, the hidden units whose input weights these are (most active "
        "first); empty for a convolution's filters.",
    )


class AttributionView(BaseModel):
    """Which of the 28x28 pixels pushed toward ``digit`` (positive) and which against it."""

    digit: int = Field(ge=0, le=9, examples=[4])
    caption: str = Field(examples=["Why 4: orange pixels pushed toward 4, blue ones against."])
    score: float = Field(
        examples=[12.3],
        description="The digit's score (logit) before the softmax; for the "
        "comparison map, the answer's score minus the runner-up's.",
    )
    picture: str = Field(examples=[TINY_PNG], description="PNG data URL, 28x28.")
    scale: float = Field(gt=0, examples=[0.9])
    values: list[list[float]] = Field(description="28 rows of 28 attributions.")


class SecondLookView(BaseModel):
    """Where the network was unsure at first sight: the views it looked at again, and
    what they read together (the answer ``POST /predict`` gives)."""

    digit: int = Field(ge=0, le=9, examples=[4], description="What the views read together.")
    confidence: float = Field(ge=0, le=1, examples=[0.93])
    probabilities: list[float] = Field(
        min_length=10,
        max_length=10,
        description="Each digit's probability from all the views: the geometric mean of "
        "theirs, rescaled to sum to 1.",
    )
    picture: str = Field(
        examples=[TINY_PNG],
        description="PNG data URL: the views side by side (`tiles` of them, one grey pixel "
        "between), the image itself first.",
    )
    tiles: int = Field(ge=1, examples=[7], description="Views in the picture.")
    caption: str = Field(
        examples=[
            "Unsure at first sight (62% on 4), the network looked again: at the image moved "
            "one pixel along each diagonal and turned 8 degrees either way. The 7 views "
            "together read 4, 93% sure."
        ]
    )


class DigitInside(BaseModel):
    """Everything inside the network for one digit."""

    digit: int = Field(ge=0, le=9, examples=[4], description="The answer.")
    confidence: float = Field(ge=0, le=1, examples=[0.97])
    runner_up: int = Field(ge=0, le=9, examples=[9], description="The second most likely digit.")
    probabilities: list[float] = Field(
        min_length=10, max_length=10, description="Calibrated probability of each digit, 0 to 9."
    )
    not_a_digit: float | None = Field(
        default=None,
        ge=0,
        le=1,
        examples=[0.01],
        description="Probability that the image is not a digit at all (null for a network "
        "without that output); the digits' probabilities above leave it out and sum to 1.",
    )
    box: list[int] | None = Field(
        default=None,
        min_length=4,
        max_length=4,
        description="`[x, y, width, height]` in the uploaded image (numbers only).",
    )
    input: str = Field(
        examples=[TINY_PNG], description="The 28x28 image the network saw, dark ink on white."
    )
    layers: list[LayerView] = Field(description="Each layer that changes the numbers, in order.")
    filters: FiltersView
    why: AttributionView = Field(description="What pushed the network toward its answer.")
    why_not: AttributionView = Field(description="The same for the runner-up.")
    versus: AttributionView = Field(
        description="The answer's map minus the runner-up's: what made it this digit rather "
        "than the runner-up."
    )
    second_look: SecondLookView | None = Field(
        default=None,
        description="A convolutional network unsure of its first look (under 90% on one "
        "digit) looks again at the image moved and turned a little; everything above is the "
        "first look, this is what `POST /predict` answers. Null where it looked once.",
    )


class ExplainResponse(BaseModel):
    """``POST /explain``: one entry in ``digits``, or one per digit with ``number=true``."""

    method: str = Field(examples=[METHOD], description="How the attribution maps are made.")
    digits: list[DigitInside]
    model: ModelInfo
    timing_ms: dict[str, float] = Field(
        examples=[{"decode": 0.9, "preprocess": 1.6, "explain": 2.4, "pictures": 3.0, "total": 8}]
    )
