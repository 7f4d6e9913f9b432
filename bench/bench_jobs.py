"""Notification jobs at hospital-group scale: build a job over N appointments (the /notify
dry run, one unit of work), then dispatch its messages to a loopback fake Twilio API
with the rate limit off.

    python -m bench.bench_jobs [--appointments 50000] [--db URL] [--concurrency 32]

The appointments are made up (fake Belgian mobile numbers, no real patient); the
database is a temporary SQLite file unless --db names another (e.g. PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import datetime, timedelta

from adapters.sms.twilio import TwilioGateway
from bot.config import TwilioSettings
from bot.jobs.appointments import Appointment
from bot.jobs.sending import SendOptions, SmsSender
from bot.jobs.sms import SmsGateway
from bot.model import LANGS
from tests.fakes.sms import FakeGateway
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.harness import Harness

START = datetime.fromisoformat("2022-05-15T07:00:00+02:00")
SITES = ("arlon", "bastogne", "libramont", "marche", "virton")


def appointments(n: int) -> list[Appointment]:
    monday = START + timedelta(days=1)
    out = []
    for i in range(n):
        start = monday.replace(hour=8 + i % 10, minute=(i * 7) % 60)
        out.append(
            Appointment(
                f"B{i}",
                start,
                start.date(),
                SITES[i % len(SITES)],
                "consultations",
                f"+3247{i:07d}",
                "mobile",
                LANGS[i % 4],
            )
        )
    return out


async def main(n: int, url: str | None, concurrency: int, in_memory: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        h = await Harness.start(db_url, now=START)
        try:
            rows = appointments(n)
            async with h.runtime.db.uow() as uow:
                for i in range(0, n, 5000):
                    await uow.appointments.upsert(rows[i : i + 5000], at=START)
                await uow.commit()
            await h.say("/decide consultations cancelled monday")
            t0 = time.perf_counter()
            facts = await h.facts("/notify consultations monday")
            build = time.perf_counter() - t0
            assert facts["recipients"] == n, facts
            await h.say("/notify approve 1", user="@martin:hospital.example")
            print(f"build a job over {n} appointments: {build:.2f} s (one /notify command)")

            async with FakeTwilio() as fake:
                fake.auto_callbacks = False  # measure sending, not the callbacks
                settings = TwilioSettings(
                    account_sid=ACCOUNT_SID, from_number="HOSPITAL", api_base=fake.url
                )
                gateway: SmsGateway = (
                    FakeGateway() if in_memory else TwilioGateway(settings, AUTH_TOKEN)
                )
                sender = SmsSender(
                    h.runtime.db.uow,
                    h.clock,
                    gateway,
                    catalog=h.runtime.catalog,
                    notify=h.runtime.dispatcher.notify,
                    options=SendOptions(rate_per_second=0, concurrency=concurrency, batch=500),
                    worker="bench",
                )
                await sender.gateway.start(sender.receipts)
                t0 = time.perf_counter()
                await sender.run_until_idle()
                took = time.perf_counter() - t0
                await sender.gateway.close()
                where = (
                    "an in-process recording gateway" if in_memory else "the loopback fake Twilio"
                )
                assert len(fake.accepted if not in_memory else gateway.accepted) == n  # type: ignore[attr-defined]
                print(
                    f"dispatch {n} messages to {where} (rate limit off, "
                    f"concurrency {concurrency}): {took:.1f} s, {n / took:.0f} messages/s"
                )
            status = await h.facts("/notify status 1")
            print(f"job state: {status['state']}, counts {status['counts']}")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak memory (whole process): {peak:.0f} MiB")
        finally:
            await h.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--appointments", type=int, default=50000)
    p.add_argument("--db", default=None, help="database URL (default: a temporary SQLite)")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument(
        "--in-memory",
        action="store_true",
        help="send to a recording gateway in this process (the sender's own ceiling)",
    )
    a = p.parse_args()
    asyncio.run(main(a.appointments, a.db, a.concurrency, a.in_memory))
