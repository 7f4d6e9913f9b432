"""Per-room settings, the bot's own key-value state, and the rooms' subscriptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.model import (
    RoomRef,
)
from bot.ports import RoomSettings
from storage import tables as T
from storage.base import _Repo


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
