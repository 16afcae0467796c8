"""Engines and migrations: one ``DIGITS_DATABASE_URL`` picks SQLite or PostgreSQL.

SQLite (the default, one file in the feedback folder) is opened in WAL mode so
that readers never block the writer, with a busy timeout so that two server
processes writing at once wait their turn instead of failing, and with
``synchronous=FULL`` so that a commit is on disk before the client hears 2xx.
PostgreSQL (``postgresql+psycopg://...``) is for several replicas sharing one
database; its commits are durable by default.

The schema belongs to the Alembic migrations in ``migrations/``. ``migrate``
brings a database to the newest revision; the service calls it at start-up and
``digits feedback migrate`` calls it by hand. Several processes may start at
once (``--workers``, replicas), so the upgrade runs under a lock: a file lock
beside a SQLite database, an advisory lock on PostgreSQL.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The newest migration in ``migrations/versions`` (a test checks they agree). A
#: database already there needs no Alembic at all, which keeps its ~11 MiB of
#: modules out of every server process but the one that upgrades.
SCHEMA_REVISION = "0001"
#: How long a SQLite writer waits for another process's write to finish.
BUSY_TIMEOUT_MS = 10_000
#: Any fixed number: the PostgreSQL advisory lock that serialises migrations.
MIGRATION_LOCK_KEY = 260_26


class DatabaseError(RuntimeError):
    """The database cannot be opened or brought up to date (names the URL, no password)."""


def connect(url: str) -> Engine:
    """An engine for ``url``; for SQLite the folder is created and the pragmas set."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create the folder of {database}: {exc}") from exc
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def describe(engine: Engine) -> str:
    """The engine's URL with the password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def migrate(engine: Engine) -> str:
    """Upgrade the database to the newest revision; returns that revision."""
    try:
        if stored_revision(engine) == SCHEMA_REVISION:
            return SCHEMA_REVISION
        with _migration_lock(engine) as connection:
            from alembic import command  # only when there is something to do

            command.upgrade(_alembic_config(connection), "head")
            connection.commit()
            return current_revision(connection) or "none"
    except DatabaseError:
        raise
    except Exception as exc:  # driver errors: name the database, not a traceback
        raise DatabaseError(f"cannot migrate {describe(engine)}: {exc}") from exc


def stored_revision(engine: Engine) -> str | None:
    """The revision the database says it is at (``None``: no schema yet)."""
    with engine.connect() as connection:
        try:
            value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError as exc:
            if exc.connection_invalidated or "alembic_version" not in str(exc):
                raise
            return None
    return str(value) if value is not None else None


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the migration scripts know."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection held while no other process migrates the same database."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                yield connection
            finally:
                connection.rollback()
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with engine.connect() as connection:
            yield connection
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
