"""The inbox (one unit of work per incoming message), the outbox (replies and alerts
to deliver) and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update

from bot.model import (
    Reply,
    RoomRef,
    room_platform,
)
from bot.ports import OutboxItem
from storage import tables as T
from storage.base import _Repo


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
