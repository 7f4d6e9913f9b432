"""The imported appointments (personal data) and their counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, case, func, insert, select, update

from bot.jobs.appointments import Appointment
from bot.ports import AppointmentCount
from storage import tables as T
from storage.base import _Repo

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
