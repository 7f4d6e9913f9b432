"""The restoration plan: milestones (append-only, in the ledger), progress, and the alerts
that subscribed rooms receive, in each room's language, through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.catalog import Catalog
from bot.events import DecisionRecorded, EventBus
from bot.i18n import fmt_period, fmt_time, t, tn
from bot.ledger.decisions import resolve
from bot.model import (
    ALL_SITES,
    SYSTEM_STATES,
    Actor,
    BulletList,
    Decision,
    Lang,
    Milestone,
    Paragraph,
    Reply,
    RoomRef,
    Status,
    as_lang,
)
from bot.ports import UnitOfWork

TOPICS = ("milestones", "decisions", "briefing", "jobs")


@dataclass(frozen=True)
class MilestoneRecorded:
    milestone: Milestone
    previous: Milestone | None
    origin: str  # the room the milestone was posted from


async def record_milestone(
    uow: UnitOfWork,
    *,
    actor: Actor,
    system: str,
    state: str,
    eta: datetime | None,
    note: str,
    at: datetime,
) -> Milestone:
    if state not in SYSTEM_STATES:
        raise ValueError(f"unknown system state {state!r}")
    await uow.ledger.lock()
    previous = (await uow.plan.current()).get(system)
    entry = await uow.ledger.append(
        type="milestone",
        actor=actor,
        at=at,
        payload={
            "system": system,
            "state": state,
            "eta": eta.isoformat() if eta else None,
            "owner": actor.name,
            "note": note,
        },
    )
    milestone = Milestone(
        seq=entry.seq,
        system=system,
        state=state,
        eta=eta,
        owner=actor.name,
        note=note,
        at=entry.at,
        actor_id=actor.id,
        actor_name=actor.name,
    )
    await uow.plan.add(milestone)
    uow.events.append(MilestoneRecorded(milestone, previous, str(actor.room)))
    return milestone


def progress(catalog: Catalog, current: dict[str, Milestone]) -> tuple[int, int]:
    restored = sum(
        1
        for s in catalog.system_ids
        if current.get(s) is not None and current[s].state == "restored"
    )
    return restored, len(catalog.system_ids)


def progress_bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled) + f" {done}/{total}"


def plan_lines(
    catalog: Catalog, current: dict[str, Milestone], lang: Lang, tz: tzinfo
) -> list[str]:
    lines = []
    for n, system in enumerate(catalog.system_ids, start=1):
        m = current.get(system)
        name = catalog.system_name(system, lang)
        if m is None:
            lines.append(t(lang, "plan.line.none", n=n, system=name))
            continue
        line = t(
            lang,
            "plan.line",
            n=n,
            system=name,
            state=catalog.system_state_name(m.state, lang),
            since=fmt_time(m.at, lang, tz),
        )
        if m.eta and m.state != "restored":
            line += t(lang, "plan.eta", eta=fmt_time(m.eta, lang, tz))
        if m.note:
            line += f" — {m.note}"
        lines.append(line)
    return lines


async def dependent_decisions(
    uow: UnitOfWork, catalog: Catalog, system: str, day: date
) -> list[Decision]:
    """Decisions in force today, not `open`, for services depending on ``system``."""
    services = catalog.system_services.get(system, ())
    if not services:
        return []
    latest = await uow.decisions.latest_covering(day, services=list(services))
    found: dict[int, Decision] = {}
    for service in services:
        for site in (*catalog.site_ids, ALL_SITES):
            d = resolve(latest, service=service, site=site, day=day)
            if d is not None and d.status != Status.OPEN:
                found[d.no] = d
    return [found[n] for n in sorted(found)]


async def room_lang(uow: UnitOfWork, room: RoomRef, default: Lang) -> Lang:
    return as_lang((await uow.rooms.get(room)).language) or default


def milestone_blocks(
    catalog: Catalog, m: Milestone, lang: Lang, tz: tzinfo, done: int, total: int
) -> list[Paragraph]:
    """A recorded milestone as the command's reply and the alerts say it: who set which
    state when, the ETA (not once restored), the note, the plan's progress."""
    blocks = [
        Paragraph(
            t(
                lang,
                "alert.milestone",
                system=catalog.system_name(m.system, lang),
                state=catalog.system_state_name(m.state, lang),
                name=m.actor_name,
                when=fmt_time(m.at, lang, tz),
            )
        )
    ]
    if m.eta and m.state != "restored":
        blocks.append(Paragraph(t(lang, "alert.eta", eta=fmt_time(m.eta, lang, tz))))
    if m.note:
        blocks.append(Paragraph(m.note))
    blocks.append(Paragraph(t(lang, "plan.progress", bar=progress_bar(done, total))))
    return blocks


