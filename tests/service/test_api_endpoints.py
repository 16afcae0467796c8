"""The API contract, endpoint by endpoint and input form by input form.

How the service behaves around the endpoints (headers, logs, CORS, OpenAPI,
start-up, the event loop) is ``test_api_http.py``.
"""

from __future__ import annotations

import base64
import io
from dataclasses import replace

import numpy as np
import pytest
from api_images import blank_png, digit_png, encode, mnist_pixels, number_png
from fastapi.testclient import TestClient
from PIL import Image

from app.settings import Settings
from model.mnist import MNIST
from model.weights import load


def post_file(client: TestClient, data: bytes, url: str = "/predict", **params: object):
    return client.post(url, params=params, files={"file": ("digit.png", data, "image/png")})


def probabilities(body: dict) -> dict[int, float]:
    return {entry["digit"]: entry["probability"] for entry in body["top"]}


def test_health_lists_the_loaded_models(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "default_model": "mlp", "models": ["cnn", "mlp"]}


def test_health_is_503_until_the_models_are_loaded(api_settings: Settings, make_client) -> None:
    response = make_client(api_settings).get("/health")  # no `with`: the lifespan never ran
    assert response.status_code == 503
    assert "not loaded" in response.json()["detail"]


def test_model_describes_the_default_model(client: TestClient, models_dir) -> None:
    network, doc = load(models_dir / "mlp.json")
    body = client.get("/model").json()
    assert body["name"] == "mlp" and body["architecture"] == "mlp" and body["default"] is True
    assert body["parameters"] == network.parameter_count()
    assert body["test_accuracy"] == pytest.approx(doc["training"]["test_accuracy"])
    assert body["val_accuracy"] == pytest.approx(doc["training"]["val_accuracy"])
    assert body["available"] == ["cnn", "mlp"]
    assert [layer["type"] for layer in body["layers"]] == ["dense", "relu", "dense"]
    assert body["training"]["epochs_run"] == len(doc["training"]["history"])
    assert body["training"]["hyperparameters"]["hidden"] == [64]
    assert body["training"]["date"] == "2026-01-01"


def test_model_parameter_selects_another_model(client: TestClient) -> None:
    body = client.get("/model", params={"model": "cnn"}).json()
    assert body["name"] == "cnn" and body["architecture"] == "cnn" and body["default"] is False
    assert "conv2d" in [layer["type"] for layer in body["layers"]]
    answer = post_file(client, digit_png(3), model="cnn").json()
    assert answer["model"]["name"] == "cnn" and answer["model"]["architecture"] == "cnn"


def test_unknown_model_is_422_listing_the_available_ones(client: TestClient) -> None:
    for response in (
        client.get("/model", params={"model": "resnet"}),
        post_file(client, digit_png(3), model="resnet"),
    ):
        assert response.status_code == 422
        assert "'resnet'" in response.json()["detail"]
        assert "cnn, mlp" in response.json()["detail"]


def test_predict_multipart_answers_in_the_documented_shape(client: TestClient) -> None:
    response = post_file(client, digit_png(7))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "digit",
        "confidence",
        "status",
        "not_a_digit",
        "top",
        "image",
        "digits_found",
        "model",
        "timing_ms",
    }
    assert body["digits_found"] == 1
    assert body["digit"] == body["top"][0]["digit"]
    assert body["confidence"] == body["top"][0]["probability"]
    assert body["status"] == ("ok" if body["confidence"] >= 0.6 else "unsure")
    assert len(body["top"]) == 3
    ranked = [entry["probability"] for entry in body["top"]]
    assert ranked == sorted(ranked, reverse=True)
    assert body["image"] is None
    assert body["model"]["name"] == "mlp"
    assert {"decode", "preprocess", "inference", "total"} <= set(body["timing_ms"])


def test_predict_probabilities_are_the_networks_calibrated_ones(
    client: TestClient, mnist: MNIST, models_dir
) -> None:
    network, _doc = load(models_dir / "mlp.json")
    image = mnist.test_images[0]
    expected = network.predict_proba(image[None].astype(np.float32) / 255.0)[0]
    body = client.post(
        "/predict", params={"top_k": 10}, json={"pixels": mnist_pixels(mnist.test_images, 0)}
    ).json()
    got = probabilities(body)
    assert sorted(got) == list(range(10))
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-4)
    for digit in range(10):
        assert got[digit] == pytest.approx(float(expected[digit]), abs=2e-6)
    assert body["digit"] == int(expected.argmax())


def test_pixels_in_0_to_1_and_0_to_255_give_the_same_answer(
    client: TestClient, mnist: MNIST
) -> None:
    image = mnist.test_images[1].astype(float)
    as_bytes = client.post("/predict", json={"pixels": image.tolist()}).json()
    as_unit = client.post("/predict", json={"pixels": (image / 255).tolist()}).json()
    assert [t["digit"] for t in as_bytes["top"]] == [t["digit"] for t in as_unit["top"]]
    probabilities = [t["probability"] for t in as_unit["top"]]
    assert [t["probability"] for t in as_bytes["top"]] == pytest.approx(probabilities)


def test_predict_reads_mnist_test_digits(client: TestClient, mnist: MNIST) -> None:
    right = 0
    for index in range(40):
        body = client.post(
            "/predict", json={"pixels": mnist_pixels(mnist.test_images, index)}
        ).json()
        right += body["digit"] == int(mnist.test_labels[index])
    assert right >= 32  # the fixture network is ~90% accurate


