"""The clock port and the two clocks the bot runs with.

``SystemClock`` is real time in the hospital's zone. ``DrillClock`` starts at a
chosen instant (``--now``) and then runs; ``set()`` jumps (``:now`` in the shell).
Tests use ``tests.fakes.clock.FakeClock``, which only moves when told to.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    @property
    def tz(self) -> tzinfo: ...

    def now(self) -> datetime:
        """Zone-aware current time in the hospital's zone."""
        ...

    def monotonic(self) -> float: ...

    async def sleep_until(self, when: datetime) -> None: ...


def today(clock: Clock) -> date:
    return clock.now().date()


class SystemClock:
    def __init__(self, tz: tzinfo | str = "Europe/Brussels") -> None:
        self._tz = ZoneInfo(tz) if isinstance(tz, str) else tz

    @property
    def tz(self) -> tzinfo:
        return self._tz

    def now(self) -> datetime:
        return datetime.now(self._tz)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep_until(self, when: datetime) -> None:
        # Re-check in steps: the wall clock can jump (NTP, a laptop waking from sleep).
        while (delay := (when - self.now()).total_seconds()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(delay, 60.0))


class DrillClock:
    """Starts at ``start`` and runs at real speed from there; ``set`` jumps."""

    def __init__(self, start: datetime, tz: tzinfo | str = "Europe/Brussels") -> None:
        self._tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.set(start)

    @property
    def tz(self) -> tzinfo:
        return self._tz

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=self._tz)
        self._base = when.astimezone(self._tz)
        self._mono = time.monotonic()
        old = getattr(self, "_jumped", None)
        self._jumped = asyncio.Event()
        if old is not None:
            old.set()

    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._mono)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep_until(self, when: datetime) -> None:
        while (delay := (when - self.now()).total_seconds()) > 0:
            jumped = self._jumped  # set() wakes every sleeper to re-check
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(jumped.wait(), delay)
