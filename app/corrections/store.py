"""Add, find, count and delete corrections: the only code that writes the table.

``CorrectionStore`` wraps an engine from ``app.corrections.database``. Every
write is one short transaction (``engine.begin()``), committed before the
method returns, so a caller that answers after ``add`` answers after the row is
durable. Reads come back as ``Correction`` values with UTC times (SQLite keeps
no time zone, so a naive time read back is UTC by construction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, delete, func, insert, select
from sqlalchemy.engine import CursorResult, Row

from app.corrections.table import corrections

#: Rows fetched per round trip when a whole table is read for an export.
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class NewCorrection:
    """What a person taught, before it has an id."""

    label: int
    predicted: int
    confidence: float
    model_name: str
    weights_sha256: str
    kind: str
    network_input: bytes  # PNG, 28x28, ink white on black as the network saw it
    original: bytes | None = None
    created_at: dt.datetime | None = None  # now, when not given


@dataclass(frozen=True)
class Correction(NewCorrection):
    id: int = 0

    @property
    def model_was_wrong(self) -> bool:
        return self.label != self.predicted


@dataclass(frozen=True)
class Filter:
    """Which corrections: all by default; each field narrows."""

    label: int | None = None
    model_name: str | None = None
    wrong_only: bool = False
    before: dt.datetime | None = None
    ids: Sequence[int] | None = None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


class CorrectionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, new: NewCorrection) -> int:
        """Insert one correction and commit; its id."""
        values = {
            "label": new.label,
            "predicted": new.predicted,
            "confidence": new.confidence,
            "model_name": new.model_name,
            "weights_sha256": new.weights_sha256,
            "kind": new.kind,
            "network_input": new.network_input,
            "original": new.original,
            "created_at": as_utc(new.created_at or utc_now()),
        }
        with self.engine.begin() as connection:
            result = connection.execute(insert(corrections).returning(corrections.c.id), values)
            return int(result.scalar_one())

    def find(
        self, where: Filter | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Correction]:
        """Matching corrections, newest first."""
        query = select(corrections).where(*_conditions(where or Filter()))
        query = query.order_by(corrections.c.id.desc()).offset(offset).limit(limit)
        with self.engine.connect() as connection:
            return [_correction(row) for row in connection.execute(query)]

    def each(self, where: Filter | None = None) -> Iterator[Correction]:
        """Every matching correction, oldest first, read in chunks (for exports)."""
        after = 0
        while True:
            query = select(corrections).where(*_conditions(where or Filter()))
            query = query.where(corrections.c.id > after).order_by(corrections.c.id)
            with self.engine.connect() as connection:
                rows = [_correction(row) for row in connection.execute(query.limit(EXPORT_CHUNK))]
            yield from rows
            if len(rows) < EXPORT_CHUNK:
                return
            after = rows[-1].id

    def get(self, correction_id: int) -> Correction | None:
        found = self.find(Filter(ids=[correction_id]), limit=1)
        return found[0] if found else None

    def count(self, where: Filter | None = None) -> int:
        query = select(func.count()).select_from(corrections).where(*_conditions(where or Filter()))
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def model_names(self) -> list[str]:
        query = select(corrections.c.model_name).distinct().order_by(corrections.c.model_name)
        with self.engine.connect() as connection:
            return [str(name) for name in connection.execute(query).scalars()]

    def delete(self, where: Filter) -> int:
        """Delete the matching corrections (at least one condition required); how many."""
        if where == Filter():
            raise ValueError("refusing to delete every correction without a condition")
        query = delete(corrections).where(*_conditions(where))
        with self.engine.begin() as connection:
            result: CursorResult = connection.execute(query)
            return int(result.rowcount)


def _conditions(where: Filter) -> list[ColumnElement[bool]]:
    """The ``WHERE`` clauses a filter stands for (none: every row)."""
    c = corrections.c
    found: list[ColumnElement[bool]] = []
    if where.label is not None:
        found.append(c.label == where.label)
    if where.model_name is not None:
        found.append(c.model_name == where.model_name)
    if where.wrong_only:
        found.append(c.label != c.predicted)
    if where.before is not None:
        found.append(c.created_at < as_utc(where.before))
    if where.ids is not None:
        found.append(c.id.in_(list(where.ids)))
    return found


def _correction(row: Row) -> Correction:
    values = row._mapping
    return Correction(
        id=int(values["id"]),
        label=int(values["label"]),
        predicted=int(values["predicted"]),
        confidence=float(values["confidence"]),
        model_name=str(values["model_name"]),
        weights_sha256=str(values["weights_sha256"]),
        kind=str(values["kind"]),
        network_input=bytes(values["network_input"]),
        original=bytes(values["original"]) if values["original"] is not None else None,
        created_at=as_utc(values["created_at"]),
    )
