"""Shared fixtures: the MNIST location, loaded data, and small weights made in seconds.

``models_dir`` holds weights made here so the service and CLI tests do not depend
on the shipped ``weights/`` files: ``mlp.json`` is a 784-64-10 network trained for
two epochs on 10,000 MNIST images, calibrated and measured on 2,000 test images
as ``digits train`` finishes a run (about 90% accurate: enough for answers to mean
something), and ``cnn.json`` an untrained small convolutional network, so the
``model`` parameter has two real architectures to choose between. ``client`` is a TestClient of the
service over them, shared by the service and CLI tests. The helpers beside this
file (``strokes``, ``pen_paths``, ``photos``, ``api_images``, ``log_records``) are
importable from every test folder because pytest puts this folder on ``sys.path``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from postgres import PostgresServer

import app  # noqa: F401  (first: one BLAS thread per process, as the service runs)
from app.main import create_app
from app.settings import Settings
from model import weights
from model.architectures import TrainConfig, build_network
from model.finishing import finish
from model.mnist import MNIST, default_data_dir, load_mnist, to_float
from model.training import train, training_record

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = REPO / "weights"


@pytest.fixture(scope="session", autouse=True)
def user_data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's data folder (``$XDG_DATA_HOME``) in a temporary folder for the run.

    A server started with default settings keeps its corrections database there;
    without this the tests would leave a ``digits.db`` in the real home folder.
    Servers started as subprocesses inherit it through the environment.
    """
    folder = tmp_path_factory.mktemp("xdg-data")
    previous = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["XDG_DATA_HOME"]
    else:
        os.environ["XDG_DATA_HOME"] = previous


@pytest.fixture(scope="session")
def data_dir() -> Path:
    folder = default_data_dir()
    if not folder.is_dir():
        pytest.fail(
            f"MNIST not found at {folder}: set DIGITS_DATA_DIR (CI uses ../shared/data/mnist)"
        )
    return folder


@pytest.fixture(scope="session")
def mnist(data_dir: Path) -> MNIST:
    return load_mnist(data_dir)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory, mnist: MNIST) -> Path:
    folder = tmp_path_factory.mktemp("weights")
    config = TrainConfig(hidden=[64], epochs=2, train_subset=10000, val_size=2000, lr=0.1)
    result = train(config, mnist)
    test_x, test_y = to_float(mnist.test_images[:2000]), mnist.test_labels[:2000]
    extra = finish(result, test_x, test_y) | {"date": "2026-01-01"}
    record = training_record(config, result, extra)
    weights.save(result.network, folder / "mlp.json", record)
    cnn_config = TrainConfig(arch="cnn", conv_filters=[4, 8], hidden=[16])
    cnn = build_network(cnn_config, np.random.default_rng(1))
    weights.save(cnn, folder / "cnn.json", {"hyperparameters": cnn_config.to_dict()})
    return folder


@pytest.fixture(scope="session")
def api_settings(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    feedback_dir = tmp_path_factory.mktemp("feedback")
    return Settings(models_dir=models_dir, default_model="mlp", feedback_dir=feedback_dir)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole test run (Debian's, started in a temporary folder)."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'digits.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    with server.empty_database() as url:
        yield url


@pytest.fixture(scope="session")
def api_app(api_settings: Settings) -> FastAPI:
    return create_app(api_settings)


@pytest.fixture(scope="session")
def client(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def make_client() -> Callable[[Settings], TestClient]:
    """Builds a client for an app with other settings; use it as a context manager."""

    def build(settings: Settings) -> TestClient:
        return TestClient(create_app(settings))

    return build
