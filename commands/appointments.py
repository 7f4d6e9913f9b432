"""/appointments: how many appointments a day has, by service and site -- counts only,
never a name or a number."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import N_, fmt_day
from bot.model import Block, Paragraph, Reply, Table
from bot.roles import EVERYONE
from bot.runtime.router import Command, Context
from commands.parsing import parse_filter, read_day


async def appointments(ctx: Context, args: str) -> list[Reply]:
    f = parse_filter(args, catalog=ctx.catalog, lang=ctx.lang)
    day = read_day(f.rest, ctx.today(), ctx.lang) if f.rest else ctx.today() + timedelta(days=1)
    counts = await ctx.uow.appointments.counts(day)
    if f.sites:
        counts = [c for c in counts if c.site in f.sites]
    if f.services:
        counts = [c for c in counts if c.service in f.services]
    marked: dict[tuple[str, str, str], int] = {
        (service, site, outcome): n
        for service, site, outcome, n in await ctx.uow.marks.counts(day=day)
    }

    def kept(service: str, site: str, outcome: str) -> int:
        return marked.get((service, site, outcome), 0)

    rows = tuple(
        (
            ctx.catalog.service_name(c.service, ctx.lang),
            ctx.catalog.site_name(c.site, ctx.lang),
            str(c.total),
            str(c.mobile),
            str(c.total - c.mobile),
            str(kept(c.service, c.site, "maintained")),
            str(kept(c.service, c.site, "postponed")),
        )
        for c in counts
    )
    total = sum(c.total for c in counts)
    mobile = sum(c.mobile for c in counts)
    blocks: list[Block] = []
    if rows:
        blocks.append(Table(tuple(ctx.t("appointments.headers").split("|")), rows))
    blocks.append(
        Paragraph(
            ctx.tn("appointments.total", total, total=total, mobile=mobile, phone=total - mobile)
        )
    )
    return [
        Reply(
            kind="board",
            lang=ctx.lang,
            title=ctx.t("appointments.title", day=fmt_day(day, ctx.lang)),
            blocks=tuple(blocks),
            facts={
                "kind": "appointments",
                "date": day.isoformat(),
                "items": [
                    {
                        "service": c.service,
                        "site": c.site,
                        "total": c.total,
                        "mobile": c.mobile,
                        "maintained": kept(c.service, c.site, "maintained"),
                        "postponed": kept(c.service, c.site, "postponed"),
                    }
                    for c in counts
                ],
                "total": total,
                "mobile": mobile,
            },
        )
    ]


COMMANDS = (
    Command(
        name="appointments",
        roles=EVERYONE,
        handler=appointments,
        names={
            "en": ("appointments",),
            "fr": ("rdv", "rendez-vous"),
            "nl": ("afspraken",),
            "de": ("termine",),
        },
        usage=N_("command.appointments.usage"),
        summary=N_("command.appointments.summary"),
        examples=N_("command.appointments.examples"),
    ),
)
