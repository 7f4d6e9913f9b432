"""Call lists for case-by-case days: every appointment to phone, grouped by site and time,
and each call's outcome. The numbers stay on the bot's machine (CLI export, internal web
page); chat sees counts only.

An outcome ``maintained`` or ``postponed`` also marks the appointment (``bot/jobs/marks.py``);
``no-answer`` and ``to-retry`` count a try. Patients not reached after the configured
number of tries can be sent a "please call us" SMS through the normal job machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.errors import DomainError
from bot.i18n import t, tn
from bot.jobs.appointments import redact_phones
from bot.jobs.marks import mark_appointments
from bot.jobs.notify import MAX_DAYS
from bot.ledger.decisions import latest_by_day, resolve
from bot.model import ALL_SITES, Actor, Lang, Paragraph, Reply, RoomRef, Status

if TYPE_CHECKING:
    from bot.catalog import Catalog
    from bot.events import EventBus
    from bot.ports import UnitOfWork

CALL_OUTCOMES = ("maintained", "postponed", "no-answer", "to-retry")


@dataclass(frozen=True)
class CallList:
    no: int
    service: str
    sites: tuple[str, ...]
    first_day: date
    last_day: date
    room: RoomRef
    lang: Lang
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Call:
    id: int
    list_no: int
    appointment_id: str
    site: str
    start: datetime
    tries: int
    outcome: str  # pending | maintained | postponed | no-answer | to-retry
    note: str


class CallError(DomainError):
    pass


async def build_call_list(
    uow: UnitOfWork,
    *,
    catalog: Catalog,
    actor: Actor,
    service: str,
    sites: Sequence[str],
    first: date,
    last: date,
    now: datetime,
    lang: Lang,
) -> tuple[CallList | None, int]:
    """The appointments of the case-by-case days in scope (no list if there are none).

    Returns (the list, how many appointments are already marked maintained/postponed and
    so left out).
    """
    if (last - first).days >= MAX_DAYS:
        raise CallError(tn(lang, "notify.too_long", MAX_DAYS, days=MAX_DAYS))
    scope = tuple(catalog.site_ids) if (not sites or ALL_SITES in sites) else tuple(sites)
    latest = await latest_by_day(uow, service=service, first=first, last=last)
    wanted = []
    for a in await uow.appointments.in_scope(service=service, sites=scope, first=first, last=last):
        d = resolve(latest[a.day], service=service, site=a.site, day=a.day)
        if d is not None and d.status == Status.CASE_BY_CASE:
            wanted.append(a)
    marks = await uow.marks.of([a.id for a in wanted])
    listed = await uow.calls.listed([a.id for a in wanted])  # one list per appointment
    todo = [a for a in wanted if a.id not in marks and a.id not in listed]
    if not todo:
        return None, len(wanted) - len(todo)
    await uow.ledger.lock()
    no = await uow.calls.next_no()
    call_list = CallList(no, service, scope, first, last, actor.room, lang, actor.id, now)
    await uow.ledger.append(
        type="call-list",
        actor=actor,
        at=now,
        payload={
            "list": no,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "sites": list(scope),
            "calls": len(todo),
        },
        service=service,
    )
    await uow.calls.add(call_list, sorted(todo, key=lambda a: (a.site, a.start, a.id)))
    return call_list, len(wanted) - len(todo)


async def record_outcome(
    uow: UnitOfWork,
    *,
    actor: Actor,
    appointment_id: str,
    outcome: str,
    note: str,
    at: datetime,
    lang: Lang,
    list_no: int | None = None,
) -> tuple[Call, dict[int, int]]:
    """A call's outcome (on ``list_no``, else the latest list the appointment is on).
    Ledger entry, no number. Returns the call and any correction offers (job -> patients).
    """
    if outcome not in CALL_OUTCOMES:
        raise CallError(t(lang, "calls.bad_outcome", outcomes=", ".join(CALL_OUTCOMES)))
    note = redact_phones(note)
    await uow.ledger.lock()  # first: two people recording at once count both tries
    found = [
        c
        for c in await uow.calls.for_appointment(appointment_id)
        if list_no is None or c.list_no == list_no
    ]
    if not found:
        raise CallError(t(lang, "calls.not_on_a_list", id=appointment_id))
    call = found[0]
    if call.outcome in ("maintained", "postponed") and outcome in ("no-answer", "to-retry"):
        # settled: a later "no answer" must not make the patient look unreached
        raise CallError(t(lang, "calls.settled", id=appointment_id, outcome=call.outcome))
    tries = call.tries + (1 if outcome in ("no-answer", "to-retry") else 0)
    await uow.ledger.append(
        type="call-outcome",
        actor=actor,
        at=at,
        payload={"list": call.list_no, "appointment": appointment_id, "outcome": outcome},
    )
    await uow.calls.record(call.id, outcome=outcome, note=note, tries=tries, at=at)
    offers: dict[int, int] = {}
    if outcome in ("maintained", "postponed"):
        done = await mark_appointments(
            uow, actor=actor, ids=[appointment_id], outcome=outcome, note=note, at=at
        )
        offers = done.messaged
    call = Call(
        call.id,
        call.list_no,
        appointment_id,
        call.site,
        call.start,
        tries,
        outcome,
        note,
    )
    uow.events.append(CallOutcomeRecorded(call, dict(offers), actor, at))
    return call, offers


@dataclass(frozen=True)
class CallOutcomeRecorded:
    """A domain event: a call's outcome, from chat, the internal page or the CLI."""

    call: Call
    offers: dict[int, int]  # job -> patients who already got a cancellation SMS
    actor: Actor
    at: datetime


async def announce_offers(uow: UnitOfWork, event: CallOutcomeRecorded) -> None:
    """An outcome that calls for a correction SMS is said in the call list's room,
    wherever it was recorded (chat elsewhere, the internal page, the CLI); chat in that
    room already said it in its reply."""
    call_list = await uow.calls.get(event.call.list_no)
    if not event.offers or call_list is None or event.actor.room == call_list.room:
        return
    lang = call_list.lang
    offers = event.offers
    reply = Reply(
        kind="text",
        lang=lang,
        blocks=tuple(
            Paragraph(tn(lang, "marks.offer", n, n=n, job=job)) for job, n in sorted(offers.items())
        ),
        facts={"kind": "call-offer", "offer": [f"/notify correct {j}" for j in sorted(offers)]},
    )
    key = f"call-offer:{call_list.no}:{event.call.appointment_id}:{event.at.isoformat()}"
    await uow.outbox.add(room=call_list.room, reply=reply, key=key, at=event.at)


def install(bus: EventBus) -> None:
    bus.subscribe(CallOutcomeRecorded, announce_offers)


def call_counts(calls: Sequence[Call]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in calls:
        out[c.outcome] = out.get(c.outcome, 0) + 1
    return out


def not_reached(calls: Sequence[Call], max_tries: int) -> list[Call]:
    """Patients still not reached after ``max_tries`` tries."""
    return [c for c in calls if c.outcome in ("no-answer", "to-retry") and c.tries >= max_tries]
