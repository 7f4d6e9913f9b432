"""restoration plan and subscriptions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:07:42.704741
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "subscriptions",
        sa.Column("room", sa.String(length=512), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room", "topic", name=op.f("pk_subscriptions")),
    )
    op.create_table(
        "milestones",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=255), nullable=False),
        sa.Column("actor_name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["ledger.seq"], name=op.f("fk_milestones_seq_ledger")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_milestones")),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index("ix_milestones_system_seq", ["system", "seq"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index("ix_milestones_system_seq")

    op.drop_table("milestones")
    op.drop_table("subscriptions")
