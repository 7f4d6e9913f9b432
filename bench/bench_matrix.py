"""Round trip on a local Synapse: a user's send -> the bot's reply received (p50/p99).

Measures the real bot (`crisiscell run`, SQLite) answering `!whoami` and a question,
and the floor: a bare matrix-nio echo client with no logic (bench/matrix_echo.py).

    python -m bench.bench_matrix [--n 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nio import AsyncClient, RoomMessageNotice, SyncResponse

from tests.matrix_helpers import BotProcess, Human
from tests.synapse import Synapse, free_port


class Timer:
    """Alice's long-poll sync loop, stamping when each reply to her events arrives."""

    def __init__(self, human: Human) -> None:
        self.client: AsyncClient = human.client
        self.token = human.token
        self.arrived: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Event] = {}

    async def run(self) -> None:
        while True:
            resp = await self.client.sync(timeout=30_000, since=self.token)
            if not isinstance(resp, SyncResponse):
                continue
            self.token = resp.next_batch
            now = time.perf_counter()
            for info in resp.rooms.join.values():
                for e in info.timeline.events:
                    if isinstance(e, RoomMessageNotice):
                        rel = e.source["content"].get("m.relates_to", {})
                        target = rel.get("m.in_reply_to", {}).get("event_id")
                        if target and target not in self.arrived:
                            self.arrived[target] = now
                            self.waiters.setdefault(target, asyncio.Event()).set()

    async def round_trip(self, human: Human, room: str, text: str) -> float:
        t0 = time.perf_counter()
        event_id = await human.send(room, text)
        await asyncio.wait_for(self.waiters.setdefault(event_id, asyncio.Event()).wait(), 30)
        return (self.arrived[event_id] - t0) * 1000


def summary(name: str, times: list[float]) -> float:
    ordered = sorted(times)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"{name:<26} n={len(times):>4}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
        f"mean {statistics.fmean(times):7.1f} ms"
    )
    return p50


def spawn_echo(url: str, user: str, password: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.matrix_echo", url, user, password],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def measure(synapse: Synapse, root: Path, n: int, echo: bool, text: str) -> list[float]:
    bot_id, password = synapse.register("echo" if echo else "crisiscell")
    alice_id, _ = synapse.register("alice")
    alice = await Human(synapse, alice_id, root / f"alice-{bot_id}").login()
    proc: subprocess.Popen[bytes] | None = None
    bot: BotProcess | None = None
    if echo:
        proc = spawn_echo(synapse.url, bot_id, password)
    else:
        bot = BotProcess(root / f"bot-{bot_id}", synapse, bot_id, cell=[alice_id])
        bot.start()
    timer_task: asyncio.Task[None] | None = None
    try:
        room = await alice.create_room([bot_id])
        await alice.wait_for(lambda: alice.member(room, bot_id), within=60)
        timer = Timer(alice)
        timer_task = asyncio.create_task(timer.run())
        for _ in range(5):  # warm up
            await timer.round_trip(alice, room, text)
        return [await timer.round_trip(alice, room, text) for _ in range(n)]
    finally:
        if timer_task:
            timer_task.cancel()
        if proc:
            proc.terminate()
            proc.wait()
        if bot:
            bot.stop()
        await alice.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        synapse = Synapse(Path(tmp) / "synapse", free_port(), database=":memory:")
        synapse.start()
        try:
            echo = await measure(synapse, Path(tmp), args.n, True, "ping")
            whoami = await measure(synapse, Path(tmp), args.n, False, "!whoami")
            question = await measure(
                synapse, Path(tmp), args.n, False, "crisiscell: is radiology open tomorrow?"
            )
        finally:
            synapse.stop()
    print(f"Synapse on loopback, in-memory SQLite; {args.n} messages each after 5 warm-ups")
    floor = summary("echo client (floor)", echo)
    summary("crisiscell !whoami", whoami)
    bot = summary("crisiscell question", question)
    print(f"ratio question/echo at p50: {bot / floor:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
