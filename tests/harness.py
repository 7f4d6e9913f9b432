"""Drive the real core (dispatcher, commands, storage) like a chat room, without a terminal."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Any

from adapters.runtime import Runtime, build_runtime
from adapters.terminal.render import render_text
from bot.config import Settings, parse_settings
from bot.events import EventBus
from bot.model import Incoming, Reply, room_ref
from bot.ports import UnitOfWork
from bot.runtime.dispatcher import Handled
from tests.fakes.clock import FakeClock

OPERATOR = "@operator:local"
NURSE = "@nurse:local"

DEFAULT_CONFIG = """
[[person]]
name = "Dr Martin"
ids = ["@martin:hospital.example", "11111111-2222-3333-4444-555555555555"]
roles = ["cell"]

[[person]]
name = "IT on call"
ids = ["@it:hospital.example"]
roles = ["it"]
"""


def pg_admin_url() -> str:
    return os.environ.get("CRISISCELL_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def pg_reachable(url: str) -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


async def pg_execute(sql: str, admin: str | None = None) -> None:
    """One statement on the server's admin connection (CREATE or DROP DATABASE)."""
    import asyncpg

    conn = await asyncpg.connect(admin or pg_admin_url(), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_pg_database(admin: str | None = None) -> tuple[str, str]:
    """A new, empty database on the admin URL's server: (its name, its SQLAlchemy URL)."""
    admin = admin or pg_admin_url()
    name = f"crisiscell_t_{uuid.uuid4().hex[:12]}"
    await pg_execute(f'CREATE DATABASE "{name}"', admin)
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{base}/{name}"


async def drop_pg_database(name: str, admin: str | None = None) -> None:
    await pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin)


async def settle(uow: UnitOfWork) -> None:
    """Commit a unit of work that called the core's services directly (storage-level
    tests): its domain events are drained first, with no subscriber, as the runner would
    with none installed -- a unit of work refuses to commit undrained events."""
    await EventBus().drain(uow)
    await uow.commit()


class Harness:
    def __init__(self, runtime: Runtime, clock: FakeClock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.room = room_ref("shell", "local")

    @classmethod
    async def start(cls, url: str, *, now: datetime, config: str = DEFAULT_CONFIG) -> Harness:
        settings: Settings = parse_settings(config, source="test config")
        clock = FakeClock(now)
        runtime = await build_runtime(settings, db_url=url, clock=clock)
        return cls(runtime, clock)

    async def close(self) -> None:
        await self.runtime.close()

    async def send(
        self,
        text: str,
        *,
        user: str = OPERATOR,
        event_id: str | None = None,
        room: str | None = None,
        addressed: bool = True,
    ) -> Handled:
        incoming = Incoming(
            platform="shell",
            room=room_ref("shell", room) if room else self.room,
            sender=user,
            sender_name="Operator" if user == OPERATOR else user,
            text=text,
            command_text=text,
            event_id=event_id or uuid.uuid4().hex,
            sent_at=self.clock.now(),
            is_direct=True,
            addressed=addressed,
        )
        return await self.runtime.dispatcher.handle(incoming)

    async def say(self, text: str, **kw: Any) -> list[Reply]:
        return (await self.send(text, **kw)).replies

    async def text(self, text: str, **kw: Any) -> str:
        return "\n\n".join(render_text(r) for r in await self.say(text, **kw))

    async def facts(self, text: str, **kw: Any) -> dict[str, Any]:
        replies = await self.say(text, **kw)
        assert len(replies) == 1, [render_text(r) for r in replies]
        return replies[0].facts
