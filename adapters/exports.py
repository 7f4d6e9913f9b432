"""The crisis record exports, read from the database: the activity log and the sitrep.

The CLI and the chat call these; the text comes from the pure renderers in
``bot/record/exports.py`` (HTML through the Jinja2 templates of ``adapters/templates``). Each
export reads one consistent snapshot (one unit of work) and verifies the whole hash
chain, whatever period it lists.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from adapters.files import write_private
from bot.catalog import Catalog
from bot.config import Settings
from bot.jobs.notify import Job, Progress, progress_of
from bot.ledger.chain import verify
from bot.ledger.decisions import board
from bot.model import Attachment, Lang, LedgerEntry, RoomRef
from bot.plan.milestones import TOPICS
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.record.exports import (
    OPEN_JOB_STATES,
    ExportedFile,
    build_log,
    build_sitrep,
    log_csv,
    log_html,
    log_markdown,
    sitrep_html,
    sitrep_markdown,
)
from storage.db import Database

LogFormat = Literal["csv", "md", "html"]
SitrepFormat = Literal["md", "html"]
LEDGER_BATCH = 1000
JOBS_LOOKED_AT = 500  # the most recent jobs a sitrep considers


@cache
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("adapters", "templates"),
        autoescape=select_autoescape(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def template(name: str) -> Template:
    return templates().get_template(name)


def export_filename(kind: str, day: date, fmt: str) -> str:
    """``crisiscell-log-2022-05-16.html``."""
    return f"crisiscell-{kind}-{day.isoformat()}.{fmt}"


async def read_ledger(uow: UnitOfWork, *, batch: int = LEDGER_BATCH) -> list[LedgerEntry]:
    """The whole ledger in seq order, read in batches."""
    out: list[LedgerEntry] = []
    after = 0
    while True:
        chunk = await uow.ledger.entries(after_seq=after, limit=batch)
        if not chunk:
            return out
        out.extend(chunk)
        after = chunk[-1].seq


async def export_log(
    db: Database,
    settings: Settings,
    *,
    first: date | None,
    last: date | None,
    fmt: LogFormat,
    lang: Lang,
    now: datetime,
    made_by: str | None = None,
) -> str:
    """The activity log of the local days [first, last] (None: open-ended), in ``fmt``."""
    async with db.uow() as uow:
        return await render_log(
            uow, settings, first=first, last=last, fmt=fmt, lang=lang, now=now, made_by=made_by
        )


async def render_log(
    uow: UnitOfWork,
    settings: Settings,
    *,
    first: date | None,
    last: date | None,
    fmt: LogFormat,
    lang: Lang,
    now: datetime,
    made_by: str | None = None,
    catalog: Catalog | None = None,
) -> str:
    """:func:`export_log` within a unit of work the caller holds (``catalog``: the
    running bot's, else built from the settings)."""
    if first and last and first > last:
        raise ValueError("the first day of the export is after its last day")
    entries = await read_ledger(uow)
    verification = await verify(uow)
    log = build_log(
        entries,
        verification,
        catalog=catalog or settings.build_catalog(),
        lang=lang,
        tz=ZoneInfo(settings.bot.timezone),
        made_at=now,
        first=first,
        last=last,
        organisation=settings.notify.hospital,
        made_by=made_by,
    )
    if fmt == "csv":
        return log_csv(log)
    if fmt == "md":
        return log_markdown(log)
    if fmt == "html":
        return log_html(log, template("log.html"))
    raise ValueError(f"unknown log format {fmt!r}: csv, md or html")


def _relevant(job: Job, day: date, tz: ZoneInfo) -> bool:
    """A job the sitrep of ``day`` shows: its period touches the day or the next, it is
    still open, or it was started that day."""
    next_day = day + timedelta(days=1)
    return (
        (job.first_day <= next_day and job.last_day >= day)
        or job.state in OPEN_JOB_STATES
        or job.created_at.astimezone(tz).date() == day
    )


async def _undeliverable(uow: UnitOfWork, jobs: list[Job]) -> int:
    """Chat messages given up (dead letters) in the rooms the record knows: subscribed
    rooms, the rooms of the jobs shown and the rooms decisions were taken in. (The store
    counts per room; a room only ever asked questions in is not looked at.)"""
    rooms: set[RoomRef] = {job.room for job in jobs}
    for topic in TOPICS:
        rooms.update(await uow.subscriptions.rooms(topic))
    rooms.update(RoomRef(d.room) for d in await uow.decisions.all())
    return sum([await uow.subscriptions.undeliverable(room) for room in sorted(rooms)])


async def export_sitrep(
    db: Database,
    settings: Settings,
    *,
    day: date,
    fmt: SitrepFormat,
    lang: Lang,
    now: datetime,
    made_by: str | None = None,
) -> str:
    """The situation report of ``day`` (and the outlook for the next day), in ``fmt``."""
    async with db.uow() as uow:
        return await render_sitrep(
            uow, settings, day=day, fmt=fmt, lang=lang, now=now, made_by=made_by
        )


async def render_sitrep(
    uow: UnitOfWork,
    settings: Settings,
    *,
    day: date,
    fmt: SitrepFormat,
    lang: Lang,
    now: datetime,
    made_by: str | None = None,
    catalog: Catalog | None = None,
) -> str:
    """:func:`export_sitrep` within a unit of work the caller holds (``catalog`` as for
    :func:`render_log`)."""
    catalog = catalog or settings.build_catalog()
    tz = ZoneInfo(settings.bot.timezone)
    verification = await verify(uow)
    _, head_hash = await uow.ledger.head()
    services, sites = catalog.service_ids, catalog.site_ids
    board_today = await board(uow, day=day, services=services, sites=sites)
    board_next = await board(uow, day=day + timedelta(days=1), services=services, sites=sites)
    milestones = await uow.plan.current()
    recent = await uow.jobs.recent(limit=JOBS_LOOKED_AT)
    jobs = sorted((j for j in recent if _relevant(j, day, tz)), key=lambda j: j.no)
    with_progress: list[tuple[Job, Progress]] = [
        (job, await progress_of(uow, job.no)) for job in jobs
    ]
    undeliverable = await _undeliverable(uow, jobs)
    s = build_sitrep(
        day=day,
        board_today=board_today,
        board_next=board_next,
        milestones=milestones,
        jobs=with_progress,
        undeliverable=undeliverable,
        verification=verification,
        last_hash=head_hash if verification.checked else None,
        catalog=catalog,
        lang=lang,
        tz=tz,
        made_at=now,
        organisation=settings.notify.hospital,
        made_by=made_by,
    )
    if fmt == "md":
        return sitrep_markdown(s)
    if fmt == "html":
        return sitrep_html(s, template("sitrep.html"))
    raise ValueError(f"unknown sitrep format {fmt!r}: md or html")


MEDIA_TYPES = {"html": "text/html", "md": "text/markdown", "csv": "text/csv"}


class FileExporter:
    """The chat's ``/export``: renders in a read-only unit of work of its own (the
    command's write transaction, which other rooms' commands wait for, is not held while
    the whole ledger is read and rendered), writes the file to the exports directory (in
    a worker thread) and returns it as an attachment too."""

    def __init__(
        self, settings: Settings, directory: Path, reader: UnitOfWorkFactory, catalog: Catalog
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.reader = reader
        self.catalog = catalog

    async def export(
        self,
        *,
        kind: Literal["log", "sitrep"],
        first: date | None,
        last: date | None,
        lang: Lang,
        now: datetime,
        made_by: str,
    ) -> ExportedFile:
        day = last or first or now.date()
        async with self.reader() as uow:
            if kind == "log":
                text = await render_log(
                    uow,
                    self.settings,
                    first=first,
                    last=last,
                    fmt="html",
                    lang=lang,
                    now=now,
                    made_by=made_by,
                    catalog=self.catalog,
                )
            else:
                text = await render_sitrep(
                    uow,
                    self.settings,
                    day=day,
                    fmt="html",
                    lang=lang,
                    now=now,
                    made_by=made_by,
                    catalog=self.catalog,
                )
        # one file per export: an earlier reply's path keeps pointing at what it announced
        name = export_filename(kind, day, "html").replace(
            ".html", f"-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}.html"
        )
        path = self.directory / name
        await asyncio.to_thread(write_private, path, text, exclusive=True)
        # the outbox row refers to the file; the Matrix adapter reads it when uploading
        return ExportedFile(str(path), Attachment(name, MEDIA_TYPES["html"], path=str(path)))
