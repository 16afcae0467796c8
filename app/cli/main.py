"""The ``digits`` command: train, evaluate, fetch data, serve, predict.

Every subcommand is a thin layer over ``model/`` (training, evaluation, data) or
the service modules (serving, offline prediction); this module only parses
arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from app.cli import training


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digits", description="Handwritten digit recognition with a NumPy network."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    training.register(subparsers)
    add_data_parser(subparsers)
    register_service_commands(subparsers)
    return parser


def register_service_commands(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import explain, feedback, service

    service.register(subparsers)
    explain.register(subparsers)
    feedback.register(subparsers)


def add_data_parser(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="MNIST data: download and verify")
    actions = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    download = actions.add_parser(
        "download", help="fetch the four MNIST files from the public mirrors and verify them"
    )
    download.add_argument("--dir", type=Path, help="target folder (default: the data directory)")
    download.set_defaults(handler=run_data_download)
    verify = actions.add_parser("verify", help="check the MNIST files in the data directory")
    verify.add_argument("--dir", type=Path, help="data folder (default: the data directory)")
    verify.set_defaults(handler=run_data_verify)


def run_data_download(args: argparse.Namespace) -> int:
    from model.download import download_mnist
    from model.mnist import DataError, default_data_dir, user_data_dir

    target = args.dir or (default_data_dir() if _env_data_dir() else user_data_dir())
    try:
        download_mnist(target, log=lambda line: print(line, file=sys.stderr))
    except DataError as exc:
        print(f"digits data download: {exc}", file=sys.stderr)
        return 1
    print(f"MNIST is ready in {target}")
    return 0


def _env_data_dir() -> bool:
    import os

    return bool(os.environ.get("DIGITS_DATA_DIR"))


def run_data_verify(args: argparse.Namespace) -> int:
    from model.mnist import DataError, default_data_dir, load_mnist

    folder = args.dir or default_data_dir()
    try:
        data = load_mnist(folder)
    except DataError as exc:
        print(f"digits data verify: {exc}", file=sys.stderr)
        return 1
    counts = {"train": len(data.train_labels), "test": len(data.test_labels)}
    print(json.dumps({"data_dir": str(folder), "verified": True, **counts}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