class Alerts:
    """Domain-event subscribers that post alerts to subscribed rooms (same transaction)."""

    def __init__(self, catalog: Catalog, tz: tzinfo, default_lang: Lang) -> None:
        self.catalog = catalog
        self.tz = tz
        self.default_lang = default_lang

    def install(self, bus: EventBus) -> None:
        bus.subscribe(MilestoneRecorded, self.on_milestone)
        bus.subscribe(DecisionRecorded, self.on_decision)

    async def on_milestone(self, uow: UnitOfWork, event: object) -> None:
        assert isinstance(event, MilestoneRecorded)
        m = event.milestone
        current = await uow.plan.current()
        done, total = progress(self.catalog, current)
        dependent = (
            await dependent_decisions(uow, self.catalog, m.system, m.at.astimezone(self.tz).date())
            if m.state == "restored"
            else []
        )
        for room in await uow.subscriptions.rooms("milestones"):
            if room == event.origin:
                continue  # the command's own reply says it there
            lang = await room_lang(uow, room, self.default_lang)
            name = self.catalog.system_name(m.system, lang)
            blocks: list[Paragraph | BulletList] = list(
                milestone_blocks(self.catalog, m, lang, self.tz, done, total)
            )
            if dependent:
                blocks.append(Paragraph(t(lang, "alert.review", system=name)))
                blocks.append(
                    BulletList(
                        tuple(
                            t(
                                lang,
                                "alert.review.item",
                                no=d.no,
                                service=self.catalog.service_name(d.service, lang),
                                site=self.catalog.site_name(d.site, lang),
                                status=self.catalog.status_name(d.status, lang),
                                period=fmt_period(d.first_day, d.last_day, lang),
                            )
                            for d in dependent
                        )
                    )
                )
            reply = Reply(
                kind="alert",
                lang=lang,
                severity="info",
                title=t(lang, "alert.milestone.title", system=name),
                blocks=tuple(blocks),
                facts={
                    "kind": "milestone",
                    "system": m.system,
                    "state": m.state,
                    "seq": m.seq,
                    "progress": [done, total],
                    "review": [d.no for d in dependent],
                },
            )
            await uow.outbox.add(
                room=room, reply=reply, key=f"alert:milestone:{m.seq}:{room}", at=m.at
            )

    async def on_decision(self, uow: UnitOfWork, event: object) -> None:
        assert isinstance(event, DecisionRecorded)
        d = event.decision
        for room in await uow.subscriptions.rooms("decisions"):
            if room == d.room:
                continue  # the command's own reply says it there
            lang = await room_lang(uow, room, self.default_lang)
            text = t(
                lang,
                "decision.line",
                no=d.no,
                service=self.catalog.service_name(d.service, lang),
                site=self.catalog.site_name(d.site, lang),
                status=self.catalog.status_name(d.status, lang),
                period=fmt_period(d.first_day, d.last_day, lang),
            )
            blocks = [Paragraph(text)]
            if d.note:
                blocks.append(Paragraph(t(lang, "decision.note", note=d.note)))
            reply = Reply(
                kind="alert",
                lang=lang,
                title=tn(lang, "decision.recorded.title", 1, n=1),
                blocks=tuple(blocks),
                facts={"kind": "decision-alert", "decision": d.no},
            )
            await uow.outbox.add(
                room=room, reply=reply, key=f"alert:decision:{d.no}:{room}", at=d.recorded_at
            )
