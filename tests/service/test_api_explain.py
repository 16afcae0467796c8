"""``POST /explain``: the look-inside answer over real HTTP, checked against the network itself.

The test models (``tests/conftest.py``): a 784-64-10 MLP and a small CNN (4 and 8
filters, dense 16). Every shape in the answer is compared with the network's own
layers, every picture is decoded and measured, and the answer agrees with what
``/predict`` says about the same image (its first look, when it takes a second).
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np
import pytest
from api_images import blank_png, digit_png, mnist_pixels, number_png
from fastapi.testclient import TestClient
from PIL import Image

from app.service import pictures
from app.service.explain_view import UNCHANGED
from app.vision.pipeline import load_image, prepare_digit
from model.mnist import MNIST
from model.second_look import SECOND_LOOK_BELOW, SHIFTS, TURNS, looks_twice, served_read
from model.weights import load


def post_file(client: TestClient, data: bytes, url: str = "/explain", **params: object):
    return client.post(url, params=params, files={"file": ("digit.png", data, "image/png")})


def picture_size(url: str) -> tuple[int, int]:
    assert url.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        assert image.format == "PNG"
        return image.size


def mosaic_size(tiles: int, columns: int, height: int, width: int) -> tuple[int, int]:
    rows = math.ceil(tiles / columns)
    return columns * (width + 1) - 1, rows * (height + 1) - 1


@pytest.mark.parametrize("name", ["cnn", "mlp"])
def test_every_layer_is_there_with_its_shape(client: TestClient, models_dir, name: str) -> None:
    network, _ = load(models_dir / f"{name}.json")
    response = post_file(client, digit_png(4), model=name)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"]["name"] == name and body["method"].startswith("Gradient times input")
    (digit,) = body["digits"]
    assert digit["not_a_digit"] is None  # these test networks have no such output
    shown = [
        (index, layer) for index, layer in enumerate(network.layers) if layer.kind not in UNCHANGED
    ]
    assert [view["index"] for view in digit["layers"]] == [index for index, _ in shown]
    shape: tuple[int, ...] = network.input_shape
    shapes = {}
    for index, layer in enumerate(network.layers):
        shape = layer.output_shape(shape)
        shapes[index] = list(shape)
    for view in digit["layers"]:
        assert view["kind"] == network.layers[view["index"]].kind
        assert view["shape"] == shapes[view["index"]]
        assert view["caption"] and view["title"]
        if len(view["shape"]) == 3:
            height, width, maps = view["shape"]
            assert view["tiles"] == maps and len(view["peaks"]) == maps
            expected = mosaic_size(maps, view["columns"], height, width)
            assert picture_size(view["picture"]) == expected
            assert max(view["peaks"]) <= view["scale"] + 1e-3
        else:
            (units,) = view["shape"]
            assert len(view["values"]) == units
            rows = math.ceil(units / view["columns"])
            assert picture_size(view["picture"]) == (view["columns"], rows)
            assert max(abs(v) for v in view["values"]) == pytest.approx(view["scale"], abs=1e-3)
    assert digit["layers"][-1]["title"] == "Output scores"
    assert picture_size(digit["input"]) == (28, 28)


def test_the_answer_agrees_with_predict(client: TestClient, models_dir: Path) -> None:
    """``/explain`` shows the network's one look at the image; ``/predict`` answers with it
    too, or, where a convolutional network is unsure, with its second look
    (``model.second_look``: the test CNN is untrained, so it always looks twice)."""
    image = digit_png(7)
    piece = prepare_digit(load_image(image)).pieces[0].image[None].astype(np.float32)
    for model in ("cnn", "mlp"):
        explained = post_file(client, image, model=model).json()["digits"][0]
        predicted = post_file(client, image, "/predict", model=model, top_k=10).json()
        network, _ = load(models_dir / f"{model}.json")
        first = network.read(piece, fast=True)[0][0]
        served = served_read(network, piece)[0][0]
        np.testing.assert_allclose(explained["probabilities"], first, atol=1e-4)
        assert explained["digit"] == int(first.argmax())
        assert predicted["digit"] == int(served.argmax())
        for entry in predicted["top"]:
            assert entry["probability"] == pytest.approx(served[entry["digit"]], abs=1e-4)
        looked_once = not looks_twice(network) or first.max() >= SECOND_LOOK_BELOW
        assert looked_once == (model == "mlp")
        if looked_once:
            assert explained["runner_up"] == predicted["top"][1]["digit"]
        output = explained["layers"][-1]["values"]
        assert int(np.argmax(output)) == explained["digit"]
        assert explained["why"]["score"] == pytest.approx(output[explained["digit"]], abs=1e-3)


def test_an_unsure_cnn_shows_its_second_look(client: TestClient) -> None:
    """The second look's views and reading, and that they are what ``/predict`` answers."""
    image = digit_png(7)
    for model in ("cnn", "mlp"):
        explained = post_file(client, image, model=model).json()["digits"][0]
        predicted = post_file(client, image, "/predict", model=model, top_k=10).json()
        look = explained["second_look"]
        if model == "mlp":  # a fully connected network looks once
            assert look is None
            continue
        assert explained["confidence"] < SECOND_LOOK_BELOW  # the untrained test CNN
        assert look["digit"] == predicted["digit"]
        for entry in predicted["top"]:
            assert look["probabilities"][entry["digit"]] == pytest.approx(
                entry["probability"], abs=1e-4
            )
        assert look["tiles"] == 1 + len(SHIFTS) + len(TURNS)
        assert picture_size(look["picture"]) == mosaic_size(look["tiles"], look["tiles"], 28, 28)
        assert f"read {look['digit']}" in look["caption"]


