"""The ledger (the hash chain of entries) and the decisions read from it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger.chain import make_entry
from bot.model import (
    ALL_SITES,
    Actor,
    Decision,
    LedgerEntry,
    Status,
)
from storage import tables as T
from storage.base import _Repo


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
