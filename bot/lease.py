"""One active bot process per deployment: a lease row in the database.

The active process renews the lease every few seconds; a second ``crisiscell run``
against the same database waits as a standby ("another process is active (host, pid,
since)") and takes over when the lease expires -- the active one was killed, or its host
failed. Only the lease holder runs the chat adapters, the scheduler and the outbox; what
it left half done (a Matrix sync token, outbox rows, SMS rows in "sending") is picked up
by the next holder from the database.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

LEASE_KEY = "lease"  # the bot process's lease
SMS_LEASE_KEY = "sms-sender-lease"  # on SQLite, one SMS sender at a time


@dataclass(frozen=True)
class Lease:
    holder: str
    host: str
    pid: int
    since: datetime
    expires: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "holder": self.holder,
                "host": self.host,
                "pid": self.pid,
                "since": self.since.isoformat(),
                "expires": self.expires.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Lease:
        d = json.loads(text)
        return cls(
            d["holder"],
            d["host"],
            int(d["pid"]),
            datetime.fromisoformat(d["since"]),
            datetime.fromisoformat(d["expires"]),
        )

    def live(self, now: datetime) -> bool:
        """Held at ``now``: not expired (and not released, which leaves no lease)."""
        return self.expires > now

    def describe(self) -> str:
        return f"{self.host}, pid {self.pid}, since {self.since:%Y-%m-%d %H:%M:%S %Z}"


class LeaseKeeper:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        holder: str,
        host: str,
        pid: int,
        ttl: timedelta = timedelta(seconds=30),
        key: str = LEASE_KEY,
    ) -> None:
        self.uow_factory = uow_factory
        self.key = key
        self.clock = clock
        self.holder, self.host, self.pid = holder, host, pid
        self.ttl = ttl
        self.since: datetime | None = None

    async def try_acquire(self) -> tuple[bool, Lease | None]:
        """(True, ours) if we hold it now; (False, theirs) while another process does."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            raw = await uow.state.get_locked(self.key)
            other = Lease.from_json(raw) if raw else None
            if other is not None and other.holder != self.holder and other.live(now):
                return False, other
            self.since = self.since or now
            mine = Lease(self.holder, self.host, self.pid, self.since, now + self.ttl)
            await uow.state.put(self.key, mine.to_json())
            await uow.commit()
        return True, mine

    async def acquire(self, *, what: str = "another process is active") -> Lease:
        """Wait (as a standby) until we hold the lease."""
        announced = False
        while True:
            ok, lease = await self.try_acquire()
            if ok:
                assert lease is not None
                if announced:
                    log.warning("lease taken over: this process is now the active one")
                return lease
            assert lease is not None
            if not announced:
                log.warning("standby: %s (%s)", what, lease.describe())
                announced = True
            await self._pause()

    async def _pause(self) -> None:
        step = max(0.2, self.ttl.total_seconds() / 3)
        await self.clock.sleep_until(self.clock.now() + timedelta(seconds=step))

    async def keep(self) -> None:
        """Renew until cancelled; returns if the lease was lost (another process took it:
        this one must stop at once)."""
        while True:
            await self._pause()
            try:
                ok, other = await self.try_acquire()
            except Exception:
                log.exception("lease renewal failed; retrying")
                continue
            if not ok:
                assert other is not None
                log.error("lease lost to another process (%s): stopping", other.describe())
                return

    async def release(self) -> None:
        """Let a standby take over at once (a clean stop)."""
        async with self.uow_factory() as uow:
            raw = await uow.state.get_locked(self.key)
            if raw and Lease.from_json(raw).holder == self.holder:
                await uow.state.put(self.key, "")
                await uow.commit()
