"""The composition root: settings + database + clock -> a dispatcher and an outbox sender."""

from __future__ import annotations

import os
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from adapters.exports import FileExporter
from bot.briefing import BriefingScheduler
from bot.catalog import Catalog
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.events import EventBus
from bot.health import Health
from bot.job_reports import JobWatch
from bot.notify import NotifyOptions
from bot.outbox import OutboxSender
from bot.plan import Alerts
from bot.roles import Directory
from bot.sending import SendOptions, SmsSender
from commands import build_router
from commands.questions import answer_question
from commands.reading import mentions_service
from storage.backup import BackupSettings
from storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock  # the domain's time: real, or a drill's (--now)
    wall_clock: Clock  # real time, for delivery retries whatever the drill's time
    catalog: Catalog
    directory: Directory
    dispatcher: Dispatcher
    health: Health

    async def close(self) -> None:
        await self.db.dispose()


def data_dir() -> Path:
    """Where the bot keeps its files (SQLite database, Matrix store, SMS log)."""
    return Path(user_data_dir("crisiscell", appauthor=False))


def matrix_store(settings: Settings) -> Path:
    """Where the Matrix credentials and crypto store live (keep it, back it up)."""
    m = settings.matrix
    return Path(m.store_dir).expanduser() if m.store_dir else data_dir() / "matrix"


def exports_dir(settings: Settings) -> Path:
    b = settings.bot.exports_dir
    return Path(b).expanduser() if b else data_dir() / "exports"


def backup_settings(settings: Settings) -> BackupSettings:
    b = settings.backup
    directory = Path(b.directory).expanduser() if b.directory else data_dir() / "backups"
    return BackupSettings(directory, b.interval_minutes, b.keep, b.passphrase_env)


def database_url(settings: Settings, cli_url: str | None) -> str | None:
    """--db, then CRISISCELL_DB, then the config's bot.database, then the default file."""
    return cli_url or os.environ.get("CRISISCELL_DB") or settings.bot.database


def notify_options(settings: Settings) -> NotifyOptions:
    from adapters.sms import gateway_name

    n = settings.notify
    return NotifyOptions(
        hospital=n.hospital,
        hotline=n.hotline,
        templates={k: dict(v) for k, v in n.templates.items()},
        drill=n.drill,
        single_approver=n.single_approver,
        expire_after=timedelta(hours=n.expire_after_hours),
        progress_percent=n.progress_percent,
        progress_seconds=n.progress_seconds,
        gateway=gateway_name(settings),
        call_max_tries=n.call_max_tries,
    )


def send_options(settings: Settings, dialect: str) -> SendOptions:
    n = settings.notify
    return SendOptions(
        rate_per_second=n.rate_per_second,
        concurrency=n.concurrency,
        max_attempts=n.max_attempts,
        stale_after=timedelta(seconds=n.stale_after_seconds),
        lookup_grace=timedelta(seconds=n.lookup_grace_seconds),
        # SQLite: one sender at a time, under a lease
        exclusive=dialect == "sqlite",
    )


async def build_runtime(
    settings: Settings, *, db_url: str | None = None, clock: Clock | None = None
) -> Runtime:
    db = Database(database_url(settings, db_url))
    try:
        await db.migrate()
    except BaseException:
        await db.dispose()
        raise
    clock = clock or SystemClock(settings.bot.timezone)
    catalog = settings.build_catalog()
    directory = settings.build_directory()
    bus = EventBus()
    Alerts(catalog, clock.tz, settings.bot.language).install(bus)
    JobWatch(catalog, settings.bot.language, clock).install(bus)
    dispatcher = Dispatcher(
        uow_factory=db.uow,
        clock=clock,
        catalog=catalog,
        directory=directory,
        router=build_router(),
        bus=bus,
        default_lang=settings.bot.language,
        questions=answer_question,
        question_probe=lambda text: mentions_service(text, catalog),
        who_decides={str(k): v for k, v in settings.questions.who_decides.items()},
        notify=notify_options(settings),
        exporter=FileExporter(settings, exports_dir(settings), db.reader, catalog),
    )
    wall_clock = SystemClock(settings.bot.timezone)
    health = Health(wall_clock)
    return Runtime(settings, db, clock, wall_clock, catalog, directory, dispatcher, health)


def deliveries(
    runtime: Runtime, sender: OutboxSender, sms: SmsSender | None
) -> list[tuple[str, Coroutine[Any, Any, None]]]:
    """What a process that answers chat runs beside it, wired to wake on each commit: the
    outbox sender (replies, alerts), the SMS sender (an approved or resumed job; its
    progress and receipts wake the outbox) and the morning briefing. (name, coroutine)."""
    if sms is not None:
        sms.on_outbox = sender.wake
        sms.receipts.on_change = sender.wake

    def wake_all() -> None:
        sender.wake()
        if sms is not None:
            sms.wake()

    runtime.dispatcher.on_commit = wake_all
    briefings = BriefingScheduler(
        runtime.db.uow,
        runtime.clock,
        runtime.catalog,
        runtime.settings.bot.language,
        sender.wake,
    )
    out: list[tuple[str, Coroutine[Any, Any, None]]] = [
        ("outbox-sender", sender.run()),
        ("briefings", briefings.run()),
    ]
    if sms is not None:
        out.append(("sms-sender", sms.run()))
    return out
