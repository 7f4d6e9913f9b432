"""The outbox sender: leftovers are delivered, failures retried with backoff, never twice."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from bot.runtime.outbox import OutboxSender
from tests.fakes.chat import RecordingChat
from tests.harness import Harness


async def test_in_turn_delivery_and_sweep_deliver_each_reply_once(bot: Harness) -> None:
    chat = RecordingChat()
    sender = OutboxSender(bot.runtime.db.uow, bot.clock, {"shell": chat})
    first = await bot.send("/decide radiology cancelled monday")
    second = await bot.send("/status monday radiology")  # committed, never shown in turn
    await sender.deliver_in_turn(first.items)
    assert [i.key for i in chat.sent] == [first.items[0].key]
    assert await sender.sweep() == 1
    assert [i.key for i in chat.sent] == [first.items[0].key, second.items[0].key]
    assert await sender.sweep() == 0


async def test_failed_delivery_is_retried_after_backoff(bot: Harness) -> None:
    chat = RecordingChat()
    chat.fail_next = 2
    sender = OutboxSender(bot.runtime.db.uow, bot.clock, {"shell": chat})
    handled = await bot.send("/whoami")
    await sender.deliver_in_turn(handled.items)  # fails: retry in 2 s
    assert chat.sent == []
    assert await sender.sweep() == 0  # not due yet
    bot.clock.advance(2)
    assert await sender.sweep() == 0  # fails again: retry in 4 s
    bot.clock.advance(3)
    assert await sender.sweep() == 0
    bot.clock.advance(1)
    assert await sender.sweep() == 1
    assert [i.key for i in chat.sent] == [handled.items[0].key]


async def test_run_is_woken_by_wake(bot: Harness) -> None:
    chat = RecordingChat()
    sender = OutboxSender(bot.runtime.db.uow, bot.clock, {"shell": chat})
    task = asyncio.create_task(sender.run())
    try:
        await bot.send("/whoami")
        sender.wake()
        await asyncio.wait_for(chat.arrived.wait(), 10)  # woken, not polled
        assert len(chat.sent) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_gives_up_after_max_attempts(bot: Harness) -> None:
    chat = RecordingChat()
    chat.fail_next = 99
    sender = OutboxSender(bot.runtime.db.uow, bot.clock, {"shell": chat}, max_attempts=2)
    handled = await bot.send("/whoami")
    await sender.deliver_in_turn(handled.items)
    bot.clock.advance(timedelta(minutes=10).total_seconds())
    await sender.sweep()
    bot.clock.advance(timedelta(minutes=10).total_seconds())
    assert await sender.sweep() == 0
    async with bot.runtime.db.uow() as uow:
        assert await uow.outbox.next_due(platform="shell") is None  # dead-lettered
