"""The composition root: settings + database + clock -> a dispatcher and an outbox sender."""

from __future__ import annotations

import os
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import make_url

from adapters.exports import FileExporter
from bot.catalog import Catalog
from bot.config import Settings
from bot.events import EventBus
from bot.jobs import calls
from bot.jobs.notify import NotifyOptions
from bot.jobs.sending import SendOptions, SmsSender
from bot.jobs.watch import JobWatch
from bot.plan.briefing import BriefingScheduler
from bot.plan.milestones import Alerts
from bot.roles import Directory
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.health import Health
from bot.runtime.outbox import OutboxSender
from bot.runtime.runner import UseCaseRunner
from commands import build_router
from storage.backup import BackupSettings
from storage.db import Database, DatabaseKind, DatabaseKindError


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
    kind: DatabaseKind = "live"  # the database's: live, or drill

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


DRILL_DATABASE = "drill.sqlite3"  # a drill shell's own database, beside the live one


def drill_database(cli_url: str | None) -> str:
    """A drill shell's database: ``--db``, else its own file in the data directory --
    never the live one that CRISISCELL_DB or the config's bot.database name."""
    return cli_url or str(data_dir() / DRILL_DATABASE)


def shown(db: Database) -> str:
    """The database as a person would type it again: a SQLite file's path, else the URL
    (password hidden)."""
    path = make_url(db.url).database if db.dialect == "sqlite" else None
    return path or db.description


def kind_problem(db: Database, found: DatabaseKind, wanted: DatabaseKind, what: str) -> str:
    if wanted == "drill":
        return (
            f"{shown(db)} is a live database: a drill (--now) never opens one, so that no "
            "drill decision, job or SMS guard reaches the real ledger, board or patients. "
            "Drill on a copy of it:\n"
            f"  crisiscell db copy --drill --from {shown(db)} --to {DRILL_DATABASE}\n"
            f"  crisiscell shell --now 2022-05-16T08:00 --db {DRILL_DATABASE}\n"
            "(without --db, a drill shell uses its own drill database, "
            f"{data_dir() / DRILL_DATABASE})"
        )
    return (
        f"{shown(db)} is a drill database (made by a drill shell or `crisiscell db copy "
        f"--drill`): {what} opens only a live database, so that a drill never sends a real "
        "SMS or posts in a real room. Drill on it with: "
        f"crisiscell shell --now 2022-05-16T08:00 --db {shown(db)}"
    )


def event_bus(settings: Settings, catalog: Catalog, clock: Clock) -> EventBus:
    """Every feature's subscribers to domain events, whoever runs the use case (the bot,
    or a CLI command on the same database)."""
    bus = EventBus()
    Alerts(catalog, clock.tz, settings.bot.language).install(bus)
    JobWatch(catalog, settings.bot.language, clock).install(bus)
    calls.install(bus)
    return bus


def cli_runner(settings: Settings, db: Database) -> UseCaseRunner:
    """How a CLI command runs a use case on the database: the same subscribers as the bot
    (an outcome recorded from the CLI is announced like one from chat). The bot process
    delivers what it queues in the outbox at its next wake-up."""
    clock = SystemClock(settings.bot.timezone)
    return UseCaseRunner(db.uow, clock, event_bus(settings, settings.build_catalog(), clock))


async def build_runtime(
    settings: Settings,
    *,
    db_url: str | None = None,
    clock: Clock | None = None,
    kind: DatabaseKind = "live",
    what: str = "this command",
) -> Runtime:
    """Everything the core needs, on a database of ``kind`` (a new one is created so);
    a database of the other kind is refused (DatabaseError saying what to do)."""
    db = Database(database_url(settings, db_url))
    try:
        found = await db.migrate(new_kind=kind)
        if found != kind:
            raise DatabaseKindError(kind_problem(db, found, kind, what))
    except BaseException:
        await db.dispose()
        raise
    clock = clock or SystemClock(settings.bot.timezone)
    wall_clock = SystemClock(settings.bot.timezone)
    catalog = settings.build_catalog()
    directory = settings.build_directory()
    bus = event_bus(settings, catalog, clock)
    dispatcher = Dispatcher(
        uow_factory=db.uow,
        clock=clock,
        catalog=catalog,
        directory=directory,
        router=build_router(catalog),
        bus=bus,
        default_lang=settings.bot.language,
        who_decides={str(k): v for k, v in settings.questions.who_decides.items()},
        notify=notify_options(settings),
        exporter=FileExporter(settings, exports_dir(settings), db.reader, catalog),
        wall_clock=wall_clock,
    )
    health = Health(wall_clock)
    return Runtime(settings, db, clock, wall_clock, catalog, directory, dispatcher, health, kind)


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
        runtime.dispatcher.runner,
    )
    out: list[tuple[str, Coroutine[Any, Any, None]]] = [
        ("outbox-sender", sender.run()),
        ("briefings", briefings.run()),
    ]
    if sms is not None:
        out.append(("sms-sender", sms.run()))
    return out
