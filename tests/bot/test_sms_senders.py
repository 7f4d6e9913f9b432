""" "SMS leave now" only when a sender sends: the approval says who sends, from the senders'
leases (this process, another one renewing its lease, PostgreSQL workers included), and a
lease whose holder released it or died on this host is no lease at all."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.terminal.render import render_text
from bot.jobs.sending import SendOptions, SmsSender
from bot.runtime.lease import SMS_LEASE_KEY, Lease, LeaseKeeper, pid_namespace
from tests.bot.test_notify import MARTIN, MONDAY_LIST, draft, seed
from tests.conftest import START
from tests.fakes.sms import FakeGateway
from tests.harness import Harness


@pytest.fixture
async def h(sqlite_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(sqlite_url, now=START)
    await seed(harness, MONDAY_LIST)
    try:
        yield harness
    finally:
        await harness.close()


def live_sender(h: Harness, *, exclusive: bool = True, worker: str = "here:1") -> SmsSender:
    """A sender as `crisiscell run` or the shell starts one: on real time (its lease)."""
    return SmsSender(
        h.runtime.db.uow,
        h.runtime.wall_clock,
        FakeGateway(),
        catalog=h.runtime.catalog,
        notify=h.runtime.dispatcher.notify,
        options=SendOptions(rate_per_second=0, exclusive=exclusive),
        worker=worker,
    )


async def approve(h: Harness) -> tuple[str, dict[str, object]]:
    (reply,) = await h.say("/notify approve 1", user=MARTIN)
    return render_text(reply), reply.facts


async def put_lease(h: Harness, key: str, lease: Lease) -> None:
    async with h.runtime.db.uow() as uow:
        await uow.state.put(key, lease.to_json())
        await uow.commit()


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped) on this host."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


async def test_no_sender_no_leave_now(h: Harness) -> None:
    await draft(h)
    text, facts = await approve(h)
    assert facts["sending"] == "no-sender"
    assert "going out now" not in text
    assert "4 SMS are queued, but no SMS sender is running on this database" in text


async def test_a_running_sender_then_a_clean_stop(h: Harness) -> None:
    sender = live_sender(h)
    task = asyncio.create_task(sender.run())
    try:
        await sender.checked.wait()
        await draft(h)
        text, facts = await approve(h)
        assert facts["sending"] == "now"
        assert "4 SMS are going out now" in text
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    # stopped cleanly: the lease is released, nobody is said to send
    async with h.runtime.db.reader() as uow:
        assert await uow.state.get(SMS_LEASE_KEY) == ""
    await h.say("/notify consultations monday at arlon")  # job 2
    (reply,) = await h.say("/notify approve 2", user=MARTIN)
    assert reply.facts["sending"] == "no-sender"


async def test_a_silent_holder_is_named_not_promised(h: Harness) -> None:
    now = h.runtime.wall_clock.now()
    await put_lease(
        h,
        SMS_LEASE_KEY,
        Lease(
            "laptop-2:4242",
            "laptop-2",
            4242,
            since=now - timedelta(minutes=20),
            expires=now + timedelta(seconds=60),
            renewed=now - timedelta(seconds=60),  # a 120 s lease, half of it silent
        ),
    )
    await draft(h)
    text, facts = await approve(h)
    assert facts["sending"] == "stale"
    assert "going out now" not in text
    assert "waiting for the SMS sender that holds the lease (laptop-2, pid 4242, since" in text
    assert "when its lease ends" in text


async def test_a_holder_dead_on_this_host_is_gone_at_once(h: Harness) -> None:
    now = h.runtime.wall_clock.now()
    pid = dead_pid()
    here = socket.gethostname()
    ns = pid_namespace()
    lease = Lease(
        f"{here}:{pid}", here, pid, since=now, expires=now + timedelta(minutes=2), pidns=ns
    )
    assert not lease.live(now)
    # the same hostname in another pid namespace (a second container): only expiry tells
    assert replace(lease, pidns="pid:[another]").live(now)
    assert replace(lease, pidns=None).live(now)
    await put_lease(h, SMS_LEASE_KEY, lease)
    await draft(h)
    _, facts = await approve(h)
    assert facts["sending"] == "no-sender"
    keeper = LeaseKeeper(
        h.runtime.db.uow,
        h.runtime.wall_clock,
        holder="new",
        host=here,
        pid=1,
        key=SMS_LEASE_KEY,
    )
    assert (await keeper.try_acquire())[0]  # no waiting for the two minutes


@pytest.mark.postgres
async def test_postgresql_workers_say_they_are_alive(pg_url: str) -> None:
    h = await Harness.start(pg_url, now=START)
    try:
        await seed(h, MONDAY_LIST)
        workers = [live_sender(h, exclusive=False, worker=f"worker-{i}:{i}") for i in (1, 2)]
        tasks = [asyncio.create_task(w.run()) for w in workers]
        try:
            for w in workers:
                await w.checked.wait()
            async with h.runtime.db.reader() as uow:
                keys = set(await uow.state.with_prefix(SMS_LEASE_KEY))
            assert keys == {f"{SMS_LEASE_KEY}:worker-1:1", f"{SMS_LEASE_KEY}:worker-2:2"}
            await draft(h)
            _, facts = await approve(h)
            assert facts["sending"] == "now"
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        async with h.runtime.db.reader() as uow:
            leases = await uow.state.with_prefix(SMS_LEASE_KEY)
        assert set(leases.values()) == {""}  # both released
        # a new worker forgets the leases of workers that stopped
        again = live_sender(h, exclusive=False, worker="worker-3:3")
        task = asyncio.create_task(again.run())
        try:
            await again.checked.wait()
            async with h.runtime.db.reader() as uow:
                keys = set(await uow.state.with_prefix(SMS_LEASE_KEY))
            assert keys == {f"{SMS_LEASE_KEY}:worker-3:3"}
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await h.close()
