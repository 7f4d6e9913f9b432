"""Delivering the outbox: in turn after a commit, and a sender task for the rest.

Every outgoing message is an outbox row written in the unit of work that caused it,
so a crash after the commit loses nothing: the sender delivers what is left, woken
by ``wake()`` (not by polling), retrying with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.model import room_platform
from bot.ports import ChatPort, OutboxItem, UnitOfWorkFactory
from bot.runtime.clock import Clock

log = logging.getLogger(__name__)


class OutboxSender:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        ports: Mapping[str, ChatPort],
        *,
        max_attempts: int = 10,
        max_backoff: float = 300.0,
        batch: int = 50,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.ports = dict(ports)
        self.max_attempts = max_attempts
        self.max_backoff = max_backoff
        self.batch = batch
        self._wake = asyncio.Event()
        self._claimed: set[int] = set()

    def wake(self) -> None:
        self._wake.set()

    async def deliver_in_turn(self, items: Sequence[OutboxItem]) -> None:
        """Deliver a command's replies right after its commit (the adapter's own turn)."""
        self._claimed.update(i.id for i in items)
        try:
            await self._deliver(list(items))
        finally:
            self._claimed.difference_update(i.id for i in items)

    async def sweep(self) -> int:
        """Deliver every due item once; returns how many were sent."""
        sent = 0
        for platform in self.ports:
            while True:
                async with self.uow_factory() as uow:
                    due = await uow.outbox.pending(
                        platform=platform, now=self.clock.now(), limit=self.batch
                    )
                due = [i for i in due if i.id not in self._claimed]
                if not due:
                    break
                self._claimed.update(i.id for i in due)
                try:
                    ok = await self._deliver(due)
                finally:
                    self._claimed.difference_update(i.id for i in due)
                sent += ok
                if ok < len(due):
                    break  # failures are rescheduled; do not spin on them now
        return sent

    async def _deliver(self, items: list[OutboxItem]) -> int:
        sent: list[int] = []
        failed: list[tuple[OutboxItem, str]] = []
        for item in items:
            port = self.ports.get(room_platform(item.room))
            if port is None:
                failed.append((item, "no adapter for this platform is running"))
                continue
            try:
                await port.deliver(item)
            except Exception as e:  # an adapter error must not stop the others
                log.warning("delivery of outbox item %s failed: %s", item.id, e)
                failed.append((item, f"{type(e).__name__}: {e}"))
            else:
                sent.append(item.id)
        async with self.uow_factory() as uow:
            now = self.clock.now()
            await uow.outbox.mark_sent(sent, at=now)
            for item, error in failed:
                attempt = item.attempts + 1
                retry = None
                if attempt < self.max_attempts:
                    retry = now + timedelta(seconds=min(self.max_backoff, 2.0**attempt))
                else:
                    log.error("outbox item %s given up after %d attempts", item.id, attempt)
                await uow.outbox.mark_failed(item.id, error=error, retry_at=retry)
            await uow.commit()
        return len(sent)

    async def run(self) -> None:
        """Deliver until cancelled: on wake(), and when the next retry is due."""
        while True:
            self._wake.clear()
            try:
                await self.sweep()
            except Exception:
                log.exception("outbox sweep failed; retrying later")
            timeout = await self._next_timeout()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _next_timeout(self) -> float | None:
        try:
            async with self.uow_factory() as uow:
                dues = [await uow.outbox.next_due(platform=p) for p in self.ports]
        except Exception:
            return self.max_backoff
        due = min((d for d in dues if d is not None), default=None)
        if due is None:
            return None
        return max(0.05, (due - self.clock.now()).total_seconds())
