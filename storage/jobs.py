"""Notification jobs and their per-message outbox (the ``sms`` table), and the suppression
list. States only move forward: every UPDATE names the states it may move from
(``bot.notify.FORWARD``), so a late or repeated report can never take a message back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, or_, select, update

from bot.model import RoomRef, as_lang
from bot.notify import FORWARD, MESSAGED, Job, NewMessage, QueuedSms
from storage import tables as T
from storage.repos import _Repo

_JSON_FIELDS = {"sites", "decisions", "summary"}


def _job(r: Row[Any]) -> Job:
    return Job(
        no=r.no,
        kind=r.kind,
        state=r.state,
        service=r.service,
        sites=tuple(json.loads(r.sites)),
        first_day=r.first_day,
        last_day=r.last_day,
        room=RoomRef(r.room),
        lang=as_lang(r.lang) or "en",
        created_by=r.created_by,
        creator_key=r.creator_key,
        created_at=r.created_at,
        decisions=tuple(json.loads(r.decisions)),
        summary=json.loads(r.summary),
        approved_by=r.approved_by,
        approved_at=r.approved_at,
        expires_at=r.expires_at,
        finished_at=r.finished_at,
        corrects=r.corrects,
        progress_at=r.progress_at,
        progress_step=r.progress_step,
    )


def _sms(r: Row[Any]) -> QueuedSms:
    return QueuedSms(
        id=r.id,
        job_no=r.job_no,
        key=r.key,
        phone=r.phone,
        body=r.body,
        state=r.state,
        attempts=r.attempts,
        day=r.day,
        kind=r.kind,
        lang=as_lang(r.lang) or "en",
        appointments=tuple(json.loads(r.appointments)),
        first_start=r.first_start,
        claimed_at=r.claimed_at,
        provider_id=r.provider_id,
        error=r.error,
    )


class SqlJobs(_Repo):
    async def next_no(self) -> int:
        value = (await self.conn.execute(select(func.max(T.jobs.c.no)))).scalar()
        return int(value or 0) + 1

    async def add(self, job: Job) -> None:
        await self.conn.execute(
            insert(T.jobs).values(
                no=job.no,
                kind=job.kind,
                state=job.state,
                service=job.service,
                sites=json.dumps(list(job.sites)),
                first_day=job.first_day,
                last_day=job.last_day,
                room=str(job.room),
                lang=job.lang,
                created_by=job.created_by,
                creator_key=job.creator_key,
                created_at=job.created_at,
                approved_by=job.approved_by,
                approved_at=job.approved_at,
                expires_at=job.expires_at,
                finished_at=job.finished_at,
                decisions=json.dumps(list(job.decisions)),
                corrects=job.corrects,
                summary=json.dumps(job.summary, sort_keys=True),
                progress_at=job.progress_at,
                progress_step=job.progress_step,
            )
        )

    async def get(self, no: int, *, lock: bool = False) -> Job | None:
        query = select(T.jobs).where(T.jobs.c.no == no)
        if lock:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return _job(row) if row else None

    async def recent(self, *, limit: int) -> list[Job]:
        rows = await self.conn.execute(select(T.jobs).order_by(T.jobs.c.no.desc()).limit(limit))
        return [_job(r) for r in rows]

    async def in_states(self, states: Sequence[str]) -> list[Job]:
        rows = await self.conn.execute(
            select(T.jobs).where(T.jobs.c.state.in_(list(states))).order_by(T.jobs.c.no)
        )
        return [_job(r) for r in rows]

    async def using_decision(self, no: int) -> list[Job]:
        jobs = await self.in_states(("running", "paused", "done"))
        return [j for j in jobs if no in j.decisions]

    async def update(self, no: int, **fields: Any) -> None:
        values = {
            k: (json.dumps(v, sort_keys=True) if k in _JSON_FIELDS else v)
            for k, v in fields.items()
        }
        await self.conn.execute(update(T.jobs).where(T.jobs.c.no == no).values(**values))

    async def add_messages(self, job_no: int, rows: Sequence[NewMessage]) -> None:
        job = await self.get(job_no)
        assert job is not None
        values = [
            {
                "job_no": job_no,
                "key": f"job-{job_no}-msg-{n}",
                "phone": m.phone,
                "day": m.day,
                "kind": m.kind,
                "lang": m.lang,
                "body": m.body,
                "appointments": json.dumps(list(m.appointments)),
                "first_start": m.first_start,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": job.created_at,
            }
            for n, m in enumerate(rows, start=1)
        ]
        for i in range(0, len(values), 5000):
            await self.conn.execute(insert(T.sms), values[i : i + 5000])

    async def already_messaged(
        self, *, service: str, first: date, last: date
    ) -> set[tuple[str, date, str]]:
        s, j = T.sms.c, T.jobs.c
        rows = await self.conn.execute(
            select(s.phone, s.day, s.kind)
            .join(T.jobs, j.no == s.job_no)
            .where(
                j.service == service,
                j.kind == "notify",
                s.day.between(first, last),
                s.state.in_(list(MESSAGED)),
            )
        )
        return {(r.phone, r.day, r.kind) for r in rows}

    async def counts(self, no: int) -> dict[str, int]:
        s = T.sms.c
        rows = await self.conn.execute(
            select(s.state, func.count()).where(s.job_no == no).group_by(s.state)
        )
        return {r[0]: int(r[1]) for r in rows}

    async def messages(self, no: int, states: Sequence[str] | None = None) -> list[QueuedSms]:
        s = T.sms.c
        query = select(T.sms).where(s.job_no == no).order_by(s.id)
        if states is not None:
            query = query.where(s.state.in_(list(states)))
        return [_sms(r) for r in await self.conn.execute(query)]

    async def move(
        self,
        ids: Sequence[int],
        *,
        to: str,
        at: datetime,
        provider: str | None = None,
        provider_id: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> int:
        if not ids:
            return 0
        values: dict[str, Any] = {"state": to}
        if to == "submitted":
            values.update(submitted_at=at, provider=provider, provider_id=provider_id)
        if to in ("delivered", "failed", "expired", "uncertain", "cancelled"):
            values["final_at"] = at
        if to in ("delivered", "failed") and provider_id is not None:
            values.update(provider=provider, provider_id=provider_id)
        if error is not None:
            values["error"] = error[:255]
        if to == "pending":
            values.update(next_attempt_at=next_attempt_at or at, claimed_by=None)
        done = await self.conn.execute(
            update(T.sms)
            .where(T.sms.c.id.in_(list(ids)), T.sms.c.state.in_(FORWARD[to]))
            .values(**values)
        )
        return int(done.rowcount or 0)

    async def submitted_many(
        self, items: Sequence[tuple[int, str]], *, provider: str, at: datetime
    ) -> None:
        if not items:
            return
        s = T.sms.c
        assert FORWARD["submitted"] == ("sending",)
        # one executemany: a batch of gateway acceptances in a single round trip
        await self.conn.execute(
            update(T.sms)
            .where(s.id == bindparam("m_id"), s.state == "sending")
            .values(
                state="submitted",
                submitted_at=at,
                provider=provider,
                provider_id=bindparam("m_provider_id"),
            ),
            [{"m_id": i, "m_provider_id": pid} for i, pid in items],
        )

    async def cancel_pending(self, no: int, *, at: datetime) -> int:
        done = await self.conn.execute(
            update(T.sms)
            .where(T.sms.c.job_no == no, T.sms.c.state == "pending")
            .values(state="cancelled", final_at=at)
        )
        return int(done.rowcount or 0)

    async def expire(self, *, now: datetime) -> dict[int, int]:
        s, j = T.sms.c, T.jobs.c
        expired_jobs = select(j.no).where(j.state == "running", j.expires_at < now)
        running = select(j.no).where(j.state == "running")
        rows = await self.conn.execute(
            update(T.sms)
            .where(
                s.state == "pending",
                s.job_no.in_(running),
                or_(s.job_no.in_(expired_jobs), s.first_start <= now),
            )
            .values(state="expired", final_at=now, error="not sent in time")
            .returning(s.job_no)
        )
        out: dict[int, int] = {}
        for r in rows:
            out[r.job_no] = out.get(r.job_no, 0) + 1
        return out

    async def claim(self, *, now: datetime, limit: int, worker: str) -> list[QueuedSms]:
        s, j = T.sms.c, T.jobs.c
        # FOR UPDATE SKIP LOCKED: on PostgreSQL two senders never claim the same row; the
        # SQLite compiler leaves it out (one writer at a time there anyway).
        due = (
            select(s.id)
            .join(T.jobs, j.no == s.job_no)
            .where(s.state == "pending", s.next_attempt_at <= now, j.state == "running")
            .order_by(s.id)
            .limit(limit)
            .with_for_update(of=T.sms, skip_locked=True)
        )
        ids = [r[0] for r in await self.conn.execute(due)]
        if not ids:
            return []
        rows = await self.conn.execute(
            update(T.sms)
            .where(s.id.in_(ids), s.state == "pending")
            .values(state="sending", claimed_by=worker, claimed_at=now, attempts=s.attempts + 1)
            .returning(*T.sms.c)
        )
        return sorted((_sms(r) for r in rows), key=lambda m: m.id)

    async def stale(self, *, before: datetime, limit: int = 500) -> list[QueuedSms]:
        s = T.sms.c
        rows = await self.conn.execute(
            select(T.sms)
            .where(s.state == "sending", s.claimed_at <= before)
            .order_by(s.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_sms(r) for r in rows]

    async def next_due(self) -> datetime | None:
        s, j = T.sms.c, T.jobs.c
        value = (
            await self.conn.execute(
                select(func.min(s.next_attempt_at))
                .join(T.jobs, j.no == s.job_no)
                .where(s.state == "pending", j.state == "running")
            )
        ).scalar()
        return value if isinstance(value, datetime) else None

    async def by_provider_id(self, provider: str, provider_id: str) -> QueuedSms | None:
        s = T.sms.c
        row = (
            await self.conn.execute(
                select(T.sms).where(s.provider_id == provider_id, s.provider == provider)
            )
        ).first()
        return _sms(row) if row else None


class SqlSuppressions(_Repo):
    async def add(self, phone: str, *, source: str, at: datetime) -> bool:
        done = await self.conn.execute(
            self._insert(T.suppressions)
            .values(phone=phone, source=source, at=at)
            .on_conflict_do_nothing(index_elements=["phone"])
        )
        return bool(done.rowcount)

    async def among(self, phones: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(phones), 500):
            chunk = list(phones[i : i + 500])
            rows = await self.conn.execute(
                select(T.suppressions.c.phone).where(T.suppressions.c.phone.in_(chunk))
            )
            found.update(r[0] for r in rows)
        return found
