"""Answering staff questions from the ledger, in the question's language; never guessing.

A direct answer first (yes / no / partially / no decision recorded), then the decision it
rests on (number, status, period, note, who recorded it and when).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bot.errors import UsageError
from bot.i18n import N_, fmt_day, fmt_period, fmt_time, join_list
from bot.ledger.decisions import BoardRow, board
from bot.model import (
    ALL_SITES,
    PARTIAL,
    RUNNING,
    STOPPED,
    Block,
    BulletList,
    Decision,
    Milestone,
    Paragraph,
    Reply,
    Status,
    status_group,
)
from bot.roles import EVERYONE
from bot.runtime.router import Command, Context
from commands.parsing import names
from commands.present import site_label
from commands.reading import Reading, read_question

ANSWERS = {
    "yes": N_("answer.yes"),
    "no": N_("answer.no"),
    "partially": N_("answer.partially"),
}
OVERVIEW_GROUPS = {
    "open": N_("overview.open"),
    "partial": N_("overview.partial"),
    "stopped": N_("overview.stopped"),
}


def verdict(asked: Status | None, status: Status | None) -> str:
    """yes / no / partially / none: the direct answer to "is it <asked>?"."""
    if status is None:
        return "none"
    if asked in STOPPED:
        return "yes" if status in STOPPED else ("partially" if status in PARTIAL else "no")
    if asked in PARTIAL:
        return "yes" if status in PARTIAL else "no"
    # "is it open?", and a neutral "radiology tomorrow?" (does it run?)
    return "yes" if status in RUNNING else ("partially" if status in PARTIAL else "no")


def _where(ctx: Context, row: BoardRow, all_sites: tuple[str, ...], split: bool) -> str:
    scope = row.scope(all_sites)
    label = ctx.catalog.sites_label(scope, ctx.lang)
    if split and scope != (ALL_SITES,) and len(row.sites) > len(all_sites) / 2:
        return f"{ctx.t('board.other_sites')} ({label})"
    return label


def _decision_ref(ctx: Context, d: Decision) -> str:
    note = ctx.t("answer.note", note=d.note) if d.note else ""
    return ctx.t(
        "answer.ref",
        no=d.no,
        when=fmt_time(d.recorded_at, ctx.lang, ctx.clock.tz),
        name=d.author_name,
        note=note,
    )


def _fact(row: BoardRow, site: str, day: date, answer: str) -> dict[str, object]:
    d = row.decision
    return {
        "service": row.service,
        "site": site,
        "date": day.isoformat(),
        "status": str(d.status) if d else None,
        "decision": d.no if d else None,
        "answer": answer,
    }


async def _service_answer(ctx: Context, reading: Reading) -> Reply:
    assert reading.day is not None
    day = reading.day
    all_sites = ctx.catalog.site_ids
    sites = reading.sites if reading.sites and ALL_SITES not in reading.sites else all_sites
    rows = await board(ctx.uow, day=day, services=reading.services, sites=sites)
    lines: list[str] = []
    items: list[dict[str, object]] = []
    by_service: dict[str, list[BoardRow]] = {}
    for row in rows:
        by_service.setdefault(row.service, []).append(row)
    for service, srows in by_service.items():
        name = ctx.catalog.service_name(service, ctx.lang)
        split = len(srows) > 1
        for row in srows:
            where = _where(ctx, row, all_sites, split)
            d = row.decision
            if d is not None and not (d.first_day == d.last_day == day):
                where += f", {fmt_day(day, ctx.lang)}"  # the day asked, always visible
            answer = verdict(reading.asked, d.status if d else None)
            items.extend(_fact(row, s, day, answer) for s in row.scope(all_sites))
            if d is None:
                lines.append(
                    ctx.t("answer.none", service=name, day=fmt_day(day, ctx.lang), where=where)
                )
                continue
            lines.append(
                ctx.t(
                    "answer.line",
                    answer=ctx.t(ANSWERS[answer]),
                    service=name,
                    where=where,
                    status=ctx.catalog.status_name(d.status, ctx.lang),
                    period=fmt_period(d.first_day, d.last_day, ctx.lang),
                    ref=_decision_ref(ctx, d),
                )
            )
    # appointments their doctors kept or moved, whatever the decision (counts only)
    for service in by_service:
        marked: dict[str, int] = {}
        for _, site, outcome, n in await ctx.uow.marks.counts(day=day, service=service):
            if site in sites:
                marked[outcome] = marked.get(outcome, 0) + n
        if marked:
            lines.append(
                ctx.tn(
                    "answer.marks",
                    marked.get("maintained", 0),
                    service=ctx.catalog.service_name(service, ctx.lang),
                    maintained=marked.get("maintained", 0),
                    postponed=marked.get("postponed", 0),
                )
            )
    blocks: list[Block] = [Paragraph(x) for x in lines]
    if any(i["status"] is None for i in items):
        blocks.append(Paragraph(ctx.who_decides()))
    context: list[dict[str, object]] = []
    if reading.systems:  # "is radiology back?": the PACS's state follows, as context only
        more, context = _system_lines(
            ctx, await ctx.uow.plan.current(), reading.systems, context=True
        )
        blocks.extend(Paragraph(x) for x in more)
    if reading.typos:
        typo = ", ".join(
            f"“{k}” → {ctx.catalog.service_name(v, ctx.lang)}" for k, v in reading.typos.items()
        )
        blocks.append(Paragraph(ctx.t("answer.read_as", typos=typo)))
    return _answer(ctx, reading, blocks, items, context=context)


def _answer(
    ctx: Context,
    reading: Reading,
    blocks: list[Block],
    items: list[dict[str, object]],
    title: str | None = None,
    context: list[dict[str, object]] | None = None,
) -> Reply:
    assert reading.day is not None
    facts: dict[str, object] = {
        "kind": "answer",
        "intent": reading.intent,
        "date": reading.day.isoformat(),
        "items": items,
        "reading": reading.to_json(),
    }
    if context:
        facts["systems"] = context  # the plan's state, for context: not the answer
    return Reply(kind="answer", lang=ctx.lang, title=title, blocks=tuple(blocks), facts=facts)


async def _overview_answer(ctx: Context, reading: Reading) -> Reply:
    assert reading.day is not None
    day = reading.day
    all_sites = ctx.catalog.site_ids
    sites = reading.sites if reading.sites and ALL_SITES not in reading.sites else all_sites
    rows = await board(ctx.uow, day=day, services=ctx.catalog.service_ids, sites=sites)
    groups: dict[str, list[str]] = {"open": [], "partial": [], "stopped": [], "none": []}
    items: list[dict[str, object]] = []
    split_services = {r.service for r in rows if len(r.sites) != len(sites)}
    for row in rows:
        d = row.decision
        label = ctx.catalog.service_name(row.service, ctx.lang)
        if row.service in split_services:
            label += f" ({_where(ctx, row, all_sites, True)})"
        if d is not None:
            label += (
                " — "
                + ctx.catalog.status_name(d.status, ctx.lang)
                + ", "
                + ctx.t("decision.no_ref", no=d.no)
            )
        groups[status_group(d.status if d else None)].append(label)
        group = status_group(d.status if d else None)
        items.extend(_fact(row, s, day, group) for s in row.scope(all_sites))
    wanted = ["open", "partial", "stopped"]
    if reading.asked is not None:
        wanted = [status_group(reading.asked)]
    blocks: list[Block] = []
    for g in wanted:
        title = ctx.t(OVERVIEW_GROUPS[g])
        if groups[g]:
            blocks.append(Paragraph(title))
            blocks.append(BulletList(tuple(groups[g])))
        else:
            blocks.append(Paragraph(f"{title} {ctx.t('overview.nothing')}"))
    if groups["none"]:
        blocks.append(Paragraph(ctx.t("overview.none", services=", ".join(groups["none"]))))
        blocks.append(Paragraph(ctx.who_decides()))
    where = (
        join_list([site_label(ctx, s) for s in reading.sites], ctx.lang)
        if (reading.sites)
        else site_label(ctx, ALL_SITES)
    )
    title = ctx.t("overview.title", day=fmt_day(day, ctx.lang), where=where)
    return _answer(ctx, reading, blocks, items, title=title)


def _ask_back(ctx: Context, reading: Reading) -> Reply:
    if reading.why == "vague-date":
        lines = [ctx.t("date.vague", text=reading.date_text or "")]
    else:
        lines = [ctx.t("ask.which_service")]
        if reading.suggestions:
            entries = [ctx.catalog.service(s) for s in reading.suggestions]
            lines.append(ctx.t("parse.did_you_mean", choices=names(entries, ctx.lang)))
        else:
            lines.append(ctx.t("parse.known", choices=names(list(ctx.catalog.services), ctx.lang)))
    return Reply(
        kind="answer",
        lang=ctx.lang,
        severity="warning",
        blocks=tuple(Paragraph(x) for x in lines),
        facts={"kind": "ask-back", "why": reading.why, "reading": reading.to_json()},
    )


# "Is the PACS back?": restored is yes, degraded is partially, down or restoring is no.
SYSTEM_ANSWER = {"restored": "yes", "degraded": "partially"}


def _system_lines(
    ctx: Context, current: Mapping[str, Milestone], systems: Sequence[str], *, context: bool
) -> tuple[list[str], list[dict[str, object]]]:
    """A line per system from the plan: the answer to a question about it, or (context)
    one line under a service's answer -- never the answer about the service itself."""
    lines: list[str] = []
    items: list[dict[str, object]] = []
    for system in systems:
        name = ctx.catalog.system_name(system, ctx.lang)
        m = current.get(system)
        if m is None:
            lines.append(
                ctx.t("answer.context.none" if context else "answer.system.none", system=name)
            )
            items.append({"system": system, "state": None, "eta": None, "answer": "none"})
            continue
        answer = SYSTEM_ANSWER.get(m.state, "no")
        fields = {
            "system": name,
            "state": ctx.catalog.system_state_name(m.state, ctx.lang),
            "since": fmt_time(m.at, ctx.lang, ctx.clock.tz),
        }
        if context:
            line = ctx.t("answer.context", **fields)
        else:
            line = ctx.t(
                "answer.system", answer=ctx.t(ANSWERS[answer]), name=m.actor_name, **fields
            )
        if m.eta and m.state != "restored":
            line += " " + ctx.t("alert.eta", eta=fmt_time(m.eta, ctx.lang, ctx.clock.tz))
        if m.note and not context:
            line += f" — {m.note}"
        lines.append(line)
        item: dict[str, object] = {
            "system": system,
            "state": m.state,
            "eta": m.eta.astimezone(ctx.clock.tz).isoformat() if m.eta else None,
        }
        if not context:
            item["answer"] = answer
        items.append(item)
    return lines, items


