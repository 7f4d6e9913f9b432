"""Domain events, raised inside the unit of work and handled there by subscribers.

A feature that reacts to another (alerts on a decision, correction jobs, the board)
subscribes here instead of patching the other feature's handler.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.model import Actor, Decision
from bot.ports import UnitOfWork


@dataclass(frozen=True)
class DecisionRecorded:
    decision: Decision


@dataclass(frozen=True)
class DecisionRevoked:
    decision: Decision
    revocation_seq: int
    reason: str
    actor: Actor


Subscriber = Callable[[UnitOfWork, Any], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._subs: dict[type, list[Subscriber]] = defaultdict(list)

    def subscribe(self, event_type: type, handler: Subscriber) -> None:
        self._subs[event_type].append(handler)

    async def drain(self, uow: UnitOfWork, *, max_rounds: int = 10) -> int:
        """Run subscribers for every pending event (and the events they raise)."""
        handled = 0
        for _ in range(max_rounds):
            if not uow.events:
                return handled
            pending, uow.events[:] = list(uow.events), []
            for event in pending:
                for handler in self._subs.get(type(event), []):
                    await handler(uow, event)
                handled += 1
        raise RuntimeError("domain events keep raising events: a subscriber loop?")
