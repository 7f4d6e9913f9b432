"""The tables. Migrations (storage/migrations) create them; this module describes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Zone-aware in Python, UTC in the database (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ledger = Table(
    "ledger",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("type", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", String(255), nullable=False),
    Column("service", String(64)),
    Column("site", String(64)),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Index("ix_ledger_type_service_site", "type", "service", "site", "seq"),
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("no", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, ForeignKey("ledger.seq"), nullable=False, unique=True),
    Column("service", String(64), nullable=False),
    Column("site", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date),
    Column("note", Text, nullable=False),
    Column("author_id", String(255), nullable=False),
    Column("author_name", String(255), nullable=False),
    Column("author_roles", Text, nullable=False),
    Column("platform", String(32), nullable=False),
    Column("room", String(512), nullable=False),
    Column("source_event_id", String(255), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("supersedes", Text, nullable=False),
    Index("ix_decisions_service_first_day", "service", "first_day"),
)

revocations = Table(
    "revocations",
    metadata,
    Column(
        "decision_no", Integer, ForeignKey("decisions.no"), primary_key=True, autoincrement=False
    ),
    Column("seq", Integer, ForeignKey("ledger.seq"), nullable=False, unique=True),
    Column("reason", Text, nullable=False),
)

inbox = Table(
    "inbox",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("event_id", String(255), primary_key=True),
    Column("room", String(512), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(512), nullable=False, unique=True),
    Column("platform", String(32), nullable=False),
    Column("room", String(512), nullable=False),
    Column("reply", Text, nullable=False),
    Column("state", String(16), nullable=False),  # pending | sent | dead
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    Column("reply_to", String(255)),  # the platform event the reply answers, if any
    Index("ix_outbox_platform_state_next", "platform", "state", "next_attempt_at"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("platform", String(32), nullable=False),
    Column("room", String(512), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("command", String(64)),
    Column("outcome", String(32), nullable=False),
    Column("detail", Text, nullable=False),
)

room_settings = Table(
    "room_settings",
    metadata,
    Column("room", String(512), primary_key=True),
    Column("language", String(8)),
    Column("answer_questions", Boolean, nullable=False),
    Column("briefing_time", String(5)),
)

adapter_state = Table(
    "adapter_state",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)

milestones = Table(
    "milestones",
    metadata,
    Column("seq", Integer, ForeignKey("ledger.seq"), primary_key=True, autoincrement=False),
    Column("system", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("eta", UTCDateTime),
    Column("owner", String(255)),
    Column("note", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", String(255), nullable=False),
    Column("actor_name", String(255), nullable=False),
    Index("ix_milestones_system_seq", "system", "seq"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("room", String(512), primary_key=True),
    Column("topic", String(32), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("start", UTCDateTime, nullable=False),
    Column("day", Date, nullable=False),  # the hospital's local day
    Column("site", String(64), nullable=False),
    Column("service", String(64), nullable=False),
    Column("phone", String(32)),  # E.164 mobile number; personal data
    Column("phone_kind", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Index("ix_appointments_day_service_site", "day", "service", "site"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("no", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),  # notify | correction
    Column("state", String(16), nullable=False),  # draft running paused done aborted
    Column("service", String(64), nullable=False),
    Column("sites", Text, nullable=False),  # JSON list of site ids (all sites: every one)
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("room", String(512), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("creator_key", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("approved_by", String(255)),
    Column("approved_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("decisions", Text, nullable=False),  # JSON list of decision numbers
    Column("corrects", Integer),  # the job a correction job follows up
    Column("summary", Text, nullable=False),  # JSON: the dry run's counts (no personal data)
    Column("progress_at", UTCDateTime),
    Column("progress_step", Integer, nullable=False),
)

sms = Table(
    "sms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_no", Integer, ForeignKey("jobs.no"), nullable=False),
    Column("key", String(64), nullable=False, unique=True),
    Column("phone", String(32), nullable=False),  # E.164; personal data
    Column("day", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # cancelled | contact | correction
    Column("lang", String(8), nullable=False),
    Column("body", Text, nullable=False),
    Column("appointments", Text, nullable=False),  # JSON list of appointment ids
    Column("first_start", UTCDateTime, nullable=False),
    # pending -> sending -> submitted -> delivered | failed | expired | uncertain | cancelled
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(128)),
    Column("claimed_at", UTCDateTime),
    Column("submitted_at", UTCDateTime),
    Column("final_at", UTCDateTime),
    Column("provider", String(16)),
    Column("provider_id", String(128)),
    Column("error", String(255)),
    Index("ix_sms_job_no_state", "job_no", "state"),
    Index("ix_sms_state_next_attempt_at", "state", "next_attempt_at"),
    Index("ix_sms_provider_id", "provider_id"),
    Index("ix_sms_job_no_phone_day_kind", "job_no", "phone", "day", "kind", unique=True),
    Index("ix_sms_phone_day", "phone", "day"),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("phone", String(32), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# One SMS per patient, day, service and kind, whatever the job: a message row must win its
# guard row (inserted when it is claimed) before it is handed to the gateway. The guard is
# released when the message ends without reaching the patient (failed, expired, cancelled).
sms_guard = Table(
    "sms_guard",
    metadata,
    Column("phone", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("service", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("sms_id", Integer, ForeignKey("sms.id"), nullable=False),
)

# Delivery receipts that arrived before the sender wrote the provider's id (a fast
# callback, or another process): applied when the id is written.
sms_receipts = Table(
    "sms_receipts",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("provider_id", String(128), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("error", String(64)),
    Column("opted_out", Boolean, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# Per-appointment exceptions: the latest mark of each appointment (the ledger keeps every one).
appointment_marks = Table(
    "appointment_marks",
    metadata,
    Column("appointment_id", String(128), primary_key=True),
    Column("outcome", String(16), nullable=False),  # maintained | postponed
    Column("note", Text, nullable=False),
    Column("seq", Integer, ForeignKey("ledger.seq"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", String(255), nullable=False),
)

# Call lists for case-by-case days: the appointments to phone, and each call's outcome.
call_lists = Table(
    "call_lists",
    metadata,
    Column("no", Integer, primary_key=True, autoincrement=False),
    Column("service", String(64), nullable=False),
    Column("sites", Text, nullable=False),  # JSON list of site ids
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("room", String(512), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_no", Integer, ForeignKey("call_lists.no"), nullable=False),
    Column("appointment_id", String(128), nullable=False),
    Column("site", String(64), nullable=False),
    Column("start", UTCDateTime, nullable=False),
    Column("tries", Integer, nullable=False),
    # pending | maintained | postponed | no-answer | to-retry
    Column("outcome", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("updated_at", UTCDateTime),
    Index("ix_calls_list_no_appointment_id", "list_no", "appointment_id", unique=True),
)
