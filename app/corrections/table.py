"""The ``corrections`` table and the words its columns use.

Labels are stored as small integers so that every export can hand them to NumPy
and to MNIST's IDX format unchanged: ``0``-``9`` are digits and ``10``
(``NOT_A_DIGIT``) says the drawing was no digit at all. The schema itself is
created and changed only by the Alembic migrations in ``migrations/versions``;
this ``Table`` is what the queries are written against, and a test checks that
the two agree.
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
)

NOT_A_DIGIT = 10
NOT_A_DIGIT_NAME = "not_a_digit"
#: Where the image came from: the drawing pad, a photo, or a program calling the API.
Kind = Literal["canvas", "photo", "api"]
KINDS: tuple[str, ...] = get_args(Kind)
MODEL_NAME_LENGTH = 64
SHA256_LENGTH = 64

metadata = MetaData()

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("label", SmallInteger, nullable=False),
    Column("predicted", SmallInteger, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("model_name", String(MODEL_NAME_LENGTH), nullable=False),
    Column("weights_sha256", String(SHA256_LENGTH), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("network_input", LargeBinary, nullable=False),  # the 28x28 PNG the network saw
    Column("original", LargeBinary, nullable=True),  # the file as sent, when it was sent
    CheckConstraint(f"label BETWEEN 0 AND {NOT_A_DIGIT}", name="label_range"),
    CheckConstraint(f"predicted BETWEEN 0 AND {NOT_A_DIGIT}", name="predicted_range"),
    CheckConstraint("confidence BETWEEN 0 AND 1", name="confidence_range"),
    CheckConstraint(f"kind IN ({', '.join(map(repr, KINDS))})", name="kind_known"),
    Index("ix_corrections_created_at", "created_at"),
    Index("ix_corrections_label", "label"),
    Index("ix_corrections_model_name", "model_name"),
)


def label_name(label: int) -> str:
    """``"7"`` for a digit, ``"not_a_digit"`` for ``NOT_A_DIGIT``."""
    return NOT_A_DIGIT_NAME if label == NOT_A_DIGIT else str(label)


def parse_label(text: str) -> int:
    """The stored integer for ``"0"``-``"9"`` or ``"not_a_digit"``; ``ValueError`` otherwise."""
    cleaned = text.strip().lower().replace("-", "_").replace(" ", "_")
    if cleaned == NOT_A_DIGIT_NAME:
        return NOT_A_DIGIT
    if len(cleaned) == 1 and cleaned.isdigit():
        return int(cleaned)
    raise ValueError(f"a label is a digit 0-9 or {NOT_A_DIGIT_NAME!r}, not {text!r}")
