"""``digits train`` and ``digits evaluate`` as a user runs them."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli.main import main
from model.weights import load

REPO = Path(__file__).resolve().parents[2]
#: ``digits`` as a person runs it in a terminal: Ctrl-C interrupts, even when the tests
#: themselves run as a background job (whose SIGINT is ignored, and children inherit that).
CLI_WITH_CTRL_C = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('app.cli', run_name='__main__')"
)
TINY = ["--preset", "relu256", "--hidden", "32", "--train-subset", "1000", "--val-size", "500"]


def test_train_writes_a_complete_record(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "tiny.json"
    assert main(["train", *TINY, "--epochs", "2", "--seed", "3", "--quiet", "--out", str(out)]) == 0
    network, doc = load(out)
    record = doc["training"]
    assert record["seed"] == 3 and record["hyperparameters"]["hidden"] == [32]
    assert [h["epoch"] for h in record["history"]] == [1, 2]
    assert set(record["history"][0]) >= {"loss", "accuracy", "val_accuracy", "images_per_s"}
    assert 0.5 < record["test_accuracy"] <= 1.0 and record["interrupted"] is False
    assert record["data_sha256"]["t10k-images-idx3-ubyte"].startswith("0fa7898d")
    assert record["temperature"] == network.temperature > 0


def test_train_with_a_teacher_records_it(tmp_path: Path, data_dir: Path) -> None:
    out, teacher = tmp_path / "taught.json", REPO / "weights" / "cnn.json"
    options = ["--teacher", str(teacher), "--distill-weight", "0.6", "--distill-temperature", "3"]
    assert main(["train", *TINY, "--epochs", "1", "--quiet", *options, "--out", str(out)]) == 0
    record = load(out)[1]["training"]
    assert record["hyperparameters"]["distill_weight"] == 0.6
    assert record["hyperparameters"]["distill_temperature"] == 3.0
    assert record["teacher"] == {
        "file": "cnn.json",
        "sha256": hashlib.sha256(teacher.read_bytes()).hexdigest(),
        "test_accuracy": load(teacher)[1]["training"]["test_accuracy"],
    }
    assert 0.5 < record["test_accuracy"] <= 1.0


def test_train_names_a_missing_teacher(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert main(["train", *TINY, "--teacher", str(missing), "--out", str(tmp_path / "x")]) == 1
    assert "nope.json" in capsys.readouterr().err


def test_evaluate_json_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report"
    weights = REPO / "weights" / "mlp.json"
    assert main(["evaluate", str(weights), "--json", "--report", str(report)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["accuracy"] >= 0.983
    assert len(result["per_class"]) == 10 and sum(map(sum, result["confusion"])) == 10000
    names = {p.name for p in report.iterdir()}
    assert names == {"training_curves.png", "confusion_matrix.png", "misclassified.png"}
    for png in report.iterdir():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_evaluate_names_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["evaluate", str(bad)]) == 1
    assert "bad.json" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_saves_the_best_weights_so_far(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "stopped.json"
    command = [sys.executable, "-c", CLI_WITH_CTRL_C, "train", *TINY, "--epochs", "500", "--quiet"]
    process = subprocess.Popen(
        [*command, "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DIGITS_DATA_DIR": str(data_dir)},
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    while "epoch 2:" not in process.stderr.readline():  # two epochs done
        assert time.monotonic() < deadline and process.poll() is None
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err
    _, doc = load(out)
    assert doc["training"]["interrupted"] is True
    assert len(doc["training"]["history"]) >= 2
