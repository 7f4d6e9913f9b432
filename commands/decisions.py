"""/decide and /revoke: the cell's decisions, recorded in the ledger."""

from __future__ import annotations

import re

from bot.errors import DomainError, UsageError
from bot.i18n import N_, fmt_day
from bot.ledger.decisions import (
    AlreadyRevoked,
    DecisionNotFound,
    board,
    record_decision,
    revoke_decision,
)
from bot.model import ALL_SITES, Paragraph, Reply
from bot.roles import CELL_ONLY
from bot.runtime.router import Command, Context
from commands.parsing import parse_decide, split_note
from commands.present import (
    decision_fact,
    decision_line,
    decision_ref,
    recorded_by,
    scope,
)


async def decide(ctx: Context, args: str) -> list[Reply]:
    req = parse_decide(args, catalog=ctx.catalog, today=ctx.today(), lang=ctx.lang)
    now = ctx.clock.now()
    recorded = []
    for service in req.services:
        for site in req.sites:
            recorded.append(
                await record_decision(
                    ctx.uow,
                    actor=ctx.actor,
                    service=service,
                    site=site,
                    status=req.status,
                    first_day=req.period.first,
                    last_day=req.period.last,
                    note=req.note,
                    source_event_id=ctx.incoming.event_id,
                    at=now,
                )
            )
    blocks: list[Paragraph] = []
    for d in recorded:
        blocks.append(Paragraph(decision_line(ctx, d)))
        if d.supersedes:
            refs = ", ".join(decision_ref(ctx, n) for n in d.supersedes)
            blocks.append(Paragraph(ctx.t("decision.supersedes", nos=refs)))
    if req.note:
        blocks.append(Paragraph(ctx.t("decision.note", note=req.note)))
    blocks.append(Paragraph(recorded_by(ctx, recorded[0])))
    title = ctx.tn("decision.recorded.title", len(recorded), n=len(recorded))
    return [
        Reply(
            kind="decision",
            lang=ctx.lang,
            title=title,
            severity="success",
            blocks=tuple(blocks),
            facts={
                "kind": "decision",
                "decisions": [d.no for d in recorded],
                "items": [decision_fact(d) for d in recorded],
            },
        )
    ]


_NUMBER = re.compile(r"^\s*(?:n[°o.]?\s*|nr\.?\s*|#)?(\d{1,9})\s*$", re.IGNORECASE)


async def revoke(ctx: Context, args: str) -> list[Reply]:
    spec, reason = split_note(args)
    m = _NUMBER.match(spec)
    if not m:
        raise UsageError(ctx.t("revoke.need_number"))
    no = int(m.group(1))
    try:
        d = await revoke_decision(
            ctx.uow, actor=ctx.actor, no=no, reason=reason, at=ctx.clock.now()
        )
    except DecisionNotFound as e:
        raise DomainError(ctx.t("revoke.unknown", no=no)) from e
    except AlreadyRevoked as e:
        raise DomainError(ctx.t("revoke.already", no=no)) from e
    blocks = [Paragraph(ctx.t("revoke.done", no=d.no, **scope(ctx, d)))]
    if reason:
        blocks.append(Paragraph(ctx.t("revoke.reason", reason=reason)))
    # What applies now on the revoked decision's first day (its own site scope).
    day = max(d.first_day, ctx.today()) if d.covers(ctx.today()) else d.first_day
    sites = ctx.catalog.site_ids if d.site == ALL_SITES else (d.site,)
    rows = await board(ctx.uow, day=day, services=[d.service], sites=sites)
    now: list[dict[str, object]] = []
    for row in rows:
        found = row.decision
        covered = row.scope(ctx.catalog.site_ids)
        where = ctx.catalog.sites_label(covered, ctx.lang)
        state = (
            ctx.t(
                "status.in_force",
                no=found.no,
                status=ctx.catalog.status_name(found.status, ctx.lang),
            )
            if found
            else ctx.t("status.none")
        )
        blocks.append(
            Paragraph(
                ctx.t(
                    "revoke.now",
                    service=ctx.catalog.service_name(d.service, ctx.lang),
                    site=where,
                    day=fmt_day(day, ctx.lang),
                    state=state,
                )
            )
        )
        for site in covered:
            now.append(
                {
                    "service": d.service,
                    "site": site,
                    "date": day.isoformat(),
                    "status": str(found.status) if found else None,
                    "decision": found.no if found else None,
                }
            )
    return [
        Reply(
            kind="decision",
            lang=ctx.lang,
            title=ctx.t("revoke.title"),
            severity="success",
            blocks=tuple(blocks),
            facts={
                "kind": "revocation",
                "revoked": d.no,
                "reason": reason,
                "now": now,
            },
        )
    ]


COMMANDS = (
    Command(
        name="decide",
        roles=CELL_ONLY,
        handler=decide,
        names={
            "en": ("decide",),
            "fr": ("décision", "decision", "décider", "decider"),
            "nl": ("beslissing", "beslis"),
            "de": ("entscheidung",),
        },
        usage=N_("command.decide.usage"),
        summary=N_("command.decide.summary"),
        details=N_("command.decide.details"),
        examples=N_("command.decide.examples"),
    ),
    Command(
        name="revoke",
        roles=CELL_ONLY,
        handler=revoke,
        names={
            "en": ("revoke",),
            "fr": ("révoquer", "revoquer", "annuler-decision"),
            "nl": ("intrekken",),
            "de": ("widerrufen",),
        },
        usage=N_("command.revoke.usage"),
        summary=N_("command.revoke.summary"),
        examples=N_("command.revoke.examples"),
    ),
)
