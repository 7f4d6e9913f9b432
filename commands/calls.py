"""Per-appointment exceptions (/maintain, /postpone) and call lists for case-by-case days
(/calls, /call). Chat sees appointment ids and counts, never a name or a number."""

from __future__ import annotations

import re

from bot.errors import UsageError
from bot.i18n import N_, fmt_period, t, tn
from bot.jobs.appointments import looks_like_phone, redact_phones
from bot.jobs.calls import (
    CALL_OUTCOMES,
    CallError,
    build_call_list,
    call_counts,
    not_reached,
    record_outcome,
)
from bot.jobs.marks import mark_appointments, outcome_name, unmark_appointments
from bot.jobs.notify import draft_callback
from bot.jobs.reports import dry_run_reply
from bot.model import Lang, Paragraph, Reply
from bot.roles import CELL_ONLY, CELL_OR_DOCTOR
from bot.runtime.router import Command, Context
from bot.text import fold
from commands.parsing import parse_scope, read_number, split_note

_IDS = re.compile(r"[\s,;]+")


def _ids(text: str, lang: Lang) -> list[str]:
    ids = [i for i in _IDS.split(text.strip()) if i]
    if not ids or any(len(i) > 128 for i in ids):
        raise UsageError(t(lang, "marks.need_ids"))
    return ids


async def _mark(ctx: Context, args: str, outcome: str) -> list[Reply]:
    spec, note = split_note(args)
    ids = _ids(spec, ctx.lang)
    done = await mark_appointments(
        ctx.uow, actor=ctx.actor, ids=ids, outcome=outcome, note=note, at=ctx.clock.now()
    )
    label = outcome_name(outcome, ctx.lang)
    blocks = [
        Paragraph(
            tn(
                ctx.lang,
                "marks.done",
                len(done.marked),
                n=len(done.marked),
                outcome=label,
                note=f" : {redact_phones(note)}" if note else "",
            )
        )
    ]
    if done.unknown:
        unknown = ", ".join(i if not looks_like_phone(i) else "(?)" for i in done.unknown)
        blocks.append(Paragraph(t(ctx.lang, "marks.unknown", ids=unknown)))
    if done.withheld:
        blocks.append(Paragraph(tn(ctx.lang, "marks.withheld", done.withheld, n=done.withheld)))
    if done.to_phone:
        blocks.append(Paragraph(tn(ctx.lang, "marks.to_phone", done.to_phone, n=done.to_phone)))
    for job, n in sorted(done.messaged.items()):
        blocks.append(Paragraph(tn(ctx.lang, "marks.offer", n, n=n, job=job)))
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            severity="warning" if done.unknown or done.messaged else "success",
            blocks=tuple(blocks),
            facts={
                "kind": "marks",
                "outcome": outcome,
                "marked": list(done.marked),
                "unknown": [i for i in done.unknown if not looks_like_phone(i)],
                "withheld": done.withheld,
                "to_phone": done.to_phone,
                "offer": [f"/notify correct {j}" for j in sorted(done.messaged)],
            },
        )
    ]


async def maintain(ctx: Context, args: str) -> list[Reply]:
    return await _mark(ctx, args, "maintained")


async def postpone(ctx: Context, args: str) -> list[Reply]:
    return await _mark(ctx, args, "postponed")


async def unmark(ctx: Context, args: str) -> list[Reply]:
    spec, note = split_note(args)
    ids = _ids(spec, ctx.lang)
    done, not_marked = await unmark_appointments(
        ctx.uow, actor=ctx.actor, ids=ids, note=note, at=ctx.clock.now()
    )
    blocks = [Paragraph(tn(ctx.lang, "marks.unmarked", len(done), n=len(done)))]
    if not_marked:
        shown_ids = ", ".join(i if not looks_like_phone(i) else "(?)" for i in not_marked)
        blocks.append(Paragraph(t(ctx.lang, "marks.not_marked", ids=shown_ids)))
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            blocks=tuple(blocks),
            facts={"kind": "unmark", "unmarked": done},
        )
    ]


async def calls(ctx: Context, args: str) -> list[Reply]:
    word, _, rest = args.strip().partition(" ")
    action = {"status": "status", "statut": "status", "sms": "sms"}.get(fold(word))
    if action is not None:
        no = read_number(rest, ctx.lang, f"calls {action}")
        return [await _status(ctx, no) if action == "status" else await _sms(ctx, no)]
    period = parse_scope(args, catalog=ctx.catalog, today=ctx.today(), lang=ctx.lang)
    sites, service = list(period.sites), period.service
    call_list, skipped = await build_call_list(
        ctx.uow,
        catalog=ctx.catalog,
        actor=ctx.actor,
        service=service,
        sites=sites,
        first=period.first,
        last=period.last,
        now=ctx.clock.now(),
        lang=ctx.lang,
    )
    where = {
        "service": ctx.catalog.service_name(service, ctx.lang),
        "sites": ctx.catalog.sites_label(sites, ctx.lang),
        "period": fmt_period(period.first, period.last, ctx.lang),
    }
    if call_list is None:
        return [
            Reply(
                kind="text",
                lang=ctx.lang,
                blocks=(Paragraph(t(ctx.lang, "calls.none", **where)),),
                facts={"kind": "call-list", "list": None, "skipped": skipped},
            )
        ]
    n = len(await ctx.uow.calls.calls(call_list.no))
    text = tn(
        ctx.lang,
        "calls.built",
        n,
        n=n,
        no=call_list.no,
        skipped=tn(ctx.lang, "calls.skipped", skipped, n=skipped) if skipped else "",
        **where,
    )
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            title=t(ctx.lang, "calls.title", no=call_list.no),
            blocks=(Paragraph(text),),
            facts={"kind": "call-list", "list": call_list.no, "calls": n, "skipped": skipped},
        )
    ]


