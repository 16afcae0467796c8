"""Settings from DIGITS_* variables, and which models they make the server load."""

from __future__ import annotations

import shutil
from dataclasses import fields, replace
from pathlib import Path

import pytest

from app.service.registry import ModelLoadError, load_models
from app.settings import Settings, SettingsError, default_feedback_dir


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    # Settings() reads the user's data folder from this process's environment
    # (XDG_DATA_HOME, which the test run points at a temporary folder).
    assert settings == replace(Settings(), feedback_dir=default_feedback_dir({}))
    assert settings.max_upload_bytes == 10 * 1024 * 1024
    assert settings.cors_origins == ()
    assert settings.model_names == ("cnn", "mlp") and not settings.model_names_required
    assert settings.models_dir.name == "weights"


ALL_SET = {
    "DIGITS_MODELS_DIR": "/srv/weights",
    "DIGITS_MODELS": "mlp, cnn",
    "DIGITS_MODEL": "mlp",
    "DIGITS_WEIGHTS": "/srv/one.json",
    "DIGITS_UNSURE_THRESHOLD": "0.75",
    "DIGITS_NOT_A_DIGIT_THRESHOLD": "0.8",
    "DIGITS_MAX_UPLOAD_BYTES": "1_000_000",
    "DIGITS_MAX_REQUEST_BYTES": "2000000",
    "DIGITS_MAX_PIXELS": "1000",
    "DIGITS_MAX_BATCH_FILES": "4",
    "DIGITS_PREDICT_THREADS": "3",
    "DIGITS_PREDICT_PROCESSES": "2",
    "DIGITS_PREDICT_NICE": "5",
    "DIGITS_MAX_PENDING": "16",
    "DIGITS_PREDICT_TIMEOUT_S": "7.5",
    "DIGITS_BODY_TIMEOUT_S": "12",
    "DIGITS_SHUTDOWN_GRACE_S": "3",
    "DIGITS_FORWARDED_ALLOW_IPS": "10.0.0.1, 10.0.0.2",
    "DIGITS_CORS_ORIGINS": "https://a.example, https://b.example",
    "DIGITS_LOG_LEVEL": "WARNING",
    "DIGITS_ACCESS_LOG": "off",
    "DIGITS_HOST": "0.0.0.0",
    "DIGITS_PORT": "9000",
    "DIGITS_WORKERS": "2",
    "DIGITS_TEMPLATES_DIR": "/srv/templates",
    "DIGITS_STATIC_DIR": "/srv/static",
    "DIGITS_FEEDBACK": "no",
    "DIGITS_FEEDBACK_DIR": "/srv/data",
    "DIGITS_DATABASE_URL": "postgresql+psycopg://digits:pw@db:5432/digits",
    "DIGITS_FEEDBACK_PER_MINUTE": "5",
    "DIGITS_REVIEW_TOKEN": "a-long-enough-review-token",
}


def test_every_variable_is_read() -> None:
    assert Settings.from_env(ALL_SET) == Settings(
        models_dir=Path("/srv/weights"),
        model_names=("mlp", "cnn"),
        model_names_required=True,
        default_model="mlp",
        weights_path=Path("/srv/one.json"),
        unsure_threshold=0.75,
        not_a_digit_threshold=0.8,
        max_upload_bytes=1_000_000,
        max_request_bytes=2_000_000,
        max_pixels=1000,
        max_batch_files=4,
        predict_threads=3,
        predict_processes=2,
        predict_nice=5,
        max_pending=16,
        predict_timeout_s=7.5,
        body_timeout_s=12.0,
        shutdown_grace_s=3.0,
        forwarded_allow_ips=("10.0.0.1", "10.0.0.2"),
        cors_origins=("https://a.example", "https://b.example"),
        log_level="warning",
        access_log=False,
        host="0.0.0.0",
        port=9000,
        workers=2,
        templates_dir=Path("/srv/templates"),
        static_dir=Path("/srv/static"),
        feedback=False,
        feedback_dir=Path("/srv/data"),
        database_url="postgresql+psycopg://digits:pw@db:5432/digits",
        feedback_per_minute=5,
        review_token="a-long-enough-review-token",
    )


def test_the_database_is_a_sqlite_file_in_the_feedback_folder_unless_named() -> None:
    assert Settings.from_env({"DIGITS_FEEDBACK_DIR": "/srv/data"}).database == (
        "sqlite:////srv/data/digits.db"
    )
    assert Settings.from_env({"XDG_DATA_HOME": "/home/u/.data"}).feedback_dir == Path(
        "/home/u/.data/digits"
    )
    assert Settings.from_env(ALL_SET).database == ALL_SET["DIGITS_DATABASE_URL"]
    assert "a-long-enough" not in repr(Settings.from_env(ALL_SET))  # the token stays out of logs


