"""Per-appointment exceptions: a doctor keeps an appointment ("maintained") or moves it
("postponed") whatever the service decision says. Marks are ledger entries (who, when,
why); the latest mark of an appointment is what jobs and counts use.

A maintained appointment never gets a cancellation SMS; if its patient already got one,
the cell is offered a correction ("your appointment is maintained after all").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.model import Actor
from bot.notify import MESSAGED

if TYPE_CHECKING:
    from bot.ports import UnitOfWork

MARK_OUTCOMES = ("maintained", "postponed")


@dataclass(frozen=True)
class Mark:
    appointment_id: str
    outcome: str  # maintained | postponed
    note: str
    seq: int
    at: datetime
    actor_id: str


class MarkRepository(Protocol):
    async def put(self, mark: Mark) -> None: ...

    async def of(self, ids: Sequence[str]) -> dict[str, Mark]: ...

    async def counts(
        self, *, day: object, service: str | None = None
    ) -> list[tuple[str, str, str, int]]:
        """(service, site, outcome, count) of the marked appointments of a day."""


@dataclass(frozen=True)
class Marked:
    marked: tuple[str, ...]
    unknown: tuple[str, ...]
    messaged: dict[int, int]  # job -> how many of these patients it already messaged


async def mark_appointments(
    uow: UnitOfWork,
    *,
    actor: Actor,
    ids: Sequence[str],
    outcome: str,
    note: str,
    at: datetime,
) -> Marked:
    if outcome not in MARK_OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    wanted = list(dict.fromkeys(ids))
    known = {a.id: a for a in await uow.appointments.get_many(wanted)}
    marked = [i for i in wanted if i in known]
    await uow.ledger.lock()
    for ident in marked:
        a = known[ident]
        entry = await uow.ledger.append(
            type="appointment-mark",
            actor=actor,
            at=at,
            payload={
                "appointment": ident,
                "outcome": outcome,
                "note": note,
                "day": a.day.isoformat(),
            },
            service=a.service,
            site=a.site,
        )
        await uow.marks.put(Mark(ident, outcome, note, entry.seq, entry.at, actor.id))
    messaged: dict[int, int] = {}
    if outcome == "maintained" and marked:
        for m in await uow.jobs.messages_about(marked, states=MESSAGED):
            if m.kind in ("cancelled", "contact"):
                messaged[m.job_no] = messaged.get(m.job_no, 0) + 1
    return Marked(tuple(marked), tuple(i for i in wanted if i not in known), messaged)
