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
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ports import StateRepository, UnitOfWorkFactory
from bot.runtime.clock import Clock

log = logging.getLogger(__name__)

LEASE_KEY = "lease"  # the bot process's lease
# SMS senders: on SQLite one at a time holds this key; on PostgreSQL each sender keeps its
# own "sms-sender-lease:<worker>", which tells others it is alive.
SMS_LEASE_KEY = "sms-sender-lease"


def pid_namespace() -> str:
    """This process's pid namespace: two containers on one host may share a hostname
    but not their pids. Where namespaces do not exist, the host's one."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "host"


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (signal 0 checks, sends nothing)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, under another user
        return True
    return True


@dataclass(frozen=True)
class Lease:
    holder: str
    host: str
    pid: int
    since: datetime
    expires: datetime
    renewed: datetime | None = None  # the last renewal (a heartbeat); None: ``since``
    pidns: str | None = None  # the holder's pid namespace (None: unknown, expiry only)

    def to_json(self) -> str:
        return json.dumps(
            {
                "holder": self.holder,
                "host": self.host,
                "pid": self.pid,
                "since": self.since.isoformat(),
                "expires": self.expires.isoformat(),
                "renewed": (self.renewed or self.since).isoformat(),
                "pidns": self.pidns,
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
            datetime.fromisoformat(d["renewed"]) if d.get("renewed") else None,
            d.get("pidns"),
        )

    @property
    def last_renewed(self) -> datetime:
        return self.renewed or self.since

    def dead_here(self) -> bool:
        """Its process is known to be gone: it ran on this host, in this pid namespace
        (not another container that shares the hostname), and its pid is not alive."""
        return (
            self.host == socket.gethostname()
            and self.pidns is not None
            and self.pidns == pid_namespace()
            and not pid_alive(self.pid)
        )

    def live(self, now: datetime) -> bool:
        """Held at ``now``. A holder is gone when it released the lease (which leaves no
        lease), when its pid is dead on this host, otherwise when the lease expires."""
        return self.expires > now and not self.dead_here()

    def fresh(self, now: datetime) -> bool:
        """Live and renewed within the first half of its term: the holder is at work (a
        holder that stopped without releasing goes stale long before it expires)."""
        half = (self.expires - self.last_renewed) / 2
        return self.live(now) and now - self.last_renewed <= half

    def describe(self) -> str:
        return f"{self.host}, pid {self.pid}, since {self.since:%Y-%m-%d %H:%M:%S %Z}"


@dataclass(frozen=True)
class SenderPresence:
    """Who sends SMS on this database at ``now``: a live sender renewing its lease
    (``active``), else a lease that is held but stale (``stale``: stopped without a word,
    or hung), else nobody."""

    active: Lease | None
    stale: Lease | None


async def sms_senders(state: StateRepository, now: datetime) -> SenderPresence:
    """The SMS senders' leases, read from the unit of work's state repository."""
    leases: list[Lease] = []
    for key, raw in (await state.with_prefix(SMS_LEASE_KEY)).items():
        if raw and (key == SMS_LEASE_KEY or key.startswith(SMS_LEASE_KEY + ":")):
            try:
                leases.append(Lease.from_json(raw))
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable SMS sender lease %r ignored", key)
    active = [x for x in leases if x.fresh(now)]
    stale = [x for x in leases if x.live(now) and not x.fresh(now)]
    return SenderPresence(
        active=max(active, key=lambda x: x.last_renewed, default=None),
        stale=max(stale, key=lambda x: x.last_renewed, default=None),
    )


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
            pidns = pid_namespace() if self.pid == os.getpid() else None
            mine = Lease(self.holder, self.host, self.pid, self.since, now + self.ttl, now, pidns)
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
        self.since = None
