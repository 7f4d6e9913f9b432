"""The whole SMS flow through real parts: appointments imported from a CSV file, a decision
and a job in chat, approval by a second cell member, then `crisiscell notify worker` as a
real process sending to a loopback fake Twilio API that calls back delivery reports.

The process is SIGKILLed mid-job and restarted: the fake must count exactly one SMS per
patient. Canary numbers seeded in the data must never appear in a chat message or a log.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from adapters.appointments import import_file
from bot.config import parse_settings
from storage import tables as T
from storage.db import Database
from tests.fakes.sms import FakeGateway
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.harness import DEFAULT_CONFIG, Harness
from tests.polling import until
from tests.synapse import free_port

pytestmark = pytest.mark.slow

MARTIN = "@martin:hospital.example"
TZ = ZoneInfo("Europe/Brussels")
# Canaries: fake Belgian mobile numbers that must never leave the database except to the
# gateway and the local CSV report.
CANARIES = ("+32470999901", "+32470999902", "+32470999903")


def phone(n: int) -> str:
    return f"+3247100{n:04d}"


def config(fake_url: str, web_port: int, rate: float) -> str:
    return (
        DEFAULT_CONFIG
        + f"""
[web]
listen = "127.0.0.1:{web_port}"

[notify]
gateway = "twilio"
rate_per_second = {rate}
concurrency = 4
# a killed sender's lease and rows are taken over after 3 s (default 120 s)
stale_after_seconds = 3
lookup_grace_seconds = 0
hospital = "CHR Example"
hotline = "0800 00 000"