async def _status(ctx: Context, no: int) -> Reply:
    if await ctx.uow.calls.get(no) is None:
        raise CallError(t(ctx.lang, "calls.no_such_list", no=no))
    all_calls = await ctx.uow.calls.calls(no)
    counts = call_counts(all_calls)
    tries = ctx.notify.call_max_tries
    unreached = len(not_reached(all_calls, tries))
    blocks = [
        Paragraph(
            tn(
                ctx.lang,
                "calls.status",
                len(all_calls),
                total=len(all_calls),
                pending=counts.get("pending", 0),
                maintained=counts.get("maintained", 0),
                postponed=counts.get("postponed", 0),
                no_answer=counts.get("no-answer", 0),
                to_retry=counts.get("to-retry", 0),
                tries=tries,
                unreached=unreached,
            )
        )
    ]
    if unreached:
        blocks.append(Paragraph(t(ctx.lang, "calls.sms_hint", no=no)))
    return Reply(
        kind="text",
        lang=ctx.lang,
        title=t(ctx.lang, "calls.title", no=no),
        blocks=tuple(blocks),
        facts={
            "kind": "call-status",
            "list": no,
            "total": len(all_calls),
            "counts": counts,
            "unreached": unreached,
        },
    )


async def _sms(ctx: Context, no: int) -> Reply:
    call_list = await ctx.uow.calls.get(no)
    if call_list is None:
        raise CallError(t(ctx.lang, "calls.no_such_list", no=no))
    tries = ctx.notify.call_max_tries
    unreached = not_reached(await ctx.uow.calls.calls(no), tries)
    if not unreached:
        raise CallError(t(ctx.lang, "calls.nobody_unreached", tries=tries, no=no))
    job, stats = await draft_callback(
        ctx.uow,
        catalog=ctx.catalog,
        options=ctx.notify,
        actor=ctx.actor,
        creator_key=ctx.directory.person_key(ctx.actor.id),
        list_no=no,
        service=call_list.service,
        sites=call_list.sites,
        first=call_list.first_day,
        last=call_list.last_day,
        appointment_ids=[c.appointment_id for c in unreached],
        now=ctx.clock.now(),
        lang=ctx.lang,
    )
    return dry_run_reply(
        job,
        stats,
        [],
        lang=ctx.lang,
        catalog=ctx.catalog,
        options=ctx.notify,
        service=call_list.service,
        sites=call_list.sites,
        first=call_list.first_day,
        last=call_list.last_day,
    )


async def call(ctx: Context, args: str) -> list[Reply]:
    spec, note = split_note(args)
    parts = spec.split()
    if len(parts) != 2 or fold(parts[1]) not in CALL_OUTCOMES:
        raise UsageError(t(ctx.lang, "calls.bad_outcome", outcomes=", ".join(CALL_OUTCOMES)))
    done, offers = await record_outcome(
        ctx.uow,
        actor=ctx.actor,
        appointment_id=parts[0],
        outcome=fold(parts[1]),
        note=note,
        at=ctx.clock.now(),
        lang=ctx.lang,
    )
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            severity="success",
            blocks=(
                Paragraph(
                    t(
                        ctx.lang,
                        "calls.recorded",
                        id=done.appointment_id,
                        no=done.list_no,
                        outcome=done.outcome,
                        tries=max(done.tries, 1),
                    )
                ),
                *(
                    Paragraph(tn(ctx.lang, "marks.offer", n, n=n, job=job))
                    for job, n in sorted(offers.items())
                ),
            ),
            facts={
                "kind": "call-outcome",
                "list": done.list_no,
                "appointment": done.appointment_id,
                "outcome": done.outcome,
                "tries": done.tries,
                "offer": [f"/notify correct {j}" for j in sorted(offers)],
            },
        )
    ]


COMMANDS = (
    Command(
        name="maintain",
        roles=CELL_OR_DOCTOR,
        handler=maintain,
        names={
            "en": ("maintain",),
            "fr": ("maintenir",),
            "nl": ("behouden",),
            "de": ("beibehalten",),
        },
        usage=N_("command.maintain.usage"),
        summary=N_("command.maintain.summary"),
        examples=N_("command.maintain.examples"),
    ),
    Command(
        name="postpone",
        roles=CELL_OR_DOCTOR,
        handler=postpone,
        names={
            "en": ("postpone",),
            "fr": ("reporter",),
            "nl": ("uitstellen",),
            "de": ("verschieben",),
        },
        usage=N_("command.postpone.usage"),
        summary=N_("command.postpone.summary"),
        examples=N_("command.postpone.examples"),
    ),
    Command(
        name="unmark",
        roles=CELL_OR_DOCTOR,
        handler=unmark,
        names={
            "en": ("unmark",),
            "fr": ("demarquer",),
            "nl": ("ontmarkeren",),
            "de": ("entmarkieren",),
        },
        usage=N_("command.unmark.usage"),
        summary=N_("command.unmark.summary"),
        examples=N_("command.unmark.examples"),
    ),
    Command(
        name="calls",
        roles=CELL_ONLY,
        handler=calls,
        names={
            "en": ("calls",),
            "fr": ("appels",),
            "nl": ("oproepen",),
            "de": ("anrufe",),
        },
        usage=N_("command.calls.usage"),
        summary=N_("command.calls.summary"),
        examples=N_("command.calls.examples"),
    ),
    Command(
        name="call",
        roles=CELL_OR_DOCTOR,
        handler=call,
        names={
            "en": ("call",),
            "fr": ("appel",),
            "nl": ("oproep",),
            "de": ("anruf",),
        },
        usage=N_("command.call.usage"),
        summary=N_("command.call.summary"),
        examples=N_("command.call.examples"),
    ),
)
