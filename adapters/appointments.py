"""`crisiscell appointments import|purge`: the appointment list in and out of the database.

The file is read in a worker thread, in batches, so a large export never blocks the loop;
each batch is one transaction (re-importing the same file changes nothing).
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.jobs.appointments import Appointment, ImportMapping, Rejected, delimiter_of, read_rows
from bot.runtime.clock import Clock, SystemClock
from storage.db import Database

BATCH = 2000


class ImportReport:
    def __init__(self) -> None:
        self.rows = 0
        self.inserted = self.updated = self.unchanged = 0
        self.kinds: Counter[str] = Counter()
        self.rejected: list[Rejected] = []

    def lines(self) -> list[str]:
        out = [
            f"{self.rows} rows read: {self.inserted} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected",
            f"reachable by SMS: {self.kinds['mobile']}; to phone instead: "
            f"{self.kinds['landline']} landline, {self.kinds['invalid']} invalid number, "
            f"{self.kinds['missing']} no number",
        ]
        out += [f"line {r.line}: {r.reason}" for r in self.rejected]
        return out


def _progress(done: int, total: int, out: TextIO) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    out.flush()


async def import_file(
    settings: Settings,
    db: Database,
    path: Path,
    mapping_path: Path | None,
    *,
    clock: Clock | None = None,
    out: TextIO = sys.stderr,
) -> ImportReport:
    clock = clock or SystemClock(settings.bot.timezone)
    catalog = settings.build_catalog()
    mapping = ImportMapping.load(mapping_path, catalog)
    report = ImportReport()
    total = await asyncio.to_thread(_count_lines, path)
    show = out.isatty()
    with path.open(encoding="utf-8-sig", newline="") as f:
        delimiter = delimiter_of(f.readline())
        f.seek(0)
        rows = read_rows(
            f,
            mapping=mapping,
            catalog=catalog,
            tz=clock.tz,
            default_lang=settings.bot.language,
            region=settings.appointments.region,
            delimiter=delimiter,
        )
        while True:
            batch = await asyncio.to_thread(_take, rows, BATCH)
            if not batch:
                break
            good: list[Appointment] = []
            for item in batch:
                if isinstance(item, Rejected):
                    report.rejected.append(item)
                    if item.line > 1:
                        report.rows += 1
                else:
                    report.rows += 1
                    report.kinds[item.phone_kind] += 1
                    good.append(item)
            async with db.uow() as uow:
                ins, upd, same = await uow.appointments.upsert(good, at=clock.now())
                await uow.commit()
            report.inserted += ins
            report.updated += upd
            report.unchanged += same
            if show:
                _progress(report.rows, total, out)
    if show:
        out.write("\n")
    return report


def _take(rows: Iterator[Appointment | Rejected], n: int) -> list[Appointment | Rejected]:
    return list(islice(rows, n))


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return max(0, sum(1 for _ in f) - 1)


async def purge(
    settings: Settings, db: Database, older_than_days: int, clock: Clock | None = None
) -> int:
    clock = clock or SystemClock(settings.bot.timezone)
    before = clock.now().date() - timedelta(days=older_than_days)
    async with db.uow() as uow:
        n = await uow.appointments.purge(before=before)
        await uow.commit()
    return n
