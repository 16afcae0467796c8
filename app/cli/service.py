"""``digits serve`` and ``digits predict``: the service, on a port or offline on files.

``digits serve`` runs uvicorn on ``app.main:app`` with ``--host``, ``--port``,
``--workers`` and ``--predict-processes`` (defaults from the ``DIGITS_*``
variables of the same names).
It loads the models once before starting, so a missing or invalid weights file
stops it with one line naming the file instead of a crash loop of workers.
Options it is given become ``DIGITS_*`` variables of its own process, which the
workers read. Connections get ``TCP_NODELAY`` (``app.service.serving``).

``digits predict FILE...`` reads images (``-`` for standard input) through the
same pipeline and predictor as the API. By default it prints one line per file;
``--json`` prints, for each file, one JSON document exactly shaped like the
answer of ``POST /predict`` (or ``/predict/number`` with ``--number``). A file
that cannot be read prints its error to stderr and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from app.service import serving
from app.service.inputs import image_bytes
from app.service.registry import ModelLoadError, ModelRegistry, load_models
from app.settings import LOG_LEVELS, MAX_TOP_K, TOP_K, Settings, SettingsError
from app.vision.errors import InputError

EXIT_INPUT_ERROR = 1
EXIT_SETUP_ERROR = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` and ``predict`` to the ``digits`` command."""
    serve = subparsers.add_parser(
        "serve",
        help="run the web service (API, docs and drawing page)",
        description="Run the web service with uvicorn. Settings not given here come from "
        "DIGITS_* environment variables (see app/settings.py).",
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1, DIGITS_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8000, DIGITS_PORT)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1, DIGITS_WORKERS)")
    serve.add_argument(
        "--predict-processes",
        type=int,
        help="prediction processes per worker, fed from one queue; 0: threads "
        "(default 0, DIGITS_PREDICT_PROCESSES)",
    )
    serve.add_argument("--log-level", choices=LOG_LEVELS, help="default info (DIGITS_LOG_LEVEL)")
    add_model_options(serve)
    serve.set_defaults(handler=run_serve)

    predict = subparsers.add_parser(
        "predict",
        help="recognise digits in image files, offline",
        description="Recognise the digit in each image file with the same pipeline as the API.",
    )
    predict.add_argument("files", nargs="+", help="image files (PNG, JPEG, ...); - for stdin")
    predict.add_argument(
        "--number", action="store_true", help="read a number of several digits per image"
    )
    predict.add_argument(
        "--json", action="store_true", help="print the API's JSON, one document per file"
    )
    predict.add_argument(
        "--top-k", type=int, default=TOP_K, help=f"ranked candidates (1-{MAX_TOP_K})"
    )
    predict.add_argument(
        "--include-image", action="store_true", help="add the 28x28 image as a data URL"
    )
    predict.add_argument(
        "--save-images",
        type=Path,
        metavar="DIR",
        help="save the 28x28 image(s) the network saw: DIR/<stem>.png (-1, -2... for numbers)",
    )
    add_model_options(predict)
    predict.set_defaults(handler=run_predict)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="default model name, e.g. cnn or mlp (DIGITS_MODEL)")
    parser.add_argument("--weights", type=Path, help="serve this one weights file (DIGITS_WEIGHTS)")
    parser.add_argument(
        "--models-dir", type=Path, help="folder of <name>.json weights (DIGITS_MODELS_DIR)"
    )


def overrides_from(args: argparse.Namespace) -> dict[str, str]:
    """The command line's options as the ``DIGITS_*`` variables they stand for."""
    options = {
        "DIGITS_HOST": getattr(args, "host", None),
        "DIGITS_PORT": getattr(args, "port", None),
        "DIGITS_WORKERS": getattr(args, "workers", None),
        "DIGITS_PREDICT_PROCESSES": getattr(args, "predict_processes", None),
        "DIGITS_LOG_LEVEL": getattr(args, "log_level", None),
        "DIGITS_MODEL": args.model,
        "DIGITS_WEIGHTS": args.weights,
        "DIGITS_MODELS_DIR": args.models_dir,
    }
    return {
        name: str(Path(value).resolve()) if isinstance(value, Path) else str(value)
        for name, value in options.items()
        if value is not None
    }


