"""The corrections table: one labelled example of real input per row.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("predicted", sa.SmallInteger, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("model_name", sa.String(64), nullable=False),
        sa.Column("weights_sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("network_input", sa.LargeBinary, nullable=False),
        sa.Column("original", sa.LargeBinary, nullable=True),
        sa.CheckConstraint("label BETWEEN 0 AND 10", name="label_range"),
        sa.CheckConstraint("predicted BETWEEN 0 AND 10", name="predicted_range"),
        sa.CheckConstraint("confidence BETWEEN 0 AND 1", name="confidence_range"),
        sa.CheckConstraint("kind IN ('canvas', 'photo', 'api')", name="kind_known"),
    )
    op.create_index("ix_corrections_created_at", "corrections", ["created_at"])
    op.create_index("ix_corrections_label", "corrections", ["label"])
    op.create_index("ix_corrections_model_name", "corrections", ["model_name"])


def downgrade() -> None:
    op.drop_table("corrections")
