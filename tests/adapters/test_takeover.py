"""One active process, a standby that takes over: two real `crisiscell run` processes on
one PostgreSQL database and the test Synapse. The active one is SIGKILLed in the middle of
an SMS job while commands arrive; the standby finishes the job with every patient
messaged exactly once, and every command is answered once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from adapters.status_cli import status_lines
from bot.runtime.lease import LeaseKeeper
from storage.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.harness import Harness
from tests.matrix_helpers import BotProcess, Human
from tests.polling import until
from tests.synapse import Synapse

TZ = ZoneInfo("Europe/Brussels")
MARTIN = "@martin:hospital.example"


async def test_lease_one_holder_then_takeover(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    clock = FakeClock(datetime(2022, 5, 15, 9, 0, tzinfo=TZ))
    ttl = timedelta(seconds=30)
    a = LeaseKeeper(db.uow, clock, holder="a", host="host-a", pid=1, ttl=ttl)
    b = LeaseKeeper(db.uow, clock, holder="b", host="host-b", pid=2, ttl=ttl)
    try:
        assert (await a.try_acquire())[0]
        ok, other = await b.try_acquire()
        assert not ok and other is not None and other.host == "host-a"  # standby
        clock.advance(20)
        assert (await a.try_acquire())[0]  # renewed
        clock.advance(20)
        assert not (await b.try_acquire())[0]  # still within a's renewal
        clock.advance(31)  # a stopped renewing (killed)
        assert (await b.try_acquire())[0]
        assert not (await a.try_acquire())[0]  # a, back, finds b active: it must stop
        code, lines = await status_lines(db, now=clock.now(), lag_limit=timedelta(minutes=5))
        assert code == 0 and "active process: host-b, pid 2" in "\n".join(lines)
        await b.release()
        code, lines = await status_lines(db, now=clock.now(), lag_limit=timedelta(minutes=5))
        assert code == 1 and "no active bot process" in lines[-1]
    finally:
        await db.dispose()


def phone(n: int) -> str:
    return f"+3247300{n:04d}"


@pytest.mark.slow
@pytest.mark.matrix
@pytest.mark.postgres
async def test_standby_takes_over_after_sigkill(
    synapse: Synapse, pg_url: str, tmp_path: Path
) -> None:
    n = 60
    async with FakeTwilio() as fake:
        extra = f"""
[notify]
gateway = "twilio"
rate_per_second = 20
stale_after_seconds = 3
lookup_grace_seconds = 0

[notify.twilio]
account_sid = "{ACCOUNT_SID}"
from_number = "HOSPITAL"
api_base = "{fake.url}"
"""
        # the job, drafted and approved in chat beforehand, on the shared database
        now = datetime.now(TZ)
        tomorrow = (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        h = await Harness.start(pg_url, now=now)
        try:
            from bot.jobs.appointments import Appointment

            async with h.runtime.db.uow() as uow:
                await uow.appointments.upsert(
                    [
                        Appointment(
                            f"T{i}",
                            tomorrow,
                            tomorrow.date(),
                            "arlon",
                            "consultations",
                            phone(i),
                            "mobile",
                            "fr",
                        )
                        for i in range(n)
                    ],
                    at=now,
                )
                await uow.commit()
            await h.say("/decide consultations cancelled tomorrow")
            assert (await h.facts("/notify consultations tomorrow"))["recipients"] == n
            assert (await h.facts("/notify approve 1", user=MARTIN))["state"] == "running"
        finally:
            await h.close()

        bot_id, _ = synapse.register("crisiscell-ha")
        alice_id, _ = synapse.register("alice-ha")
        root = tmp_path / "bot"
        env_token = {"CRISISCELL_TWILIO_TOKEN": AUTH_TOKEN}
        a = BotProcess(
            root, synapse, bot_id, [alice_id], db_url=pg_url, extra_config=extra, log_name="a.log"
        )
        a.env.update(env_token)
        a.start()
        alice = await Human(synapse, alice_id, tmp_path / "alice").login()
        b: BotProcess | None = None
        try:

            async def healthy(port: int) -> bool:
                try:
                    async with (
                        aiohttp.ClientSession() as s,
                        s.get(f"http://127.0.0.1:{port}/healthz") as r,
                    ):
                        return r.status == 200
                except aiohttp.ClientError:
                    return False

            await until(lambda: healthy(a.web_port), within=90, what="the first bot")
            b = BotProcess(
                root,
                synapse,
                bot_id,
                [alice_id],
                db_url=pg_url,
                extra_config=extra,
                log_name="b.log",
            )
            b.env.update(env_token)
            b.start()  # the standby: it waits for the lease
            room = await alice.create_room([])
            await alice.invite(room, bot_id)
            await alice.wait_for(lambda: alice.member(room, bot_id))
            before = await alice.send(room, "!status tomorrow consultations")
            assert (await alice.reply(before))["body"]
            await fake.wait_accepted(15)

            async def standing_by() -> bool:
                assert b is not None
                return "standby: another process is active" in b.log()

            await until(standing_by, within=60, what="the second bot to stand by")
            assert not await healthy(b.web_port)  # b is still standing by
            a.kill()  # mid-job, mid-conversation: its pid is dead, b takes over at once
            killed_at = len(fake.accepted)
            during = [
                await alice.send(room, f"!status tomorrow consultations #{i}") for i in range(3)
            ]
            await fake.wait_accepted(n, within=120)
            for evt in during:
                await alice.reply(evt)
            await alice.reply(await alice.send(room, "!whoami"))  # let any duplicate arrive
            await alice.sync()
        finally:
            a.stop()
            if b is not None:
                b.stop()
            await alice.close()
        assert killed_at < n
        assert {fake.count_to(phone(i)) for i in range(n)} == {1}
        for evt in [before, *during]:
            assert len(alice.replies_to(evt)) == 1, evt
        assert "standby: another process is active" in b.log()
        assert "lease taken over" in b.log()