def test_every_setting_has_a_variable_and_every_variable_is_documented() -> None:
    import app.settings as module

    changed, default = Settings.from_env(ALL_SET), Settings()
    unchanged = [
        f.name for f in fields(Settings) if getattr(changed, f.name) == getattr(default, f.name)
    ]
    assert unchanged == []
    documented = {word.strip("`") for word in (module.__doc__ or "").split() if "DIGITS_" in word}
    assert set(ALL_SET) <= documented


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DIGITS_PORT", "eighty", "whole number"),
        ("DIGITS_PORT", "70000", "65535"),
        ("DIGITS_WORKERS", "0", "above 0"),
        ("DIGITS_UNSURE_THRESHOLD", "1.5", "between 0 and 1"),
        ("DIGITS_UNSURE_THRESHOLD", "high", "between 0 and 1"),
        ("DIGITS_ACCESS_LOG", "sometimes", "true or false"),
        ("DIGITS_LOG_LEVEL", "loud", "debug, info"),
        ("DIGITS_MODEL", "../etc/passwd", "model name"),
        ("DIGITS_MODELS", " , ", "comma-separated"),
        ("DIGITS_MAX_UPLOAD_BYTES", "-5", "above 0"),
        ("DIGITS_PREDICT_PROCESSES", "65", "from 0 to 64"),
        ("DIGITS_PREDICT_PROCESSES", "two", "whole number"),
        ("DIGITS_PREDICT_NICE", "20", "from 0 to 19"),
        ("DIGITS_PREDICT_NICE", "-1", "from 0 to 19"),
        ("DIGITS_MAX_PENDING", "0", "above 0"),
        ("DIGITS_FEEDBACK", "maybe", "true or false"),
        ("DIGITS_DATABASE_URL", "mysql://db/digits", "postgresql+psycopg://"),
        ("DIGITS_DATABASE_URL", "digits.db", "sqlite:///"),
        ("DIGITS_FEEDBACK_PER_MINUTE", "0", "above 0"),
        ("DIGITS_REVIEW_TOKEN", "short", "at least 16"),
        ("DIGITS_PREDICT_TIMEOUT_S", "0", "seconds above 0"),
        ("DIGITS_BODY_TIMEOUT_S", "soon", "number of seconds"),
        ("DIGITS_SHUTDOWN_GRACE_S", "inf", "seconds above 0"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value})
    assert name in str(raised.value) and says in str(raised.value)


# -- which models load -----------------------------------------------------------------
def folder_with(tmp_path: Path, models_dir: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(models_dir / f"{name}.json", tmp_path / f"{name}.json")
    return tmp_path


def test_cnn_is_the_default_when_both_exist(tmp_path: Path, models_dir: Path) -> None:
    registry = load_models(Settings(models_dir=folder_with(tmp_path, models_dir, "cnn", "mlp")))
    assert registry.default == "cnn" and registry.names == ["cnn", "mlp"]


def test_mlp_is_the_fallback_while_cnn_json_does_not_exist(
    tmp_path: Path, models_dir: Path
) -> None:
    registry = load_models(Settings(models_dir=folder_with(tmp_path, models_dir, "mlp")))
    assert registry.default == "mlp" and registry.names == ["mlp"]


def test_default_model_setting_picks_mlp(tmp_path: Path, models_dir: Path) -> None:
    folder = folder_with(tmp_path, models_dir, "cnn", "mlp")
    assert load_models(Settings(models_dir=folder, default_model="mlp")).default == "mlp"


def test_a_default_model_that_is_not_loaded_stops_the_start(
    tmp_path: Path, models_dir: Path
) -> None:
    folder = folder_with(tmp_path, models_dir, "mlp")
    with pytest.raises(ModelLoadError, match="DIGITS_MODEL='cnn' is not loaded"):
        load_models(Settings(models_dir=folder, default_model="cnn"))


def test_explicitly_listed_models_must_all_exist(tmp_path: Path, models_dir: Path) -> None:
    folder = folder_with(tmp_path, models_dir, "mlp")
    settings = Settings.from_env({"DIGITS_MODELS_DIR": str(folder), "DIGITS_MODELS": "mlp,cnn"})
    with pytest.raises(ModelLoadError, match=r"cnn\.json: no such file"):
        load_models(settings)


def test_an_empty_models_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"no weights file found.*digits train"):
        load_models(Settings(models_dir=tmp_path))


def test_an_invalid_file_in_the_folder_stops_the_start(tmp_path: Path, models_dir: Path) -> None:
    folder = folder_with(tmp_path, models_dir, "mlp")
    (folder / "cnn.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"cnn\.json: not valid JSON"):
        load_models(Settings(models_dir=folder))


def test_weights_setting_serves_one_file_named_by_its_stem(
    tmp_path: Path, models_dir: Path
) -> None:
    single = tmp_path / "experiment-3.json"
    shutil.copy(models_dir / "mlp.json", single)
    registry = load_models(Settings(weights_path=single))
    assert registry.names == ["experiment-3"] and registry.default == "experiment-3"
