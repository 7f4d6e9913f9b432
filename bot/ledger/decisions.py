"""Decision services: record, revoke, resolve. Pure domain rules over the ports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.events import DecisionRecorded, DecisionRevoked
from bot.ledger.chain import decision_payload
from bot.model import ALL_SITES, Actor, Decision, Status
from bot.ports import UnitOfWork


class DecisionNotFound(Exception):
    def __init__(self, no: int) -> None:
        super().__init__(f"no decision {no}")
        self.no = no


class AlreadyRevoked(Exception):
    def __init__(self, no: int) -> None:
        super().__init__(f"decision {no} is already revoked")
        self.no = no


async def record_decision(
    uow: UnitOfWork,
    *,
    actor: Actor,
    service: str,
    site: str,
    status: Status,
    first_day: date,
    last_day: date | None,
    note: str,
    source_event_id: str,
    at: datetime,
) -> Decision:
    await uow.ledger.lock()
    no = await uow.decisions.next_no()
    earlier = await uow.decisions.overlapping(
        service=service, site=site, first=first_day, last=last_day
    )
    draft = Decision(
        no=no,
        seq=0,
        service=service,
        site=site,
        status=status,
        first_day=first_day,
        last_day=last_day,
        note=note,
        author_id=actor.id,
        author_name=actor.name,
        author_roles=tuple(sorted(actor.roles)),
        platform=actor.platform,
        room=str(actor.room),
        source_event_id=source_event_id,
        recorded_at=at,
        supersedes=superseded(earlier, site=site, first=first_day, last=last_day),
    )
    entry = await uow.ledger.append(
        type="decision",
        actor=actor,
        at=at,
        payload=decision_payload(draft),
        service=service,
        site=site,
    )
    decision = replace(draft, seq=entry.seq, recorded_at=entry.at)
    await uow.decisions.add(decision)
    uow.events.append(DecisionRecorded(decision))
    return decision


async def revoke_decision(
    uow: UnitOfWork, *, actor: Actor, no: int, reason: str, at: datetime
) -> Decision:
    await uow.ledger.lock()
    decision = await uow.decisions.get(no)
    if decision is None:
        raise DecisionNotFound(no)
    if decision.revoked_by is not None:
        raise AlreadyRevoked(no)
    entry = await uow.ledger.append(
        type="revocation",
        actor=actor,
        at=at,
        payload={"no": no, "reason": reason},
        service=decision.service,
        site=decision.site,
    )
    await uow.decisions.add_revocation(no=no, seq=entry.seq, reason=reason)
    uow.events.append(DecisionRevoked(decision, entry.seq, reason, actor))
    return decision


SUPERSEDE_HORIZON = timedelta(days=92)


def superseded(
    earlier: Iterable[Decision], *, site: str, first: date, last: date | None
) -> tuple[int, ...]:
    """The earlier decisions that were in force somewhere in the new decision's scope.

    An earlier decision that overlaps but was itself already replaced everywhere the new
    one applies is not listed. Open-ended periods are looked at for ``SUPERSEDE_HORIZON``.
    """
    candidates = sorted((d for d in earlier if d.revoked_by is None), key=lambda d: -d.no)
    # an all-sites decision is looked at on every site an earlier decision names
    scopes = ({ALL_SITES} | {d.site for d in candidates}) if site == ALL_SITES else {site}
    end = first + SUPERSEDE_HORIZON if last is None else min(last, first + SUPERSEDE_HORIZON)
    found: set[int] = set()
    for scope in scopes:
        relevant = [d for d in candidates if d.site in (scope, ALL_SITES)]
        day = first
        while day <= end and relevant:
            for d in relevant:
                if d.covers(day):
                    found.add(d.no)
                    break
            day += timedelta(days=1)
    return tuple(sorted(found))


def resolve(
    decisions: Iterable[Decision], *, service: str, site: str, day: date
) -> Decision | None:
    """The most recently recorded, non-revoked decision whose scope and period cover it.

    A site-specific decision and an all-sites decision compete on recency. ``site`` may be
    ``ALL_SITES``: then only all-sites decisions count.
    """
    best: Decision | None = None
    for d in decisions:
        if (
            d.service == service
            and d.revoked_by is None
            and d.covers(day)
            and (d.site == ALL_SITES or d.site == site)
            and (best is None or d.no > best.no)
        ):
            best = d
    return best


@dataclass(frozen=True)
class BoardRow:
    service: str
    sites: tuple[str, ...]  # the sites this row covers; all configured sites -> "all sites"
    decision: Decision | None

    def scope(self, all_sites: Sequence[str]) -> tuple[str, ...]:
        """``(ALL_SITES,)`` when the row covers every site of the catalog, else its sites."""
        return (ALL_SITES,) if set(self.sites) == set(all_sites) else self.sites


async def latest_by_day(
    uow: UnitOfWork, *, service: str, first: date, last: date
) -> dict[date, list[Decision]]:
    """The latest decisions covering each day of ``first..last`` for one service (what
    :func:`resolve` picks from), one lookup per day."""
    latest: dict[date, list[Decision]] = {}
    day = first
    while day <= last:
        latest[day] = await uow.decisions.latest_covering(day, services=[service])
        day += timedelta(days=1)
    return latest


async def board(
    uow: UnitOfWork,
    *,
    day: date,
    services: Sequence[str],
    sites: Sequence[str],
) -> list[BoardRow]:
    """For each service, the sites grouped by the decision in force for ``day``."""
    latest = await uow.decisions.latest_covering(day, services=services)
    by_no = {d.no: d for d in latest}
    rows: list[BoardRow] = []
    for service in services:
        groups: dict[int | None, list[str]] = {}
        for site in sites:
            d = resolve(latest, service=service, site=site, day=day)
            groups.setdefault(d.no if d else None, []).append(site)
        for no, group in groups.items():
            rows.append(BoardRow(service, tuple(group), by_no.get(no) if no else None))
    return rows


NOTE_INTERNAL = "||"


def public_note(note: str) -> str:
    """The part of a decision's note the public may read: what comes before ``||``.

    ``/decide radiology cancelled monday : patients will be called || PACS down, see IT``
    shows "patients will be called" on the public board; the internal board and the
    crisis record keep the whole note.
    """
    return note.split(NOTE_INTERNAL, 1)[0].strip()
