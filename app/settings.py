"""The service's settings, all in one place, read from ``DIGITS_*`` environment variables.

``Settings.from_env()`` reads them once (at start-up, or when ``digits serve``
starts); nothing else in the service looks at the environment. A value that does
not parse stops the start with a ``SettingsError`` naming the variable.

=============================  =====================  ============================================
Variable                       Default                Meaning
=============================  =====================  ============================================
``DIGITS_MODELS_DIR``          ``<repo>/weights``     Folder holding the weights files
                                                      ``<name>.json``.
``DIGITS_MODELS``              ``cnn,mlp``            Model names to load at start-up, from
                                                      ``<models dir>/<name>.json``. When left
                                                      unset, names without a file are skipped;
                                                      when set, every listed file must exist.
``DIGITS_MODEL``               first one loaded       The default model (``cnn`` while
                                                      ``cnn.json`` exists, else ``mlp``); the
                                                      ``model`` query parameter picks another.
``DIGITS_WEIGHTS``             (unset)                One weights file to serve instead of the
                                                      models folder; its name is the file's stem.
``DIGITS_UNSURE_THRESHOLD``    ``0.6``                A calibrated probability below this gives
                                                      ``"status": "unsure"``.
``DIGITS_NOT_A_DIGIT_THRESHOLD`` ``0.49``             A "not a digit" probability at or above
                                                      this gives ``"status": "not_a_digit"``
                                                      (networks with that output only).
``DIGITS_MAX_UPLOAD_BYTES``    ``10485760`` (10 MiB)  Largest image file (bytes, after base64
                                                      decoding); larger gets 413.
``DIGITS_MAX_REQUEST_BYTES``   ``33554432`` (32 MiB)  Largest request body (batch, base64 JSON);
                                                      larger gets 413 before it is read.
``DIGITS_MAX_PIXELS``          ``40000000``           Largest image (width x height), checked
                                                      before decoding; larger gets 413.
``DIGITS_MAX_BATCH_FILES``     ``32``                 Most files in one ``/predict/batch``.
``DIGITS_PREDICT_THREADS``     ``1``                  Predictions one worker process runs at
                                                      once (in threads off the event loop).
                                                      More queue for the GIL, not the CPU.
``DIGITS_PREDICT_PROCESSES``   ``0``                  ``0``: predictions run in threads of each
                                                      worker. ``N``: in a pool of ``N``
                                                      processes fed by one queue, so one
                                                      worker uses ``N`` cores evenly
                                                      (``app.service.offload``).
``DIGITS_PREDICT_NICE``        ``10``                 How much lower the pool processes' CPU
                                                      priority is than the serving process's
                                                      (``nice``, 0..19), so the event loop
                                                      never waits behind a prediction. ``0``
                                                      on a host shared with busier programs.
``DIGITS_MAX_PENDING``         ``128``                Prediction requests (a batch counts
                                                      once) one worker process holds, waiting
                                                      or running; one more gets 503 with
                                                      ``Retry-After`` at once.
``DIGITS_PREDICT_TIMEOUT_S``   ``20``                 Seconds a prediction may take, waiting
                                                      included; past them 504. A pool process
                                                      holding work that long is killed and
                                                      replaced (stopped or stuck).
``DIGITS_BODY_TIMEOUT_S``      ``30``                 Longest wait for the next piece of a
                                                      request body; a stalled upload gets 408
                                                      and its connection is closed.
``DIGITS_SHUTDOWN_GRACE_S``    ``20``                 ``digits serve``: seconds a shutdown
                                                      (SIGTERM) waits for requests in flight
                                                      before closing them.
``DIGITS_FORWARDED_ALLOW_IPS`` (empty: none)          ``digits serve``: comma-separated
                                                      addresses of proxies whose
                                                      ``X-Forwarded-For``/``-Proto`` are
                                                      believed (``*``: any). Empty: none.
``DIGITS_CORS_ORIGINS``        (empty: CORS off)      Comma-separated origins allowed to call
                                                      the API from a browser; ``*`` for any.
``DIGITS_LOG_LEVEL``           ``info``               ``debug``, ``info``, ``warning``, ``error``.
``DIGITS_ACCESS_LOG``          ``true``               One JSON line per request (id, method,
                                                      path, status, ms); never image content.
``DIGITS_HOST``                ``127.0.0.1``          ``digits serve``: address to bind
                                                      (``0.0.0.0`` in the container).
``DIGITS_PORT``                ``8000``               ``digits serve``: port.
``DIGITS_WORKERS``             ``1``                  ``digits serve``: worker processes.
``DIGITS_TEMPLATES_DIR``       ``<repo>/templates``   The drawing page's templates.
``DIGITS_STATIC_DIR``          ``<repo>/static``      The drawing page's scripts and styles.
``DIGITS_FEEDBACK``            ``true``               Keep the corrections people send
                                                      (``POST /feedback``); ``false``: the
                                                      endpoint answers 404 and the page offers
                                                      no correction.
``DIGITS_FEEDBACK_DIR``        ``~/.local/share/      Folder of the SQLite database (created
                               digits``               when missing; the image's ``/data``).
``DIGITS_DATABASE_URL``        ``sqlite:///<feedback  Where corrections are kept: SQLite, or
                               dir>/digits.db``       ``postgresql+psycopg://user:pw@host/db``
                                                      when several replicas share them.
``DIGITS_FEEDBACK_PER_MINUTE`` ``30``                 Corrections one client (address) may send
                                                      per minute; more get 429.
``DIGITS_REVIEW_TOKEN``        (unset: page off)      The access token of the review page
                                                      ``/review``; unset, the page is 404.
=============================  =====================  ============================================

``<repo>`` is the folder that holds the ``app`` package (the checkout, or the
image's ``/app``); set the ``*_DIR`` variables when the package is installed
elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_NAMES = ("cnn", "mlp")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
PREFIX = "DIGITS_"
MAX_PROCESSES = 64
MAX_NICE = 19
DATABASE_FILE = "digits.db"
DATABASE_SCHEMES = ("sqlite", "postgresql")
#: A review token shorter than this is too easy to guess.
MIN_TOKEN_LENGTH = 16
#: How many ranked digits an answer lists unless the request (``top_k``, ``--top-k``)
#: asks otherwise, and at most.
TOP_K, MAX_TOP_K = 3, 10

T = TypeVar("T")


class SettingsError(ValueError):
    """An environment variable whose value cannot be used."""


@dataclass(frozen=True)
class Settings:
    models_dir: Path = REPO_ROOT / "weights"
    model_names: tuple[str, ...] = DEFAULT_MODEL_NAMES
    model_names_required: bool = False
    default_model: str | None = None
    weights_path: Path | None = None
    unsure_threshold: float = 0.6
    #: chosen on validation data by ``benchmarks/not_digits.py``
    not_a_digit_threshold: float = 0.49
    max_upload_bytes: int = 10 * 1024 * 1024
    max_request_bytes: int = 32 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_batch_files: int = 32
    predict_threads: int = 1
    predict_processes: int = 0
    predict_nice: int = 10
    max_pending: int = 128
    predict_timeout_s: float = 20.0
    body_timeout_s: float = 30.0
    shutdown_grace_s: float = 20.0
    forwarded_allow_ips: tuple[str, ...] = field(default_factory=tuple)
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    log_level: str = "info"
    access_log: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    templates_dir: Path = REPO_ROOT / "templates"
    static_dir: Path = REPO_ROOT / "static"
    feedback: bool = True
    feedback_dir: Path = field(default_factory=lambda: default_feedback_dir(os.environ))
    database_url: str | None = None
    feedback_per_minute: int = 30
    review_token: str | None = field(default=None, repr=False)

    @property
    def database(self) -> str:
        """``DIGITS_DATABASE_URL``, else the SQLite file in the feedback folder."""
        return self.database_url or f"sqlite:///{self.feedback_dir / DATABASE_FILE}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``DIGITS_*`` variables; defaults for the ones not set."""
        env = os.environ if environ is None else environ
        read = _Reader(env)
        names = read.value("MODELS", _names, None)
        return cls(
            models_dir=read.value("MODELS_DIR", Path, cls.models_dir),
            model_names=names or DEFAULT_MODEL_NAMES,
            model_names_required=names is not None,
            default_model=read.value("MODEL", _name, None),
            weights_path=read.value("WEIGHTS", Path, None),
            unsure_threshold=read.value("UNSURE_THRESHOLD", _probability, cls.unsure_threshold),
            not_a_digit_threshold=read.value(
                "NOT_A_DIGIT_THRESHOLD", _probability, cls.not_a_digit_threshold
            ),
            max_upload_bytes=read.value("MAX_UPLOAD_BYTES", _positive_int, cls.max_upload_bytes),
            max_request_bytes=read.value("MAX_REQUEST_BYTES", _positive_int, cls.max_request_bytes),
            max_pixels=read.value("MAX_PIXELS", _positive_int, cls.max_pixels),
            max_batch_files=read.value("MAX_BATCH_FILES", _positive_int, cls.max_batch_files),
            predict_threads=read.value("PREDICT_THREADS", _positive_int, cls.predict_threads),
            predict_processes=read.value(
                "PREDICT_PROCESSES", _between(0, MAX_PROCESSES), cls.predict_processes
            ),
            predict_nice=read.value("PREDICT_NICE", _between(0, MAX_NICE), cls.predict_nice),
            max_pending=read.value("MAX_PENDING", _positive_int, cls.max_pending),
            predict_timeout_s=read.value(
                "PREDICT_TIMEOUT_S", _positive_seconds, cls.predict_timeout_s
            ),
            body_timeout_s=read.value("BODY_TIMEOUT_S", _positive_seconds, cls.body_timeout_s),
            shutdown_grace_s=read.value(
                "SHUTDOWN_GRACE_S", _positive_seconds, cls.shutdown_grace_s
            ),
            forwarded_allow_ips=read.value("FORWARDED_ALLOW_IPS", _origins, ()),
            cors_origins=read.value("CORS_ORIGINS", _origins, ()),
            log_level=read.value("LOG_LEVEL", _log_level, cls.log_level),
            access_log=read.value("ACCESS_LOG", _boolean, cls.access_log),
            host=read.value("HOST", _nonempty, cls.host),
            port=read.value("PORT", _port, cls.port),
            workers=read.value("WORKERS", _positive_int, cls.workers),
            templates_dir=read.value("TEMPLATES_DIR", Path, cls.templates_dir),
            static_dir=read.value("STATIC_DIR", Path, cls.static_dir),
            feedback=read.value("FEEDBACK", _boolean, cls.feedback),
            feedback_dir=read.value("FEEDBACK_DIR", Path, default_feedback_dir(env)),
            database_url=read.value("DATABASE_URL", _database_url, None),
            feedback_per_minute=read.value(
                "FEEDBACK_PER_MINUTE", _positive_int, cls.feedback_per_minute
            ),
            review_token=read.value("REVIEW_TOKEN", _token, None),
        )


