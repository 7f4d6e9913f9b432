"""A clock that only moves when told to; advancing wakes the sleepers that are due."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo


class FakeClock:
    def __init__(self, start: datetime, tz: str = "Europe/Brussels") -> None:
        self._tz: tzinfo = ZoneInfo(tz)
        self._now = start if start.tzinfo else start.replace(tzinfo=self._tz)
        self._mono = 0.0
        self._moved = asyncio.Event()

    @property
    def tz(self) -> tzinfo:
        return self._tz

    def now(self) -> datetime:
        return self._now.astimezone(self._tz)

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float = 0.0, **kw: float) -> None:
        delta = timedelta(seconds=seconds, **kw)
        self._now += delta
        self._mono += delta.total_seconds()
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    def set(self, when: datetime) -> None:
        self.advance((when - self._now).total_seconds())

    async def sleep_until(self, when: datetime) -> None:
        while self._now < when:
            await self._moved.wait()
