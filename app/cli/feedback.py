"""``digits feedback``: the operator's view of the corrections people sent.

- ``digits feedback list`` prints the newest corrections (``--label``, ``--model``,
  ``--wrong`` narrow it; ``--json`` for one JSON object per line);
- ``digits feedback export --format npz|idx|png --out PATH`` writes them as a NumPy
  archive, MNIST's IDX pair, or a folder of PNGs with ``corrections.csv``
  (``app.corrections.export``; the same filters apply);
- ``digits feedback delete ID...`` or ``--older-than 2026-01-01`` removes them (for
  retention, or when someone asks);
- ``digits feedback migrate`` brings the database's schema up to date. The server
  does this itself at start-up; the command is for operators who prefer to
  migrate before rolling out.

The database is the server's: ``DIGITS_DATABASE_URL``, else the SQLite file in
``DIGITS_FEEDBACK_DIR``; ``--database URL`` names another.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from app.corrections.database import DatabaseError, connect, describe, migrate
from app.corrections.export import FORMATS, is_held_out, write_idx, write_npz, write_pngs
from app.corrections.store import Correction, CorrectionStore, Filter
from app.corrections.table import label_name, parse_label
from app.settings import Settings, SettingsError

DEFAULT_LIST_LIMIT = 50
WRITERS = {"npz": write_npz, "idx": write_idx, "png": write_pngs}


def register(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "feedback",
        help="list, export and delete the corrections people sent",
        description="The corrections kept by POST /feedback and the page's 'wrong, it was...'.",
    )
    actions = command.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="print the newest corrections")
    _add_common(listing)
    _add_filters(listing)
    listing.add_argument("--limit", type=int, default=DEFAULT_LIST_LIMIT, help="rows (50)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=run_list)

    export = actions.add_parser("export", help="write the corrections as NPZ, IDX or PNG + CSV")
    _add_common(export)
    _add_filters(export)
    export.add_argument("--format", choices=FORMATS, default="npz", help="npz (default)")
    export.add_argument(
        "--out", type=Path, required=True, help="the .npz file, or the folder for idx and png"
    )
    export.set_defaults(handler=run_export)

    remove = actions.add_parser("delete", help="delete corrections by id or by age")
    _add_common(remove)
    remove.add_argument("ids", nargs="*", type=int, help="ids to delete")
    remove.add_argument(
        "--older-than", type=_date, metavar="DATE", help="delete those kept before DATE (UTC)"
    )
    remove.set_defaults(handler=run_delete)

    upgrade = actions.add_parser("migrate", help="bring the database schema up to date")
    _add_common(upgrade)
    upgrade.set_defaults(handler=run_migrate)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database", metavar="URL", help="default: DIGITS_DATABASE_URL, else the SQLite file"
    )


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--label", type=_label, help='only this label (0-9 or "not_a_digit")')
    parser.add_argument("--model", help="only corrections of this model's answers")
    parser.add_argument("--wrong", action="store_true", help="only where the model was wrong")


def _label(text: str) -> int:
    try:
        return parse_label(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-01-31, not {text!r}") from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _filter(args: argparse.Namespace) -> Filter:
    return Filter(label=args.label, model_name=args.model, wrong_only=args.wrong)


def open_store(args: argparse.Namespace, name: str) -> CorrectionStore | None:
    """The server's database, migrated; ``None`` (after one line on stderr) if it fails."""
    try:
        url = args.database or Settings.from_env().database
        engine = connect(url)
        migrate(engine)
    except (SettingsError, DatabaseError) as exc:
        print(f"digits feedback {name}: {exc}", file=sys.stderr)
        return None
    return CorrectionStore(engine)


def as_record(row: Correction) -> dict[str, object]:
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(timespec="seconds") if row.created_at else None,
        "label": label_name(row.label),
        "predicted": label_name(row.predicted),
        "confidence": round(row.confidence, 4),
        "model": row.model_name,
        "weights_sha256": row.weights_sha256,
        "kind": row.kind,
        "has_original": row.original is not None,
        "held_out": is_held_out(row.id),
    }


def run_list(args: argparse.Namespace) -> int:
    store = open_store(args, "list")
    if store is None:
        return 1
    rows = store.find(_filter(args), limit=max(1, args.limit))
    total = store.count(_filter(args))
    if args.json:
        for row in rows:
            print(json.dumps(as_record(row)))
        return 0
    print(f"{'id':>6}  {'kept (UTC)':<19}  label        model said        model  kind")
    for row in rows:
        when = row.created_at.strftime("%Y-%m-%d %H:%M:%S") if row.created_at else ""
        said = f"{label_name(row.predicted)} ({row.confidence:.0%})"
        mark = "  " if row.model_was_wrong else "ok"
        print(
            f"{row.id:>6}  {when:<19}  {label_name(row.label):<11}{mark} {said:<16}  "
            f"{row.model_name:<5}  {row.kind}"
        )
    print(f"{len(rows)} of {total} shown (newest first)", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    store = open_store(args, "export")
    if store is None:
        return 1
    count = WRITERS[args.format](args.out, store.each(_filter(args)))
    print(f"exported {count} corrections from {describe(store.engine)} to {args.out}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    if not args.ids and args.older_than is None:
        print("digits feedback delete: name ids, or --older-than DATE", file=sys.stderr)
        return 2
    store = open_store(args, "delete")
    if store is None:
        return 1
    deleted = 0
    if args.ids:
        deleted += store.delete(Filter(ids=args.ids))
    if args.older_than is not None:
        deleted += store.delete(Filter(before=args.older_than))
    print(f"deleted {deleted} corrections")
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    try:
        engine = connect(args.database or Settings.from_env().database)
        revision = migrate(engine)
    except (SettingsError, DatabaseError) as exc:
        print(f"digits feedback migrate: {exc}", file=sys.stderr)
        return 1
    print(f"{describe(engine)} is at revision {revision}")
    return 0
