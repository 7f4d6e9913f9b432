"""/help, /whoami and /room (per-room settings)."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.errors import UsageError
from bot.i18n import N_
from bot.model import LANGS, Block, BulletList, Paragraph, Reply, as_lang
from bot.plan.briefing import BRIEFING_OFF, DEFAULT_TIME
from bot.roles import CELL_ONLY, EVERYONE
from bot.runtime.router import Command, Context
from bot.text import fold


async def help_(ctx: Context, args: str) -> list[Reply]:
    name = args.strip().lstrip("/!")
    if name:
        cmd = ctx.router.get(name)
        if cmd is None:
            suggestions = ctx.router.suggest(name)
            lines = [ctx.t("unknown_command", command=name)]
            if suggestions:
                lines.append(
                    ctx.t(
                        "parse.did_you_mean", choices=", ".join(f"/{c.name}" for c in suggestions)
                    )
                )
            raise UsageError(*lines)
        blocks: list[Paragraph | BulletList] = [
            Paragraph(ctx.t("usage", usage=cmd.usage_in(ctx.lang))),
            Paragraph(cmd.summary_in(ctx.lang)),
        ]
        details = cmd.details_in(ctx.lang)
        if details:
            blocks.append(Paragraph(details))
        examples = cmd.examples_in(ctx.lang)
        if examples:
            blocks.append(BulletList(examples))
        aliases = [f"/{a}" for a in cmd.aliases()]
        if aliases:
            blocks.append(Paragraph(ctx.t("help.aliases", aliases=", ".join(aliases))))
        need = cmd.roles
        if need != EVERYONE:
            blocks.append(Paragraph(ctx.t("help.needs", roles=" / ".join(sorted(need)))))
        return [
            Reply(
                kind="help",
                lang=ctx.lang,
                title=f"/{cmd.name}",
                blocks=tuple(blocks),
                facts={"kind": "help", "command": cmd.name},
            )
        ]
    lines = []
    for cmd in ctx.router.commands:
        line = f"{cmd.usage_in(ctx.lang)} — {cmd.summary_in(ctx.lang)}"
        if not cmd.may_run(ctx.actor.roles):
            line += f" ({ctx.t('help.needs', roles=' / '.join(sorted(cmd.roles)))})"
        lines.append(line)
    return [
        Reply(
            kind="help",
            lang=ctx.lang,
            title=ctx.t("help.title"),
            blocks=(BulletList(tuple(lines)), Paragraph(ctx.t("help.footer"))),
            facts={"kind": "help", "commands": [c.name for c in ctx.router.commands]},
        )
    ]


async def whoami(ctx: Context, args: str) -> list[Reply]:
    person = ctx.directory.person(ctx.actor.id)
    text = ctx.t(
        "whoami",
        id=ctx.actor.id,
        person=f" ({person.name})" if person else "",
        roles=", ".join(sorted(ctx.actor.roles)),
        room=str(ctx.incoming.room),
    )
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            blocks=(Paragraph(text),),
            facts={
                "kind": "whoami",
                "id": ctx.actor.id,
                "person": person.name if person else None,
                "roles": sorted(ctx.actor.roles),
                "room": str(ctx.incoming.room),
            },
        )
    ]


_TIME = re.compile(r"^([01]?\d|2[0-3])[:h]([0-5]\d)$")
_ON = {"on", "oui", "yes", "aan", "ja", "an", "1", "true"}
_OFF = {"off", "non", "no", "uit", "nee", "aus", "0", "false"}


async def room(ctx: Context, args: str) -> list[Reply]:
    settings = await ctx.uow.rooms.get(ctx.incoming.room)
    words = fold(args).split()
    if words:
        if len(words) != 2:
            raise UsageError(ctx.t("room.bad"))
        what, value = words
        if what in ("language", "langue", "taal", "sprache", "lang"):
            if value not in (*LANGS, "auto"):
                raise UsageError(ctx.t("room.bad"))
            settings = replace(settings, language=None if value == "auto" else value)
        elif what in ("questions", "vragen", "fragen"):
            if value not in _ON | _OFF:
                raise UsageError(ctx.t("room.bad"))
            settings = replace(settings, answer_questions=value in _ON)
        elif what in ("briefing",):
            m = _TIME.match(value)
            if value in _OFF:
                settings = replace(settings, briefing_time=BRIEFING_OFF)
            elif m:
                settings = replace(settings, briefing_time=f"{int(m[1]):02d}:{m[2]}")
            else:
                raise UsageError(ctx.t("room.bad"))
        else:
            raise UsageError(ctx.t("room.bad"))
        await ctx.uow.rooms.put(settings)
    # Answer in the room's (possibly new) language.
    ctx.lang = as_lang(settings.language) or ctx.lang
    blocks: list[Block] = []
    if words:
        blocks.append(Paragraph(ctx.t("room.updated")))
    language = settings.language or ctx.t("room.language.auto", default=ctx.default_lang)
    blocks.append(
        BulletList(
            (
                ctx.t("room.language", value=language),
                ctx.t("room.questions", value=ctx.t("on" if settings.answer_questions else "off")),
                ctx.t(
                    "room.briefing",
                    value=ctx.t("off")
                    if settings.briefing_time == BRIEFING_OFF
                    else settings.briefing_time or DEFAULT_TIME,
                ),
            )
        )
    )
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            title=ctx.t("room.title"),
            blocks=tuple(blocks),
            facts={
                "kind": "room",
                "room": str(settings.room),
                "language": settings.language,
                "answer_questions": settings.answer_questions,
                "briefing_time": settings.briefing_time,
            },
        )
    ]


COMMANDS = (
    Command(
        name="help",
        roles=EVERYONE,
        handler=help_,
        names={
            "en": ("help",),
            "fr": ("aide",),
            "nl": ("hulp",),
            "de": ("hilfe",),
        },
        usage=N_("command.help.usage"),
        summary=N_("command.help.summary"),
        examples=N_("command.help.examples"),
    ),
    Command(
        name="whoami",
        roles=EVERYONE,
        handler=whoami,
        names={
            "en": ("whoami",),
            "fr": ("quisuisje", "moi"),
            "nl": ("wiebenik",),
            "de": ("werbinich",),
        },
        usage=N_("command.whoami.usage"),
        summary=N_("command.whoami.summary"),
        examples=N_("command.whoami.examples"),
    ),
    Command(
        name="room",
        roles=CELL_ONLY,
        handler=room,
        names={
            "en": ("room",),
            "fr": ("salle",),
            "nl": ("ruimte",),
            "de": ("raum",),
        },
        usage=N_("command.room.usage"),
        summary=N_("command.room.summary"),
        examples=N_("command.room.examples"),
    ),
)
