"""``digits explain IMAGE --out DIR``: PNG files, the JSON answer and one self-contained page."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
from api_images import blank_png, digit_png, number_png
from fastapi.testclient import TestClient
from PIL import Image

from app.cli.main import main


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_writes_every_picture_the_api_returns_and_one_page(
    tmp_path: Path, models_dir: Path, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    four = tmp_path / "four.png"
    four.write_bytes(digit_png(4))
    out = tmp_path / "inside"
    args = ["explain", str(four), "--out", str(out), "--models-dir", str(models_dir)]
    assert main([*args, "--model", "cnn", "--zoom", "3"]) == 0
    assert "open index.html" in capsys.readouterr().out
    online = client.post(
        "/explain", params={"model": "cnn"}, files={"file": ("four.png", four.read_bytes())}
    ).json()["digits"][0]
    saved = json.loads((out / "explain.json").read_text())["digits"][0]
    assert saved["digit"] == online["digit"] and saved["probabilities"] == online["probabilities"]
    for view in online["layers"]:
        (path,) = out.glob(f"layer-{view['index']:02d}-*.png")
        width, height = size_of(base64.b64decode(view["picture"].split(",", 1)[1]))
        assert size_of(path.read_bytes()) == (3 * width, 3 * height)
    assert size_of((out / "input.png").read_bytes()) == (84, 84)
    runner_up = online["runner_up"]
    for name in ("filters", f"why-{online['digit']}", f"why-not-{runner_up}"):
        assert (out / f"{name}.png").is_file()
    look = online["second_look"]  # the test CNN is untrained: unsure, so it looks again
    assert look is not None and (out / "second-look.png").is_file()
    width, height = size_of(base64.b64decode(look["picture"].split(",", 1)[1]))
    assert size_of((out / "second-look.png").read_bytes()) == (3 * width, 3 * height)
    page = (out / "index.html").read_text()
    sources = re.findall(r"<img src='([^']*)' alt='([^']+)'", page)
    # the input, the layers, the filters, three maps and the second look's views
    assert len(sources) == len(online["layers"]) + 6
    assert f"A second look: {look['digit']}" in page
    assert all(source.startswith("data:image/png;base64,") for source, _alt in sources)
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")
    assert f"Why not {runner_up}" in page


def test_a_number_gets_a_folder_per_digit(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    year = tmp_path / "year.png"
    year.write_bytes(number_png("49"))
    out = tmp_path / "inside"
    assert (
        main(["explain", str(year), "--number", "--out", str(out), "--models-dir", str(models_dir)])
        == 0
    )
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["digit-1", "digit-2"]
    assert (out / "digit-2" / "input.png").is_file()
    assert (out / "index.html").read_text().count("<section>") == 2


def test_bad_input_and_bad_options_say_what_is_wrong(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blank = tmp_path / "blank.png"
    blank.write_bytes(blank_png())
    base = ["--out", str(tmp_path / "x"), "--models-dir", str(models_dir)]
    assert main(["explain", str(blank), *base]) == 1
    assert "No digit found" in capsys.readouterr().err
    assert main(["explain", str(blank), *base, "--zoom", "0"]) == 2
    assert "--zoom must be between 1 and 16" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_star_is_explained_as_not_a_digit_by_the_shipped_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    from app.settings import REPO_ROOT, Settings
    from benchmarks import stroke_scenes
    from model.negatives import draw

    rng = np.random.default_rng(3)
    star = stroke_scenes.scene("canvas_white", draw("star", rng), "x", rng).image
    assert star is not None
    path, out = tmp_path / "star.png", tmp_path / "inside"
    star.save(path)
    weights = REPO_ROOT / "weights" / "cnn.json"
    assert main(["explain", str(path), "--out", str(out), "--weights", str(weights)]) == 0
    assert "not a digit (best guess " in capsys.readouterr().out
    answer = json.loads((out / "explain.json").read_text())
    assert answer["digits"][0]["not_a_digit"] >= Settings().not_a_digit_threshold
    assert "not a digit at all" in (out / "index.html").read_text()
