"""`crisiscell run`: every adapter the config enables, and the outbox sender, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from platformdirs import user_data_dir

from adapters.runtime import build_runtime
from bot.config import ConfigError, Settings
from bot.outbox import OutboxSender
from bot.ports import ChatPort

log = logging.getLogger(__name__)


def data_dir() -> Path:
    return Path(user_data_dir("crisiscell", appauthor=False))


def matrix_store(settings: Settings) -> Path:
    """Where the Matrix credentials and crypto store live (keep it, back it up)."""
    m = settings.matrix
    return Path(m.store_dir).expanduser() if m.store_dir else data_dir() / "matrix"


async def run(settings: Settings, *, db_url: str | None) -> int:
    if not settings.matrix.enabled:
        raise ConfigError(
            "no chat adapter is enabled: set [matrix] enabled = true in the config "
            "(for the terminal, use `crisiscell shell`)"
        )
    runtime = await build_runtime(settings, db_url=db_url)
    from adapters.matrix.adapter import MatrixAdapter

    store = matrix_store(settings)
    matrix = MatrixAdapter(
        runtime,
        settings.matrix,
        store_dir=store,
        inviters=settings.matrix_inviters(),
        bot_name=settings.bot.name,
    )
    ports: dict[str, ChatPort] = {matrix.platform: matrix}
    sender = OutboxSender(runtime.db.uow, runtime.wall_clock, ports)
    matrix.sender = sender
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task[None]] = []
    try:
        await matrix.login()
        log.info("crisiscell running: %s", ", ".join(ports))
        tasks = [
            asyncio.create_task(matrix.run(stop), name="matrix-sync"),
            asyncio.create_task(sender.run(), name="outbox-sender"),
        ]
        stopper = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        for task in done:
            if task is not stopper and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        log.info("crisiscell stopping")
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        with contextlib.suppress(Exception):
            await matrix.close()
        await runtime.close()
    return 0
