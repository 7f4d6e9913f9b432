"""/export log|sitrep: the crisis record from chat. The file is written on the bot's machine
(the reply says where); on Matrix it is also uploaded to the room."""

from __future__ import annotations

from datetime import date

import bot.record.exports  # noqa: F401 - registers the export texts
from bot.errors import UsageError
from bot.i18n import N_, fmt_day, t
from bot.model import Paragraph, Reply
from bot.roles import CELL_ONLY
from bot.runtime.router import Command, Context
from bot.text import fold
from commands.parsing import read_day, read_period

KINDS = {
    "log": "log",
    "journal": "log",
    "logboek": "log",
    "activity": "log",
    "sitrep": "sitrep",
    "rapport": "sitrep",
    "report": "sitrep",
    "situatierapport": "sitrep",
    "lagebericht": "sitrep",
}

_WHAT = {
    "log": N_("export.chat.log"),
    "sitrep": N_("export.chat.sitrep"),
}


async def export(ctx: Context, args: str) -> list[Reply]:
    word, _, rest = args.strip().partition(" ")
    kind = KINDS.get(fold(word))
    if kind is None:
        raise UsageError(t(ctx.lang, "export.chat.which"))
    if ctx.exporter is None:
        raise UsageError(t(ctx.lang, "export.chat.unavailable"), show_usage=False)
    today = ctx.today()
    first: date | None = None
    last: date | None = None
    if kind == "log" and rest.strip():
        period = read_period(rest, today, ctx.lang)
        first, last = period.first, period.last
    elif kind == "sitrep":
        first = last = read_day(rest, today, ctx.lang) if rest.strip() else today
    done = await ctx.exporter.export(
        kind="log" if kind == "log" else "sitrep",
        first=first,
        last=last,
        lang=ctx.lang,
        now=ctx.clock.now(),
        made_by=ctx.actor.name,
    )
    what = t(ctx.lang, _WHAT[kind], day=fmt_day(last or today, ctx.lang))
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            blocks=(Paragraph(t(ctx.lang, "export.chat.written", what=what, path=done.path)),),
            attachments=(done.attachment,),
            facts={"kind": "export", "export": kind, "path": done.path},
        )
    ]


COMMANDS = (
    Command(
        name="export",
        roles=CELL_ONLY,
        handler=export,
        names={
            "en": ("export",),
            "fr": ("exporter",),
            "nl": ("exporteren",),
            "de": ("exportieren",),
        },
        usage=N_("command.export.usage"),
        summary=N_("command.export.summary"),
        examples=N_("command.export.examples"),
    ),
)
