"""The local side of exceptions and call lists: marks from a CSV file, the call list with
phone numbers (CSV, never chat), and call outcomes from the command line."""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.console import counted
from bot.config import Settings
from bot.jobs.appointments import shown
from bot.jobs.calls import CALL_OUTCOMES, CallError, record_outcome
from bot.jobs.marks import MARK_OUTCOMES, mark_appointments
from bot.model import Actor, RoomRef
from bot.ports import UnitOfWork
from bot.record.exports import csv_safe
from bot.runtime.runner import Audit, UseCaseRunner
from storage.db import Database

CALL_COLUMNS = (
    "list",
    "site",
    "time",
    "appointment_id",
    "phone",
    "phone_kind",
    "language",
    "tries",
    "outcome",
    "note",
)


def cli_actor(user: str | None = None) -> Actor:
    """Who acts from this machine's command line (recorded in the ledger)."""
    name = user or getpass.getuser()
    return Actor(
        id=f"cli:{name}",
        name=name,
        roles=frozenset({"cell"}),
        platform="cli",
        room=RoomRef("cli:local"),
    )


def _read_marks(path: Path) -> tuple[list[tuple[int, str, str, str]], list[str]]:
    rows, problems = [], []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # Excel on Windows
    f = io.StringIO(text, newline="")
    sample = f.readline()
    f.seek(0)
    reader = csv.DictReader(f, delimiter=";" if sample.count(";") > sample.count(",") else ",")
    reader.fieldnames = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = {"appointment_id", "outcome"} - set(reader.fieldnames)
    if missing:
        return [], [f"line 1: missing column(s): {', '.join(sorted(missing))}"]
    for row in reader:
        ident = (row.get("appointment_id") or "").strip()
        outcome = (row.get("outcome") or "").strip().lower()
        note = (row.get("note") or "").strip()
        if not ident:
            problems.append(f"line {reader.line_num}: no appointment id")
        elif outcome not in MARK_OUTCOMES:
            problems.append(f"line {reader.line_num}: outcome must be {' or '.join(MARK_OUTCOMES)}")
        else:
            rows.append((reader.line_num, ident, outcome, note))
    return rows, problems


async def mark_file(
    runner: UseCaseRunner, path: Path, *, actor: Actor, now: datetime
) -> tuple[int, list[str]]:
    """(appointments marked, problems by line). Unknown ids are problems, not errors."""
    rows, problems = await asyncio.to_thread(_read_marks, path)
    marked = 0
    offers: dict[int, int] = {}

    async def mark_all(uow: UnitOfWork) -> None:
        nonlocal marked
        for line, ident, outcome, note in rows:
            done = await mark_appointments(
                uow, actor=actor, ids=[ident], outcome=outcome, note=note, at=now
            )
            marked += len(done.marked)
            for job, n in done.messaged.items():
                offers[job] = offers.get(job, 0) + n
            if done.unknown:
                problems.append(
                    f"line {line}: appointment {shown(ident)} is not in the imported list"
                )

    await runner.run(mark_all, Audit.by(actor, "appointments-mark"))
    problems += [
        f"{counted(n, 'patient')} already got a cancellation SMS (job {job}): /notify correct {job}"
        for job, n in sorted(offers.items())
    ]
    return marked, problems


async def calls_csv(db: Database, settings: Settings, list_no: int) -> str:
    tz = ZoneInfo(settings.bot.timezone)
    catalog = settings.build_catalog()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CALL_COLUMNS)
    async with db.uow() as uow:
        if await uow.calls.get(list_no) is None:
            raise LookupError(f"there is no call list #{list_no}")
        calls = await uow.calls.calls(list_no)
        appts = {
            a.id: a for a in await uow.appointments.get_many([c.appointment_id for c in calls])
        }
    for c in calls:
        a = appts.get(c.appointment_id)
        w.writerow(
            (
                list_no,
                catalog.site_name(c.site, "en"),
                c.start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                c.appointment_id,
                (a.phone or "") if a else "",
                a.phone_kind if a else "purged",
                a.language if a else "",
                c.tries,
                c.outcome,
                csv_safe(c.note),
            )
        )
    return buf.getvalue()


async def record(
    runner: UseCaseRunner,
    *,
    appointment_id: str,
    outcome: str,
    note: str,
    actor: Actor,
    now: datetime,
) -> str:
    """A call's outcome from the CLI: the same use case as /call in chat and the internal
    page's form, announced the same way (a correction offer in the call list's room)."""
    if outcome not in CALL_OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(CALL_OUTCOMES)}")
    try:
        call, offers = await runner.run(
            lambda uow: record_outcome(
                uow,
                actor=actor,
                appointment_id=appointment_id,
                outcome=outcome,
                note=note,
                at=now,
                lang="en",
            ),
            Audit.by(actor, "call"),
        )
    except CallError as e:
        raise LookupError(e.message) from e
    line = f"appointment {appointment_id} (list {call.list_no}): {outcome}, try {call.tries}"
    for job, n in sorted(offers.items()):
        line += (
            f"\n{counted(n, 'patient')} already got a cancellation SMS (job {job}): "
            f"/notify correct {job}"
        )
    return line