[notify.twilio]
account_sid = "{ACCOUNT_SID}"
from_number = "HOSPITAL"
public_url = "http://127.0.0.1:{web_port}"
api_base = "{fake_url}"
"""
    )


def write_csv(path: Path, day: datetime, n: int) -> list[str]:
    """n patients tomorrow (a few landlines), plus the canaries; returns the mobile numbers."""
    lines = ["appointment_id,start,site,service,phone,language"]
    mobiles = []
    for i in range(n):
        start = day.replace(hour=8 + i % 9, minute=(i * 7) % 60)
        lang = ("fr", "nl", "de", "en")[i % 4]
        lines.append(f"C{i},{start:%d/%m/%Y %H:%M},arlon,consultation,{phone(i)},{lang}")
        mobiles.append(phone(i))
    for j, number in enumerate(CANARIES):
        lines.append(f"K{j},{day.replace(hour=12):%d/%m/%Y %H:%M},arlon,consultation,{number},fr")
        mobiles.append(number)
    lines.append(f"L1,{day.replace(hour=9):%d/%m/%Y %H:%M},arlon,consultation,063 21 21 11,fr")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return mobiles


class Worker:
    """`crisiscell notify worker` as a real process (DEBUG logging, to grep it)."""

    def __init__(self, root: Path, config_path: Path, db: str) -> None:
        self.root, self.config_path, self.db = root, config_path, db
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    def start(self, **env: str) -> None:
        path = self.root / f"worker-{len(self.logs)}.log"
        self.logs.append(path)
        log = open(path, "ab")  # noqa: SIM115 - kept open with the process
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "adapters.cli", "-vv", "notify", "worker"),
                *("--config", str(self.config_path), "--db", self.db),
            ],
            env={**os.environ, "CRISISCELL_TWILIO_TOKEN": AUTH_TOKEN, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self) -> str:
        return "".join(p.read_text(encoding="utf-8", errors="replace") for p in self.logs)


async def job_counts(db: Database, no: int = 1) -> dict[str, int]:
    async with db.uow() as uow:
        return await uow.jobs.counts(no)


async def prepare(
    tmp_path: Path, fake: FakeTwilio, n: int, rate: float
) -> tuple[str, Path, list[str]]:
    """Import the CSV, decide, draft and approve in chat. Returns (db url, config, mobiles)."""
    web_port = free_port()
    cfg_text = config(fake.url, web_port, rate)
    cfg = tmp_path / "crisiscell.toml"
    cfg.write_text(cfg_text, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path}/crisiscell.sqlite3"
    now = datetime.now(TZ)
    tomorrow = (now + timedelta(days=1)).replace(second=0, microsecond=0)
    csv_path = tmp_path / "export.csv"
    mobiles = write_csv(csv_path, tomorrow, n)
    h = await Harness.start(url, now=now, config=cfg_text)
    try:
        report = await import_file(
            parse_settings(cfg_text), h.runtime.db, csv_path, None, clock=h.clock
        )
        assert report.rows == n + len(CANARIES) + 1 and not report.rejected
        await h.say("/decide consultations cancelled tomorrow")
        facts = await h.facts("/notify consultations tomorrow")
        assert facts["recipients"] == len(mobiles) and facts["no_mobile"] == 1
        assert (await h.facts("/notify approve 1", user=MARTIN))["state"] == "running"
    finally:
        await h.close()
    return url, cfg, mobiles


async def chat_text(db: Database) -> str:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(T.outbox.c.reply))
        return "\n".join(r.reply for r in rows)


def assert_no_canary(text: str) -> None:
    for number in CANARIES:
        for form in (number, number[1:], number[3:], "0" + number[3:]):
            assert form not in text, f"a canary number ({form[-4:]}) leaked"


async def test_sigkill_mid_job_then_restart_sends_exactly_one_per_patient(
    tmp_path: Path,
) -> None:
    n, rate = 80, 25.0
    async with FakeTwilio() as fake:
        url, cfg, mobiles = await prepare(tmp_path, fake, n, rate)
        db = Database(url)
        worker = Worker(tmp_path, cfg, url)
        try:
            worker.start()
            await fake.wait_accepted(25)
            worker.kill()  # mid-job: some rows may be "sending" with the SMS already out
            killed_after = len(fake.accepted)
            assert killed_after < len(mobiles)
            worker.start()
            await fake.wait_accepted(len(mobiles))
            await fake.callbacks_done()

            async def settled() -> dict[str, int] | None:
                counts = await job_counts(db)
                open_rows = sum(counts.get(s, 0) for s in ("pending", "sending"))
                return counts if open_rows == 0 else None

            counts = await until(settled)
            async with db.uow() as uow:
                job = await uow.jobs.get(1)
            assert job is not None and job.state == "done"
        finally:
            worker.stop()
        # exactly one SMS per patient, every patient accounted for
        per_number = {m: fake.count_to(m) for m in mobiles}
        assert set(per_number.values()) == {1}, {k[-4:]: v for k, v in per_number.items() if v != 1}
        assert len(fake.accepted) == len(mobiles)
        assert counts.get("delivered", 0) + counts.get("submitted", 0) == len(mobiles)
        assert counts.get("uncertain", 0) == 0  # Twilio could be asked about every one
        # the rate limit held, as measured at the gateway (one process at a time sent)
        assert fake.max_in_window(1.0) <= rate + 1
        # patient languages: each message in its patient's language
        bodies = {m.to: m.body for m in fake.accepted}
        assert "annulé" in bodies[phone(0)] and "geannuleerd" in bodies[phone(1)]
        assert "abgesagt" in bodies[phone(2)] and "cancelled" in bodies[phone(3)]
        # canaries: in no chat message (progress, final report) and no log line
        text = await chat_text(db)
        assert "job-final" in text
        assert_no_canary(text)
        assert_no_canary(worker.log_text())
        for m in mobiles:
            assert m not in worker.log_text()
        await db.dispose()


async def test_crash_right_after_gateway_accept_is_reconciled(tmp_path: Path) -> None:
    async with FakeTwilio() as fake:
        url, cfg, mobiles = await prepare(tmp_path, fake, 10, 0)
        db = Database(url)
        worker = Worker(tmp_path, cfg, url)
        try:
            worker.start(CRISISCELL_CRASH_AT="after-gateway-accept")
            assert worker.proc is not None
            assert await asyncio.to_thread(worker.proc.wait, 60) == 137
            accepted = len(fake.accepted)
            assert accepted >= 1
            counts = await job_counts(db)
            assert counts.get("sending", 0) >= 1  # the crash hid the acceptance from us
            worker.start()
            await fake.wait_accepted(len(mobiles))

            async def settled() -> dict[str, int] | None:
                c = await job_counts(db)
                return c if not (c.get("pending") or c.get("sending")) else None

            counts = await until(settled)
        finally:
            worker.stop()
        assert {fake.count_to(m) for m in mobiles} == {1}
        assert counts.get("uncertain", 0) == 0
        await db.dispose()


async def test_report_csv_lists_who_to_phone_locally(tmp_path: Path) -> None:
    async with FakeTwilio() as fake:
        url, cfg, _ = await prepare(tmp_path, fake, 4, 0)
        fake.invalid.add(phone(1))
        worker = Worker(tmp_path, cfg, url)
        db = Database(url)
        try:
            worker.start()
            await until(lambda: _done(db))
        finally:
            worker.stop()
        out = tmp_path / "to-call.csv"
        done = await asyncio.to_thread(
            subprocess.run,
            [
                *(sys.executable, "-m", "adapters.cli", "notify", "report", "1", "--csv"),
                *("--out", str(out), "--config", str(cfg), "--db", url),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert phone(1) not in done.stdout  # the terminal only gets the count
        assert oct(out.stat().st_mode & 0o777) == "0o600"
        rows = out.read_text(encoding="utf-8").splitlines()
        assert rows[0].startswith("job,reason,appointment_id")
        reasons = sorted(r.split(",")[1] for r in rows[1:])
        assert reasons == ["failed", "no-mobile (landline)"]
        assert any(phone(1) in r for r in rows)
        summary = await asyncio.to_thread(
            subprocess.run,
            [
                *(sys.executable, "-m", "adapters.cli", "notify", "report", "1"),
                *("--config", str(cfg), "--db", url),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "2 appointments to phone" in summary.stdout
        assert "+32" not in summary.stdout
        await db.dispose()


async def _done(db: Database) -> bool:
    async with db.uow() as uow:
        job = await uow.jobs.get(1)
    return job is not None and job.state == "done"


@pytest.mark.postgres
async def test_two_senders_on_postgresql_never_send_twice(pg_url: str) -> None:
    from bot.jobs.sending import SendOptions, SmsSender
    from tests.bot.test_notify import appt, seed

    start = datetime.fromisoformat("2022-05-15T07:00:00+02:00")
    h = await Harness.start(pg_url, now=start)
    second = Database(pg_url)  # another process's connections
    try:
        await seed(h, [appt(f"P{i}", phone(500 + i)) for i in range(300)])
        await h.say("/decide consultations cancelled monday")
        await h.say("/notify consultations monday")
        await h.say("/notify approve 1", user=MARTIN)
        gw = FakeGateway()

        def make(uow_factory: Any, name: str) -> SmsSender:
            return SmsSender(
                uow_factory,
                h.clock,
                gw,
                catalog=h.runtime.catalog,
                notify=h.runtime.dispatcher.notify,
                options=SendOptions(rate_per_second=0, batch=25, exclusive=False),
                worker=name,
            )

        a, b = make(h.runtime.db.uow, "a"), make(second.uow, "b")
        await asyncio.gather(a.run_until_idle(), b.run_until_idle())
        assert len(gw.accepted) == 300
        assert set(gw.per_number().values()) == {1}
        assert a.sent > 0 and b.sent > 0  # both really worked on the job
        assert a.sent + b.sent == 300
        counts = await job_counts(h.runtime.db)
        assert counts == {"submitted": 300}
        async with h.runtime.db.engine.connect() as conn:
            claimed = await conn.execute(
                select(T.sms.c.claimed_by, T.sms.c.attempts).where(T.sms.c.job_no == 1)
            )
            rows = list(claimed)
        assert {r.claimed_by for r in rows} == {"a", "b"}
        assert {r.attempts for r in rows} == {1}
    finally:
        await second.dispose()
        await h.close()


async def test_smpp_job_receipts_stop_and_uncertain(sqlite_url: str) -> None:
    """A job sent over SMPP (smpplib in a worker thread) to the smpp34 simulator: receipts
    mark messages delivered or failed; a message whose answer was lost cannot be asked
    about over SMPP, so it is left uncertain (to phone), never sent twice."""
    from adapters.sms.smpp import SmppGateway
    from bot.config import SmppSettings
    from bot.jobs.sending import ReceiptHandler, SendOptions, SmsSender
    from tests.bot.test_notify import appt, seed
    from tests.fakes.smpp import SmppSimulator

    start = datetime.fromisoformat("2022-05-15T07:00:00+02:00")
    h = await Harness.start(sqlite_url, now=start)
    numbers = [phone(700 + i) for i in range(8)]
    try:
        await seed(h, [appt(f"S{i}", n, lang="nl") for i, n in enumerate(numbers)])
        await h.say("/decide consultations cancelled monday")
        await h.say("/notify consultations monday")
        await h.say("/notify approve 1", user=MARTIN)
        async with SmppSimulator() as sim:
            sim.undeliverable.add(numbers[1])
            sim.drop_after_accept.add(numbers[2])
            settings = SmppSettings(
                port=sim.port, system_id=sim.system_id, source_addr="HOSPITAL", timeout_seconds=5
            )
            gateway = SmppGateway(settings, sim.password)
            receipts = ReceiptHandler(h.runtime.db.uow, h.clock)
            sender = SmsSender(
                h.runtime.db.uow,
                h.clock,
                gateway,
                catalog=h.runtime.catalog,
                notify=h.runtime.dispatcher.notify,
                options=SendOptions(rate_per_second=0, batch=4, concurrency=1),
                worker="smpp-test",
                receipts=receipts,
            )
            await gateway.start(receipts)
            try:
                await sender.run_until_idle()
                await gateway.wait_bound()  # the dropped connection is re-established
                h.clock.advance(60)  # refusals while it was down are retried after a backoff
                await sender.run_until_idle()
                await sim.receipts_done()
                assert await sender.reconcile(everything=True) == 1
                await sim.send_mo(numbers[3], "STOP")
            finally:
                await gateway.close()
        # the dropped one got its first part (a fragment) and nothing more: uncertain
        dropped = numbers[2]
        assert [p.destination for p in sim.parts].count(dropped) == 1
        assert {sim.count_to(n) for n in numbers if n != dropped} == {1}
        assert "geannuleerd" in sim.messages_to(numbers[0])[0].text
        counts = await job_counts(h.runtime.db)
        assert counts == {"delivered": 6, "failed": 1, "uncertain": 1}
        async with h.runtime.db.uow() as uow:
            assert await uow.suppressions.among([numbers[3]]) == {numbers[3]}
        status = await h.facts("/notify status 1")
        assert status["state"] == "done" and status["to_call"] == 2
    finally:
        await h.close()
