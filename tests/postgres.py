"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary folder, a free port.

``scripts/install.sh`` installs Debian's ``postgresql`` package; ``PostgresServer``
runs ``initdb`` into a fresh folder under ``/tmp`` and ``pg_ctl start`` on
127.0.0.1 and a free port, and ``stop`` removes it all. PostgreSQL refuses to run
as root, so as root both run as the unprivileged ``nobody`` (``runuser``).
``empty_database`` hands each test an empty database, so tests never see each
other's rows.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

SUPERUSER = "digits"
UNPRIVILEGED = "nobody"
START_TIMEOUT_S = 60


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` folder (Debian keeps it off ``PATH``)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_version)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _version(path: Path) -> float:
    try:
        return float(path.parent.parent.name)
    except ValueError:
        return 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        binaries = bin_dir()
        if binaries is None:
            raise RuntimeError("PostgreSQL is not installed: run scripts/install.sh")
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="digits-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._names = itertools.count()
        self._free: list[str] = []  # emptied databases, ready for the next test
        self.as_root = os.geteuid() == 0
        if self.as_root:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, UNPRIVILEGED)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", UNPRIVILEGED, "--"] if self.as_root else []
        subprocess.run(
            [*prefix, *command],
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S,
            cwd=self.root,
        )

    def start(self) -> PostgresServer:
        self._run(
            str(self.bin / "initdb"),
            "--no-sync",
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "-D",
            str(self.data),
        )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c max_connections=60"
        log = str(self.root / "server.log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "start"
        )
        return self

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    @contextmanager
    def empty_database(self) -> Iterator[str]:
        """The SQLAlchemy URL of a database with nothing in it, for one test.

        Databases are reused: after the test its connections are ended and its schema
        emptied. A new database per test would copy the template (5 MB of WAL) each
        time and leave hundreds of megabytes to delete at the end.
        """
        name = self._free.pop() if self._free else self._create()
        try:
            yield self.url(name)
        finally:
            with psycopg.connect(self._dsn(name), autocommit=True) as connection:
                connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                connection.execute("DROP SCHEMA public CASCADE")
                connection.execute("CREATE SCHEMA public")
            self._free.append(name)

    def _create(self) -> str:
        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # our own generated name
        return name