def test_attribution_maps_hold_their_numbers(client: TestClient) -> None:
    digit = post_file(client, digit_png(4), model="cnn").json()["digits"][0]
    why, why_not, versus = digit["why"], digit["why_not"], digit["versus"]
    assert why["digit"] == digit["digit"] and why_not["digit"] == digit["runner_up"]
    assert f"Why not {digit['runner_up']}" in why_not["caption"]
    for view in (why, why_not, versus):
        values = np.array(view["values"])
        assert values.shape == (28, 28) and np.abs(values).max() > 0
        assert picture_size(view["picture"]) == (28, 28)
    np.testing.assert_allclose(
        np.array(versus["values"]), np.array(why["values"]) - np.array(why_not["values"]), atol=2e-4
    )
    assert versus["score"] == pytest.approx(why["score"] - why_not["score"], abs=2e-4)


def test_the_first_layer_filters(client: TestClient, models_dir) -> None:
    cnn, _ = load(models_dir / "cnn.json")
    filters = post_file(client, digit_png(3), model="cnn").json()["digits"][0]["filters"]
    kernel, _, _, count = cnn.layers[0].params["W"].shape
    assert filters["shape"] == [count, kernel, kernel] and filters["units"] == []
    assert picture_size(filters["picture"]) == mosaic_size(
        count, filters["columns"], kernel, kernel
    )
    mlp = post_file(client, digit_png(3), model="mlp").json()["digits"][0]
    assert mlp["filters"]["shape"][1:] == [28, 28]
    hidden = mlp["layers"][1]["values"]  # after the ReLU
    assert hidden[mlp["filters"]["units"][0]] == max(hidden)


def test_pixels_json_and_a_canvas_data_url(client: TestClient, mnist: MNIST) -> None:
    index = int(np.flatnonzero(mnist.test_labels == 4)[0])
    body = client.post("/explain", json={"pixels": mnist_pixels(mnist.test_images, index)})
    assert body.status_code == 200, body.text
    url = "data:image/png;base64," + base64.b64encode(digit_png(2)).decode()
    assert (
        client.post("/explain", json={"image": url}).json()["digits"][0]["digit"]
        == (post_file(client, digit_png(2), "/predict").json()["digit"])
    )


def test_each_digit_of_a_number(client: TestClient) -> None:
    explained = post_file(client, number_png("49"), number="true").json()
    read = post_file(client, number_png("49"), "/predict/number").json()
    assert [d["digit"] for d in explained["digits"]] == [d["digit"] for d in read["digits"]]
    assert [d["box"] for d in explained["digits"]] == [d["box"] for d in read["digits"]]
    single = post_file(client, number_png("49")).json()["digits"]
    assert len(single) == 1 and single[0]["box"] is None


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        (lambda c: post_file(c, blank_png()), 422, "No digit"),
        (lambda c: post_file(c, b"%PDF-1.4 not an image"), 415, "PNG"),
        (lambda c: post_file(c, digit_png(1), model="resnet"), 422, "Available models"),
        (lambda c: post_file(c, digit_png(1), number="maybe"), 422, "number"),
        (lambda c: c.post("/explain", json={"pixels": [[0.5] * 28] * 27}), 422, "28"),
        (lambda c: c.post("/explain", content=b""), 422, "no body"),
    ],
)
def test_bad_input_gets_a_clear_4xx(client: TestClient, send, status: int, words: str) -> None:
    response = send(client)
    assert response.status_code == status, response.text
    assert words.lower() in response.json()["detail"].lower()


def test_documented_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/explain"]["post"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/ExplainResponse")
    assert {"multipart/form-data", "application/json"} <= set(operation["requestBody"]["content"])
    assert {"422", "413", "415"} <= set(operation["responses"])
    parts = schema["components"]["schemas"]
    assert {"LayerView", "AttributionView", "FiltersView", "DigitInside"} <= set(parts)
    assert parts["LayerView"]["properties"]["picture"]["examples"][0].startswith("data:image/png")


def test_the_colour_scale_reads_back() -> None:
    values = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]])
    rgb = pictures.colour(values, 2.0)
    assert rgb[0, 2].tolist() == [255, 255, 255]
    assert rgb[0, 4].tolist() == pictures.POSITIVE.astype(int).tolist()
    assert rgb[0, 0].tolist() == pictures.NEGATIVE.astype(int).tolist()
    halfway = (pictures.ZERO + pictures.POSITIVE) / 2
    assert np.abs(rgb[0, 3].astype(float) - halfway).max() <= 1
