"""What the cell reads about notification jobs: dry runs, status, progress, final reports.
Counts only: never a name or a phone number.

Renderers are pure functions of (job, counts, language); posting goes through the chat
outbox in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from babel import Locale

from bot.catalog import Catalog
from bot.i18n import N_, fmt_period, t, tn
from bot.jobs.notify import (
    DraftStats,
    Job,
    NotifyOptions,
    Progress,
    kind_name,
    langs_sorted,
    state_name,
)
from bot.model import BulletList, Decision, Lang, Paragraph, Reply, RoomRef
from bot.plan.milestones import room_lang
from bot.ports import UnitOfWork


def lang_name(code: str, lang: Lang) -> str:
    return str(Locale.parse(lang).languages.get(code, code))


def scope_line(job: Job, lang: Lang, catalog: Catalog) -> str:
    return t(
        lang,
        "job.scope",
        kind=kind_name(job.kind, lang),
        service=catalog.service_name(job.service, lang),
        sites=catalog.sites_label(job.sites, lang),
        period=fmt_period(job.first_day, job.last_day, lang),
        state=state_name(job.state, lang),
    )


def counts_line(p: Progress, lang: Lang) -> str:
    return tn(
        lang,
        "job.counts",
        p.total,
        total=p.total,
        sent=p.get("submitted") + p.get("delivered"),
        delivered=p.get("delivered"),
        failed=p.get("failed") + p.get("expired"),
        pending=p.open,
        uncertain=p.get("uncertain"),
    )


def counts_facts(p: Progress) -> dict[str, int]:
    return {"total": p.total, **{k: v for k, v in sorted(p.counts.items())}}


def to_call(job: Job, p: Progress) -> int:
    return (
        p.get("failed")
        + p.get("expired")
        + p.get("uncertain")
        + int(job.summary.get("no_mobile", 0))
        + int(job.summary.get("opted_out", 0))  # no SMS for them: a phone call
    )


def dry_run_reply(
    job: Job | None,
    stats: DraftStats,
    decisions: Sequence[Decision],
    *,
    lang: Lang,
    catalog: Catalog,
    options: NotifyOptions,
    service: str,
    sites: Sequence[str],
    first: Any,
    last: Any,
    corrects: int | None = None,
    overlapping: Sequence[int] = (),
) -> Reply:
    period = fmt_period(first, last, lang)
    sites_label = catalog.sites_label(list(sites), lang)
    service_name = catalog.service_name(service, lang)
    blocks: list[Paragraph | BulletList] = []
    if job is None:
        text = (
            t(lang, "job.correction.none", no=corrects)
            if corrects is not None
            else t(lang, "notify.nothing", service=service_name, sites=sites_label, period=period)
        )
        blocks.append(Paragraph(text))
    else:
        blocks.append(
            Paragraph(
                tn(
                    lang,
                    "notify.draft.scope",
                    stats.appointments,
                    service=service_name,
                    sites=sites_label,
                    period=period,
                    recipients=stats.recipients,
                    appointments=stats.appointments,
                )
            )
        )
        langs = ", ".join(f"{lang_name(x, lang)} {n}" for x, n in langs_sorted(stats.by_lang))
        blocks.append(Paragraph(t(lang, "notify.draft.by_lang", langs=langs)))
        if corrects is None:
            blocks.append(
                Paragraph(
                    t(
                        lang,
                        "notify.draft.kinds",
                        cancelled=stats.by_kind.get("cancelled", 0),
                        contact=stats.by_kind.get("contact", 0),
                    )
                )
            )
    if corrects is None:
        blocks.append(
            Paragraph(
                t(
                    lang,
                    "notify.draft.counts",
                    no_mobile=stats.no_mobile,
                    opted_out=stats.opted_out,
                    merged=stats.merged,
                    not_covered=stats.not_covered,
                )
            )
        )
    if stats.already:
        blocks.append(Paragraph(tn(lang, "notify.draft.already", stats.already, n=stats.already)))
    if stats.maintained or stats.postponed:
        blocks.append(
            Paragraph(
                t(
                    lang,
                    "notify.draft.marks",
                    maintained=stats.maintained,
                    postponed=stats.postponed,
                )
            )
        )
    if job is not None:
        blocks.append(
            BulletList(
                tuple(
                    t(
                        lang,
                        "notify.draft.sample",
                        language=lang_name(code, lang),
                        length=s["length"],
                        segments=s["segments"],
                        encoding=s["encoding"]
                        + (f' "{s["ucs2_because"]}"' if s.get("ucs2_because") else ""),
                        text=s["text"],
                    )
                    for code, s in sorted(stats.samples.items())
                )
            )
        )
        if decisions:
            nos = ", ".join(f"#{d.no}" for d in decisions)
            blocks.append(
                Paragraph(
                    tn(
                        lang,
                        "notify.draft.decisions",
                        len(decisions),
                        n=len(decisions),
                        decisions=nos,
                    )
                )
            )
        if overlapping:
            jobs = ", ".join(f"#{n}" for n in overlapping)
            blocks.append(Paragraph(t(lang, "notify.overlap", jobs=jobs)))
        if options.drill:
            blocks.append(Paragraph(t(lang, "notify.drill")))
        elif options.gateway == "log":
            blocks.append(Paragraph(t(lang, "notify.log_gateway")))
        if not options.hotline:
            blocks.append(Paragraph(t(lang, "notify.no_hotline")))
        key = (
            N_("notify.draft.approve_single")
            if options.single_approver
            else N_("notify.draft.approve")
        )
        blocks.append(Paragraph(t(lang, key, no=job.no)))
    title = None
    if job is not None:
        title = (
            t(lang, "notify.correction.title", no=job.no, of=corrects)
            if corrects is not None
            else t(lang, "notify.draft.title", no=job.no)
        )
    return Reply(
        kind="text",
        lang=lang,
        title=title,
        severity="warning" if job is not None else "info",
        blocks=tuple(blocks),
        facts={
            "kind": "notify-draft",
            "job": job.no if job else None,
            "corrects": corrects,
            "service": service,
            "sites": list(sites),
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "decisions": [d.no for d in decisions],
            "overlapping": list(overlapping),
            "sends_nothing": options.gateway == "log",
            **stats.to_json(),
        },
    )


def status_reply(job: Job, p: Progress, lang: Lang, catalog: Catalog, kind: str = "job") -> Reply:
    blocks = [Paragraph(scope_line(job, lang, catalog)), Paragraph(counts_line(p, lang))]
    if job.state in ("done", "aborted") or p.open == 0:
        blocks.append(
            Paragraph(
                tn(lang, "job.final.call", to_call(job, p), to_call=to_call(job, p), no=job.no)
            )
        )
    return Reply(
        kind="text",
        lang=lang,
        title=t(lang, "job.title", no=job.no),
        blocks=tuple(blocks),
        facts={
            "kind": kind,
            "job": job.no,
            "state": job.state,
            "percent": p.percent,
            "counts": counts_facts(p),
            "to_call": to_call(job, p),
        },
    )


def progress_reply(job: Job, p: Progress, lang: Lang, catalog: Catalog) -> Reply:
    return Reply(
        kind="alert",
        lang=lang,
        title=t(lang, "job.progress.title", no=job.no, percent=p.percent),
        blocks=(Paragraph(scope_line(job, lang, catalog)), Paragraph(counts_line(p, lang))),
        facts={
            "kind": "job-progress",
            "job": job.no,
            "percent": p.percent,
            "counts": counts_facts(p),
        },
    )


def final_reply(job: Job, p: Progress, lang: Lang, catalog: Catalog) -> Reply:
    return Reply(
        kind="alert",
        lang=lang,
        severity="success",
        title=t(lang, "job.final.title", no=job.no),
        blocks=(
            Paragraph(scope_line(job, lang, catalog)),
            Paragraph(counts_line(p, lang)),
            Paragraph(
                tn(lang, "job.final.call", to_call(job, p), to_call=to_call(job, p), no=job.no)
            ),
        ),
        facts={
            "kind": "job-final",
            "job": job.no,
            "counts": counts_facts(p),
            "no_mobile": int(job.summary.get("no_mobile", 0)),
            "to_call": to_call(job, p),
        },
    )


async def job_rooms(uow: UnitOfWork, job: Job) -> list[RoomRef]:
    """The room that started the job, then the rooms subscribed to ``jobs``."""
    rooms = [job.room]
    for room in await uow.subscriptions.rooms("jobs"):
        if room not in rooms:
            rooms.append(room)
    return rooms


async def post_to_job_rooms(
    uow: UnitOfWork,
    job: Job,
    *,
    now: datetime,
    tag: str,
    default_lang: Lang,
    render: Callable[[Lang], Reply],
) -> None:
    for room in await job_rooms(uow, job):
        lang = job.lang if room == job.room else await room_lang(uow, room, default_lang)
        await uow.outbox.add(
            room=room, reply=render(lang), key=f"job:{job.no}:{tag}:{room}", at=now
        )
