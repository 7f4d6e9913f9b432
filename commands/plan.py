"""/milestone, /plan, /subscribe, /unsubscribe, /subscriptions and /briefing."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from bot.errors import UsageError
from bot.i18n import N_
from bot.model import BulletList, Milestone, Paragraph, Reply
from bot.plan.briefing import briefing
from bot.plan.milestones import (
    TOPICS,
    milestone_blocks,
    plan_lines,
    progress,
    progress_bar,
    record_milestone,
)
from bot.roles import CELL_ONLY, EVERYONE, IT_OR_CELL
from bot.runtime.router import Command, Context
from bot.text import fold
from commands.parsing import Words, read_day, split_note

ETA_MARKERS = frozenset(
    {
        "eta",
        "vers",
        "prevu",
        "prevue",
        "pour",
        "for",
        "by",
        "verwacht",
        "tegen",
        "erwartet",
        "bis",
        "until",
    }
)
_TIME = re.compile(r"\b([01]?\d|2[0-3])\s*(?:h|u|:)\s*([0-5]\d)?\b")
TOPIC_ALIASES = {
    "milestones": "milestones",
    "milestone": "milestones",
    "jalons": "milestones",
    "jalon": "milestones",
    "mijlpalen": "milestones",
    "meilensteine": "milestones",
    "decisions": "decisions",
    "decision": "decisions",
    "beslissingen": "decisions",
    "entscheidungen": "decisions",
    "briefing": "briefing",
    "jobs": "jobs",
    "job": "jobs",
}


def parse_eta(text: str, today: date, now: datetime, ctx: Context) -> datetime | None:
    """``demain 18h``, ``17/05 09:30``, ``14h`` (today, or tomorrow if already past)."""
    text = text.strip()
    if not text:
        return None
    m = _TIME.search(text)
    at = time(int(m[1]), int(m[2] or 0)) if m else time(12, 0)
    rest = (text[: m.start()] + " " + text[m.end() :]).strip() if m else text
    try:
        day = read_day(rest, today, ctx.lang) if rest else today
    except UsageError:
        raise UsageError(ctx.t("milestone.bad_eta", text=text)) from None
    eta = datetime.combine(day, at, tzinfo=ctx.clock.tz)
    if not rest and eta <= now:
        eta += timedelta(days=1)
    return eta


async def milestone(ctx: Context, args: str) -> list[Reply]:
    spec, note = split_note(args)
    w = Words.of(spec)
    toks = w.toks
    system = state = None
    for i in range(len(toks)):
        span = ctx.catalog.system_at(toks, i)
        if span is not None:
            system = span.entry.id
            w.used.update(range(i, span.end))
            break
    choices = ", ".join(ctx.catalog.system_name(s, ctx.lang) for s in ctx.catalog.system_ids)
    if system is None:
        problems = [ctx.t("milestone.which_system", choices=choices)]
        guesses = ctx.catalog.suggest_systems(toks[0]) if toks else []
        if guesses:
            problems.append(
                ctx.t("parse.did_you_mean", choices=", ".join(g.name(ctx.lang) for g in guesses))
            )
        raise UsageError(*problems)
    for i in w.free():
        span = ctx.catalog.system_state_at(toks, i)
        if span is not None:
            state = span.entry.id
            w.used.update(range(i, span.end))
            break
    if state is None:
        names = ", ".join(
            ctx.catalog.system_state_name(s, ctx.lang)
            for s in ("down", "degraded", "restoring", "restored")
        )
        raise UsageError(ctx.t("milestone.which_state", choices=names))
    free = w.free()
    eta_text = ""
    for n, i in enumerate(free):
        if toks[i] in ETA_MARKERS:
            eta_text = w.text(free[n + 1 :])
            break
    now = ctx.clock.now()
    eta = parse_eta(eta_text, ctx.today(), now, ctx)
    m = await record_milestone(
        ctx.uow, actor=ctx.actor, system=system, state=state, eta=eta, note=note, at=now
    )
    current = await ctx.uow.plan.current()
    done, total = progress(ctx.catalog, current)
    blocks = milestone_blocks(ctx.catalog, m, ctx.lang, ctx.clock.tz, done, total)
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            severity="success",
            blocks=tuple(blocks),
            facts={
                "kind": "milestone",
                "seq": m.seq,
                "system": system,
                "state": state,
                "eta": eta.isoformat() if eta else None,
                "progress": [done, total],
            },
        )
    ]


def _system_fact(system: str, current: dict[str, Milestone], tz: tzinfo) -> dict[str, object]:
    m = current.get(system)
    return {
        "system": system,
        "state": m.state if m else None,
        "eta": m.eta.astimezone(tz).isoformat() if m and m.eta else None,
    }


async def plan(ctx: Context, args: str) -> list[Reply]:
    current = await ctx.uow.plan.current()
    done, total = progress(ctx.catalog, current)
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            title=ctx.t("plan.title"),
            blocks=(
                BulletList(tuple(plan_lines(ctx.catalog, current, ctx.lang, ctx.clock.tz))),
                Paragraph(ctx.t("plan.progress", bar=progress_bar(done, total))),
            ),
            facts={
                "kind": "plan",
                "progress": [done, total],
                "systems": [_system_fact(x, current, ctx.clock.tz) for x in ctx.catalog.system_ids],
            },
        )
    ]


def _topic(ctx: Context, args: str) -> str:
    topic = TOPIC_ALIASES.get(fold(args).strip())
    if topic is None or topic not in TOPICS:
        raise UsageError(ctx.t("subscribe.topics"))
    return topic


async def subscribe(ctx: Context, args: str) -> list[Reply]:
    topic = _topic(ctx, args)
    added = await ctx.uow.subscriptions.add(room=ctx.incoming.room, topic=topic, at=ctx.clock.now())
    text = ctx.t("subscribe.done" if added else "subscribe.already", topic=topic)
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            blocks=(Paragraph(text),),
            facts={"kind": "subscribe", "topic": topic, "added": added},
        )
    ]


async def unsubscribe(ctx: Context, args: str) -> list[Reply]:
    topic = _topic(ctx, args)
    removed = await ctx.uow.subscriptions.remove(room=ctx.incoming.room, topic=topic)
    text = ctx.t("unsubscribe.done" if removed else "unsubscribe.not", topic=topic)
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            blocks=(Paragraph(text),),
            facts={"kind": "unsubscribe", "topic": topic, "removed": removed},
        )
    ]


async def subscriptions(ctx: Context, args: str) -> list[Reply]:
    room = ctx.incoming.room
    topics = await ctx.uow.subscriptions.topics(room)
    failing = await ctx.uow.subscriptions.undeliverable(room)
    blocks = [Paragraph(ctx.t("subscriptions.list", topics=", ".join(topics) or ctx.t("none")))]
    if failing:
        blocks.append(Paragraph(ctx.tn("subscriptions.failing", failing, n=failing)))
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            blocks=tuple(blocks),
            facts={"kind": "subscriptions", "topics": topics, "undeliverable": failing},
        )
    ]


async def briefing_now(ctx: Context, args: str) -> list[Reply]:
    day = read_day(args, ctx.today(), ctx.lang) if args.strip() else ctx.today()
    return [await briefing(ctx.uow, ctx.catalog, day, ctx.lang, ctx.clock.tz)]


COMMANDS = (
    Command(
        name="milestone",
        roles=IT_OR_CELL,
        handler=milestone,
        names={
            "en": ("milestone",),
            "fr": ("jalon",),
            "nl": ("mijlpaal",),
            "de": ("meilenstein",),
        },
        usage=N_("command.milestone.usage"),
        summary=N_("command.milestone.summary"),
        examples=N_("command.milestone.examples"),
    ),
    Command(
        name="plan",
        roles=EVERYONE,
        handler=plan,
        names={
            "en": ("plan",),
            "fr": ("plan",),
            "nl": ("herstelplan",),
            "de": ("plan", "wiederherstellung"),
        },
        usage=N_("command.plan.usage"),
        summary=N_("command.plan.summary"),
        examples=N_("command.plan.examples"),
    ),
    Command(
        name="subscribe",
        roles=CELL_ONLY,
        handler=subscribe,
        names={
            "en": ("subscribe",),
            "fr": ("abonner",),
            "nl": ("abonneren",),
            "de": ("abonnieren",),
        },
        usage=N_("command.subscribe.usage"),
        summary=N_("command.subscribe.summary"),
        examples=N_("command.subscribe.examples"),
    ),
    Command(
        name="unsubscribe",
        roles=CELL_ONLY,
        handler=unsubscribe,
        names={
            "en": ("unsubscribe",),
            "fr": ("désabonner", "desabonner"),
            "nl": ("opzeggen",),
            "de": ("abbestellen",),
        },
        usage=N_("command.unsubscribe.usage"),
        summary=N_("command.unsubscribe.summary"),
        examples=N_("command.unsubscribe.examples"),
    ),
    Command(
        name="subscriptions",
        roles=EVERYONE,
        handler=subscriptions,
        names={
            "en": ("subscriptions",),
            "fr": ("abonnements",),
            "nl": ("abonnementen",),
            "de": ("abonnements",),
        },
        usage=N_("command.subscriptions.usage"),
        summary=N_("command.subscriptions.summary"),
        examples=N_("command.subscriptions.examples"),
    ),
    Command(
        name="briefing",
        roles=EVERYONE,
        handler=briefing_now,
        names={
            "en": ("briefing",),
            "fr": ("briefing", "point"),
            "nl": ("overzicht",),
            "de": ("briefing",),
        },
        usage=N_("command.briefing.usage"),
        summary=N_("command.briefing.summary"),
        examples=N_("command.briefing.examples"),
    ),
)
