"""Copy a SQLite database to PostgreSQL (``crisiscell db copy``), and back it up and restore it.

The source: a ledger of N decisions -- entries built with ``bot.ledger.chain.make_entry`` (the
real hash chain) and their decision rows, inserted in batches; or, with ``--through-core``,
recorded with ``record_decision`` (much slower to build) -- and M outbox rows inserted
directly (already-sent replies). It passes ``verify`` before the copy. The target: a
PostgreSQL database created for the run and dropped afterwards. Prints the time and rows/s
of each step. Usage:

    python -m bench.bench_copy [--decisions 10000] [--outbox 50000] [--pg URL] [--through-core]

``--pg`` is an administrative URL of the server (default ``CRISISCELL_PG_URL`` or
``postgresql://postgres@127.0.0.1:5432/test``); the bench creates its own databases there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from bot.events import EventBus
from bot.ledger.chain import GENESIS, make_entry, verify
from bot.ledger.decisions import record_decision
from bot.model import ALL_SITES, Actor, Status, room_ref
from storage import tables as T
from storage.backup import backup, copy, restore
from storage.db import Database
from tests.harness import drop_pg_database, pg_execute

START = datetime.fromisoformat("2022-05-15T09:12:00+02:00")
ROOM = room_ref("shell", "bench")
OPERATOR = Actor("@operator:local", "Operator", frozenset({"cell", "staff"}), "shell", ROOM)
SERVICES = ("consultations", "radiology", "surgery", "blood-sampling", "scintigraphy")
SITES = ("arlon", "bastogne", "libramont", "marche")


def _random_decision(rng: random.Random) -> tuple[str, str, Status, date, date | None]:
    first = date(2022, 5, 1) + timedelta(days=rng.randrange(120))
    last = None if rng.random() < 0.2 else first + timedelta(days=rng.randrange(7))
    site = rng.choice((*SITES, ALL_SITES))
    return rng.choice(SERVICES), site, rng.choice(list(Status)), first, last


async def fill_through_core(db: Database, n: int) -> float:
    """The real core (``record_decision``, 500 per unit of work): slow, the supersedes
    search grows with the ledger."""
    rng = random.Random(42)
    t0 = time.perf_counter()
    done = 0
    while done < n:
        async with db.uow() as uow:
            for _ in range(min(500, n - done)):
                service, site, status, first, last = _random_decision(rng)
                await record_decision(
                    uow,
                    actor=OPERATOR,
                    service=service,
                    site=site,
                    status=status,
                    first_day=first,
                    last_day=last,
                    note="bench",
                    source_event_id=uuid.uuid4().hex,
                    at=START + timedelta(seconds=done),
                )
                done += 1
            await EventBus().drain(uow)  # seeding: no subscriber, as in a bare runner
            await uow.commit()
    return time.perf_counter() - t0


async def fill_direct(db: Database, n: int) -> float:
    """Ledger entries built with ``make_entry`` (the real hash chain) and the matching
    decision rows, inserted in batches; no supersedes (each decision stands alone)."""
    rng = random.Random(42)
    t0 = time.perf_counter()
    prev, ledger_rows, decision_rows = GENESIS, [], []
    for i in range(1, n + 1):
        service, site, status, first, last = _random_decision(rng)
        source_event_id = uuid.uuid4().hex
        payload = {
            "no": i,
            "status": str(status),
            "first_day": first.isoformat(),
            "last_day": last.isoformat() if last else None,
            "note": "bench",
            "source_event_id": source_event_id,
            "supersedes": [],
        }
        entry = make_entry(
            seq=i,
            prev_hash=prev,
            type="decision",
            actor=OPERATOR,
            at=START + timedelta(seconds=i),
            payload=payload,
            service=service,
            site=site,
        )
        prev = entry.hash
        ledger_rows.append(
            {
                "seq": entry.seq,
                "type": entry.type,
                "at": entry.at,
                "actor_id": entry.actor_id,
                "service": entry.service,
                "site": entry.site,
                "body": entry.body,
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
            }
        )
        decision_rows.append(
            {
                "no": i,
                "seq": entry.seq,
                "service": service,
                "site": site,
                "status": str(status),
                "first_day": first,
                "last_day": last,
                "note": "bench",
                "author_id": OPERATOR.id,
                "author_name": OPERATOR.name,
                "author_roles": json.dumps(sorted(OPERATOR.roles)),
                "platform": OPERATOR.platform,
                "room": str(OPERATOR.room),
                "source_event_id": source_event_id,
                "recorded_at": entry.at,
                "supersedes": "[]",
            }
        )
    async with db.engine.begin() as conn:
        for start in range(0, n, 5000):
            await conn.execute(insert(T.ledger), ledger_rows[start : start + 5000])
            await conn.execute(insert(T.decisions), decision_rows[start : start + 5000])
        await conn.execute(
            update(T.ledger_head).where(T.ledger_head.c.id == 1).values(seq=n, hash=prev)
        )
    return time.perf_counter() - t0


async def fill_outbox(db: Database, n: int) -> float:
    t0 = time.perf_counter()
    reply = json.dumps(
        {
            "kind": "decision",
            "lang": "en",
            "title": "Decision recorded",
            "blocks": [{"type": "paragraph", "text": "No. 1 - radiology, all sites: cancelled."}],
            "facts": {"kind": "decision", "no": 1},
        }
    )
    for first in range(0, n, 5000):
        rows = []
        for i in range(first, min(first + 5000, n)):
            at = START + timedelta(seconds=i)
            rows.append(
                {
                    "key": f"bench-{i}",
                    "platform": "shell",
                    "room": str(ROOM),
                    "reply": reply,
                    "state": "sent",
                    "attempts": 1,
                    "created_at": at,
                    "next_attempt_at": at,
                    "sent_at": at + timedelta(milliseconds=200),
                    "last_error": None,
                    "reply_to": f"$event{i}",
                }
            )
        async with db.engine.begin() as conn:
            await conn.execute(insert(T.outbox), rows)
    return time.perf_counter() - t0


def rate(rows: int, seconds: float) -> str:
    return f"{seconds:6.2f} s  {rows / seconds:>9,.0f} rows/s"


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--outbox", type=int, default=50_000)
    parser.add_argument(
        "--through-core",
        action="store_true",
        help="record the decisions with record_decision (slow: about a minute for 10,000)",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("CRISISCELL_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    base = args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    names = [f"crisiscell_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with tempfile.TemporaryDirectory() as tmp:
        source = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'source.sqlite3'}")
        await source.migrate()
        fill = fill_through_core if args.through_core else fill_direct
        took = await fill(source, args.decisions)
        how = "through the core" if args.through_core else "built with make_entry"
        print(f"source: {args.decisions:,} decisions {how} in {took:.1f} s")
        took = await fill_outbox(source, args.outbox)
        print(f"source: {args.outbox:,} outbox rows in {took:.1f} s")
        async with source.reader() as uow:
            checked = await verify(uow)
        assert checked.ok, checked
        size = (Path(tmp) / "source.sqlite3").stat().st_size
        print(f"source verifies: {checked.checked:,} ledger entries; file {size / 1e6:.1f} MB")

        for name in names:
            await pg_execute(f'CREATE DATABASE "{name}"', args.pg)
        targets = [Database(f"{base}/{name}") for name in names]
        try:
            info = await copy(source, targets[0])
            print(
                f"{'copy SQLite -> PostgreSQL':<34}{rate(info.rows, info.seconds)}  "
                f"({info.rows:,} rows, verified {info.ledger_entries:,} entries)"
            )
            for passphrase in (None, "bench passphrase"):
                path = Path(tmp) / ("backup.jsonl.gz" + (".enc" if passphrase else ""))
                b = await backup(source, path, passphrase=passphrase)
                label = "backup SQLite" + (" (encrypted)" if passphrase else "")
                print(f"{label:<34}{rate(b.rows, b.seconds)}  ({b.bytes / 1e6:.1f} MB)")
            r = await restore(targets[1], path, passphrase="bench passphrase")
            print(f"{'restore encrypted -> PostgreSQL':<34}{rate(r.rows, r.seconds)}")
        finally:
            for db in targets:
                await db.dispose()
            await source.dispose()
            for name in names:
                await drop_pg_database(name, args.pg)


if __name__ == "__main__":
    asyncio.run(main())
