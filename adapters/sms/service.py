"""Wiring the SMS side: the configured gateway, its web callbacks, the sender task; the
``crisiscell notify worker`` process; and the local call-list report (CSV, never chat)."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import signal
import socket
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from adapters.runtime import Runtime, build_runtime, send_options
from adapters.sms import build_gateway
from adapters.web import WebServer
from bot.config import Settings
from bot.jobs.notify import patients_to_call
from bot.jobs.sending import ReceiptHandler, SmsSender
from storage.db import Database

log = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_sender(runtime: Runtime, data_dir: Path, web: WebServer | None) -> SmsSender:
    """The configured gateway and a sender over it; Twilio's callbacks mount on ``web``.

    The sender runs on real time (expiry), whatever clock the chat side uses.
    """
    settings = runtime.settings
    gateway = build_gateway(settings, data_dir)
    install = getattr(gateway, "install", None)
    if web is not None and install is not None:
        install(web.app)
    receipts = ReceiptHandler(runtime.db.uow, runtime.wall_clock)
    sender = SmsSender(
        runtime.db.uow,
        runtime.wall_clock,
        gateway,
        catalog=runtime.catalog,
        notify=runtime.dispatcher.notify,
        options=send_options(settings, runtime.db.dialect),
        worker=worker_id(),
        default_lang=settings.bot.language,
        receipts=receipts,
        health=runtime.health,
        runner=runtime.dispatcher.runner,
    )
    return sender


def needs_web(settings: Settings) -> bool:
    """Twilio reports deliveries and STOP replies to the bot's web server."""
    from adapters.sms import gateway_name

    return gateway_name(settings) == "twilio" and bool(settings.notify.twilio.public_url)


def web_listen(settings: Settings) -> str:
    return settings.web.listen or settings.teams.listen


async def run_worker(settings: Settings, *, db_url: str | None, data_dir: Path) -> int:
    """Only the SMS sender (and Twilio's callbacks): on PostgreSQL, extra processes may
    send for the same jobs; on SQLite run one sender in all (``crisiscell run`` has one)."""
    runtime = await build_runtime(settings, db_url=db_url, what="`crisiscell notify worker`")
    web = WebServer() if needs_web(settings) else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        sender = build_sender(runtime, data_dir, web)
        if web is not None:
            await web.start(web_listen(settings))
        task = asyncio.create_task(sender.run(), name="sms-sender")
        stopper = asyncio.create_task(stop.wait())
        log.info("SMS worker %s running (gateway %s)", sender.worker, sender.gateway.name)
        done, _ = await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if task in done and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    finally:
        if web is not None:
            await web.stop()
        await runtime.close()
    return 0


REPORT_COLUMNS = (
    "job",
    "reason",
    "appointment_id",
    "day",
    "time",
    "service",
    "site",
    "phone",
    "language",
    "detail",
)


async def write_report(db: Database, settings: Settings, job_no: int, out: TextIO) -> int:
    """The patients to phone for a job: failed, expired, uncertain, and those with no mobile
    number whose appointment the decisions (as they stand now) cancel. How many rows."""
    catalog = settings.build_catalog()
    tz = ZoneInfo(settings.bot.timezone)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(REPORT_COLUMNS)
    async with db.reader() as uow:
        job = await uow.jobs.get(job_no)
        if job is None:
            raise LookupError(f"there is no job #{job_no}")
        calls = await patients_to_call(uow, job)
    for c in calls:
        a = c.appointment
        writer.writerow(
            (
                job_no,
                c.reason,
                a.id,
                a.day.isoformat(),
                a.start.astimezone(tz).strftime("%H:%M"),
                catalog.service_name(a.service, "en"),
                catalog.site_name(a.site, "en"),
                c.phone,
                c.lang,
                c.error,
            )
        )
    await asyncio.to_thread(out.write, buf.getvalue())
    return len(calls)
