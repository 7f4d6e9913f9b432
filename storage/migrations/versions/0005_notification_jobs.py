"""notification jobs, sms outbox, suppressions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:01:43.365631
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "jobs",
        sa.Column("no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("sites", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("room", sa.String(length=512), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("creator_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_step", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("no", name=op.f("pk_jobs")),
    )
    op.create_table(
        "suppressions",
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "sms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_no", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("appointments", sa.Text(), nullable=False),
        sa.Column("first_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["job_no"], ["jobs.no"], name=op.f("fk_sms_job_no_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms")),
        sa.UniqueConstraint("key", name=op.f("uq_sms_key")),
    )
    with op.batch_alter_table("sms", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sms_job_no_phone_day_kind", ["job_no", "phone", "day", "kind"], unique=True
        )
        batch_op.create_index("ix_sms_phone_day", ["phone", "day"], unique=False)
        batch_op.create_index("ix_sms_job_no_state", ["job_no", "state"], unique=False)
        batch_op.create_index("ix_sms_provider_id", ["provider_id"], unique=False)
        batch_op.create_index(
            "ix_sms_state_next_attempt_at", ["state", "next_attempt_at"], unique=False
        )

    op.create_table(
        "sms_guard",
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sms_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sms_id"], ["sms.id"], name=op.f("fk_sms_guard_sms_id_sms")),
        sa.PrimaryKeyConstraint("phone", "day", "service", "kind", name=op.f("pk_sms_guard")),
    )
    op.create_table(
        "sms_receipts",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "provider_id", name=op.f("pk_sms_receipts")),
    )


def downgrade() -> None:
    op.drop_table("sms_receipts")
    op.drop_table("sms_guard")

    with op.batch_alter_table("sms", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_phone_day")
        batch_op.drop_index("ix_sms_state_next_attempt_at")
        batch_op.drop_index("ix_sms_provider_id")
        batch_op.drop_index("ix_sms_job_no_state")
        batch_op.drop_index("ix_sms_job_no_phone_day_kind")

    op.drop_table("sms")
    op.drop_table("suppressions")
    op.drop_table("jobs")