def test_the_four_input_forms_agree(client: TestClient) -> None:
    png = digit_png(2)
    encoded = base64.b64encode(png).decode()
    answers = [
        post_file(client, png).json(),
        client.post("/predict", json={"image": f"data:image/png;base64,{encoded}"}).json(),
        client.post("/predict", json={"image": encoded}).json(),
        client.post("/predict", content=png, headers={"Content-Type": "image/png"}).json(),
    ]
    for answer in answers[1:]:
        assert answer["digit"] == answers[0]["digit"]
        assert answer["top"] == answers[0]["top"]


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "BMP", "GIF", "TIFF"])
def test_every_accepted_format_is_read(client: TestClient, fmt: str) -> None:
    image = Image.open(io.BytesIO(digit_png(4))).convert("RGB")
    reference = post_file(client, encode(image, "PNG")).json()
    response = client.post(
        "/predict", files={"file": (f"four.{fmt.lower()}", encode(image, fmt), "image/x")}
    )
    assert response.status_code == 200, response.text
    assert response.json()["digit"] == reference["digit"]


@pytest.mark.parametrize("top_k", [1, 5, 10])
def test_top_k_sets_the_length_of_top(client: TestClient, top_k: int) -> None:
    body = post_file(client, digit_png(1), top_k=top_k).json()
    assert len(body["top"]) == top_k
    assert len({entry["digit"] for entry in body["top"]}) == top_k


def test_include_image_returns_what_the_network_saw(client: TestClient, mnist) -> None:
    pixels = mnist.test_images[2]
    body = client.post(
        "/predict", params={"include_image": "true"}, json={"pixels": pixels.tolist()}
    ).json()
    prefix = "data:image/png;base64,"
    assert body["image"].startswith(prefix)
    seen = Image.open(io.BytesIO(base64.b64decode(body["image"][len(prefix) :])))
    assert seen.size == (28, 28)
    assert np.abs(np.asarray(seen, dtype=int) - pixels.astype(int)).max() <= 1


@pytest.mark.parametrize(("threshold", "status"), [(1.0, "unsure"), (0.0, "ok")])
def test_unsure_threshold_decides_the_status(
    api_settings, threshold: float, status: str, make_client
) -> None:
    settings = replace(api_settings, unsure_threshold=threshold)
    with make_client(settings) as client:
        body = post_file(client, digit_png(0)).json()
    assert body["status"] == status


def test_blank_image_is_422_no_digit(client: TestClient) -> None:
    response = post_file(client, blank_png())
    assert response.status_code == 422
    assert "no digit" in response.json()["detail"].lower()


def test_number_reads_the_digits_left_to_right(client: TestClient) -> None:
    response = post_file(client, number_png("1984"), url="/predict/number")
    assert response.status_code == 200
    body = response.json()
    assert len(body["digits"]) == 4
    assert body["number"] == "".join(str(d["digit"]) for d in body["digits"])
    lefts = [d["box"][0] for d in body["digits"]]
    assert lefts == sorted(lefts)
    for digit in body["digits"]:
        x, y, w, h = digit["box"]
        assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 560 and y + h <= 200
    product = float(np.prod([d["confidence"] for d in body["digits"]]))
    assert body["confidence"] == pytest.approx(product, abs=1e-5)
    unsure = any(d["status"] == "unsure" for d in body["digits"])
    assert body["status"] == ("unsure" if unsure else "ok")


def test_a_number_sent_to_predict_is_said_to_hold_its_digits(client: TestClient) -> None:
    """``digit`` then reads both squeezed into one image: the caller is told."""
    body = post_file(client, number_png("17", size=(360, 200))).json()
    assert body["digits_found"] == 2
    assert (
        post_file(client, number_png("17", size=(360, 200)), url="/predict/number").json()["number"]
        == "17"
    )


def test_number_of_one_digit_matches_predict(client: TestClient) -> None:
    png = digit_png(6)
    single = post_file(client, png).json()
    number = post_file(client, png, url="/predict/number").json()
    assert number["number"] == str(single["digit"])


def test_batch_answers_each_file_in_order_and_isolates_bad_ones(client: TestClient) -> None:
    files = [
        ("file", ("three.png", digit_png(3), "image/png")),
        ("file", ("junk.png", b"not an image at all", "image/png")),
        ("file", ("blank.png", blank_png(), "image/png")),
        ("file", ("five.png", digit_png(5), "image/png")),
        ("file", ("number.png", number_png("42", size=(360, 200)), "image/png")),
    ]
    response = client.post("/predict/batch", files=files)
    assert response.status_code == 200
    body = response.json()
    assert [item["filename"] for item in body["results"]] == [
        "three.png",
        "junk.png",
        "blank.png",
        "five.png",
        "number.png",
    ]
    assert [item["index"] for item in body["results"]] == [0, 1, 2, 3, 4]
    assert body["succeeded"] == 3 and body["failed"] == 2
    assert [item["digits_found"] for item in body["results"]] == [1, None, None, 1, 2]
    assert body["results"][1]["error"]["status_code"] == 415
    assert body["results"][2]["error"]["status_code"] == 422
    assert "no digit" in body["results"][2]["error"]["detail"].lower()
    for index, digit in ((0, 3), (3, 5)):
        single = post_file(client, digit_png(digit)).json()
        result = body["results"][index]["result"]
        assert body["results"][index]["error"] is None
        assert result["digit"] == single["digit"]
        assert result["confidence"] == pytest.approx(single["confidence"], abs=1e-5)


def test_batch_over_the_file_limit_is_refused(api_settings: Settings, make_client) -> None:
    settings = replace(api_settings, max_batch_files=2)
    files = [("file", (f"{i}.png", digit_png(i), "image/png")) for i in range(3)]
    with make_client(settings) as client:
        response = client.post("/predict/batch", files=files)
        assert response.status_code == 400
        assert "maximum number of files is 2" in response.json()["detail"].lower()
        assert client.post("/predict/batch", files=files[:2]).status_code == 200
