"""A chat port that keeps what it was sent (and can be told to fail)."""

from __future__ import annotations

import asyncio

from bot.ports import OutboxItem


class RecordingChat:
    def __init__(self, platform: str = "shell") -> None:
        self.platform = platform
        self.sent: list[OutboxItem] = []
        self.fail_next = 0
        self.arrived = asyncio.Event()  # set at every delivery

    async def deliver(self, item: OutboxItem) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("the platform is unreachable (test)")
        self.sent.append(item)
        self.arrived.set()
