"""Appointment marks and call lists."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update

from bot.jobs.appointments import Appointment
from bot.jobs.calls import Call, CallList
from bot.jobs.marks import Mark
from bot.model import RoomRef, as_lang
from storage import tables as T
from storage.base import _Repo


class SqlMarks(_Repo):
    async def put(self, mark: Mark) -> None:
        await self._upsert(
            T.appointment_marks,
            {"appointment_id": mark.appointment_id},
            {
                "outcome": mark.outcome,
                "note": mark.note,
                "seq": mark.seq,
                "at": mark.at,
                "actor_id": mark.actor_id,
            },
        )

    async def of(self, ids: Sequence[str]) -> dict[str, Mark]:
        m = T.appointment_marks.c
        out: dict[str, Mark] = {}
        for i in range(0, len(ids), 500):
            rows = await self.conn.execute(
                select(T.appointment_marks).where(m.appointment_id.in_(list(ids[i : i + 500])))
            )
            for r in rows:
                out[r.appointment_id] = Mark(
                    r.appointment_id, r.outcome, r.note, r.seq, r.at, r.actor_id
                )
        return out

    async def all(self) -> list[Mark]:
        rows = await self.conn.execute(select(T.appointment_marks))
        return [Mark(r.appointment_id, r.outcome, r.note, r.seq, r.at, r.actor_id) for r in rows]

    async def remove(self, appointment_id: str) -> bool:
        m = T.appointment_marks
        done = await self.conn.execute(m.delete().where(m.c.appointment_id == appointment_id))
        return bool(done.rowcount)

    async def counts(
        self, *, day: object, service: str | None = None
    ) -> list[tuple[str, str, str, int]]:
        a, m = T.appointments.c, T.appointment_marks.c
        query = (
            select(a.service, a.site, m.outcome, func.count())
            .join(T.appointment_marks, m.appointment_id == a.id)
            .where(a.day == day)
            .group_by(a.service, a.site, m.outcome)
        )
        if service:
            query = query.where(a.service == service)
        return [(r[0], r[1], r[2], int(r[3])) for r in await self.conn.execute(query)]


def _list(r: Row[Any]) -> CallList:
    return CallList(
        r.no,
        r.service,
        tuple(json.loads(r.sites)),
        r.first_day,
        r.last_day,
        RoomRef(r.room),
        as_lang(r.lang) or "en",
        r.created_by,
        r.created_at,
    )


def _call(r: Row[Any]) -> Call:
    return Call(r.id, r.list_no, r.appointment_id, r.site, r.start, r.tries, r.outcome, r.note)


class SqlCalls(_Repo):
    async def next_no(self) -> int:
        value = (await self.conn.execute(select(func.max(T.call_lists.c.no)))).scalar()
        return int(value or 0) + 1

    async def add(self, call_list: CallList, appointments: Sequence[Appointment]) -> None:
        await self.conn.execute(
            insert(T.call_lists).values(
                no=call_list.no,
                service=call_list.service,
                sites=json.dumps(list(call_list.sites)),
                first_day=call_list.first_day,
                last_day=call_list.last_day,
                room=str(call_list.room),
                lang=call_list.lang,
                created_by=call_list.created_by,
                created_at=call_list.created_at,
            )
        )
        rows = [
            {
                "list_no": call_list.no,
                "appointment_id": a.id,
                "site": a.site,
                "start": a.start,
                "tries": 0,
                "outcome": "pending",
                "note": "",
            }
            for a in appointments
        ]
        for i in range(0, len(rows), 5000):
            await self.conn.execute(insert(T.calls), rows[i : i + 5000])

    async def get(self, no: int) -> CallList | None:
        row = (await self.conn.execute(select(T.call_lists).where(T.call_lists.c.no == no))).first()
        return _list(row) if row else None

    async def calls(self, no: int) -> list[Call]:
        c = T.calls.c
        rows = await self.conn.execute(
            select(T.calls).where(c.list_no == no).order_by(c.site, c.start, c.appointment_id)
        )
        return [_call(r) for r in rows]

    async def for_appointment(self, appointment_id: str) -> list[Call]:
        c = T.calls.c
        rows = await self.conn.execute(
            select(T.calls).where(c.appointment_id == appointment_id).order_by(c.list_no.desc())
        )
        return [_call(r) for r in rows]

    async def listed(self, appointment_ids: Sequence[str]) -> set[str]:
        c = T.calls.c
        found: set[str] = set()
        for i in range(0, len(appointment_ids), 500):
            chunk = list(appointment_ids[i : i + 500])
            rows = await self.conn.execute(
                select(c.appointment_id).where(c.appointment_id.in_(chunk)).distinct()
            )
            found.update(r[0] for r in rows)
        return found

    async def record(
        self, call_id: int, *, outcome: str, note: str, tries: int, at: datetime
    ) -> None:
        await self.conn.execute(
            update(T.calls)
            .where(T.calls.c.id == call_id)
            .values(outcome=outcome, note=note, tries=tries, updated_at=at)
        )
