"""Counts for /metrics and /healthz, read from the tables at scrape time (so they hold for
every process and survive restarts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select

from storage import tables as T
from storage.base import _Repo

PREFIXES = ("reply", "alert", "briefing", "job")


class SqlStats(_Repo):
    async def commands(self) -> list[tuple[str, str, int]]:
        """(command or "-" for questions and chatter, outcome, count) from the audit log."""
        a = T.audit.c
        rows = await self.conn.execute(
            select(a.command, a.outcome, func.count()).group_by(a.command, a.outcome)
        )
        return [(r[0] or "-", r[1], int(r[2])) for r in rows]

    async def outbox(self) -> list[tuple[str, str, str, int]]:
        """(platform, message type, state, count): type is the key's prefix (reply, alert,
        briefing, job)."""
        o = T.outbox.c
        kind = case(*((o.key.like(f"{prefix}:%"), prefix) for prefix in PREFIXES), else_="other")
        rows = await self.conn.execute(
            select(o.platform, kind, o.state, func.count()).group_by(o.platform, kind, o.state)
        )
        return [(r[0], r[1] or "other", r[2], int(r[3])) for r in rows]

    async def oldest_pending(self, platforms: Sequence[str]) -> datetime | None:
        o = T.outbox.c
        value = (
            await self.conn.execute(
                select(func.min(o.created_at)).where(
                    o.state == "pending", o.platform.in_(list(platforms))
                )
            )
        ).scalar()
        return value if isinstance(value, datetime) else None

    async def sms(self) -> list[tuple[str, int]]:
        s = T.sms.c
        rows = await self.conn.execute(select(s.state, func.count()).group_by(s.state))
        return [(r[0], int(r[1])) for r in rows]

    async def jobs(self) -> list[tuple[str, int]]:
        j = T.jobs.c
        rows = await self.conn.execute(select(j.state, func.count()).group_by(j.state))
        return [(r[0], int(r[1])) for r in rows]
