"""The JSON weights file: a versioned, validated description of a trained network.

Format ``digits-weights``, version 1 (version 2 when the network has a not-a-digit
output: ``architecture.not_a_digit``, the index 10 of its 11th output)::

    {
      "format": "digits-weights", "version": 1,
      "architecture": {"input_shape": [784], "loss": "softmax_cross_entropy",
                       "layers": [{"type": "dense", "n_in": 784, "n_out": 512, ...}, ...],
                       "not_a_digit": 10  (version 2 only)},
      "input": {"height": 28, "width": 28, "ink": 1.0, "background": 0.0, ...},
      "calibration": {"temperature": 1.0, ...},
      "training": {hyperparameters, seed, data checksums, history, accuracies, date,
                   teacher (distilled runs: file name, sha256, test accuracy), ...},
      "parameters": {"0/W": ARRAY, "0/b": ARRAY, ...}
    }

An ARRAY is ``{"dtype": "float32", "shape": [784, 512], "encoding": "base64",
"data": "..."}``: the C-order little-endian bytes of the array, base64-encoded.
Keys of ``parameters`` are ``"<layer index>/<name>"`` and cover every trainable
parameter and saved state (batch-norm running statistics) of every layer.

Layers are rebuilt only from the fixed table ``LAYER_TYPES``; nothing is looked up
by name anywhere else. The loader checks everything and raises ``WeightsError``
naming the file and the problem.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.conv import Conv2D
from model.layers import Array, Dense, Dropout, Flatten, Layer, ReLU, Sigmoid
from model.losses import LOSSES
from model.network import NOT_A_DIGIT_INDEX, Network
from model.normalization import BatchNorm
from model.pooling import GlobalAvgPool, MaxPool2D

FORMAT = "digits-weights"
VERSION = 2  # the newest this code reads
#: version 2 added ``architecture.not_a_digit``: the index (10) of an 11th output that says
#: the image is not a digit. Files without it are still written as version 1, so a reader
#: of version 1 reads them; a file with it says plainly that it needs newer code.
NOT_A_DIGIT_VERSION = 2

INPUT_CONVENTION = {
    "height": 28,
    "width": 28,
    "ink": 1.0,
    "background": 0.0,
    "dtype": "float32",
    "digit_box": 20,
    "centered_by": "mass",
}

JsonType = type | tuple[type, ...]
NUMBER: tuple[type, ...] = (int, float)


@dataclass(frozen=True)
class LayerType:
    """What the file format knows of one layer class.

    ``arguments``: the constructor arguments a file may give, with their JSON types;
    ``size``: how many parameters those arguments make (checked before anything is
    allocated); ``takes``: the input width (features or channels) a built layer
    expects, when it has one.
    """

    cls: type[Layer]
    arguments: dict[str, JsonType] = field(default_factory=dict)
    size: Callable[[dict[str, Any]], int] = lambda arguments: 0
    takes: Callable[[Any], int | None] = lambda layer: None

    @property
    def kind(self) -> str:
        return self.cls.kind


def _conv_size(arguments: dict[str, Any]) -> int:
    kernel = arguments.get("kernel", 3)
    return int(arguments.get("in_channels", 1) * arguments.get("filters", 0) * kernel * kernel)


#: Every layer a weights file may hold; nothing is looked up by name anywhere else,
#: so a new layer type is one entry here.
LAYER_TYPES: dict[str, LayerType] = {
    entry.kind: entry
    for entry in (
        LayerType(
            Dense,
            {"n_in": int, "n_out": int, "init": str},
            size=lambda a: int(a.get("n_in", 0) * a.get("n_out", 0)),
            takes=lambda layer: layer.n_in,
        ),
        LayerType(ReLU),
        LayerType(Sigmoid),
        LayerType(Flatten),
        LayerType(Dropout, {"rate": NUMBER}),
        LayerType(
            Conv2D,
            {
                "in_channels": int,
                "filters": int,
                "kernel": int,
                "stride": int,
                "padding": int,
                "init": str,
            },
            size=_conv_size,
            takes=lambda layer: layer.in_channels,
        ),
        LayerType(MaxPool2D, {"size": int}),
        LayerType(
            BatchNorm,
            {"features": int, "momentum": NUMBER, "eps": NUMBER},
            size=lambda a: int(a.get("features", 0)),
            takes=lambda layer: layer.features,
        ),
        LayerType(GlobalAvgPool),
    )
}


#: The most parameters one layer may declare. The largest network trained here holds
#: under 2 million; the check runs before anything is allocated, so a file claiming
#: ``n_out = 1e9`` gets a sentence instead of a MemoryError.
MAX_LAYER_PARAMETERS = 50_000_000


class WeightsError(Exception):
    """A weights file that cannot be used, with the reason."""


# -- arrays -------------------------------------------------------------------------------
def encode_array(array: Array) -> dict[str, Any]:
    little = np.ascontiguousarray(array, dtype=np.dtype(array.dtype).newbyteorder("<"))
    return {
        "dtype": str(np.dtype(array.dtype)),
        "shape": list(array.shape),
        "encoding": "base64",
        "data": base64.b64encode(little.tobytes()).decode("ascii"),
    }


def decode_array(entry: Any, where: str) -> Array:
    if not isinstance(entry, dict):
        raise WeightsError(f"{where}: expected an array object, got {type(entry).__name__}")
    for key in ("dtype", "shape", "encoding", "data"):
        if key not in entry:
            raise WeightsError(f"{where}: missing key {key!r}")
    if entry["dtype"] != "float32":
        raise WeightsError(f"{where}: dtype {entry['dtype']!r} is not supported (float32 only)")
    if entry["encoding"] != "base64":
        raise WeightsError(f"{where}: encoding {entry['encoding']!r} is not supported (base64)")
    shape = entry["shape"]
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise WeightsError(f"{where}: shape must be a list of non-negative integers")
    try:
        raw = binascii.a2b_base64(entry["data"], strict_mode=True)
    except (binascii.Error, TypeError, ValueError):
        raise WeightsError(f"{where}: data is not valid base64") from None
    expected = int(np.prod(shape, dtype=np.int64)) * 4
    if len(raw) != expected:
        raise WeightsError(f"{where}: {len(raw)} bytes of data, shape {shape} needs {expected}")
    array = np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)
    if not np.isfinite(array).all():
        raise WeightsError(f"{where}: contains NaN or infinite values")
    return array


# -- saving -------------------------------------------------------------------------------
def network_to_dict(network: Network, training: dict[str, Any] | None = None) -> dict[str, Any]:
    layers = [{"type": layer.kind, **layer.config()} for layer in network.layers]
    parameters = {
        f"{index}/{key}": encode_array(value)
        for index, layer in enumerate(network.layers)
        for key, value in {**layer.params, **layer.state}.items()
    }
    return {
        "format": FORMAT,
        "version": 1 if network.not_a_digit is None else NOT_A_DIGIT_VERSION,
        "architecture": {
            "input_shape": list(network.input_shape),
            "loss": network.loss.name,
            "layers": layers,
            **({"not_a_digit": network.not_a_digit} if network.not_a_digit is not None else {}),
        },
        "input": dict(INPUT_CONVENTION),
        "calibration": {"temperature": network.temperature},
        "training": training or {},
        "parameters": parameters,
    }


def save(network: Network, path: Path, training: dict[str, Any] | None = None) -> None:
    """Write the weights file atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(network_to_dict(network, training), separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a weights file is for everyone to read
    os.replace(tmp, path)


# -- loading ------------------------------------------------------------------------------
def _require(mapping: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in mapping:
        raise WeightsError(f"missing key {where}{key!r}")
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise WeightsError(f"{where}{key!r} has the wrong type ({type(value).__name__})")
    return value


def build_layer(spec: Any, index: int) -> Layer:
    where = f"architecture.layers[{index}]"
    if not isinstance(spec, dict):
        raise WeightsError(f"{where} must be an object")
    kind = _require(spec, "type", str, f"{where}.")
    if kind not in LAYER_TYPES:
        raise WeightsError(f"{where}: unknown layer type {kind!r}; known: {', '.join(LAYER_TYPES)}")
    entry = LAYER_TYPES[kind]
    arguments = {}
    for name, json_type in entry.arguments.items():
        if name in spec:
            arguments[name] = _require(spec, name, json_type, f"{where}.")
    unknown = set(spec) - set(entry.arguments) - {"type"}
    if unknown:
        raise WeightsError(f"{where}: unknown option(s) {sorted(unknown)} for {kind!r}")
    count = entry.size(arguments)
    if count > MAX_LAYER_PARAMETERS:
        raise WeightsError(
            f"{where}: {kind} layer too large ({count:,} parameters; "
            f"at most {MAX_LAYER_PARAMETERS:,})"
        )
    constructor: Callable[..., Layer] = entry.cls
    try:
        return constructor(**arguments)
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{where}: {exc}") from None


def check_shapes(layers: list[Layer], input_shape: tuple[int, ...], outputs: int = 10) -> None:
    """Walk one example's shape through the stack; fail where it does not fit."""
    shape = input_shape
    for index, layer in enumerate(layers):
        expected_in = LAYER_TYPES[layer.kind].takes(layer)
        if expected_in is not None and shape[-1] != expected_in:
            raise WeightsError(
                f"architecture.layers[{index}] ({layer.kind}) expects {expected_in} "
                f"input features/channels but receives shape {list(shape)}"
            )
        shape = layer.output_shape(shape)
    if shape != (outputs,):
        raise WeightsError(f"the network outputs shape {list(shape)}, expected [{outputs}]")


def load_parameters(layers: list[Layer], parameters: Any) -> None:
    if not isinstance(parameters, dict):
        raise WeightsError("'parameters' must be an object")
    expected = set()
    for index, layer in enumerate(layers):
        for store in (layer.params, layer.state):
            for key, current in store.items():
                name = f"{index}/{key}"
                expected.add(name)
                if name not in parameters:
                    raise WeightsError(f"missing key parameters[{name!r}] ({layer.kind} layer)")
                array = decode_array(parameters[name], f"parameters[{name!r}]")
                if array.shape != current.shape:
                    raise WeightsError(
                        f"parameters[{name!r}]: wrong shape {list(array.shape)}, "
                        f"the architecture needs {list(current.shape)}"
                    )
                store[key] = array
    extra = set(parameters) - expected
    if extra:
        raise WeightsError(f"parameters for no layer: {sorted(extra)}")


def network_from_dict(data: Any) -> Network:
    if not isinstance(data, dict):
        raise WeightsError("the top level must be a JSON object")
    fmt = _require(data, "format", str, "")
    if fmt != FORMAT:
        raise WeightsError(f"format {fmt!r} is not {FORMAT!r}")
    version = _require(data, "version", int, "")
    if version > VERSION:
        raise WeightsError(
            f"format version {version} is newer than this code reads ({VERSION}); upgrade digits"
        )
    if version < 1:
        raise WeightsError(f"format version {version} is not valid")
    arch = _require(data, "architecture", dict, "")
    input_shape = tuple(_require(arch, "input_shape", list, "architecture."))
    if not input_shape or not all(isinstance(d, int) and d > 0 for d in input_shape):
        raise WeightsError("architecture.input_shape must be a list of positive integers")
    if int(np.prod(input_shape)) != 784:
        raise WeightsError(f"architecture.input_shape {list(input_shape)} does not hold 28x28")
    loss = _require(arch, "loss", str, "architecture.")
    if loss not in LOSSES:
        raise WeightsError(f"architecture.loss {loss!r} is unknown; known: {', '.join(LOSSES)}")
    specs = _require(arch, "layers", list, "architecture.")
    layers = [build_layer(spec, i) for i, spec in enumerate(specs)]
    not_a_digit = read_not_a_digit(arch, version)
    check_shapes(layers, input_shape, 10 if not_a_digit is None else 11)
    _require(data, "input", dict, "")
    load_parameters(layers, _require(data, "parameters", dict, ""))
    temperature = read_temperature(data.get("calibration", {}))
    return Network(layers, input_shape, loss, temperature, not_a_digit)


def read_not_a_digit(arch: dict[str, Any], version: int) -> int | None:
    """The index of the not-a-digit output, or None for a ten-digit network."""
    if "not_a_digit" not in arch:
        return None
    index = _require(arch, "not_a_digit", int, "architecture.")
    if version < NOT_A_DIGIT_VERSION:
        raise WeightsError(f"architecture.not_a_digit needs format version {NOT_A_DIGIT_VERSION}")
    if index != NOT_A_DIGIT_INDEX:
        raise WeightsError(f"architecture.not_a_digit must be {NOT_A_DIGIT_INDEX}, not {index}")
    return index


def read_temperature(calibration: Any) -> float:
    temperature = calibration.get("temperature", 1.0) if isinstance(calibration, dict) else None
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise WeightsError("calibration.temperature must be a positive number")
    if not math.isfinite(temperature) or temperature <= 0:
        raise WeightsError("calibration.temperature must be a positive finite number")
    return float(temperature)


def load(path: Path) -> tuple[Network, dict[str, Any]]:
    """Load and validate a weights file; returns the network and the whole document."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WeightsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WeightsError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text, parse_constant=_not_finite, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise WeightsError(f"{path}: not valid JSON ({exc})") from None
    except WeightsError as exc:
        raise WeightsError(f"{path}: {exc}") from None
    try:
        return network_from_dict(data), data
    except WeightsError as exc:
        raise WeightsError(f"{path}: {exc}") from None


def _not_finite(literal: str) -> float:
    """Python's json reads ``NaN`` and ``Infinity``; no number in a weights file may be."""
    raise WeightsError(f"holds the number {literal}; every number must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 overflows to Infinity
        raise WeightsError(f"holds the number {text}, which is not finite (Infinity)")
    return value
