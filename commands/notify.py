"""/notify and /jobs: patient SMS jobs, from a dry run to a second approver to progress.

Chat only ever sees counts: the list of patients to call is a local CLI export
(``crisiscell notify report <job> --csv``).
"""

from __future__ import annotations

from bot.errors import UsageError
from bot.i18n import N_, Nn_, fmt_period, fmt_time, join_list, t, tn
from bot.jobs.notify import (
    CANCELLING,
    approve,
    change_state,
    draft_correction,
    draft_job,
    get_job,
    in_force,
    progress_of,
    state_name,
)
from bot.jobs.reports import counts_line, dry_run_reply, scope_line, status_reply
from bot.jobs.states import JobState
from bot.model import ALL_SITES, BulletList, Paragraph, Reply, Status
from bot.roles import CELL_ONLY, EVERYONE
from bot.runtime.lease import sms_senders
from bot.runtime.router import Command, Context
from bot.text import fold
from commands.parsing import parse_scope, read_number

ACTIONS = {
    "approve": "approve",
    "approuver": "approve",
    "goedkeuren": "approve",
    "genehmigen": "approve",
    "status": "status",
    "statut": "status",
    "etat": "status",
    "pause": "pause",
    "pauzeren": "pause",
    "pausieren": "pause",
    "resume": "resume",
    "reprendre": "resume",
    "hervatten": "resume",
    "fortsetzen": "resume",
    "abort": "abort",
    "annuler": "abort",
    "afbreken": "abort",
    "abbrechen": "abort",
    "correct": "correct",
    "rectifier": "correct",
    "rechtzetten": "correct",
    "korrigieren": "correct",
}
TARGET_STATE = {"pause": JobState.PAUSED, "resume": JobState.RUNNING, "abort": JobState.ABORTED}


async def _who_sends(ctx: Context) -> tuple[str, str, dict[str, str]]:
    """Whether the SMS leave now: "now" only while a sender renews its lease (this process
    or another, PostgreSQL workers included); "stale" when a sender holds the lease without
    renewing it; "no-sender" otherwise. With the approval's message key and values."""
    presence = await sms_senders(ctx.uow.state, ctx.real_now())
    if presence.active is not None:
        return "now", Nn_("notify.approved"), {}
    lease = presence.stale
    if lease is None:
        return "no-sender", Nn_("notify.approved.idle"), {}
    tz = ctx.clock.tz
    return (
        "stale",
        Nn_("notify.approved.stale"),
        {
            "holder": f"{lease.host}, pid {lease.pid}",
            "since": fmt_time(lease.since, ctx.lang, tz),
            "renewed": fmt_time(lease.last_renewed, ctx.lang, tz),
            "expires": fmt_time(lease.expires, ctx.lang, tz),
        },
    )


async def notify(ctx: Context, args: str) -> list[Reply]:
    word, _, rest = args.strip().partition(" ")
    action = ACTIONS.get(fold(word))
    if action is None:
        return [await _draft(ctx, args)]
    no = read_number(rest, ctx.lang, action, show_usage=False)
    job = await get_job(ctx.uow, no, ctx.lang)
    now = ctx.clock.now()
    if action == "status":
        return [status_reply(job, await progress_of(ctx.uow, no), ctx.lang, ctx.catalog)]
    if action == "approve":
        job = await approve(
            ctx.uow,
            job=job,
            actor=ctx.actor,
            approver_key=ctx.directory.person_key(ctx.actor.id),
            options=ctx.notify,
            now=now,
            lang=ctx.lang,
            catalog=ctx.catalog,
        )
        p = await progress_of(ctx.uow, no)
        sending, said, values = await _who_sends(ctx)
        return [
            Reply(
                kind="text",
                lang=ctx.lang,
                severity="success" if sending == "now" else "warning",
                title=t(ctx.lang, "job.title", no=no),
                blocks=(
                    Paragraph(
                        tn(
                            ctx.lang,
                            said,
                            p.total,
                            no=no,
                            name=ctx.actor.name,
                            recipients=p.total,
                            gateway=ctx.notify.gateway,
                            **values,
                        )
                    ),
                    Paragraph(scope_line(job, ctx.lang, ctx.catalog)),
                    *(
                        [Paragraph(t(ctx.lang, "notify.log_gateway"))]
                        if ctx.notify.gateway == "log" and not ctx.notify.drill
                        else []
                    ),
                ),
                facts={
                    "kind": "job-approved",
                    "job": no,
                    "state": job.state,
                    "total": p.total,
                    "sending": sending,
                },
            )
        ]
    if action == "correct":
        correction, stats = await draft_correction(
            ctx.uow,
            catalog=ctx.catalog,
            options=ctx.notify,
            actor=ctx.actor,
            creator_key=ctx.directory.person_key(ctx.actor.id),
            of=job,
            now=now,
            lang=ctx.lang,
        )
        return [
            dry_run_reply(
                correction,
                stats,
                [],
                lang=ctx.lang,
                catalog=ctx.catalog,
                options=ctx.notify,
                service=job.service,
                sites=job.sites,
                first=job.first_day,
                last=job.last_day,
                corrects=job.no,
            )
        ]
    job = await change_state(
        ctx.uow,
        job=job,
        to=TARGET_STATE[action],
        actor=ctx.actor,
        now=now,
        lang=ctx.lang,
        catalog=ctx.catalog,
    )
    p = await progress_of(ctx.uow, no)
    blocks = [
        Paragraph(t(ctx.lang, "notify.changed", no=no, state=state_name(job.state, ctx.lang)))
    ]
    if action == "abort" and p.get("cancelled"):
        blocks.append(
            Paragraph(
                tn(ctx.lang, "notify.cancelled_rows", p.get("cancelled"), n=p.get("cancelled"))
            )
        )
    blocks.append(Paragraph(counts_line(p, ctx.lang)))
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            title=t(ctx.lang, "job.title", no=no),
            blocks=tuple(blocks),
            facts={"kind": "job-state", "job": no, "state": job.state},
        )
    ]


