"""`crisiscell run`: every adapter the config enables, and the outbox sender, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from adapters.runtime import (
    Runtime,
    backup_settings,
    build_runtime,
    data_dir,
    deliveries,
    matrix_store,
)
from adapters.sms.service import build_sender, web_listen
from adapters.status_cli import publish_health
from adapters.status_web import StatusSite
from adapters.web import WebServer
from bot.config import ConfigError, Settings
from bot.ports import ChatPort
from bot.runtime.lease import LeaseKeeper
from bot.runtime.outbox import OutboxSender
from storage.backup import BackupError, backup_loop, passphrase_from_env

if TYPE_CHECKING:
    from adapters.matrix.adapter import MatrixAdapter
    from adapters.teams.adapter import TeamsAdapter

log = logging.getLogger(__name__)


async def retention(settings: Settings, runtime: Runtime) -> None:
    """Purge appointments past the configured retention, at start and every six hours."""
    from adapters.appointments import purge

    while True:
        try:
            n = await purge(
                settings, runtime.db, settings.appointments.retention_days, runtime.clock
            )
            if n:
                log.info("retention: %d appointments of past days purged", n)
        except Exception:
            log.exception("retention purge failed")
        await runtime.clock.sleep_until(runtime.clock.now() + timedelta(hours=6))


async def run(settings: Settings, *, db_url: str | None) -> int:
    if not (settings.matrix.enabled or settings.teams.enabled):
        raise ConfigError(
            "no chat adapter is enabled: set [matrix] or [teams] enabled = true in the "
            "config (for the terminal, use `crisiscell shell`)"
        )
    runtime = await build_runtime(settings, db_url=db_url, what="`crisiscell run`")
    ports: dict[str, ChatPort] = {}
    jobs: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = []
    closers: list[Callable[[], Awaitable[None]]] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task[None]] = []
    adapters: list[MatrixAdapter | TeamsAdapter] = []
    # The web server always runs: the status board, /healthz, /metrics (and Teams, Twilio).
    web = WebServer()
    site = StatusSite(runtime)
    site.install(web.app)
    # every part this process runs is "starting" (unhealthy) until it says otherwise
    if settings.matrix.enabled:
        runtime.health.register("matrix", stale_after=timedelta(seconds=90))
    if settings.teams.enabled:
        runtime.health.register("teams")
    runtime.health.register("sms")
    if settings.backup.interval_minutes:
        try:  # a named but unset passphrase variable: refuse to write backups in clear
            passphrase_from_env(settings.backup.passphrase_env)
        except BackupError as e:
            raise ConfigError(f"backup: {e}") from e
    keeper = LeaseKeeper(
        runtime.db.uow,
        runtime.wall_clock,
        holder=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        host=socket.gethostname(),
        pid=os.getpid(),
        ttl=timedelta(seconds=settings.bot.lease_seconds),
    )
    holding = False
    lost = False
    try:
        # One active process per database: a second one waits here as a standby.
        acquiring = asyncio.create_task(keeper.acquire(), name="lease")
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([acquiring, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not acquiring.done():
            acquiring.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await acquiring
            log.info("crisiscell stopping (was standby)")
            return 0
        acquiring.result()
        holding = True
        # The SMS sender: its gateway's callbacks (Twilio) mount on the web server.
        sms = build_sender(runtime, data_dir(), web)
        if settings.matrix.enabled:
            from adapters.matrix.adapter import MatrixAdapter

            matrix = MatrixAdapter(
                runtime,
                settings.matrix,
                store_dir=matrix_store(settings),
                inviters=settings.matrix_inviters(),
                bot_name=settings.bot.name,
            )
            ports[matrix.platform] = matrix
            adapters.append(matrix)
            closers.append(matrix.close)
            await matrix.login()
            jobs.append(matrix.run)
            jobs.append(matrix.watch_cross_signing)
        if settings.teams.enabled:
            from adapters.teams.adapter import MsalTokenSource, NoToken, TokenSource

            t = settings.teams
            tokens: TokenSource
            if t.local_testing and not os.environ.get(t.secret_env):
                tokens = NoToken()
            else:
                secret = os.environ.get(t.secret_env)
                if not secret:
                    raise ConfigError(f"teams: set the app's client secret in {t.secret_env}")
                tokens = MsalTokenSource(t, secret)
            from adapters.teams.adapter import TeamsAdapter

            teams = TeamsAdapter(runtime, t, tokens=tokens, bot_name=settings.bot.name)
            ports[teams.platform] = teams
            adapters.append(teams)
            teams.install(web.app)
            await teams.start()
            closers.append(teams.close)
        try:
            await web.start(web_listen(settings))
        except OSError as e:
            raise ConfigError(f"web: cannot listen on {web_listen(settings)}: {e.strerror}") from e
        closers.append(web.stop)
        site.platforms = tuple(ports)
        sender = OutboxSender(runtime.db.uow, runtime.wall_clock, ports)
        for adapter in adapters:
            adapter.sender = sender
        log.info("crisiscell running: %s; SMS gateway %s", ", ".join(ports), sms.gateway.name)
        tasks = [asyncio.create_task(job(stop)) for job in jobs]
        tasks += [asyncio.create_task(c, name=n) for n, c in deliveries(runtime, sender, sms)]
        if settings.appointments.retention_days:
            tasks.append(asyncio.create_task(retention(settings, runtime), name="retention"))
        if settings.backup.interval_minutes:
            tasks.append(
                asyncio.create_task(
                    backup_loop(
                        runtime.db,
                        backup_settings(settings),
                        runtime.wall_clock,
                    ),
                    name="backups",
                )
            )
        lease_task = asyncio.create_task(keeper.keep(), name="lease")
        tasks.append(lease_task)
        tasks.append(
            asyncio.create_task(
                publish_health(
                    runtime.db.uow,
                    runtime.health,
                    runtime.wall_clock,
                    every=max(1.0, settings.bot.lease_seconds / 3),
                ),
                name="health",
            )
        )
        stopper = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        for task in done:
            if task is lease_task and not task.cancelled() and task.exception() is None:
                lost = True  # another process holds the lease now: stop without a word
                continue
            if task is not stopper and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        log.info("crisiscell stopping")
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        for close in reversed(closers):
            with contextlib.suppress(Exception):
                await close()
        if holding and not lost:
            with contextlib.suppress(Exception):
                await keeper.release()  # a standby takes over at once
        await runtime.close()
    return 3 if lost else 0