def default_feedback_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/digits``, else ``~/.local/share/digits``: the user's data, not the repo."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "digits"


class _Reader:
    """Reads one ``DIGITS_`` variable, turning a parse failure into a ``SettingsError``."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def value(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self.env.get(PREFIX + name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return parse(raw.strip())
        except ValueError as exc:
            raise SettingsError(f"{PREFIX}{name}={raw!r}: {exc}") from None


def _whole_number(raw: str) -> int:
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        raise ValueError("expected a whole number") from None


def _positive_int(raw: str) -> int:
    value = _whole_number(raw)
    if value <= 0:
        raise ValueError("expected a number above 0")
    return value


def _between(low: int, high: int) -> Callable[[str], int]:
    """A parser of whole numbers from ``low`` to ``high``."""

    def parse(raw: str) -> int:
        value = _whole_number(raw)
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low} to {high}")
        return value

    return parse


def _positive_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a number of seconds") from None
    if not 0.0 < value < float("inf"):
        raise ValueError("expected a number of seconds above 0")
    return value


def _port(raw: str) -> int:
    value = _positive_int(raw)
    if value > 65535:
        raise ValueError("a port is at most 65535")
    return value


def _probability(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError("expected a number between 0 and 1")
    return value


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _log_level(raw: str) -> str:
    lowered = raw.lower()
    if lowered not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
    return lowered


def _name(raw: str) -> str:
    if not raw.replace("-", "").replace("_", "").isalnum():
        raise ValueError("a model name is letters, digits, '-' and '_' (the file's stem)")
    return raw


def _names(raw: str) -> tuple[str, ...]:
    names = tuple(_name(part.strip()) for part in raw.split(",") if part.strip())
    if not names:
        raise ValueError("expected a comma-separated list of model names")
    return names


def _origins(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _nonempty(raw: str) -> str:
    return raw


def _database_url(raw: str) -> str:
    scheme = raw.split(":", 1)[0].split("+", 1)[0]
    if "://" not in raw or scheme not in DATABASE_SCHEMES:
        raise ValueError(
            "expected sqlite:///path/to/file.db or postgresql+psycopg://user:password@host/db"
        )
    return raw


def _token(raw: str) -> str:
    if len(raw) < MIN_TOKEN_LENGTH:
        raise ValueError(f"a review token is at least {MIN_TOKEN_LENGTH} characters")
    return raw
