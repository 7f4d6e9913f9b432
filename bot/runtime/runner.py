"""One way to end a unit of work, whoever starts it: chat, the web page, the CLI, timers.

A use case runs as an actor inside one unit of work; the runner then drains the domain
events it raised (their subscribers run in the same transaction: alerts, announcements,
jobs paused by a revoked decision), writes the audit row and the outbox rows of the
replies, commits once, and wakes the outbox sender. A unit of work refuses to commit
while events remain undrained, so no entry point can skip the subscribers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.events import EventBus
from bot.model import Actor, Reply, RoomRef
from bot.ports import OutboxItem, UnitOfWork, UnitOfWorkFactory
from bot.runtime.clock import Clock

T = TypeVar("T")


@dataclass(frozen=True)
class Audit:
    """Who did what, from where: one audit row per use case run."""

    platform: str  # shell, matrix, teams, web, cli, system
    room: RoomRef
    sender: str  # the actor's stable id
    command: str | None
    event_id: str = ""  # the chat event; empty: a fresh id
    outcome: str = "ok"
    detail: str = ""

    @classmethod
    def by(cls, actor: Actor, command: str, detail: str = "") -> Audit:
        """An action outside chat (the web form, the CLI), by ``actor`` from its room."""
        return cls(actor.platform, actor.room, actor.id, command, detail=detail)


class UseCaseRunner:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        bus: EventBus | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.bus = bus or EventBus()
        # called after every commit: the outbox sender's (and the SMS sender's) wake-up
        self.on_commit: Callable[[], None] | None = None

    async def finish(
        self,
        uow: UnitOfWork,
        audit: Audit | None,
        replies: Sequence[Reply] = (),
        *,
        reply_key: str | None = None,
        reply_to: str | None = None,
    ) -> list[OutboxItem]:
        """End ``uow``: drain events, audit, queue the replies in the audit's room (keys
        ``<reply_key>:<n>``), commit. The caller wakes the senders (:meth:`wake`).

        ``audit`` None: the bot's own housekeeping (a job's progress), which is no
        person's command; its events are drained all the same."""
        await self.bus.drain(uow)
        if audit is None:
            assert not replies, "replies go to the audited actor's room"
            await uow.commit()
            return []
        now = self.clock.now()
        event_id = audit.event_id or uuid.uuid4().hex
        await uow.audit.record(
            at=now,
            platform=audit.platform,
            room=audit.room,
            sender=audit.sender,
            event_id=event_id,
            command=audit.command,
            outcome=audit.outcome,
            detail=audit.detail,
        )
        key = reply_key or f"reply:{audit.platform}:{event_id}"
        items = [
            await uow.outbox.add(
                room=audit.room, reply=r, key=f"{key}:{i}", at=now, reply_to=reply_to
            )
            for i, r in enumerate(replies)
        ]
        await uow.commit()
        return items

    def wake(self) -> None:
        if self.on_commit is not None:
            self.on_commit()

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]], audit: Audit | None) -> T:
        """Run ``work`` in a unit of work of its own and end it the one way."""
        async with self.uow_factory() as uow:
            result = await work(uow)
            await self.finish(uow, audit)
        self.wake()
        return result
