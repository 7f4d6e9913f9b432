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
from typing import TYPE_CHECKING

from bot.i18n import N_, t
from bot.jobs.appointments import redact_phones
from bot.jobs.notify import MESSAGED
from bot.jobs.states import SmsState
from bot.model import Actor, Lang

if TYPE_CHECKING:
    from bot.ports import UnitOfWork

MARK_OUTCOMES = ("maintained", "postponed")
OUTCOME_NAMES = {
    "maintained": N_("marks.outcome.maintained"),
    "postponed": N_("marks.outcome.postponed"),
}


def outcome_name(outcome: str, lang: Lang) -> str:
    return t(lang, OUTCOME_NAMES[outcome])


@dataclass(frozen=True)
class Mark:
    appointment_id: str
    outcome: str  # maintained | postponed
    note: str
    seq: int
    at: datetime
    actor_id: str


@dataclass(frozen=True)
class Marked:
    marked: tuple[str, ...]
    unknown: tuple[str, ...]
    messaged: dict[int, int]  # job -> patients it already messaged that a correction can reach
    withheld: int = 0  # waiting cancellation messages cancelled (never sent)
    to_phone: int = 0  # messaged about several appointments, some still cancelled: call them


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
    note = redact_phones(note)  # a note lives in the ledger for good: no number in it
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
    withheld = to_phone = 0
    if outcome == "maintained" and marked:
        # messages not sent yet (draft, approved, paused): withheld when every appointment
        # they are about is now kept; the sender never takes a cancelled row
        for m in await uow.jobs.messages_about(marked, states=("pending",)):
            if m.kind in ("cancelled", "contact") and await _all_kept(uow, m.appointments):
                withheld += await uow.jobs.move(
                    [m.id], to=SmsState.CANCELLED, at=at, error="maintained by the doctor"
                )
        for m in await uow.jobs.messages_about(marked, states=MESSAGED):
            if m.kind not in ("cancelled", "contact"):
                continue
            if await _all_kept(uow, m.appointments):
                messaged[m.job_no] = messaged.get(m.job_no, 0) + 1
            else:
                to_phone += 1  # one SMS about several appointments: a call explains it
    return Marked(
        tuple(marked), tuple(i for i in wanted if i not in known), messaged, withheld, to_phone
    )


async def _all_kept(uow: UnitOfWork, appointment_ids: Sequence[str]) -> bool:
    marks = await uow.marks.of(list(appointment_ids))
    return all(i in marks and marks[i].outcome == "maintained" for i in appointment_ids)


async def unmark_appointments(
    uow: UnitOfWork, *, actor: Actor, ids: Sequence[str], note: str, at: datetime
) -> tuple[list[str], list[str]]:
    """Take marks back (a mistyped id): (unmarked, not marked). Ledger entries too; the
    service decision applies again to the next draft."""
    note = redact_phones(note)
    wanted = list(dict.fromkeys(ids))
    current = await uow.marks.of(wanted)
    known = {a.id: a for a in await uow.appointments.get_many(list(current))}
    await uow.ledger.lock()
    done = []
    for ident in wanted:
        if ident not in current:
            continue
        a = known.get(ident)
        await uow.ledger.append(
            type="appointment-unmark",
            actor=actor,
            at=at,
            payload={"appointment": ident, "note": note},
            service=a.service if a else None,
            site=a.site if a else None,
        )
        await uow.marks.remove(ident)
        done.append(ident)
    return done, [i for i in wanted if i not in current]
