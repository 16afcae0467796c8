"""Alembic's environment: runs the migrations on the connection ``migrate`` hands over.

``app.corrections.database.migrate`` opens the connection (and holds the lock);
this file only runs the scripts in ``versions/`` on it. With no connection given
(``alembic -x url=...`` by hand), it opens one from ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from app.corrections.table import metadata

config = context.config
connection = config.attributes.get("connection")


def run(bound: Connection) -> None:
    context.configure(connection=bound, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    with create_engine(str(url)).connect() as opened:
        run(opened)
        opened.commit()
