"""The restoration plan: milestones per system."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, insert, select

from bot.model import (
    Milestone,
)
from storage import tables as T
from storage.base import _Repo


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
