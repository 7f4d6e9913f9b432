"""Burst N Teams activities (status questions) at /api/messages from a loopback client.

Everything real but Microsoft: the SDK validates each token against a loopback key
server, the bot records and answers through SQLite, the replies reach a fake Bot
Connector. Prints throughput and p50/p99 from the POST to the reply's arrival.

    python -m bench.bench_teams [--n 500] [--conversations 100] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.adapters.test_teams import CONFIG, start_bot
from tests.conftest import START
from tests.harness import Harness
from tests.teams_fakes import FakeConnector, KeyServer, channel_message


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    keys = await KeyServer().start()
    connector = await FakeConnector().start()
    arrived = connector.arrivals
    with tempfile.TemporaryDirectory() as tmp, keys.installed():
        bot = await Harness.start(
            f"sqlite+aiosqlite:///{Path(tmp) / 'b.sqlite3'}", now=START, config=CONFIG
        )
        await bot.say("/decide radiology cancelled tomorrow : bench")
        adapter, web, sender = await start_bot(bot)
        sender_task = asyncio.create_task(sender.run())
        endpoint = f"http://127.0.0.1:{web.port}/api/messages"
        token = keys.token(connector.url)
        sent: dict[str, float] = {}
        gate = asyncio.Semaphore(args.concurrency)
        async with aiohttp.ClientSession() as http:

            async def one(i: int) -> None:
                activity = channel_message(
                    connector.url,
                    "is radiology open tomorrow?",
                    activity_id=f"act-{i}",
                    conversation=f"19:conv{i % args.conversations}@thread.tacv2",
                )
                async with gate:
                    sent[activity["id"]] = time.perf_counter()
                    async with http.post(
                        endpoint, json=activity, headers={"Authorization": f"Bearer {token}"}
                    ) as r:
                        assert r.status == 200, r.status

            t0 = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(args.n)))
            accepted = time.perf_counter() - t0
            while len(arrived) < args.n:
                connector.arrived.clear()
                try:
                    await asyncio.wait_for(connector.arrived.wait(), 60)
                except TimeoutError:
                    raise SystemExit(f"only {len(arrived)} of {args.n} replies arrived") from None
            total = max(arrived.values()) - t0
        lat = sorted((arrived[k] - sent[k]) * 1000 for k in sent)
        print(
            f"{args.n} activities, {args.conversations} conversations, "
            f"{args.concurrency} concurrent POSTs"
        )
        print(f"all accepted (200) in {accepted:.2f} s: {args.n / accepted:.0f} activities/s")
        print(f"all replies at the connector in {total:.2f} s: {args.n / total:.0f} replies/s")
        print(
            f"POST -> reply at connector: p50 {lat[len(lat) // 2]:.1f} ms, "
            f"p99 {lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]:.1f} ms, "
            f"mean {statistics.fmean(lat):.1f} ms"
        )
        sender_task.cancel()
        await web.stop()
        await adapter.close()
        await bot.close()
    await connector.server.stop()
    await keys.server.stop()


if __name__ == "__main__":
    asyncio.run(main())
