"""appointment marks and call lists

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:05:30.195344
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "call_lists",
        sa.Column("no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("sites", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("room", sa.String(length=512), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("no", name=op.f("pk_call_lists")),
    )
    op.create_table(
        "appointment_marks",
        sa.Column("appointment_id", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["ledger.seq"], name=op.f("fk_appointment_marks_seq_ledger")
        ),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_appointment_marks")),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_no", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.String(length=128), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_no"], ["call_lists.no"], name=op.f("fk_calls_list_no_call_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calls_list_no_appointment_id", ["list_no", "appointment_id"], unique=True
        )


def downgrade() -> None:

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_list_no_appointment_id")

    op.drop_table("calls")
    op.drop_table("appointment_marks")
    op.drop_table("call_lists")
