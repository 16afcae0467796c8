"""The weights file: a faithful round trip, and one clear error per kind of damage."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.architectures import PRESETS, build_network
from model.layers import Layer
from model.weights import (
    LAYER_TYPES,
    VERSION,
    WeightsError,
    encode_array,
    load,
    network_to_dict,
    save,
)


@pytest.fixture(scope="module", params=["mlp", "cnn"])
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    config = replace(PRESETS[request.param], hidden=[16], conv_filters=[4, 8])
    network = build_network(config, np.random.default_rng(0))
    network.temperature = 1.7
    return network_to_dict(network, {"seed": 0, "history": []})


def write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc))
    return path


def test_round_trip_predicts_the_same(tmp_path: Path, document: dict[str, Any]) -> None:
    from model.weights import network_from_dict

    original = network_from_dict(document)
    save(original, tmp_path / "w.json", document["training"])
    loaded, doc = load(tmp_path / "w.json")
    images = np.random.default_rng(1).random((5, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(original.predict_proba(images), loaded.predict_proba(images))
    assert loaded.temperature == 1.7
    assert doc["format"] == "digits-weights" and doc["version"] == 1  # ten digits: version 1
    assert doc["input"]["ink"] == 1.0 and doc["input"]["background"] == 0.0
    assert [layer.kind for layer in loaded.layers] == [layer.kind for layer in original.layers]


def damaged(doc: dict[str, Any], change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


CASES = [
    ("missing architecture", lambda d: d.pop("architecture"), "missing key 'architecture'"),
    (
        "missing layer list",
        lambda d: d["architecture"].pop("layers"),
        "missing key architecture.'layers'",
    ),
    (
        "unknown layer",
        lambda d: d["architecture"]["layers"].insert(0, {"type": "attention"}),
        "unknown layer type 'attention'",
    ),
    (
        "wrong shape",
        lambda d: d["parameters"]["0/b"].update(encode_array(np.zeros(3, np.float32))),
        "wrong shape [3]",
    ),
    ("newer version", lambda d: d.update(version=VERSION + 1), "newer than this code reads"),
    ("other format", lambda d: d.update(format="keras"), "format 'keras' is not"),
    ("missing parameter", lambda d: d["parameters"].pop("0/W"), "missing key parameters['0/W']"),
    (
        "extra parameter",
        lambda d: d["parameters"].update({"99/W": encode_array(np.zeros(1, np.float32))}),
        "parameters for no layer",
    ),
    ("bad base64", lambda d: d["parameters"]["0/b"].update(data="@@@"), "not valid base64"),
    ("wrong dtype", lambda d: d["parameters"]["0/b"].update(dtype="float64"), "float64"),
    ("short data", lambda d: d["parameters"]["0/b"].update(data="AAAA"), "bytes of data"),
    ("bad temperature", lambda d: d.update(calibration={"temperature": -1}), "temperature"),
    ("unknown loss", lambda d: d["architecture"].update(loss="hinge"), "loss 'hinge'"),
    ("bad option", lambda d: d["architecture"]["layers"][0].update(colour="red"), "unknown option"),
    ("wrong input", lambda d: d["architecture"].update(input_shape=[100]), "does not hold 28x28"),
]


@pytest.mark.parametrize("name,change,message", CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_named(
    tmp_path: Path, document: dict[str, Any], name: str, change: Any, message: str
) -> None:
    path = write(tmp_path, damaged(document, change))
    with pytest.raises(WeightsError) as caught:
        load(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_nan_parameters_are_refused(tmp_path: Path, document: dict[str, Any]) -> None:
    doc = damaged(
        document,
        lambda d: d["parameters"].update(
            {"0/b": encode_array(np.full(d["parameters"]["0/b"]["shape"], np.nan, np.float32))}
        ),
    )
    with pytest.raises(WeightsError, match="NaN"):
        load(write(tmp_path, doc))


def test_layers_that_do_not_fit_together(tmp_path: Path) -> None:
    config = replace(PRESETS["mlp"], hidden=[16])
    doc = network_to_dict(build_network(config, np.random.default_rng(0)))
    doc["architecture"]["layers"][0]["n_out"] = 17  # the next dense expects 16
    with pytest.raises(WeightsError, match="expects 16"):
        load(write(tmp_path, doc))


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load(bad)
    with pytest.raises(WeightsError, match="no such file"):
        load(tmp_path / "absent.json")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_number_that_is_not_finite_is_refused_in_one_line(
    tmp_path: Path, document: dict[str, Any], literal: str
) -> None:
    """json reads NaN, Infinity and overflowing numbers as floats: a temperature of NaN
    made every answer 'digit 0 at confidence 0.0' while the server said it was healthy."""
    text = json.dumps(damaged(document, lambda d: d.update(calibration={"temperature": 7.5})))
    path = tmp_path / "w.json"
    path.write_text(text.replace("7.5", literal))
    with pytest.raises(WeightsError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert "finite" in message and literal.lstrip("-") in message


def test_a_temperature_that_is_not_finite_is_refused(document: dict[str, Any]) -> None:
    from model.weights import network_from_dict

    for value in (float("nan"), float("inf")):
        with pytest.raises(WeightsError, match="temperature"):
            network_from_dict(
                damaged(document, lambda d, t=value: d.update(calibration={"temperature": t}))
            )


#: The size option of each layer type that has parameters, set far beyond any memory.
HUGE = {"dense": {"n_out": 10**9}, "conv2d": {"filters": 10**6, "kernel": 10**3}}


def test_a_layer_too_large_to_build_is_refused_before_allocating(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    """A layer claiming n_out=1e9 gave a 41-line MemoryError, not the one-line message."""
    first = document["architecture"]["layers"][0]
    path = write(
        tmp_path,
        damaged(document, lambda d: d["architecture"]["layers"][0].update(HUGE[first["type"]])),
    )
    with pytest.raises(WeightsError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and "architecture.layers[0]" in message and "too large" in message


def _layer_classes(root: type[Layer]) -> set[type[Layer]]:
    found = set()
    for sub in root.__subclasses__():
        found |= {sub} | _layer_classes(sub)
    return found


def test_the_layer_table_holds_every_layer_and_every_option(document: dict[str, Any]) -> None:
    """A layer class the table forgets could be trained but never loaded; an option it
    forgets would be refused in the file the saver just wrote."""
    assert {cls for cls in _layer_classes(Layer) if cls.kind} == {
        entry.cls for entry in LAYER_TYPES.values()
    }
    for spec in document["architecture"]["layers"]:
        options = set(spec) - {"type"}
        assert options <= set(LAYER_TYPES[spec["type"]].arguments), spec
