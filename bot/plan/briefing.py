"""The morning briefing: the crisis cell's agenda, and its once-a-day scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo

from bot.catalog import Catalog
from bot.i18n import fmt_day, fmt_period, t
from bot.ledger.decisions import board
from bot.model import Block, BulletList, Lang, Paragraph, Reply, RoomRef
from bot.plan.milestones import plan_lines, progress, progress_bar, room_lang
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.runtime.clock import Clock
from bot.runtime.runner import UseCaseRunner

log = logging.getLogger(__name__)

DEFAULT_TIME = "07:30"
BRIEFING_OFF = "off"  # /room briefing off: no scheduled briefing in that room


async def briefing(uow: UnitOfWork, catalog: Catalog, today: date, lang: Lang, tz: tzinfo) -> Reply:
    tomorrow = today + timedelta(days=1)
    blocks: list[Block] = []
    items: dict[str, list[dict[str, object]]] = {"in_force": [], "open_items": []}
    for day in (today, tomorrow):
        rows = await board(uow, day=day, services=catalog.service_ids, sites=catalog.site_ids)
        lines = []
        for row in rows:
            d = row.decision
            if d is None:
                continue
            where = catalog.sites_label(row.scope(catalog.site_ids), lang)
            lines.append(
                t(
                    lang,
                    "briefing.decision",
                    no=d.no,
                    service=catalog.service_name(d.service, lang),
                    where=where,
                    status=catalog.status_name(d.status, lang),
                )
            )
            items["in_force"].append(
                {
                    "date": day.isoformat(),
                    "service": d.service,
                    "decision": d.no,
                    "status": str(d.status),
                }
            )
        blocks.append(Paragraph(t(lang, "briefing.in_force", day=fmt_day(day, lang))))
        blocks.append(BulletList(tuple(lines)) if lines else Paragraph(t(lang, "briefing.nothing")))
        if day == tomorrow:
            missing = sorted(
                {r.service for r in rows if r.decision is None}, key=catalog.service_ids.index
            )
            items["open_items"] = [{"service": s, "date": day.isoformat()} for s in missing]
    latest = await uow.decisions.latest_covering(today)
    expiring = sorted({d.no: d for d in latest if d.last_day == today}.values(), key=lambda d: d.no)
    if expiring:
        blocks.append(Paragraph(t(lang, "briefing.expiring")))
        blocks.append(
            BulletList(
                tuple(
                    t(
                        lang,
                        "briefing.decision",
                        no=d.no,
                        service=catalog.service_name(d.service, lang),
                        where=catalog.site_name(d.site, lang),
                        status=catalog.status_name(d.status, lang),
                    )
                    + " "
                    + fmt_period(d.first_day, d.last_day, lang)
                    for d in expiring
                )
            )
        )
    current = await uow.plan.current()
    done, total = progress(catalog, current)
    blocks.append(Paragraph(t(lang, "plan.progress", bar=progress_bar(done, total))))
    blocks.append(BulletList(tuple(plan_lines(catalog, current, lang, tz))))
    if items["open_items"]:
        names = ", ".join(
            catalog.service_name(str(i["service"]), lang) for i in items["open_items"]
        )
        blocks.append(
            Paragraph(t(lang, "briefing.open_items", day=fmt_day(tomorrow, lang), services=names))
        )
    return Reply(
        kind="text",
        lang=lang,
        title=t(lang, "briefing.title", day=fmt_day(today, lang)),
        blocks=tuple(blocks),
        facts={
            "kind": "briefing",
            "date": today.isoformat(),
            "in_force": items["in_force"],
            "expiring": [d.no for d in expiring],
            "progress": [done, total],
            "open_items": items["open_items"],
        },
    )


def next_time(now: datetime, hhmm: str, tz: tzinfo) -> datetime:
    """The next local ``HH:MM`` after ``now`` (wall-clock time: right across DST changes)."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), time(hour, minute), tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(
            local.date() + timedelta(days=1), time(hour, minute), tzinfo=tz
        )
    return candidate


class BriefingScheduler:
    """Posts the briefing to each subscribed room at its time, once a day, across restarts."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        catalog: Catalog,
        default_lang: Lang,
        wake: Callable[[], None],
        runner: UseCaseRunner | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.runner = runner or UseCaseRunner(uow_factory, clock)
        self.clock = clock
        self.catalog = catalog
        self.default_lang = default_lang
        self.wake = wake

    async def due_rooms(self, now: datetime) -> list[tuple[RoomRef, str]]:
        """(room, local date) of every subscribed room whose briefing time has come today
        and who has not had today's briefing."""
        local = now.astimezone(self.clock.tz)
        out = []
        async with self.uow_factory() as uow:
            for room in await uow.subscriptions.rooms("briefing"):
                hhmm = (await uow.rooms.get(room)).briefing_time or DEFAULT_TIME
                if hhmm == BRIEFING_OFF:
                    continue
                hour, minute = (int(x) for x in hhmm.split(":"))
                if (local.hour, local.minute) >= (hour, minute):
                    day = local.date().isoformat()
                    if await uow.state.get(f"briefing:{room}") != day:
                        out.append((room, day))
        return out

    async def post_due(self) -> int:
        now = self.clock.now()
        sent = 0
        for room, day in await self.due_rooms(now):
            async with self.uow_factory() as uow:
                key = f"briefing:{room}"
                if await uow.state.get(key) == day:
                    continue
                lang = await room_lang(uow, room, self.default_lang)
                reply = await briefing(
                    uow, self.catalog, now.astimezone(self.clock.tz).date(), lang, self.clock.tz
                )
                await uow.outbox.add(room=room, reply=reply, key=f"briefing:{room}:{day}", at=now)
                await uow.state.put(key, day)
                await self.runner.finish(uow, None)
                sent += 1
        if sent:
            self.wake()
        return sent

    async def next_due(self) -> datetime:
        now = self.clock.now()
        times = [DEFAULT_TIME]
        async with self.uow_factory() as uow:
            for room in await uow.subscriptions.rooms("briefing"):
                times.append((await uow.rooms.get(room)).briefing_time or DEFAULT_TIME)
        return min(
            next_time(now, hhmm, self.clock.tz) for hhmm in set(times) if hhmm != BRIEFING_OFF
        )

    async def run(self) -> None:
        while True:
            try:
                await self.post_due()
                due = await self.next_due()
            except Exception:
                log.exception("briefing scheduler failed; retrying in a minute")
                due = self.clock.now() + timedelta(minutes=1)
            # wake at least hourly: a room may subscribe or change its time meanwhile
            await self.clock.sleep_until(min(due, self.clock.now() + timedelta(hours=1)))
