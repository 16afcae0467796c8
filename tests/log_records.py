"""What the service logs, caught in memory: the tests that check a log line read it here."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


class Records(logging.Handler):
    """Every record of the loggers it is attached to, while it is attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def recorded(*names: str) -> Iterator[Records]:
    """The records of the named loggers logged inside the ``with`` block."""
    records = Records()
    for name in names:
        logging.getLogger(name).addHandler(records)
    try:
        yield records
    finally:
        for name in names:
            logging.getLogger(name).removeHandler(records)
