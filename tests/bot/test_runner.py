"""One way to end a unit of work, whoever starts it (bot.runtime.runner): domain events reach
their subscribers from chat, the web page, the CLI and timers alike, and a unit of work
refuses to commit with events whose subscribers never ran."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from bot.jobs.notify import JobStateChanged
from bot.ports import UnitOfWork
from storage.db import UndrainedEvents
from tests.bot.test_calls import CONFIG, CONSULTATIONS, SURGERY
from tests.bot.test_notify import START, outbox_replies, seed
from tests.fakes.sms import FakeGateway
from tests.harness import Harness

MARTIN = "@martin:hospital.example"


@pytest.fixture
async def h(sqlite_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(sqlite_url, now=START, config=CONFIG)
    await seed(harness, CONSULTATIONS + SURGERY)
    await harness.say("/decide surgery case-by-case monday")
    try:
        yield harness
    finally:
        await harness.close()


async def test_a_commit_with_undrained_events_is_refused(h: Harness) -> None:
    async with h.runtime.db.uow() as uow:
        await uow.state.put("probe", "written")
        uow.events.append(object())
        with pytest.raises(UndrainedEvents, match="not drained"):
            await uow.commit()
    async with h.runtime.db.reader() as uow:
        assert await uow.state.get("probe") is None  # rolled back


async def test_the_sms_senders_events_reach_their_subscribers(h: Harness) -> None:
    seen: list[tuple[int, str, str]] = []

    async def watch(_uow: UnitOfWork, event: JobStateChanged) -> None:
        seen.append((event.job.no, event.previous, event.job.state))

    h.runtime.dispatcher.runner.bus.subscribe(JobStateChanged, watch)
    job = await h.facts("/notify surgery monday")
    await h.say(f"/notify approve {job['job']}", user=MARTIN)
    assert seen == [(1, "draft", "running")]  # from chat, as before
    from bot.jobs.sending import SendOptions, SmsSender

    sender = SmsSender(
        h.runtime.db.uow,
        h.clock,
        FakeGateway(),
        catalog=h.runtime.catalog,
        notify=h.runtime.dispatcher.notify,
        options=SendOptions(rate_per_second=0),
        worker="test",
        runner=h.runtime.dispatcher.runner,
    )
    await sender.gateway.start(sender.receipts)
    await sender.run_until_idle()
    assert seen[-1] == (1, "running", "done")  # raised by the sender, drained there


async def test_a_call_outcome_from_the_cli_is_announced_like_one_from_chat(
    h: Harness,
) -> None:
    await h.say("/calls surgery monday", room="surgery-desk")
    job = await h.facts("/notify surgery monday")
    await h.say(f"/notify approve {job['job']}", user=MARTIN)
    from tests.bot.test_notify import sender

    await sender(h, FakeGateway()).run_until_idle()  # S1 was told "you will be called"
    args = ["calls", "outcome", "S1", "maintained", "--as", "desk1", "--db", h.runtime.db.url]
    recorded = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "adapters.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert recorded.returncode == 0, recorded.stderr
    assert f"already got a cancellation SMS (job {job['job']})" in recorded.stdout
    offers = [
        (r["room"], r["facts"])
        for r in await outbox_replies(h)
        if r["facts"]["kind"] == "call-offer"
    ]
    assert offers == [
        (
            "shell:surgery-desk",
            {"kind": "call-offer", "offer": [f"/notify correct {job['job']}"]},
        )
    ]
    # in chat, in the call list's own room, the reply says it: no second announcement
    await h.say("/call S2 maintained", room="surgery-desk")
    assert len([r for r in await outbox_replies(h) if r["facts"]["kind"] == "call-offer"]) == 1
