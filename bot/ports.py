"""Ports: what the core needs from storage and from the chat platforms.

``storage/`` implements the unit of work and its repositories; ``adapters/``
implement :class:`ChatPort`. The core depends only on these protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from bot.jobs.appointments import Appointment
from bot.jobs.states import SmsState
from bot.model import Actor, Decision, LedgerEntry, Milestone, Reply, RoomRef

if TYPE_CHECKING:
    from bot.jobs.calls import Call, CallList
    from bot.jobs.marks import Mark
    from bot.jobs.notify import Job, NewMessage, QueuedSms


@dataclass(frozen=True)
class OutboxItem:
    id: int
    room: RoomRef
    key: str
    reply: Reply
    attempts: int
    reply_to: str | None = None  # the platform event id this answers (threading)


@dataclass(frozen=True)
class RoomSettings:
    room: RoomRef
    language: str | None = None  # None: the message's language, else the configured default
    answer_questions: bool = False  # answer unaddressed questions in this room
    briefing_time: str | None = None  # "HH:MM"


class LedgerRepository(Protocol):
    async def lock(self) -> None:
        """Serialise appends for the rest of the unit of work (the chain must not fork)."""

    async def head(self) -> tuple[int, str]:
        """(seq, hash) of the last entry; (0, GENESIS) when empty."""

    async def append(
        self,
        *,
        type: str,
        actor: Actor,
        at: datetime,
        payload: dict[str, Any],
        service: str | None = None,
        site: str | None = None,
    ) -> LedgerEntry: ...

    async def entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[LedgerEntry]:
        """Entries in seq order, for verification and export."""

    async def page(
        self,
        *,
        types: Sequence[str],
        service: str | None = None,
        site: str | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[LedgerEntry], int]:
        """Newest first, filtered; with the total count."""


class DecisionRepository(Protocol):
    async def next_no(self) -> int: ...

    async def add(self, decision: Decision) -> None: ...

    async def get(self, no: int) -> Decision | None: ...

    async def get_many(self, nos: Sequence[int]) -> dict[int, Decision]: ...

    async def add_revocation(self, *, no: int, seq: int, reason: str) -> None: ...

    async def latest_covering(
        self,
        day: date,
        *,
        services: Sequence[str] | None = None,
        sites: Sequence[str] | None = None,
    ) -> list[Decision]:
        """For each (service, site scope) the newest non-revoked decision covering ``day``."""

    async def overlapping(
        self, *, service: str, site: str, first: date, last: date | None
    ) -> list[Decision]:
        """Non-revoked decisions of ``service`` whose scope and period overlap."""

    async def all(self) -> list[Decision]:
        """Every decision with its revocation, in number order (verification)."""

    async def revocations(self) -> dict[int, tuple[int, str]]:
        """decision no -> (ledger seq, reason), for verification."""


class InboxRepository(Protocol):
    async def claim(self, *, platform: str, event_id: str, room: RoomRef, at: datetime) -> bool:
        """Record the event as handled; False if it already was (a redelivery)."""


class OutboxRepository(Protocol):
    async def add(
        self,
        *,
        room: RoomRef,
        reply: Reply,
        key: str,
        at: datetime,
        reply_to: str | None = None,
    ) -> OutboxItem: ...

    async def pending(self, *, platform: str, now: datetime, limit: int = 50) -> list[OutboxItem]:
        """Unsent items for a platform whose next attempt is due, oldest first."""

    async def next_due(self, *, platform: str) -> datetime | None:
        """When the earliest unsent item of a platform is due, if any."""

    async def mark_sent(self, ids: Sequence[int], *, at: datetime) -> None: ...

    async def mark_failed(self, item_id: int, *, error: str, retry_at: datetime | None) -> None:
        """``retry_at`` None: give up (dead letter)."""


class AuditRepository(Protocol):
    async def record(
        self,
        *,
        at: datetime,
        platform: str,
        room: RoomRef,
        sender: str,
        event_id: str,
        command: str | None,
        outcome: str,
        detail: str = "",
    ) -> None: ...


class RoomSettingsRepository(Protocol):
    async def get(self, room: RoomRef) -> RoomSettings: ...

    async def put(self, settings: RoomSettings) -> None: ...


class StateRepository(Protocol):
    """Small durable values an adapter keeps (a sync token), committed with the work."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str) -> None: ...

    async def get_locked(self, key: str) -> str | None:
        """Like get, holding the row until commit (a lease decided by two processes)."""

    async def with_prefix(self, prefix: str) -> dict[str, str]:
        """Every key starting with ``prefix``, and its value."""

    async def delete(self, key: str) -> None: ...


