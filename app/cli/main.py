"""The ``digits`` command: train, evaluate, fetch data, serve, predict.

Every subcommand is a thin layer over ``model/`` (training, evaluation, data) or
the service modules (serving, offline prediction); this module only parses
arguments and prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import data, training


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digits", description="Handwritten digit recognition with a NumPy network."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    training.register(subparsers)
    data.register(subparsers)
    register_service_commands(subparsers)
    return parser


def register_service_commands(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import explain, feedback, service

    service.register(subparsers)
    explain.register(subparsers)
    feedback.register(subparsers)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
