"""Waiting on another process: its database rows, HTTP answers or files change on their
own, with no event this test could wait on, so they are re-checked until they hold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def until(
    check: Callable[[], Awaitable[Any]], within: float = 60, what: str = "the other process"
) -> Any:
    """Re-run ``check`` until it returns something true (returned); fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
