"""``digits data download`` and ``digits data verify``: the data sets training and the tests read.

Three data sets, none of them committed, each in the folder its setting names:

- ``mnist``: MNIST's four IDX files (``DIGITS_DATA_DIR``), fetched from the
  public mirrors (``model/download.py``);
- ``pendigits``: pendigits-train, 7,494 digits of 30 writers as pen strokes
  (``DIGITS_PENDIGITS_DIR``), and ``uji-letters``: 1,144 letters of 11 writers
  (``DIGITS_UJI_DIR``), rebuilt from the UCI originals (``model/strokesources.py``).

``download`` fetches the ones named (all three by default) into their
setting's folder, else ``~/.cache/digits/<name>``; every file is checked against
its published SHA-256 and a verified copy is left alone. ``--from`` converts
originals downloaded by hand. ``verify`` checks the folders training reads. A
data set that fails is reported on stderr and the others still run; the exit
code is 1 if any failed, 2 for a command line that makes no sense.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from model import download, strokesources
from model.mnist import DataError

MNIST = "mnist"
DATA_SETS = (MNIST, *strokesources.SOURCES)
USAGE_ERROR = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser(
        "data", help="the data sets (MNIST, pendigits, uji-letters): download and verify"
    )
    actions = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    names = ", ".join(DATA_SETS)
    fetch = actions.add_parser(
        "download",
        help="fetch data sets from their public sources and verify them",
        description="Fetch MNIST from its mirrors and rebuild pendigits and uji-letters from "
        "the UCI originals (CC BY 4.0), each checked against its published SHA-256.",
    )
    fetch.add_argument("names", nargs="*", metavar="DATA", help=f"{names} (default: all)")
    fetch.add_argument(
        "--dir", type=Path, help="folder for the one data set named (none named: MNIST)"
    )
    fetch.add_argument(
        "--from",
        dest="origin",
        type=Path,
        metavar="PATH",
        help="convert originals you downloaded yourself: the zip archive or a folder of its "
        "files (pendigits or uji-letters, one at a time)",
    )
    fetch.set_defaults(handler=run_download)
    verify = actions.add_parser("verify", help="check the data sets' files against their digests")
    verify.add_argument("names", nargs="*", metavar="DATA", help=f"{names} (default: all)")
    verify.add_argument("--dir", type=Path, help="folder of the one data set named")
    verify.set_defaults(handler=run_verify)


def run_download(args: argparse.Namespace) -> int:
    names = _chosen(args, "download")
    if names is None:
        return USAGE_ERROR
    if args.origin and (len(names) != 1 or names[0] == MNIST):
        return _usage(
            "download", "--from converts one data set's originals: name pendigits or uji-letters"
        )
    failed = False
    for name in names:
        target = args.dir or _download_folder(name)
        try:
            _fetch(name, target, args.origin)
        except (DataError, OSError) as exc:
            print(f"digits data download: {name}: {exc}", file=sys.stderr)
            failed = True
            continue
        print(f"{_title(name)} is ready in {target}")
    return 1 if failed else 0


def run_verify(args: argparse.Namespace) -> int:
    names = _chosen(args, "verify")
    if names is None:
        return USAGE_ERROR
    failed = False
    for name in names:
        try:
            print(json.dumps({"data": name, **_verify(name, args.dir)}))
        except (DataError, OSError) as exc:
            print(f"digits data verify: {name}: {exc}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def _chosen(args: argparse.Namespace, command: str) -> list[str] | None:
    unknown = [name for name in args.names if name not in DATA_SETS]
    if unknown:
        _usage(command, f"no data set {unknown[0]!r}; the data sets are {', '.join(DATA_SETS)}")
        return None
    if args.dir and len(args.names) > 1:
        _usage(command, "--dir is one folder: name one data set")
        return None
    if args.dir and not args.names:
        return [MNIST]  # as before there were other data sets
    return list(dict.fromkeys(args.names)) or list(DATA_SETS)


def _usage(command: str, message: str) -> int:
    print(f"digits data {command}: {message}", file=sys.stderr)
    return USAGE_ERROR


def _title(name: str) -> str:
    return "MNIST" if name == MNIST else strokesources.SOURCES[name].folder


def _download_folder(name: str) -> Path:
    if name == MNIST:
        from model.mnist import default_data_dir, user_data_dir

        return default_data_dir() if os.environ.get("DIGITS_DATA_DIR") else user_data_dir()
    return strokesources.SOURCES[name].target()


def _fetch(name: str, target: Path, origin: Path | None) -> None:
    def log(line: str) -> None:
        print(line, file=sys.stderr)

    if name == MNIST:
        download.download_mnist(target, mirrors=download.MIRRORS, log=log)
        return
    source = strokesources.SOURCES[name]
    if origin is None:
        strokesources.download_strokes(source, target, log=log)
    else:
        strokesources.convert_local(source, origin, target)


def _verify(name: str, folder: Path | None) -> dict[str, object]:
    from model import strokedata
    from model.mnist import default_data_dir, load_mnist

    if name == MNIST:
        folder = folder or default_data_dir()
        data = load_mnist(folder)
        counts = {"train": len(data.train_labels), "test": len(data.test_labels)}
        return {"data_dir": str(folder), "verified": True, **counts}
    default_dir, load = {
        strokesources.PENDIGITS.name: (strokedata.default_pendigits_dir, strokedata.load_pendigits),
        strokesources.UJI.name: (strokedata.default_uji_dir, strokedata.load_uji_letters),
    }[name]
    folder = folder or default_dir()
    samples = load(folder)
    writers = len({sample.writer for sample in samples})
    return {"data_dir": str(folder), "verified": True, "samples": len(samples), "writers": writers}
