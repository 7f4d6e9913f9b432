"""/status (the board for a day) and /history (the ledger, newest first)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from bot.errors import UsageError
from bot.i18n import N_, fmt_day, fmt_period, fmt_time
from bot.ledger.decisions import board
from bot.model import ALL_SITES, Block, BulletList, Decision, Paragraph, Reply, Status, Table
from bot.roles import EVERYONE
from bot.runtime.router import Command, Context
from commands.parsing import parse_filter, read_day, unknown_service
from commands.present import site_label

HISTORY_PAGE = 10


def _status_cell(ctx: Context, d: Decision | None) -> str:
    return ctx.catalog.status_name(d.status, ctx.lang) if d else ctx.t("status.none")


async def _board_reply(
    ctx: Context, day: date, services: tuple[str, ...], sites: tuple[str, ...]
) -> Reply:
    all_sites = ctx.catalog.site_ids
    rows_out: list[tuple[str, ...]] = []
    items: list[dict[str, object]] = []
    notes: list[str] = []
    rows = await board(
        ctx.uow, day=day, services=services or ctx.catalog.service_ids, sites=sites or all_sites
    )
    for row in rows:
        fact_sites = row.sites if sites else row.scope(all_sites)
        if (
            not sites
            and fact_sites != (ALL_SITES,)
            and len(row.sites) > len(all_sites) / 2
            and len(rows) > 1
        ):
            where = ctx.t("board.other_sites")  # the facts list them
        else:
            where = ctx.catalog.sites_label(fact_sites, ctx.lang)
        d = row.decision
        rows_out.append(
            (
                ctx.catalog.service_name(row.service, ctx.lang),
                where,
                _status_cell(ctx, d),
                ctx.t("decision.no_ref", no=d.no) if d else "—",
            )
        )
        if d and d.note and d.status != Status.OPEN:
            text = ctx.t("board.note", no=d.no, note=d.note)
            if text not in notes:
                notes.append(text)
        for s in fact_sites:
            items.append(
                {
                    "service": row.service,
                    "site": s,
                    "date": day.isoformat(),
                    "status": str(d.status) if d else None,
                    "decision": d.no if d else None,
                }
            )
    blocks: list[Block] = [Table(tuple(ctx.t("board.headers").split("|")), tuple(rows_out))]
    if notes:
        blocks.append(BulletList(tuple(notes)))
    return Reply(
        kind="board",
        lang=ctx.lang,
        title=ctx.t("board.title", day=fmt_day(day, ctx.lang)),
        blocks=tuple(blocks),
        facts={"kind": "status", "date": day.isoformat(), "items": items},
    )


async def status(ctx: Context, args: str) -> list[Reply]:
    f = parse_filter(args, catalog=ctx.catalog, lang=ctx.lang)
    if f.rest:
        try:
            days = [read_day(f.rest, ctx.today(), ctx.lang)]
        except UsageError:
            guesses = ctx.catalog.suggest_services(f.rest)
            if guesses and not f.services:
                raise unknown_service(f.rest, ctx.catalog, ctx.lang) from None
            raise
    else:
        days = [ctx.today(), ctx.today() + timedelta(days=1)]
    return [await _board_reply(ctx, d, f.services, f.sites) for d in days]


_PAGE = re.compile(r"^(?:(?:page|p|pagina|seite)\s*)?(\d{1,6})$")


async def history(ctx: Context, args: str) -> list[Reply]:
    f = parse_filter(args, catalog=ctx.catalog, lang=ctx.lang)
    page = 1
    if f.rest:
        m = _PAGE.match(f.rest)
        if not m:
            raise unknown_service(f.rest, ctx.catalog, ctx.lang)
        page = max(1, int(m.group(1)))
    service = f.services[0] if len(f.services) == 1 else None
    site = f.sites[0] if len(f.sites) == 1 else None
    if len(f.services) > 1 or len(f.sites) > 1:
        raise UsageError(ctx.t("parse.no_service"))
    entries, total = await ctx.uow.ledger.page(
        types=("decision", "revocation"),
        service=service,
        site=site,
        limit=HISTORY_PAGE,
        offset=(page - 1) * HISTORY_PAGE,
    )
    pages = max(1, -(-total // HISTORY_PAGE))
    if total == 0:
        return [
            Reply(
                kind="text",
                lang=ctx.lang,
                title=ctx.t("history.title"),
                blocks=(Paragraph(ctx.t("history.empty")),),
                facts={"kind": "history", "total": 0, "page": 1, "entries": []},
            )
        ]
    if page > pages:
        raise UsageError(ctx.tn("history.bad_page", pages, pages=pages), show_usage=False)
    bodies = [json.loads(e.body) for e in entries]
    nos = [b["payload"]["no"] for b in bodies]
    decisions = await ctx.uow.decisions.get_many(nos)
    lines: list[str] = []
    facts: list[dict[str, object]] = []
    for entry, body in zip(entries, bodies, strict=True):
        p = body["payload"]
        when = fmt_time(entry.at, ctx.lang, ctx.clock.tz)
        name = body["actor"]["name"]
        if entry.type == "decision":
            d = decisions.get(p["no"])
            line = ctx.t(
                "history.decision",
                no=p["no"],
                when=when,
                name=name,
                service=ctx.catalog.service_name(body["service"], ctx.lang),
                site=site_label(ctx, body["site"]),
                status=ctx.catalog.status_name(p["status"], ctx.lang),
                period=fmt_period(
                    date.fromisoformat(p["first_day"]),
                    date.fromisoformat(p["last_day"]) if p["last_day"] else None,
                    ctx.lang,
                ),
            )
            if p["note"]:
                line += f" — {p['note']}"
            if d is not None and d.revoked_by is not None:
                line += ctx.t("history.revoked")
        else:
            line = ctx.t("history.revocation", when=when, name=name, no=p["no"])
            if p["reason"]:
                line += f" — {p['reason']}"
        lines.append(line)
        facts.append(
            {"seq": entry.seq, "type": entry.type, "decision": p["no"], "at": entry.at.isoformat()}
        )
    scope = [ctx.catalog.service_name(service, ctx.lang)] if service else []
    if site:
        scope.append(f"at {site}")
    more = " ".join(["/history", *scope, f"page {page + 1}"])
    footer = (
        ctx.tn("history.page", total, page=page, pages=pages, total=total, next=more)
        if page < pages
        else ctx.tn("history.last_page", total, page=page, pages=pages, total=total)
    )
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            title=ctx.t("history.title"),
            blocks=(BulletList(tuple(lines)), Paragraph(footer))
            if pages > 1
            else (BulletList(tuple(lines)),),
            facts={
                "kind": "history",
                "total": total,
                "page": page,
                "pages": pages,
                "entries": facts,
            },
        )
    ]


COMMANDS = (
    Command(
        name="status",
        roles=EVERYONE,
        handler=status,
        names={
            "en": ("status",),
            "fr": ("statut", "situation", "etat", "état"),
            "nl": ("status", "toestand"),
            "de": ("status", "stand", "lage"),
        },
        usage=N_("command.status.usage"),
        summary=N_("command.status.summary"),
        examples=N_("command.status.examples"),
    ),
    Command(
        name="history",
        roles=EVERYONE,
        handler=history,
        names={
            "en": ("history",),
            "fr": ("historique",),
            "nl": ("geschiedenis",),
            "de": ("verlauf",),
        },
        usage=N_("command.history.usage"),
        summary=N_("command.history.summary"),
        examples=N_("command.history.examples"),
    ),
)
