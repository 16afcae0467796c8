"""The corrections database on SQLite and on a real PostgreSQL server: schema, store, exports.

Every test that takes ``database_url`` runs twice: on a SQLite file and on an
empty database of the test run's PostgreSQL server (``tests/postgres.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import Engine, inspect, text

from app.corrections.database import (
    SCHEMA_REVISION,
    DatabaseError,
    connect,
    head_revision,
    migrate,
)
from app.corrections.dataset import (
    CorrectionsFileError,
    held_out_part,
    load_corrections,
    training_part,
)
from app.corrections.export import (
    IDX_IMAGES,
    IDX_LABELS,
    is_held_out,
    write_idx,
    write_npz,
    write_pngs,
)
from app.corrections.store import CorrectionStore, Filter, NewCorrection
from app.corrections.table import NOT_A_DIGIT, corrections, label_name, parse_label
from model.mnist import parse_idx

SHA = "ab" * 32


def png_of(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "L").save(buffer, "PNG")
    return buffer.getvalue()


def digit_image(seed: int) -> np.ndarray:
    """A distinct 28x28 picture per seed (a bar at a seed-chosen place)."""
    pixels = np.zeros((28, 28), np.uint8)
    pixels[4 + seed % 20 : 8 + seed % 20, 6:22] = 255
    return pixels


def sample(seed: int, label: int = 7, predicted: int = 1, **changes: object) -> NewCorrection:
    values: dict[str, object] = {
        "label": label,
        "predicted": predicted,
        "confidence": 0.75,
        "model_name": "cnn",
        "weights_sha256": SHA,
        "kind": "canvas",
        "network_input": png_of(digit_image(seed)),
        "original": None,
    }
    values.update(changes)
    return NewCorrection(**values)  # type: ignore[arg-type]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> CorrectionStore:
    return CorrectionStore(engine)


def test_migration_creates_the_table_the_code_queries(engine: Engine) -> None:
    columns = {column["name"] for column in inspect(engine).get_columns("corrections")}
    assert columns == set(corrections.c.keys())
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == head_revision() == SCHEMA_REVISION  # the constant follows the scripts
    assert migrate(engine) == head_revision()  # a second run changes nothing


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'sub' / 'digits.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000
        assert connection.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL
    assert (tmp_path / "sub").is_dir()


def test_a_database_that_cannot_be_reached_is_named_without_its_password() -> None:
    engine = connect("postgresql+psycopg://someone:secret@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseError) as caught:
        migrate(engine)
    assert "127.0.0.1:1/none" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_add_then_read_back_everything(store: CorrectionStore) -> None:
    original = png_of(np.full((50, 80), 200, np.uint8))
    when = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    new_id = store.add(sample(3, original=original, created_at=when, kind="photo"))
    found = store.get(new_id)
    assert found is not None
    assert (found.label, found.predicted, found.kind, found.model_name) == (7, 1, "photo", "cnn")
    assert found.original == original
    assert found.created_at == when
    assert found.model_was_wrong
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(found.network_input))), digit_image(3))
    assert store.get(new_id + 1000) is None


def test_filters_by_label_model_and_wrong_answers(store: CorrectionStore) -> None:
    store.add(sample(1, label=7, predicted=1))
    store.add(sample(2, label=7, predicted=7, model_name="mlp"))
    store.add(sample(3, label=NOT_A_DIGIT, predicted=4))
    assert store.count() == 3
    assert [c.label for c in store.find(Filter(label=7))] == [7, 7]
    assert [c.model_name for c in store.find(Filter(model_name="mlp"))] == ["mlp"]
    assert {c.label for c in store.find(Filter(wrong_only=True))} == {7, NOT_A_DIGIT}
    assert store.count(Filter(wrong_only=True, label=7)) == 1
    assert store.model_names() == ["cnn", "mlp"]
    newest_first = [c.id for c in store.find()]
    assert newest_first == sorted(newest_first, reverse=True)
    assert len(store.find(limit=2)) == 2


def test_delete_by_id_and_by_age(store: CorrectionStore) -> None:
    old = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    old_ids = [store.add(sample(i, created_at=old)) for i in range(3)]
    keep = store.add(sample(9))
    assert store.delete(Filter(ids=[old_ids[0]])) == 1
    assert store.delete(Filter(before=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))) == 2
    assert [c.id for c in store.find()] == [keep]
    with pytest.raises(ValueError, match="without a condition"):
        store.delete(Filter())


def test_writers_in_threads_lose_nothing(store: CorrectionStore) -> None:
    def write(start: int) -> None:
        for seed in range(start, start + 10):
            store.add(sample(seed))

    threads = [threading.Thread(target=write, args=(10 * i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count() == 40


def test_the_held_out_split_is_fixed_by_id_and_about_a_fifth() -> None:
    flags = [is_held_out(i) for i in range(1, 2001)]
    assert 0.17 < sum(flags) / len(flags) < 0.23
    assert flags == [is_held_out(i) for i in range(1, 2001)]


def test_exports_npz_idx_and_pngs(store: CorrectionStore, tmp_path: Path) -> None:
    original = png_of(np.full((40, 60), 128, np.uint8))
    with_original = store.add(sample(0, label=0, original=original))
    for seed in range(1, 12):
        store.add(sample(seed, label=seed % 10))
    store.add(sample(20, label=NOT_A_DIGIT))
    rows = list(store.each())  # oldest first: seeds 0..11, then 20

    write_npz(tmp_path / "c.npz", rows)
    with np.load(tmp_path / "c.npz") as archive:
        assert archive["images"].shape == (13, 28, 28)
        assert list(archive["labels"]) == [*(i % 10 for i in range(12)), NOT_A_DIGIT]
        assert np.array_equal(archive["images"][5], digit_image(5))
        assert list(archive["held_out"]) == [is_held_out(r.id) for r in rows]
        assert set(archive["model"]) == {"cnn"}

    write_idx(tmp_path / "idx", rows)
    images = parse_idx((tmp_path / "idx" / IDX_IMAGES).read_bytes(), expected_magic=2051)
    labels = parse_idx((tmp_path / "idx" / IDX_LABELS).read_bytes(), expected_magic=2049)
    assert images.shape == (13, 28, 28) and np.array_equal(images[3], digit_image(3))
    assert list(labels) == [r.label for r in rows]

    write_pngs(tmp_path / "png", rows)
    with open(tmp_path / "png" / "corrections.csv", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [row["label"] for row in table][-1] == "not_a_digit"
    first = next(row for row in table if row["original"])
    assert first["original"] == f"{with_original}-original.png"
    assert (tmp_path / "png" / first["original"]).read_bytes() == original
    picture = np.asarray(Image.open(tmp_path / "png" / first["file"]))
    assert np.array_equal(picture, digit_image(0))


def test_an_export_reads_back_for_training_and_evaluation(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'd.db'}")
    migrate(engine)
    store = CorrectionStore(engine)
    for seed in range(30):
        store.add(sample(seed, label=seed % 10))
    store.add(sample(99, label=NOT_A_DIGIT))
    write_npz(tmp_path / "c.npz", store.each())
    loaded = load_corrections(tmp_path / "c.npz")
    assert len(loaded) == 31 and loaded.images.dtype == np.float32
    held = held_out_part(loaded)
    images, labels = training_part(loaded, weight=3)
    kept = (~loaded.held_out & (loaded.labels < NOT_A_DIGIT)).sum()
    assert len(held) == loaded.held_out.sum() > 0
    assert len(labels) == 3 * kept and images.shape == (3 * kept, 28, 28)
    assert labels.max() < NOT_A_DIGIT


def test_a_file_that_is_not_a_corrections_export_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(CorrectionsFileError, match=r"bad\.npz"):
        load_corrections(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(CorrectionsFileError, match="no images, labels, held_out"):
        load_corrections(tmp_path / "other.npz")


def test_labels_read_and_written_as_words() -> None:
    assert parse_label("7") == 7 and parse_label("not a digit") == NOT_A_DIGIT
    assert label_name(NOT_A_DIGIT) == "not_a_digit" and label_name(3) == "3"
    with pytest.raises(ValueError, match="0-9"):
        parse_label("12")
