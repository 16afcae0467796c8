"""An 11th "not a digit" output: built, saved as format version 2, loaded, read as ten digits."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from model.architectures import PRESETS, build_network
from model.weights import WeightsError, load, network_to_dict, save

ROOT = Path(__file__).resolve().parents[2]


def small(not_digit: float):
    config = replace(PRESETS["relu256"], hidden=[16], not_digit=not_digit)
    return build_network(config, np.random.default_rng(0))


def test_eleven_outputs_round_trip_and_read_as_ten_digits(tmp_path: Path) -> None:
    network = small(0.1)
    network.temperature = 1.3
    path = tmp_path / "n.json"
    save(network, path)
    loaded, doc = load(path)
    assert doc["version"] == 2 and doc["architecture"]["not_a_digit"] == 10
    images = np.random.default_rng(1).random((5, 28, 28)).astype(np.float32)
    digits, refused = loaded.read(images)
    assert digits.shape == (5, 10) and np.allclose(digits.sum(axis=1), 1.0, atol=1e-5)
    assert refused.shape == (5,) and ((refused > 0) & (refused < 1)).all()
    assert np.array_equal(loaded.predict_proba(images), digits)
    # the 11 calibrated probabilities: ten digits' share times (1 - refused), plus refused
    logits = network.logits(images) / np.float32(1.3)
    full = np.exp(logits - logits.max(axis=1, keepdims=True))
    full /= full.sum(axis=1, keepdims=True)
    assert np.allclose(full[:, 10], refused, atol=1e-6)
    assert np.allclose(full[:, :10] / full[:, :10].sum(axis=1, keepdims=True), digits, atol=1e-6)


def test_ten_digit_networks_stay_version_1(tmp_path: Path) -> None:
    network = small(0.0)
    doc = network_to_dict(network)
    assert doc["version"] == 1 and "not_a_digit" not in doc["architecture"]
    _, refused = network.read(np.zeros((2, 28, 28), np.float32))
    assert not refused.any()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=1), "needs format version 2"),
        (lambda d: d["architecture"].update(not_a_digit=3), "must be 10"),
        (lambda d: d["architecture"].pop("not_a_digit"), "expected \\[10\\]"),
    ],
)
def test_inconsistent_not_a_digit_files_are_refused(tmp_path: Path, change, message) -> None:
    doc = network_to_dict(small(0.1))
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(WeightsError, match=message):
        load(path)


def test_a_ten_output_file_with_the_key_is_refused(tmp_path: Path) -> None:
    doc = network_to_dict(small(0.0))
    doc["version"], doc["architecture"]["not_a_digit"] = 2, 10
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(WeightsError, match="expected \\[11\\]"):
        load(path)


def test_training_can_start_from_a_ten_digit_file(tmp_path: Path) -> None:
    from model.training import start_from

    base = small(0.0)
    save(base, tmp_path / "base.json")
    grown = small(0.1)
    record = start_from(grown, str(tmp_path / "base.json"))
    assert record["file"] == "base.json" and len(record["sha256"]) == 64
    w_base, w_grown = base.layers[-1].params["W"], grown.layers[-1].params["W"]
    assert np.array_equal(w_grown[:, :10], w_base) and w_grown[:, 10].any()
    assert np.array_equal(grown.layers[0].params["W"], base.layers[0].params["W"])
    with pytest.raises(ValueError, match="shape"):
        wider = build_network(replace(PRESETS["relu256"], hidden=[8]), np.random.default_rng(0))
        start_from(wider, str(tmp_path / "base.json"))


def test_mixed_training_is_reproducible_bit_for_bit(mnist) -> None:
    from model.training import train

    config = replace(
        PRESETS["mlp"],
        hidden=[32],
        epochs=1,
        train_subset=600,
        val_size=200,
        real_writers=0.2,
        not_digit=0.2,
        augment=False,
    )
    first, second = train(config, mnist), train(config, mnist)
    assert first.network.outputs == 11
    for a, b in zip(first.network.snapshot(), second.network.snapshot(), strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
