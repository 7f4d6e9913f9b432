"""The status board as data, for the web page and ``/api/v1/status``: days × services ×
sites with the decision in force, and the restoration plan.

Two audiences: ``public`` (status and the public part of the note, nothing else) and
``internal`` (decision numbers, authors, the whole note, notification jobs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal

from bot.catalog import Catalog
from bot.i18n import fmt_day, fmt_time, t
from bot.jobs.notify import progress_of
from bot.jobs.reports import counts_line, scope_line
from bot.ledger.decisions import public_note, resolve
from bot.model import Decision, Lang, status_group
from bot.plan.milestones import progress
from bot.ports import UnitOfWork

Audience = Literal["public", "internal"]

SYSTEM_CLASS = {
    "restored": "st-open",
    "restoring": "st-partial",
    "degraded": "st-partial",
    "down": "st-stopped",
}


@dataclass(frozen=True)
class Cell:
    service: str
    site: str
    status: str | None
    label: str
    css: str
    note: str = ""
    decision: int | None = None  # internal only
    author: str | None = None  # internal only
    recorded: str | None = None  # internal only

    def to_json(self, day: date) -> dict[str, Any]:
        out: dict[str, Any] = {
            "service": self.service,
            "site": self.site,
            "date": day.isoformat(),
            "status": self.status,
            "note": self.note,
        }
        if self.decision is not None:
            out.update(decision=self.decision, author=self.author, recorded_at=self.recorded)
        return out


@dataclass(frozen=True)
class Row:
    service: str
    name: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class DayBoard:
    day: date
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class PlanRow:
    n: int
    system: str
    name: str
    state: str | None
    label: str
    css: str
    eta: str = ""
    note: str = ""
    owner: str = ""  # internal only


@dataclass(frozen=True)
class JobLine:
    no: int
    state: str
    scope: str
    counts: str


@dataclass(frozen=True)
class BoardPage:
    lang: Lang
    audience: Audience
    updated_at: str
    sites: tuple[tuple[str, str], ...]  # (id, name)
    days: tuple[DayBoard, ...]
    plan: tuple[PlanRow, ...]
    restored: int
    systems: int
    jobs: tuple[JobLine, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "audience": self.audience,
            "lang": self.lang,
            "updated_at": self.updated_at,
            "days": [
                {
                    "date": d.day.isoformat(),
                    "items": [c.to_json(d.day) for r in d.rows for c in r.cells],
                }
                for d in self.days
            ],
            "plan": {
                "restored": self.restored,
                "systems": self.systems,
                "items": [
                    {
                        "system": p.system,
                        "state": p.state,
                        "eta": p.eta or None,
                        "note": p.note,
                        **({"owner": p.owner} if self.audience == "internal" else {}),
                    }
                    for p in self.plan
                ],
            },
            **(
                {"jobs": [{"job": j.no, "state": j.state} for j in self.jobs]}
                if self.audience == "internal"
                else {}
            ),
        }


def _cell(
    catalog: Catalog, service: str, site: str, d: Decision | None, lang: Lang, audience: Audience
) -> Cell:
    if d is None:
        return Cell(service, site, None, t(lang, "web.no_decision"), "st-none")
    internal = audience == "internal"
    return Cell(
        service,
        site,
        str(d.status),
        catalog.status_name(d.status, lang),
        f"st-{status_group(d.status)}",  # never colour alone: the word is there too
        note=d.note if internal else public_note(d.note),
        decision=d.no if internal else None,
        author=d.author_name if internal else None,
        recorded=d.recorded_at.isoformat() if internal else None,
    )


async def board_page(
    uow: UnitOfWork,
    catalog: Catalog,
    *,
    days: list[date],
    lang: Lang,
    audience: Audience,
    tz: tzinfo,
    now: datetime,
) -> BoardPage:
    boards = []
    for day in days:
        latest = await uow.decisions.latest_covering(day)
        rows = []
        for service in catalog.service_ids:
            cells = tuple(
                _cell(
                    catalog,
                    service,
                    site,
                    resolve(latest, service=service, site=site, day=day),
                    lang,
                    audience,
                )
                for site in catalog.site_ids
            )
            rows.append(Row(service, catalog.service_name(service, lang), cells))
        boards.append(DayBoard(day, fmt_day(day, lang), tuple(rows)))
    current = await uow.plan.current()
    plan = []
    for n, system in enumerate(catalog.system_ids, start=1):
        m = current.get(system)
        name = catalog.system_name(system, lang)
        if m is None:
            plan.append(PlanRow(n, system, name, None, t(lang, "web.no_news"), "st-none"))
            continue
        plan.append(
            PlanRow(
                n,
                system,
                name,
                m.state,
                catalog.system_state_name(m.state, lang),
                SYSTEM_CLASS.get(m.state, "st-none"),
                eta=fmt_time(m.eta, lang, tz) if m.eta and m.state != "restored" else "",
                note=m.note if audience == "internal" else "",
                owner=m.owner or "" if audience == "internal" else "",
            )
        )
    done, total = progress(catalog, current)
    jobs: list[JobLine] = []
    if audience == "internal":
        for job in await uow.jobs.recent(limit=10):
            p = await progress_of(uow, job.no)
            jobs.append(
                JobLine(job.no, job.state, scope_line(job, lang, catalog), counts_line(p, lang))
            )
    return BoardPage(
        lang=lang,
        audience=audience,
        updated_at=fmt_time(now, lang, tz),
        sites=tuple((s, catalog.site_name(s, lang)) for s in catalog.site_ids),
        days=tuple(boards),
        plan=tuple(plan),
        restored=done,
        systems=total,
        jobs=tuple(jobs),
    )


def three_days(today: date) -> list[date]:
    return [today + timedelta(days=i) for i in range(3)]
