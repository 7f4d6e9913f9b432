"""When a decision behind a job changes (revoked, reopened, made case by case...): the
running job is paused, its rooms are told, and a correction is offered where patients
were already told "cancelled" (a domain-event subscriber, whoever changed the decision).
"""

from __future__ import annotations

from datetime import datetime

from bot.catalog import Catalog
from bot.dates import Period
from bot.events import DecisionRecorded, DecisionRevoked, EventBus
from bot.i18n import fmt_period, t, tn
from bot.jobs.notify import (
    MESSAGED,
    Job,
    change_state,
    decision_changes,
    progress_of,
    system_actor,
)
from bot.jobs.reports import post_to_job_rooms
from bot.jobs.states import JobState
from bot.model import ALL_SITES, Decision, Lang, Paragraph, Reply, Status
from bot.ports import UnitOfWork
from bot.runtime.clock import Clock


class JobWatch:
    """A decision changes what a job rests on (revoked, reopened, made case by case...):
    a running job is paused (it never sends on changed decisions), the job's rooms are
    told, and where patients were already told "cancelled" and an `open` decision now
    stands, a correction is offered (domain-event subscriber)."""

    def __init__(self, catalog: Catalog, default_lang: Lang, clock: Clock) -> None:
        self.catalog = catalog
        self.default_lang = default_lang
        self.clock = clock

    def install(self, bus: EventBus) -> None:
        bus.subscribe(DecisionRevoked, self.on_revoked)
        bus.subscribe(DecisionRecorded, self.on_recorded)

    async def on_revoked(self, uow: UnitOfWork, event: object) -> None:
        assert isinstance(event, DecisionRevoked)
        await self._changed(uow, event.decision, revoked=True)

    async def on_recorded(self, uow: UnitOfWork, event: object) -> None:
        assert isinstance(event, DecisionRecorded)
        await self._changed(uow, event.decision, revoked=False)

    async def _changed(self, uow: UnitOfWork, d: Decision, *, revoked: bool) -> None:
        now = self.clock.now()
        for job in await uow.jobs.in_states(("running", "paused", "done")):
            if job.service != d.service or not _overlaps(job, d):
                continue
            if job.state == "done":
                # finished: only a notification job whose cancellation may be undone
                if job.kind != "notify" or not (revoked or d.status == Status.OPEN):
                    continue
            elif not await decision_changes(uow, job, job.lang, self.catalog):
                continue  # the same meaning (e.g. a cancellation recorded again)
            await self._affected(uow, job, d, revoked=revoked, now=now)

    async def _affected(
        self, uow: UnitOfWork, job: Job, d: Decision, *, revoked: bool, now: datetime
    ) -> None:
        paused = False
        tag = f"{'revoked' if revoked else 'decision'}-{d.no}"
        if job.state == "running":
            job = await change_state(
                uow,
                job=job,
                to=JobState.PAUSED,
                actor=system_actor(job.room),
                now=now,
                lang=job.lang,
                reason=tag,
            )
            paused = True
        p = await progress_of(uow, job.no)
        messaged = sum(p.get(s) for s in MESSAGED)
        # "maintained after all" only makes sense when the cancellation may be undone
        offer = job.kind == "notify" and messaged > 0 and (revoked or d.status == Status.OPEN)

        def text(lang: Lang) -> str:
            if revoked:
                return t(lang, "job.watch.revoked", decision=d.no, no=job.no)
            return t(
                lang,
                "job.watch.reopened",
                decision=d.no,
                status=self.catalog.status_name(d.status, lang),
                service=self.catalog.service_name(d.service, lang),
                sites=self.catalog.sites_label([d.site], lang),
                period=fmt_period(d.first_day, d.last_day, lang),
                no=job.no,
            )

        def render(lang: Lang) -> Reply:
            blocks = [Paragraph(text(lang))]
            if paused:
                blocks.append(Paragraph(t(lang, "job.watch.paused", no=job.no)))
            if offer:
                blocks.append(
                    Paragraph(tn(lang, "job.watch.offer", messaged, messaged=messaged, no=job.no))
                )
            return Reply(
                kind="alert",
                lang=lang,
                severity="warning",
                title=t(lang, "job.watch.title", no=job.no),
                blocks=tuple(blocks),
                facts={
                    "kind": "job-affected",
                    "job": job.no,
                    "decision": d.no,
                    "paused": paused,
                    "messaged": messaged,
                    "offer": f"/notify correct {job.no}" if offer else None,
                },
            )

        await post_to_job_rooms(
            uow, job, now=now, tag=tag, default_lang=self.default_lang, render=render
        )


def _overlaps(job: Job, d: Decision) -> bool:
    """The decision covers some day and site of the job."""
    if not Period(d.first_day, d.last_day).overlaps(Period(job.first_day, job.last_day)):
        return False
    return d.site == ALL_SITES or d.site in job.sites