class PlanRepository(Protocol):
    async def add(self, milestone: Milestone) -> None: ...

    async def current(self) -> dict[str, Milestone]:
        """The latest milestone of each system that has one."""

    async def all(self) -> list[Milestone]:
        """Every milestone in order (verification)."""


class SubscriptionRepository(Protocol):
    async def add(self, *, room: RoomRef, topic: str, at: datetime) -> bool:
        """False if the room already had the topic."""

    async def remove(self, *, room: RoomRef, topic: str) -> bool: ...

    async def topics(self, room: RoomRef) -> list[str]: ...

    async def rooms(self, topic: str) -> list[RoomRef]: ...

    async def undeliverable(self, room: RoomRef) -> int:
        """How many messages to this room were given up (the bot can no longer post)."""


@dataclass(frozen=True)
class AppointmentCount:
    service: str
    site: str
    total: int
    mobile: int  # reachable by SMS


class AppointmentRepository(Protocol):
    async def upsert(self, rows: Sequence[Appointment], *, at: datetime) -> tuple[int, int, int]:
        """(inserted, updated, unchanged), keyed by appointment id."""

    async def counts(self, day: date, *, site: str | None = None) -> list[AppointmentCount]: ...

    async def purge(self, *, before: date) -> int:
        """Delete appointments of days before ``before``; how many."""

    async def in_scope(
        self, *, service: str, sites: Sequence[str], first: date, last: date
    ) -> list[Appointment]: ...

    async def get_many(self, ids: Sequence[str]) -> list[Appointment]: ...


class StatsRepository(Protocol):
    """Counts for monitoring (/metrics, /healthz)."""

    async def commands(self) -> list[tuple[str, str, int]]: ...

    async def outbox(self) -> list[tuple[str, str, str, int]]: ...

    async def oldest_pending(self, platforms: Sequence[str]) -> datetime | None:
        """The oldest undelivered chat message of these platforms (the ones this process
        serves)."""

    async def sms(self) -> list[tuple[str, int]]: ...

    async def jobs(self) -> list[tuple[str, int]]: ...


class JobRepository(Protocol):
    async def next_no(self) -> int: ...

    async def add(self, job: Job) -> None: ...

    async def get(self, no: int, *, lock: bool = False) -> Job | None:
        """``lock``: hold the job's row until commit (several senders report on one job)."""

    async def recent(self, *, limit: int) -> list[Job]: ...

    async def in_states(self, states: Sequence[str]) -> list[Job]: ...

    async def update(self, no: int, *, expect: Sequence[str] | None = None, **fields: Any) -> bool:
        """``expect``: only if the job is in one of these states (False: it was not)."""

    async def add_messages(self, job: Job, rows: Sequence[NewMessage]) -> None:
        """The job's messages, due from its creation."""

    async def already_messaged(
        self, *, service: str, first: date, last: date
    ) -> set[tuple[str, date, str]]:
        """(phone, day, kind) that SMS jobs of ``service`` sent or are sending (the guard)."""

    async def counts(self, no: int) -> dict[str, int]:
        """Messages of the job by state."""

    async def messages(self, no: int, states: Sequence[str] | None = None) -> list[QueuedSms]: ...

    async def move(
        self,
        ids: Sequence[int],
        *,
        to: SmsState,
        at: datetime,
        provider: str | None = None,
        provider_id: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        claim: tuple[str | None, datetime | None] | None = None,
    ) -> int:
        """Move messages to state ``to`` -- only from the states FORWARD allows; how many.

        ``claim`` (claimed_by, claimed_at): only if nobody claimed or touched them since.
        """

    async def submitted_many(
        self, items: Sequence[tuple[int, str]], *, provider: str, at: datetime, worker: str
    ) -> None:
        """(message id, provider id) pairs the gateway accepted: sending -> submitted."""

    async def heartbeat(self, ids: Sequence[int], *, worker: str, now: datetime) -> None: ...

    async def store_receipt(
        self,
        *,
        provider: str,
        provider_id: str,
        state: str,
        error: str | None,
        opted_out: bool,
        at: datetime,
    ) -> None:
        """A receipt for an id no message has yet: kept until the sender writes the id."""

    async def take_receipts(
        self, *, provider: str, provider_ids: Sequence[str]
    ) -> list[tuple[str, str, str | None, bool]]: ...

    async def states_of(self, nos: Sequence[int]) -> dict[int, str]: ...

    async def messages_about(
        self, appointment_ids: Sequence[str], *, states: Sequence[str]
    ) -> list[QueuedSms]:
        """Messages (in these states) about any of these appointments."""

    async def cancel_pending(self, no: int, *, at: datetime) -> int: ...

    async def expire(self, *, now: datetime) -> dict[int, int]:
        """Pending messages past their job's expiry or their appointment: expired, per job."""

    async def claim(self, *, now: datetime, limit: int, worker: str) -> list[QueuedSms]:
        """Due pending messages of running jobs -> sending (SKIP LOCKED on PostgreSQL)."""

    async def stale(self, *, before: datetime, limit: int = 500) -> list[QueuedSms]:
        """Messages left in ``sending`` since before ``before`` (their sender stopped)."""

    async def next_due(self) -> datetime | None:
        """When the earliest pending message of a running job is due."""

    async def by_provider_id(self, provider: str, provider_id: str) -> QueuedSms | None: ...


