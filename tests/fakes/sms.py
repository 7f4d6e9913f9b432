"""An SMS gateway that records what it is given (the core's sender tests).

Programmable like a provider: numbers that are invalid or opted out, a number of
transient refusals, numbers whose submission "times out" after being accepted, and
whether the provider can be asked about a message (``can_lookup``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

from bot.jobs.sms import GatewayError, Lookup, OutgoingSms, Receipt, ReceiptSink, UnknownOutcome


class FakeGateway:
    name = "fake"

    def __init__(self, *, can_lookup: bool = True) -> None:
        self.can_lookup = can_lookup
        self.accepted: list[OutgoingSms] = []
        self.ids: dict[str, str] = {}  # key -> provider id
        self.invalid: set[str] = set()
        self.opted_out: set[str] = set()
        self.transient_next = 0
        self.timeout_after_accept: set[str] = set()
        self.sink: ReceiptSink | None = None
        self.started = asyncio.Event()
        self.closed = False

    async def start(self, sink: ReceiptSink) -> None:
        self.sink = sink
        self.started.set()

    async def submit(self, msg: OutgoingSms) -> str:
        await asyncio.sleep(0)  # a real gateway yields to the loop
        if self.transient_next > 0:
            self.transient_next -= 1
            raise GatewayError("transient", "fake-429", "slow down")
        if msg.to in self.invalid:
            raise GatewayError("invalid", "fake-invalid")
        if msg.to in self.opted_out:
            raise GatewayError("opted-out", "fake-stop")
        ident = f"F{len(self.accepted) + 1}"
        self.accepted.append(msg)
        self.ids[msg.key] = ident
        if msg.to in self.timeout_after_accept:
            raise UnknownOutcome("timed out after sending")
        return ident

    async def lookup(self, msg: OutgoingSms, *, since: datetime) -> Lookup | None:
        if not self.can_lookup:
            return None
        ident = self.ids.get(msg.key)
        return Lookup(True, ident, "submitted") if ident else Lookup(False)

    async def close(self) -> None:
        self.closed = True

    def count_to(self, number: str) -> int:
        return sum(1 for m in self.accepted if m.to == number)

    def per_number(self) -> Counter[str]:
        return Counter(m.to for m in self.accepted)

    async def report(
        self, key: str, state: str, code: str | None = None, stop: bool = False
    ) -> None:
        assert self.sink is not None
        await self.sink.receipt(
            Receipt(self.name, self.ids[key], state, code, opted_out=stop)  # type: ignore[arg-type]
        )
