"""Repositories over one SQLAlchemy connection (the unit of work's transaction)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.jobs.appointments import Appointment
from bot.ledger.chain import make_entry
from bot.model import (
    ALL_SITES,
    Actor,
    Decision,
    LedgerEntry,
    Milestone,
    Reply,
    RoomRef,
    Status,
    room_platform,
)
from bot.ports import AppointmentCount, OutboxItem, RoomSettings
from storage import tables as T


class _Repo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has ON CONFLICT (both SQLite and PostgreSQL)."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _upsert(self, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        """Insert, or update the row with this key: one statement, no race between two."""
        stmt = self._insert(table).values(**key, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=values))


def _entry(r: Row[Any]) -> LedgerEntry:
    return LedgerEntry(
        seq=r.seq,
        type=r.type,
        at=r.at,
        actor_id=r.actor_id,
        service=r.service,
        site=r.site,
        body=r.body,
        prev_hash=r.prev_hash,
        hash=r.hash,
    )


class SqlLedger(_Repo):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self._head: tuple[int, str] | None = None

    async def lock(self) -> None:
        if self._head is None:
            # FOR UPDATE: a row lock on PostgreSQL; SQLite already holds the write lock
            # (every unit of work starts with BEGIN IMMEDIATE) and ignores it.
            row = (
                await self.conn.execute(
                    select(T.ledger_head.c.seq, T.ledger_head.c.hash)
                    .where(T.ledger_head.c.id == 1)
                    .with_for_update()
                )
            ).one()
            self._head = (row.seq, row.hash)

    async def head(self) -> tuple[int, str]:
        await self.lock()
        assert self._head is not None
        return self._head

    async def append(
        self,
        *,
        type: str,
        actor: Actor,
        at: datetime,
        payload: dict[str, Any],
        service: str | None = None,
        site: str | None = None,
    ) -> LedgerEntry:
        seq, prev = await self.head()
        entry = make_entry(
            seq=seq + 1,
            prev_hash=prev,
            type=type,
            actor=actor,
            at=at,
            payload=payload,
            service=service,
            site=site,
        )
        await self.conn.execute(
            insert(T.ledger).values(
                seq=entry.seq,
                type=entry.type,
                at=entry.at,
                actor_id=entry.actor_id,
                service=entry.service,
                site=entry.site,
                body=entry.body,
                prev_hash=entry.prev_hash,
                hash=entry.hash,
            )
        )
        await self.conn.execute(
            update(T.ledger_head)
            .where(T.ledger_head.c.id == 1)
            .values(seq=entry.seq, hash=entry.hash)
        )
        self._head = (entry.seq, entry.hash)
        return entry

    async def entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[LedgerEntry]:
        rows = await self.conn.execute(
            select(T.ledger).where(T.ledger.c.seq > after_seq).order_by(T.ledger.c.seq).limit(limit)
        )
        return [_entry(r) for r in rows]

    async def page(
        self,
        *,
        types: Sequence[str],
        service: str | None = None,
        site: str | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[LedgerEntry], int]:
        cond: list[ColumnElement[bool]] = [T.ledger.c.type.in_(list(types))]
        if service:
            cond.append(T.ledger.c.service == service)
        if site:
            cond.append(T.ledger.c.site.in_([site, ALL_SITES]))
        where = and_(*cond)
        total = (
            await self.conn.execute(select(func.count()).select_from(T.ledger).where(where))
        ).scalar_one()
        rows = await self.conn.execute(
            select(T.ledger)
            .where(where)
            .order_by(T.ledger.c.seq.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_entry(r) for r in rows], int(total)


_NOT_REVOKED = T.decisions.c.no.not_in(select(T.revocations.c.decision_no))


def _decision(r: Row[Any]) -> Decision:
    return Decision(
        no=r.no,
        seq=r.seq,
        service=r.service,
        site=r.site,
        status=Status(r.status),
        first_day=r.first_day,
        last_day=r.last_day,
        note=r.note,
        author_id=r.author_id,
        author_name=r.author_name,
        author_roles=tuple(json.loads(r.author_roles)),
        platform=r.platform,
        room=r.room,
        source_event_id=r.source_event_id,
        recorded_at=r.recorded_at,
        supersedes=tuple(json.loads(r.supersedes)),
        revoked_by=r.revoked_by,
    )


def _decisions_query() -> Any:
    return select(T.decisions, T.revocations.c.seq.label("revoked_by")).outerjoin(
        T.revocations, T.revocations.c.decision_no == T.decisions.c.no
    )


class SqlDecisions(_Repo):
    async def next_no(self) -> int:
        return (
            int(
                (
                    await self.conn.execute(select(func.coalesce(func.max(T.decisions.c.no), 0)))
                ).scalar_one()
            )
            + 1
        )

    async def add(self, decision: Decision) -> None:
        d = decision
        await self.conn.execute(
            insert(T.decisions).values(
                no=d.no,
                seq=d.seq,
                service=d.service,
                site=d.site,
                status=str(d.status),
                first_day=d.first_day,
                last_day=d.last_day,
                note=d.note,
                author_id=d.author_id,
                author_name=d.author_name,
                author_roles=json.dumps(list(d.author_roles)),
                platform=d.platform,
                room=d.room,
                source_event_id=d.source_event_id,
                recorded_at=d.recorded_at,
                supersedes=json.dumps(list(d.supersedes)),
            )
        )

    async def get(self, no: int) -> Decision | None:
        row = (await self.conn.execute(_decisions_query().where(T.decisions.c.no == no))).first()
        return _decision(row) if row else None

    async def get_many(self, nos: Sequence[int]) -> dict[int, Decision]:
        if not nos:
            return {}
        rows = await self.conn.execute(_decisions_query().where(T.decisions.c.no.in_(list(nos))))
        return {r.no: _decision(r) for r in rows}

    async def add_revocation(self, *, no: int, seq: int, reason: str) -> None:
        await self.conn.execute(
            insert(T.revocations).values(decision_no=no, seq=seq, reason=reason)
        )

    async def latest_covering(
        self,
        day: date,
        *,
        services: Sequence[str] | None = None,
        sites: Sequence[str] | None = None,
    ) -> list[Decision]:
        d = T.decisions.c
        cond = [d.first_day <= day, or_(d.last_day.is_(None), d.last_day >= day), _NOT_REVOKED]
        if services:
            cond.append(d.service.in_(list(services)))
        if sites:
            cond.append(d.site.in_([*sites, ALL_SITES]))
        newest = (
            select(func.max(d.no).label("no"))
            .where(and_(*cond))
            .group_by(d.service, d.site)
            .subquery()
        )
        rows = await self.conn.execute(
            _decisions_query().join(newest, newest.c.no == d.no).order_by(d.no)
        )
        return [_decision(r) for r in rows]

    async def overlapping(
        self, *, service: str, site: str, first: date, last: date | None
    ) -> list[Decision]:
        d = T.decisions.c
        cond = [d.service == service, _NOT_REVOKED, or_(d.last_day.is_(None), d.last_day >= first)]
        if last is not None:
            cond.append(d.first_day <= last)
        if site != ALL_SITES:
            cond.append(d.site.in_([site, ALL_SITES]))
        rows = await self.conn.execute(_decisions_query().where(and_(*cond)).order_by(d.no))
        return [_decision(r) for r in rows]

    async def all(self) -> list[Decision]:
        rows = await self.conn.execute(_decisions_query().order_by(T.decisions.c.no))
        return [_decision(r) for r in rows]

    async def revocations(self) -> dict[int, tuple[int, str]]:
        rows = await self.conn.execute(select(T.revocations))
        return {r.decision_no: (r.seq, r.reason) for r in rows}


class SqlInbox(_Repo):
    async def claim(self, *, platform: str, event_id: str, room: RoomRef, at: datetime) -> bool:
        stmt = (
            self._insert(T.inbox)
            .values(platform=platform, event_id=event_id, room=str(room), received_at=at)
            .on_conflict_do_nothing()
            .returning(T.inbox.c.event_id)
        )
        return (await self.conn.execute(stmt)).first() is not None


class SqlOutbox(_Repo):
    async def add(
        self,
        *,
        room: RoomRef,
        reply: Reply,
        key: str,
        at: datetime,
        reply_to: str | None = None,
    ) -> OutboxItem:
        item_id = (
            await self.conn.execute(
                insert(T.outbox)
                .values(
                    key=key,
                    platform=room_platform(room),
                    room=str(room),
                    reply=json.dumps(reply.to_json(), ensure_ascii=False),
                    state="pending",
                    attempts=0,
                    created_at=at,
                    next_attempt_at=at,
                    reply_to=reply_to,
                )
                .returning(T.outbox.c.id)
            )
        ).scalar_one()
        return OutboxItem(
            id=item_id, room=room, key=key, reply=reply, attempts=0, reply_to=reply_to
        )

    async def pending(self, *, platform: str, now: datetime, limit: int = 50) -> list[OutboxItem]:
        o = T.outbox.c
        rows = await self.conn.execute(
            select(T.outbox)
            # A new item is due at once whatever the clocks say (a drill's clock may be set
            # in the past or the future); retries wait for their time.
            .where(
                o.platform == platform,
                o.state == "pending",
                or_(o.attempts == 0, o.next_attempt_at <= now),
            )
            .order_by(o.id)
            .limit(limit)
        )
        return [
            OutboxItem(
                id=r.id,
                room=RoomRef(r.room),
                key=r.key,
                reply=Reply.from_json(json.loads(r.reply)),
                attempts=r.attempts,
                reply_to=r.reply_to,
            )
            for r in rows
        ]

    async def next_due(self, *, platform: str) -> datetime | None:
        o = T.outbox.c
        pending = (o.platform == platform) & (o.state == "pending")
        fresh = (
            await self.conn.execute(
                select(func.count()).select_from(T.outbox).where(pending, o.attempts == 0)
            )
        ).scalar_one()
        if fresh:
            return datetime.min.replace(tzinfo=UTC)  # due now
        due = await self.conn.execute(select(func.min(o.next_attempt_at)).where(pending))
        value = due.scalar_one()
        if value is None:
            return None
        return T.UTCDateTime().process_result_value(value, self.conn.dialect)

    async def mark_sent(self, ids: Sequence[int], *, at: datetime) -> None:
        if ids:
            await self.conn.execute(
                update(T.outbox)
                .where(T.outbox.c.id.in_(list(ids)))
                .values(state="sent", sent_at=at)
            )

    async def mark_failed(self, item_id: int, *, error: str, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"attempts": T.outbox.c.attempts + 1, "last_error": error[:2000]}
        if retry_at is None:
            values["state"] = "dead"
        else:
            values["next_attempt_at"] = retry_at
        await self.conn.execute(update(T.outbox).where(T.outbox.c.id == item_id).values(**values))


class SqlAudit(_Repo):
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
    ) -> None:
        await self.conn.execute(
            insert(T.audit).values(
                at=at,
                platform=platform,
                room=str(room),
                sender=sender,
                event_id=event_id,
                command=command,
                outcome=outcome,
                detail=detail,
            )
        )


class SqlRooms(_Repo):
    async def get(self, room: RoomRef) -> RoomSettings:
        r = (
            await self.conn.execute(
                select(T.room_settings).where(T.room_settings.c.room == str(room))
            )
        ).first()
        if r is None:
            return RoomSettings(room=room)
        return RoomSettings(
            room=room,
            language=r.language,
            answer_questions=r.answer_questions,
            briefing_time=r.briefing_time,
        )

    async def put(self, settings: RoomSettings) -> None:
        s = settings
        values = {
            "language": s.language,
            "answer_questions": s.answer_questions,
            "briefing_time": s.briefing_time,
        }
        await self._upsert(T.room_settings, {"room": str(s.room)}, values)


class SqlState(_Repo):
    async def get(self, key: str) -> str | None:
        row = (
            await self.conn.execute(
                select(T.adapter_state.c.value).where(T.adapter_state.c.key == key)
            )
        ).first()
        return None if row is None else str(row.value)

    async def put(self, key: str, value: str) -> None:
        await self._upsert(T.adapter_state, {"key": key}, {"value": value})

    async def with_prefix(self, prefix: str) -> dict[str, str]:
        t = T.adapter_state
        rows = await self.conn.execute(
            select(t.c.key, t.c.value).where(t.c.key.startswith(prefix, autoescape=True))
        )
        return {r.key: r.value for r in rows}

    async def delete(self, key: str) -> None:
        await self.conn.execute(T.adapter_state.delete().where(T.adapter_state.c.key == key))

    async def get_locked(self, key: str) -> str | None:
        """The value, its row locked until commit (created empty if missing), so two
        processes deciding on it (the lease) take turns; SQLite is serialised already."""
        await self.conn.execute(
            self._insert(T.adapter_state)
            .values(key=key, value="")
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = (
            await self.conn.execute(
                select(T.adapter_state.c.value)
                .where(T.adapter_state.c.key == key)
                .with_for_update()
            )
        ).first()
        return None if row is None or not row.value else str(row.value)


def _milestone(r: Row[Any]) -> Milestone:
    return Milestone(
        seq=r.seq,
        system=r.system,
        state=r.state,
        eta=r.eta,
        owner=r.owner,
        note=r.note,
        at=r.at,
        actor_id=r.actor_id,
        actor_name=r.actor_name,
    )


class SqlPlan(_Repo):
    async def add(self, milestone: Milestone) -> None:
        m = milestone
        await self.conn.execute(
            insert(T.milestones).values(
                seq=m.seq,
                system=m.system,
                state=m.state,
                eta=m.eta,
                owner=m.owner,
                note=m.note,
                at=m.at,
                actor_id=m.actor_id,
                actor_name=m.actor_name,
            )
        )

    async def current(self) -> dict[str, Milestone]:
        latest = (
            select(func.max(T.milestones.c.seq).label("seq"))
            .group_by(T.milestones.c.system)
            .subquery()
        )
        rows = await self.conn.execute(
            select(T.milestones).join(latest, latest.c.seq == T.milestones.c.seq)
        )
        return {r.system: _milestone(r) for r in rows}

    async def all(self) -> list[Milestone]:
        rows = await self.conn.execute(select(T.milestones).order_by(T.milestones.c.seq))
        return [_milestone(r) for r in rows]


class SqlSubscriptions(_Repo):
    async def add(self, *, room: RoomRef, topic: str, at: datetime) -> bool:
        done = await self.conn.execute(
            self._insert(T.subscriptions)
            .values(room=str(room), topic=topic, created_at=at)
            .on_conflict_do_nothing()
            .returning(T.subscriptions.c.topic)
        )
        return done.first() is not None

    async def remove(self, *, room: RoomRef, topic: str) -> bool:
        s = T.subscriptions.c
        done = await self.conn.execute(
            T.subscriptions.delete().where(s.room == str(room), s.topic == topic)
        )
        return bool(done.rowcount)

    async def topics(self, room: RoomRef) -> list[str]:
        s = T.subscriptions.c
        rows = await self.conn.execute(select(s.topic).where(s.room == str(room)).order_by(s.topic))
        return [str(r.topic) for r in rows]

    async def rooms(self, topic: str) -> list[RoomRef]:
        s = T.subscriptions.c
        rows = await self.conn.execute(select(s.room).where(s.topic == topic).order_by(s.room))
        return [RoomRef(r.room) for r in rows]

    async def undeliverable(self, room: RoomRef) -> int:
        o = T.outbox.c
        return int(
            (
                await self.conn.execute(
                    select(func.count())
                    .select_from(T.outbox)
                    .where(o.room == str(room), o.state == "dead")
                )
            ).scalar_one()
        )


_APPOINTMENT_FIELDS = ("start", "day", "site", "service", "phone", "phone_kind", "language")


class SqlAppointments(_Repo):
    async def upsert(self, rows: Sequence[Appointment], *, at: datetime) -> tuple[int, int, int]:
        if not rows:
            return 0, 0, 0
        a = T.appointments.c
        by_id = {r.id: r for r in rows}  # a file may list an id twice: the last row wins
        existing = {
            r.id: r
            for r in await self.conn.execute(select(T.appointments).where(a.id.in_(list(by_id))))
        }
        inserted = updated = unchanged = 0
        new = []
        for ident, row in by_id.items():
            values = {
                "start": row.start,
                "day": row.day,
                "site": row.site,
                "service": row.service,
                "phone": row.phone,
                "phone_kind": row.phone_kind,
                "language": row.language,
            }
            old = existing.get(ident)
            if old is None:
                new.append({"id": ident, "imported_at": at, **values})
                inserted += 1
            elif all(getattr(old, f) == values[f] for f in _APPOINTMENT_FIELDS):
                unchanged += 1
            else:
                await self.conn.execute(
                    update(T.appointments).where(a.id == ident).values(imported_at=at, **values)
                )
                updated += 1
        if new:
            await self.conn.execute(insert(T.appointments), new)
        return inserted, updated, unchanged

    async def counts(self, day: date, *, site: str | None = None) -> list[AppointmentCount]:
        a = T.appointments.c
        query = (
            select(
                a.service,
                a.site,
                func.count().label("total"),
                func.count(case((a.phone_kind == "mobile", 1))).label("mobile"),
            )
            .where(a.day == day)
            .group_by(a.service, a.site)
            .order_by(a.service, a.site)
        )
        if site:
            query = query.where(a.site == site)
        rows = await self.conn.execute(query)
        return [AppointmentCount(r.service, r.site, int(r.total), int(r.mobile)) for r in rows]

    async def purge(self, *, before: date) -> int:
        done = await self.conn.execute(T.appointments.delete().where(T.appointments.c.day < before))
        # the marks of appointments that are gone go with them (ids may be reused)
        await self.conn.execute(
            T.appointment_marks.delete().where(
                T.appointment_marks.c.appointment_id.not_in(select(T.appointments.c.id))
            )
        )
        return int(done.rowcount or 0)

    async def in_scope(
        self, *, service: str, sites: Sequence[str], first: date, last: date
    ) -> list[Appointment]:
        a = T.appointments.c
        rows = await self.conn.execute(
            select(T.appointments)
            .where(a.service == service, a.site.in_(list(sites)), a.day.between(first, last))
            .order_by(a.day, a.start, a.id)
        )
        return [_appointment(r) for r in rows]

    async def get_many(self, ids: Sequence[str]) -> list[Appointment]:
        a = T.appointments.c
        rows = await self.conn.execute(select(T.appointments).where(a.id.in_(list(ids))))
        return [_appointment(r) for r in rows]


def _appointment(r: Row[Any]) -> Appointment:
    return Appointment(
        id=r.id,
        start=r.start,
        day=r.day,
        site=r.site,
        service=r.service,
        phone=r.phone,
        phone_kind=r.phone_kind,
        language=r.language,
    )
