"""``digits feedback`` (list, export, delete, migrate) and the loop it closes:
``digits train --extra-data`` learns the corrections, ``digits evaluate --data`` scores them.

The database tests run on a SQLite file and on the test run's PostgreSQL server.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli.main import main
from app.corrections.database import connect, migrate
from app.corrections.export import is_held_out
from app.corrections.store import CorrectionStore, NewCorrection
from app.corrections.table import NOT_A_DIGIT
from model.weights import load

TINY = ["--preset", "relu256", "--hidden", "32", "--train-subset", "2000", "--val-size", "500"]


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "L").save(buffer, "PNG")
    return buffer.getvalue()


def bar(shift: int) -> np.ndarray:
    """A thick diagonal bar: no MNIST digit, so what it "is" can only be learnt."""
    pixels = np.zeros((28, 28), np.uint8)
    for row in range(6, 22):
        column = row + shift - 2
        pixels[row, max(column, 0) : column + 5] = 255
    return pixels


def add(store: CorrectionStore, pixels: np.ndarray, label: int, **changes: object) -> int:
    values: dict[str, object] = {
        "label": label,
        "predicted": 1,
        "confidence": 0.5,
        "model_name": "mlp",
        "weights_sha256": "c" * 64,
        "kind": "canvas",
        "network_input": png(pixels),
    }
    values.update(changes)
    return store.add(NewCorrection(**values))  # type: ignore[arg-type]


@pytest.fixture
def store(database_url: str) -> CorrectionStore:
    engine = connect(database_url)
    migrate(engine)
    return CorrectionStore(engine)


def test_list_export_and_delete(
    store: CorrectionStore, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    old = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    first = add(store, bar(0), 7, created_at=old)
    add(store, bar(1), 1, predicted=1, model_name="cnn")
    add(store, bar(2), NOT_A_DIGIT, predicted=4)
    db = ["--database", database_url]

    assert main(["feedback", "list", *db, "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["label"] for row in listed] == ["not_a_digit", "1", "7"]
    assert main(["feedback", "list", *db, "--wrong", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["feedback", "list", *db, "--model", "cnn"]) == 0
    table = capsys.readouterr().out
    assert "cnn" in table and "not_a_digit" not in table

    assert (
        main(["feedback", "export", *db, "--format", "npz", "--out", str(tmp_path / "c.npz")]) == 0
    )
    with np.load(tmp_path / "c.npz") as archive:
        assert list(archive["labels"]) == [7, 1, NOT_A_DIGIT]
        assert np.array_equal(archive["images"][0], bar(0))
    assert main(["feedback", "export", *db, "--format", "png", "--out", str(tmp_path / "p")]) == 0
    with open(tmp_path / "p" / "corrections.csv", encoding="utf-8") as handle:
        assert [row["label"] for row in csv.DictReader(handle)] == ["7", "1", "not_a_digit"]
    assert main(["feedback", "export", *db, "--format", "idx", "--out", str(tmp_path / "i")]) == 0
    assert (tmp_path / "i" / "corrections-labels-idx1-ubyte").read_bytes()[8:] == bytes([7, 1, 10])

    assert main(["feedback", "delete", *db, "--older-than", "2026-01-01"]) == 0
    assert "deleted 1 " in capsys.readouterr().out
    assert store.get(first) is None and store.count() == 2
    remaining = [c.id for c in store.find()]
    assert main(["feedback", "delete", *db, str(remaining[0])]) == 0
    assert store.count() == 1
    assert main(["feedback", "delete", *db]) == 2  # neither ids nor a date: refuses


def test_migrate_and_a_database_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'digits.db'}"
    assert main(["feedback", "migrate", "--database", url]) == 0
    assert "is at revision 0001" in capsys.readouterr().out
    bad = "postgresql+psycopg://u:topsecret@127.0.0.1:1/x?connect_timeout=2"
    assert main(["feedback", "list", "--database", bad]) == 1
    error = capsys.readouterr().err
    assert "cannot migrate" in error and "topsecret" not in error


def test_the_loop_a_misread_is_learnt_and_scored(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    before = tmp_path / "before.json"
    assert main(["train", *TINY, "--epochs", "2", "--quiet", "--out", str(before)]) == 0
    network, _ = load(before)
    said = int(network.predict(bar(2)[None].astype(np.float32) / 255)[0])
    label = (said + 5) % 10  # what the person says it is: not what the network says

    engine = connect(f"sqlite:///{tmp_path / 'digits.db'}")
    migrate(engine)
    store = CorrectionStore(engine)
    ids = [add(store, bar(shift % 5), label, predicted=said) for shift in range(40)]
    assert 0 < sum(map(is_held_out, ids)) < len(ids)  # both splits hold some
    export = tmp_path / "corrections.npz"
    assert main(["feedback", "export", "--database", str(engine.url), "--out", str(export)]) == 0

    assert main(["evaluate", str(before), "--data", str(export), "--json"]) == 0
    scored_before = json.loads(capsys.readouterr().out.splitlines()[-1])
    after = tmp_path / "after.json"
    extra = ["--extra-data", str(export), "--extra-weight", "20"]
    assert main(["train", *TINY, "--epochs", "2", "--quiet", "--out", str(after), *extra]) == 0
    assert main(["evaluate", str(after), "--data", str(export), "--json"]) == 0
    scored_after = json.loads(capsys.readouterr().out.splitlines()[-1])

    assert scored_before["split"] == "held-out" and scored_before["accuracy"] < 0.5
    assert scored_after["accuracy"] == 1.0 and scored_after["count"] == scored_before["count"]
    network_after, doc = load(after)
    assert int(network_after.predict(bar(2)[None].astype(np.float32) / 255)[0]) == label
    record = doc["training"]["extra_data"]
    assert record["file"] == "corrections.npz" and record["weight"] == 20
    assert record["corrections"] == len(ids) - sum(map(is_held_out, ids))


def test_training_with_the_same_corrections_and_seed_is_reproducible(
    tmp_path: Path, data_dir: Path
) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'digits.db'}")
    migrate(engine)
    store = CorrectionStore(engine)
    for shift in range(12):
        add(store, bar(shift % 5), 3)
    export = tmp_path / "c.npz"
    assert main(["feedback", "export", "--database", str(engine.url), "--out", str(export)]) == 0
    runs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.json"
        run = ["train", *TINY, "--epochs", "1", "--quiet", "--out", str(out)]
        assert main([*run, "--extra-data", str(export)]) == 0
        runs.append(load(out)[0].snapshot())
    for first, second in zip(runs[0], runs[1], strict=True):
        assert first.keys() == second.keys()
        assert all(np.array_equal(first[key], second[key]) for key in first)


def test_bad_corrections_files_are_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "c.npz").write_bytes(b"nonsense")
    assert main(["evaluate", "weights/mlp.json", "--data", str(tmp_path / "c.npz")]) == 1
    assert "not a corrections .npz file" in capsys.readouterr().err


def test_a_network_with_a_not_a_digit_output_learns_and_is_scored_on_those_rows(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'digits.db'}")
    migrate(engine)
    store = CorrectionStore(engine)
    ids = [add(store, bar(shift % 5), NOT_A_DIGIT) for shift in range(30)]
    export = tmp_path / "c.npz"
    assert main(["feedback", "export", "--database", str(engine.url), "--out", str(export)]) == 0
    held = sum(map(is_held_out, ids))

    ten = tmp_path / "ten.json"
    assert main(["train", *TINY, "--epochs", "1", "--quiet", "--out", str(ten)]) == 0
    assert main(["evaluate", str(ten), "--data", str(export)]) == 1  # nothing it can be scored on
    assert "no held-out corrections this network can be scored on" in capsys.readouterr().err

    eleven = tmp_path / "eleven.json"
    run = ["train", *TINY, "--epochs", "2", "--not-digit", "0.1", "--quiet", "--out", str(eleven)]
    assert main([*run, "--extra-data", str(export), "--extra-weight", "20"]) == 0
    assert load(eleven)[1]["training"]["extra_data"]["corrections"] == len(ids) - held
    capsys.readouterr()
    assert main(["evaluate", str(eleven), "--data", str(export), "--json"]) == 0
    scored = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert scored["count"] == held and set(scored["per_class"]) == {"not_a_digit"}
    assert scored["accuracy"] == 1.0  # it learnt that the bar is no digit
