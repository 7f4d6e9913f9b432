"""Shared wording for decisions: the same line in a reply, the board and the history."""

from __future__ import annotations

from bot.i18n import fmt_period, fmt_time, t
from bot.model import ALL_SITES, Decision
from bot.runtime.router import Context


def site_label(ctx: Context, site: str) -> str:
    return ctx.catalog.site_name(site if site else ALL_SITES, ctx.lang)


def decision_ref(ctx: Context, no: int) -> str:
    return ctx.t("decision.no_ref", no=no)


def scope(ctx: Context, d: Decision) -> dict[str, str]:
    """The localized service, site, status and period of a decision, for message templates."""
    return {
        "service": ctx.catalog.service_name(d.service, ctx.lang),
        "site": site_label(ctx, d.site),
        "status": ctx.catalog.status_name(d.status, ctx.lang),
        "period": fmt_period(d.first_day, d.last_day, ctx.lang),
    }


def decision_line(ctx: Context, d: Decision) -> str:
    return ctx.t("decision.line", no=d.no, **scope(ctx, d))


def recorded_by(ctx: Context, d: Decision) -> str:
    return t(
        ctx.lang,
        "decision.by",
        name=d.author_name,
        roles=", ".join(r for r in d.author_roles if r != "staff") or "staff",
        when=fmt_time(d.recorded_at, ctx.lang, ctx.clock.tz),
    )


def decision_fact(d: Decision) -> dict[str, object]:
    return {
        "decision": d.no,
        "service": d.service,
        "site": d.site,
        "status": str(d.status),
        "first_day": d.first_day.isoformat(),
        "last_day": d.last_day.isoformat() if d.last_day else None,
        "note": d.note,
        "supersedes": list(d.supersedes),
        "author": d.author_id,
        "recorded_at": d.recorded_at.isoformat(),
        "revoked": d.revoked_by is not None,
    }
