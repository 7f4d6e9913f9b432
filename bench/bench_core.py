"""Fill the ledger with N decisions, then time commands and questions through the core.

Through the real dispatcher and storage (one unit of work per message, durable commits),
without terminal I/O. Prints p50/p99 per command. Usage:

    python -m bench.bench_core [--decisions 10000] [--samples 300] [--db URL]

With no --db, a fresh SQLite file in a temporary directory is used.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from adapters.runtime import build_runtime
from bot.config import Settings
from bot.events import EventBus
from bot.ledger.decisions import record_decision
from bot.model import ALL_SITES, Actor, Incoming, Status, room_ref
from storage.db import Database
from tests.fakes.clock import FakeClock

START = datetime.fromisoformat("2022-05-15T09:12:00+02:00")
ROOM = room_ref("shell", "bench")
OPERATOR = Actor("@operator:local", "Operator", frozenset({"cell", "staff"}), "shell", ROOM)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def fill(
    runtime_db: Database,
    n: int,
    services: tuple[str, ...],
    sites: tuple[str, ...],
    clock: FakeClock,
) -> float:
    rng = random.Random(42)
    t0 = time.perf_counter()
    done = 0
    while done < n:
        async with runtime_db.uow() as uow:
            for _ in range(min(500, n - done)):
                first = date(2022, 5, 1) + timedelta(days=rng.randrange(120))
                last = None if rng.random() < 0.2 else first + timedelta(days=rng.randrange(7))
                await record_decision(
                    uow,
                    actor=OPERATOR,
                    service=rng.choice(services),
                    site=rng.choice((*sites, ALL_SITES)),
                    status=rng.choice(list(Status)),
                    first_day=first,
                    last_day=last,
                    note="bench",
                    source_event_id=uuid.uuid4().hex,
                    at=clock.now(),
                )
                done += 1
            await EventBus().drain(uow)  # seeding: no subscriber, as in a bare runner
            await uow.commit()
    return time.perf_counter() - t0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        clock = FakeClock(START)
        runtime = await build_runtime(Settings(), db_url=url, clock=clock)
        try:
            cat = runtime.catalog
            took = await fill(runtime.db, args.decisions, cat.service_ids, cat.site_ids, clock)
            print(f"database: {runtime.db.description}")
            print(
                f"filled {args.decisions} decisions in {took:.1f} s "
                f"({args.decisions / took:.0f}/s, batches of 500 per unit of work)"
            )
            rng = random.Random(7)
            commands: dict[str, Callable[[], str]] = {
                "/decide": lambda: (
                    f"/decide {rng.choice(cat.service_ids)} at "
                    f"{rng.choice(cat.site_ids)} cancelled "
                    f"{rng.randrange(1, 28)}/06"
                ),
                "/status": lambda: f"/status {rng.randrange(1, 28)}/06",
                "/history": lambda: f"/history {rng.choice(cat.service_ids)}",
                "question": lambda: (
                    f"is {cat.service_name(rng.choice(cat.service_ids), 'en')} open on "
                    f"{rng.randrange(1, 28)}/06 at {rng.choice(cat.site_ids)}?"
                ),
                "question-fr": lambda: (
                    f"bonjour, est-ce que la {cat.service_name(rng.choice(cat.service_ids), 'fr')}"
                    f" est maintenue lundi {rng.choice((6, 13, 20, 27))} juin ?"  # Mondays
                ),
                "overview": lambda: f"what is cancelled on {rng.randrange(1, 28)}/06?",
            }
            print(f"{'command':<12} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
            for name, make in commands.items():
                times: list[float] = []
                for _ in range(args.samples):
                    text = make()
                    incoming = Incoming(
                        platform="shell",
                        room=ROOM,
                        sender=OPERATOR.id,
                        sender_name="Operator",
                        text=text,
                        command_text=text,
                        event_id=uuid.uuid4().hex,
                        sent_at=clock.now(),
                        is_direct=True,
                        addressed=True,
                    )
                    t0 = time.perf_counter()
                    handled = await runtime.dispatcher.handle(incoming)
                    times.append((time.perf_counter() - t0) * 1000)
                    kind = handled.replies[0].facts.get("kind")
                    assert kind in ("decision", "status", "history", "answer"), (text, kind)
                print(
                    f"{name:<12} {len(times):>5} {percentile(times, 50):>8.2f} "
                    f"{percentile(times, 99):>8.2f} {statistics.fmean(times):>8.2f}"
                )
        finally:
            await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
