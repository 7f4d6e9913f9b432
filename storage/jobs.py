"""Notification jobs and their per-message outbox (the ``sms`` table), and the suppression
list. States only move forward: every UPDATE names the states it may move from
(``bot.jobs.notify.FORWARD``), so a late or repeated report can never take a message back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, insert, or_, select, tuple_, update

from bot.jobs.notify import CORRECTS, FORWARD, RELEASING, Job, NewMessage, QueuedSms
from bot.jobs.states import JobKind, JobState, SmsState
from bot.model import RoomRef, as_lang
from storage import tables as T
from storage.base import _Repo

_JSON_FIELDS = {"sites", "decisions", "summary"}


def _job(r: Row[Any]) -> Job:
    return Job(
        no=r.no,
        kind=JobKind(r.kind),
        state=JobState(r.state),
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
        state=SmsState(r.state),
        attempts=r.attempts,
        day=r.day,
        kind=r.kind,
        lang=as_lang(r.lang) or "en",
        appointments=tuple(json.loads(r.appointments)),
        first_start=r.first_start,
        claimed_at=r.claimed_at,
        claimed_by=r.claimed_by,
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

    async def update(self, no: int, *, expect: Sequence[str] | None = None, **fields: Any) -> bool:
        values = {
            k: (json.dumps(v, sort_keys=True) if k in _JSON_FIELDS else v)
            for k, v in fields.items()
        }
        query = update(T.jobs).where(T.jobs.c.no == no)
        if expect is not None:
            query = query.where(T.jobs.c.state.in_(list(expect)))
        done = await self.conn.execute(query.values(**values))
        return bool(done.rowcount)

    async def add_messages(self, job: Job, rows: Sequence[NewMessage]) -> None:
        job_no = job.no
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
        g = T.sms_guard.c
        rows = await self.conn.execute(
            select(g.phone, g.day, g.kind).where(g.service == service, g.day.between(first, last))
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

    async def _release(self, ids: Sequence[int]) -> None:
        """Messages that ended without reaching the patient give their guard back."""
        s = T.sms.c
        await self.conn.execute(
            delete(T.sms_guard).where(
                T.sms_guard.c.sms_id.in_(
                    select(s.id).where(s.id.in_(list(ids)), s.state.in_(list(RELEASING)))
                )
            )
        )

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
        if not ids:
            return 0
        s = T.sms.c
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
        query = update(T.sms).where(s.id.in_(list(ids)), s.state.in_(FORWARD[to]))
        if claim is not None:  # compare-and-set: only if nobody claimed or touched it since
            if claim[0] is not None:
                query = query.where(s.claimed_by == claim[0])
            if claim[1] is not None:
                query = query.where(s.claimed_at == claim[1])
        done = await self.conn.execute(query.values(**values))
        if to in RELEASING:
            await self._release(ids)
        return int(done.rowcount or 0)

    async def submitted_many(
        self, items: Sequence[tuple[int, str]], *, provider: str, at: datetime, worker: str
    ) -> None:
        if not items:
            return
        s = T.sms.c  # sending -> submitted (FORWARD), for this worker's rows only
        # one executemany: a batch of gateway acceptances in a single round trip
        await self.conn.execute(
            update(T.sms)
            .where(s.id == bindparam("m_id"), s.state == "sending", s.claimed_by == worker)
            .values(
                state="submitted",
                submitted_at=at,
                provider=provider,
                provider_id=bindparam("m_provider_id"),
            ),
            [{"m_id": i, "m_provider_id": pid} for i, pid in items],
        )

    async def heartbeat(self, ids: Sequence[int], *, worker: str, now: datetime) -> None:
        """A live sender's rows in ``sending`` are not stale: nobody reconciles them."""
        s = T.sms.c
        for i in range(0, len(ids), 500):
            await self.conn.execute(
                update(T.sms)
                .where(
                    s.id.in_(list(ids[i : i + 500])), s.state == "sending", s.claimed_by == worker
                )
                .values(claimed_at=now)
            )

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
        r = T.sms_receipts
        stmt = self._insert(r).values(
            provider=provider,
            provider_id=provider_id,
            state=state,
            error=error,
            opted_out=opted_out,
            at=at,
        )
        # a final report replaces an intermediate one, never the other way round
        await self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["provider", "provider_id"],
                set_={"state": state, "error": error, "opted_out": opted_out, "at": at},
                where=r.c.state == "submitted",
            )
        )

    async def take_receipts(
        self, *, provider: str, provider_ids: Sequence[str]
    ) -> list[tuple[str, str, str | None, bool]]:
        """Stored early receipts for these ids (provider_id, state, error, opted_out), removed."""
        r = T.sms_receipts.c
        found: list[tuple[str, str, str | None, bool]] = []
        for i in range(0, len(provider_ids), 500):
            chunk = list(provider_ids[i : i + 500])
            rows = await self.conn.execute(
                select(r.provider_id, r.state, r.error, r.opted_out).where(
                    r.provider == provider, r.provider_id.in_(chunk)
                )
            )
            batch = [(x.provider_id, x.state, x.error, bool(x.opted_out)) for x in rows]
            if batch:
                await self.conn.execute(
                    delete(T.sms_receipts).where(
                        r.provider == provider, r.provider_id.in_([b[0] for b in batch])
                    )
                )
            found.extend(batch)
        return found

    async def cancel_pending(self, no: int, *, at: datetime) -> int:
        s = T.sms.c
        ids = [
            r[0]
            for r in await self.conn.execute(
                select(s.id).where(s.job_no == no, s.state == "pending")
            )
        ]
        return await self.move(ids, to=SmsState.CANCELLED, at=at)

    async def expire(self, *, now: datetime) -> dict[int, int]:
        s, j = T.sms.c, T.jobs.c
        live = ("running", "paused")  # a paused job's messages expire too: to phone
        expired_jobs = select(j.no).where(j.state.in_(live), j.expires_at < now)
        jobs = select(j.no).where(j.state.in_(live))
        rows = list(
            await self.conn.execute(
                update(T.sms)
                .where(
                    s.state == "pending",
                    s.job_no.in_(jobs),
                    or_(s.job_no.in_(expired_jobs), s.first_start <= now),
                )
                .values(state="expired", final_at=now, error="not sent in time")
                .returning(s.id, s.job_no)
            )
        )
        await self._release([r.id for r in rows])
        out: dict[int, int] = {}
        for r in rows:
            out[r.job_no] = out.get(r.job_no, 0) + 1
        return out

    async def claim(self, *, now: datetime, limit: int, worker: str) -> list[QueuedSms]:
        s, j, g = T.sms.c, T.jobs.c, T.sms_guard.c
        # FOR UPDATE SKIP LOCKED: on PostgreSQL two senders never claim the same row; the
        # SQLite compiler leaves it out (one writer at a time there anyway).
        due = (
            select(s.id, s.phone, s.day, s.kind, j.service)
            .join(T.jobs, j.no == s.job_no)
            .where(s.state == "pending", s.next_attempt_at <= now, j.state == "running")
            .order_by(s.first_start, s.id)
            .limit(limit)
            .with_for_update(of=T.sms, skip_locked=True)
        )
        candidates = list(await self.conn.execute(due))
        if not candidates:
            return []
        # The guard: one message per patient, day, service and kind, whatever the job. A
        # correction takes back a cancellation (and the other way round): the older guard
        # of the other kind goes.
        for kinds, takes_back in ((("correction",), CORRECTS), (CORRECTS, ("correction",))):
            keys = [(c.phone, c.day, c.service) for c in candidates if c.kind in kinds]
            if keys:
                await self.conn.execute(
                    delete(T.sms_guard).where(
                        tuple_(g.phone, g.day, g.service).in_(keys), g.kind.in_(list(takes_back))
                    )
                )
        await self.conn.execute(
            self._insert(T.sms_guard).on_conflict_do_nothing(),
            [
                {
                    "phone": c.phone,
                    "day": c.day,
                    "service": c.service,
                    "kind": c.kind,
                    "sms_id": c.id,
                }
                for c in candidates
            ],
        )
        owners = {
            (r.phone, r.day, r.service, r.kind): r.sms_id
            for r in await self.conn.execute(
                select(g.phone, g.day, g.service, g.kind, g.sms_id).where(
                    tuple_(g.phone, g.day).in_([(c.phone, c.day) for c in candidates])
                )
            )
        }
        won: list[int] = []
        lost: list[int] = []
        for c in candidates:
            owner = owners.get((c.phone, c.day, c.service, c.kind))
            (won if owner == c.id else lost).append(c.id)
        if lost:
            await self.conn.execute(
                update(T.sms)
                .where(s.id.in_(lost), s.state == "pending")
                .values(state="cancelled", final_at=now, error="already sent by another job")
            )
        if not won:
            return []
        rows = await self.conn.execute(
            update(T.sms)
            .where(s.id.in_(won), s.state == "pending")
            .values(state="sending", claimed_by=worker, claimed_at=now, attempts=s.attempts + 1)
            .returning(*T.sms.c)
        )
        return sorted((_sms(r) for r in rows), key=lambda m: (m.first_start, m.id))

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

    async def messages_about(
        self, appointment_ids: Sequence[str], *, states: Sequence[str]
    ) -> list[QueuedSms]:
        s = T.sms.c
        out: list[QueuedSms] = []
        for i in range(0, len(appointment_ids), 100):
            chunk = appointment_ids[i : i + 100]
            rows = await self.conn.execute(
                select(T.sms).where(
                    s.state.in_(list(states)),
                    or_(*(s.appointments.like(f'%"{a}"%') for a in chunk)),
                )
            )
            for m in (_sms(r) for r in rows):
                if set(m.appointments) & set(chunk):
                    out.append(m)
        return out

    async def states_of(self, nos: Sequence[int]) -> dict[int, str]:
        j = T.jobs.c
        rows = await self.conn.execute(select(j.no, j.state).where(j.no.in_(list(nos))))
        return {r.no: r.state for r in rows}


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