def setup(
    args: argparse.Namespace, command: str
) -> tuple[Settings, ModelRegistry, dict[str, str]] | None:
    """Settings (environment, then options on top) and the loaded models, or a message."""
    overrides = overrides_from(args)
    try:
        settings = Settings.from_env({**os.environ, **overrides})
        return settings, load_models(settings), overrides
    except (SettingsError, ModelLoadError) as exc:
        print(f"digits {command}: {exc}", file=sys.stderr)
        return None


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    ready = setup(args, "serve")
    if ready is None:
        return EXIT_SETUP_ERROR
    settings, registry, overrides = ready
    os.environ.update(overrides)  # uvicorn's workers build their settings from the environment
    print(
        f"digits serve: models {', '.join(registry.names)} (default {registry.default}); "
        f"http://{settings.host}:{settings.port}/ (API docs at /docs)",
        file=sys.stderr,
    )
    del registry, ready  # checked; the server loads its own copy (the image's command too)
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
        http=serving.IMPORT_STRING,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=list(settings.forwarded_allow_ips) or None,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_s),
    )
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from app.service.predictor import Options, predict_digit, predict_number

    if not 1 <= args.top_k <= MAX_TOP_K:
        print(f"digits predict: --top-k must be between 1 and {MAX_TOP_K}", file=sys.stderr)
        return EXIT_SETUP_ERROR
    ready = setup(args, "predict")
    if ready is None:
        return EXIT_SETUP_ERROR
    settings, registry, _overrides = ready
    model = registry.get()
    options = Options.of(
        settings,
        top_k=args.top_k,
        include_image=args.include_image or args.save_images is not None,
    )
    status = 0
    for name in args.files:
        try:
            source = image_bytes(
                read_file(name, settings.max_upload_bytes), settings.max_upload_bytes
            )
            if args.number:
                number = predict_number(model, source, options)
                line = f"{number.number} ({number.confidence:.1%}, {number.status})"
                if number.status == "not_a_digit":
                    line = f"not a number (best guess {number.number}, {number.confidence:.1%})"
                document = number.model_dump(mode="json")
            else:
                digit = predict_digit(model, source, options)
                line = f"{digit.digit} ({digit.confidence:.1%}, {digit.status})"
                if digit.status == "not_a_digit":
                    line = f"not a digit (best guess {digit.digit}, {digit.confidence:.1%})"
                if digit.digits_found > 1:
                    line += f"; it looks like {digit.digits_found} digits: try --number"
                document = digit.model_dump(mode="json")
        except InputError as exc:
            print(f"{name}: {exc.detail}", file=sys.stderr)
            status = EXIT_INPUT_ERROR
            continue
        if args.save_images is not None:
            save_seen_images(document, args.save_images, Path(name).stem or "stdin")
            if not args.include_image:
                strip_images(document)
        print(json.dumps(document) if args.json else f"{name}: {line}")
    return status


Document = dict[str, Any]


def _digit_entries(document: Document) -> list[Document]:
    entries: list[Document] = document.get("digits", [document])
    return entries


def save_seen_images(document: Document, folder: Path, stem: str) -> None:
    """Write the 28x28 PNGs carried as data URLs in an answer (one per digit)."""
    from app.vision.pipeline import save_pngs

    urls = [entry["image"] for entry in _digit_entries(document) if entry.get("image")]
    save_pngs([base64.b64decode(url.split(",", 1)[1]) for url in urls], folder, stem)


def strip_images(document: Document) -> None:
    """Drop the data URLs that were only asked for to be saved."""
    for entry in _digit_entries(document):
        entry["image"] = None


def read_file(name: str, max_bytes: int) -> bytes:
    """A file's bytes (``-``: standard input), at most ``max_bytes + 1`` of them."""
    try:
        if name == "-":
            return sys.stdin.buffer.read(max_bytes + 1)
        with open(name, "rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})") from None