class SuppressionRepository(Protocol):
    async def add(self, phone: str, *, source: str, at: datetime) -> bool:
        """False if the number was already suppressed."""

    async def among(self, phones: Sequence[str]) -> set[str]: ...


class CallRepository(Protocol):
    async def next_no(self) -> int: ...

    async def add(self, call_list: CallList, appointments: Sequence[Appointment]) -> None: ...

    async def get(self, no: int) -> CallList | None: ...

    async def calls(self, no: int) -> list[Call]: ...

    async def for_appointment(self, appointment_id: str) -> list[Call]:
        """The calls of an appointment, newest list first."""

    async def listed(self, appointment_ids: Sequence[str]) -> set[str]:
        """Which of these appointments are on a call list already."""

    async def record(
        self, call_id: int, *, outcome: str, note: str, tries: int, at: datetime
    ) -> None: ...


class MarkRepository(Protocol):
    async def put(self, mark: Mark) -> None: ...

    async def of(self, ids: Sequence[str]) -> dict[str, Mark]: ...

    async def all(self) -> list[Mark]: ...

    async def remove(self, appointment_id: str) -> bool: ...

    async def counts(
        self, *, day: object, service: str | None = None
    ) -> list[tuple[str, str, str, int]]:
        """(service, site, outcome, count) of the marked appointments of a day."""


class UnitOfWork(Protocol):
    """One transaction. Handlers and services use it; only the dispatcher commits."""

    @property
    def ledger(self) -> LedgerRepository: ...

    @property
    def decisions(self) -> DecisionRepository: ...

    @property
    def inbox(self) -> InboxRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def rooms(self) -> RoomSettingsRepository: ...

    @property
    def state(self) -> StateRepository: ...

    @property
    def plan(self) -> PlanRepository: ...

    @property
    def subscriptions(self) -> SubscriptionRepository: ...

    @property
    def appointments(self) -> AppointmentRepository: ...

    @property
    def jobs(self) -> JobRepository: ...

    @property
    def suppressions(self) -> SuppressionRepository: ...

    @property
    def stats(self) -> StatsRepository: ...

    @property
    def marks(self) -> MarkRepository: ...

    @property
    def calls(self) -> CallRepository: ...

    events: list[object]
    """Domain events raised in this unit of work; the dispatcher hands them to subscribers."""

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Rolls back whatever was not committed."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class ChatPort(Protocol):
    """What a chat adapter offers the outbox sender."""

    platform: str

    async def deliver(self, item: OutboxItem) -> None:
        """Send one outbox item; raise to have it retried later."""