async def _draft(ctx: Context, args: str) -> Reply:
    asked = parse_scope(args, catalog=ctx.catalog, today=ctx.today(), lang=ctx.lang)
    period, service, sites = asked, asked.service, list(asked.sites)
    scope = ctx.catalog.site_ids if ALL_SITES in sites else tuple(sites)
    decisions_now = await in_force(
        ctx.uow,
        service=service,
        sites=scope,
        first=period.first,
        last=period.last,
        notifying_only=True,
    )
    if not any(decisions_now.values()):
        statuses = join_list(
            [ctx.catalog.status_name(s, ctx.lang) for s in (*CANCELLING, Status.CASE_BY_CASE)],
            ctx.lang,
        )
        raise UsageError(
            t(
                ctx.lang,
                "notify.no_decision",
                statuses=statuses,
                service=ctx.catalog.service_name(service, ctx.lang),
                sites=ctx.catalog.sites_label(sites, ctx.lang),
                period=fmt_period(period.first, period.last, ctx.lang),
            ),
            show_usage=False,
        )
    job, stats, decisions = await draft_job(
        ctx.uow,
        catalog=ctx.catalog,
        options=ctx.notify,
        actor=ctx.actor,
        creator_key=ctx.directory.person_key(ctx.actor.id),
        service=service,
        sites=sites,
        first=period.first,
        last=period.last,
        now=ctx.clock.now(),
        lang=ctx.lang,
    )
    overlapping = [
        j.no
        for j in await ctx.uow.jobs.in_states(("draft", "running", "paused"))
        if j.service == service
        and (job is None or j.no != job.no)
        and j.first_day <= period.last
        and period.first <= j.last_day
    ]
    return dry_run_reply(
        job,
        stats,
        decisions,
        lang=ctx.lang,
        catalog=ctx.catalog,
        options=ctx.notify,
        service=service,
        sites=sites,
        first=period.first,
        last=period.last,
        overlapping=overlapping,
    )


async def jobs(ctx: Context, args: str) -> list[Reply]:
    recent = await ctx.uow.jobs.recent(limit=10)
    if not recent:
        return [
            Reply(
                kind="text",
                lang=ctx.lang,
                blocks=(Paragraph(t(ctx.lang, "jobs.none")),),
                facts={"kind": "jobs", "jobs": []},
            )
        ]
    lines = []
    facts = []
    for job in recent:
        p = await progress_of(ctx.uow, job.no)
        lines.append(
            f"#{job.no} — {scope_line(job, ctx.lang, ctx.catalog)} — {counts_line(p, ctx.lang)}"
        )
        facts.append({"job": job.no, "kind": job.kind, "state": job.state, "total": p.total})
    return [
        Reply(
            kind="text",
            lang=ctx.lang,
            title=t(ctx.lang, "jobs.title"),
            blocks=(BulletList(tuple(lines)),),
            facts={"kind": "jobs", "jobs": facts},
        )
    ]


COMMANDS = (
    Command(
        name="notify",
        roles=CELL_ONLY,
        handler=notify,
        names={
            "en": ("notify",),
            "fr": ("notifier", "prevenir"),
            "nl": ("verwittigen",),
            "de": ("benachrichtigen",),
        },
        usage=N_("command.notify.usage"),
        summary=N_("command.notify.summary"),
        examples=N_("command.notify.examples"),
    ),
    Command(
        name="jobs",
        roles=EVERYONE,
        handler=jobs,
        names={
            "en": ("jobs",),
            "fr": ("envois",),
            "nl": ("verzendingen",),
            "de": ("auftraege", "aufträge"),
        },
        usage=N_("command.jobs.usage"),
        summary=N_("command.jobs.summary"),
        examples=N_("command.jobs.examples"),
    ),
)