async def _system_answer(ctx: Context, reading: Reading) -> Reply:
    current = await ctx.uow.plan.current()
    lines, items = _system_lines(ctx, current, reading.systems, context=False)
    return Reply(
        kind="answer",
        lang=ctx.lang,
        blocks=tuple(Paragraph(x) for x in lines),
        facts={
            "kind": "answer",
            "intent": "system-status",
            "items": items,
            "reading": reading.to_json(),
        },
    )


async def answer_question(ctx: Context, text: str) -> list[Reply]:
    reading = read_question(text, catalog=ctx.catalog, today=ctx.today(), fallback=ctx.lang)
    if reading.lang_sure:
        ctx.lang = reading.lang
    if reading.intent == "system-status":
        return [await _system_answer(ctx, reading)]
    if reading.intent == "service-status":
        return [await _service_answer(ctx, reading)]
    if reading.intent == "day-overview":
        return [await _overview_answer(ctx, reading)]
    return [_ask_back(ctx, reading)]


async def ask(ctx: Context, args: str) -> list[Reply]:
    if not args.strip():
        raise UsageError(ctx.t("ask.which_service"))
    return await answer_question(ctx, args)


COMMANDS = (
    Command(
        name="ask",
        roles=EVERYONE,
        handler=ask,
        names={
            "en": ("ask",),
            "fr": ("question", "demande"),
            "nl": ("vraag",),
            "de": ("frage",),
        },
        usage=N_("command.ask.usage"),
        summary=N_("command.ask.summary"),
        examples=N_("command.ask.examples"),
    ),
)
