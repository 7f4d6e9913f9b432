"""Patient notification jobs: from the decisions in force to one SMS per patient and day.

A job is drafted from the decisions in force and the imported appointments (a dry run
the cell reads), approved by a second cell member, then sent by the SMS sender
(``bot/jobs/sending.py``). Every message is a row of its own under a unique key, and its
state only moves forward::

    pending -> sending -> submitted -> delivered | failed
    pending -> expired | cancelled            (never handed to the gateway)
    sending -> uncertain                      (the gateway may have it; nobody can say)
    sending -> pending                        (only when the gateway *proved* it did not
                                               take the message: a transient refusal)

Nothing here logs or shows a phone number: replies carry counts only.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from bot.catalog import Catalog
from bot.errors import DomainError
from bot.i18n import N_, fmt_day, t, tn
from bot.jobs.appointments import Appointment
from bot.jobs.sms import segments
from bot.jobs.states import JobKind, JobState, SmsState
from bot.ledger.decisions import latest_by_day, resolve
from bot.model import ALL_SITES, LANGS, Actor, Decision, Lang, RoomRef, Status

if TYPE_CHECKING:
    from bot.ports import UnitOfWork

# new state -> the states it may come from (the only moves the store makes)
FORWARD: Mapping[SmsState, tuple[SmsState, ...]] = {
    SmsState.SENDING: (SmsState.PENDING,),
    SmsState.SUBMITTED: (SmsState.SENDING,),
    SmsState.DELIVERED: (SmsState.SENDING, SmsState.SUBMITTED, SmsState.UNCERTAIN),
    SmsState.FAILED: (SmsState.SENDING, SmsState.SUBMITTED, SmsState.UNCERTAIN),
    SmsState.UNCERTAIN: (SmsState.SENDING,),
    SmsState.EXPIRED: (SmsState.PENDING,),
    SmsState.CANCELLED: (SmsState.PENDING,),
    SmsState.PENDING: (SmsState.SENDING,),  # a transient refusal: proven not taken
}
# the patient may have it
MESSAGED = (SmsState.SENDING, SmsState.SUBMITTED, SmsState.DELIVERED, SmsState.UNCERTAIN)
RELEASING = (
    SmsState.FAILED,
    SmsState.EXPIRED,
    SmsState.CANCELLED,
)  # ended without reaching the patient
CORRECTS = ("cancelled", "contact")  # what a correction message takes back (message kinds)
OPEN_STATES = (SmsState.PENDING, SmsState.SENDING)
TO_CALL = (SmsState.FAILED, SmsState.EXPIRED, SmsState.UNCERTAIN)

CANCELLING = (Status.CANCELLED, Status.CLOSED)
MAX_DAYS = 31

# The patient SMS texts: defaults in the catalogs ("sms.<kind>"), overridable per
# language in the config ([notify.templates]).
SMS_TEMPLATES = {
    "cancelled": N_("sms.cancelled"),
    "contact": N_("sms.contact"),
    "callback": N_("sms.callback"),
    "correction": N_("sms.correction"),
}


@dataclass(frozen=True)
class NotifyOptions:
    hospital: str = "Hôpital"
    hotline: str = ""
    templates: Mapping[str, Mapping[Lang, str]] = field(default_factory=dict)
    drill: bool = False
    single_approver: bool = False
    expire_after: timedelta = timedelta(hours=12)
    progress_percent: int = 10
    progress_seconds: int = 60
    gateway: str = "log"
    call_max_tries: int = 3

    def template(self, kind: str, lang: Lang) -> str:
        return self.templates.get(kind, {}).get(lang) or t(lang, SMS_TEMPLATES[kind])


@dataclass(frozen=True)
class Job:
    no: int
    kind: JobKind
    state: JobState
    service: str
    sites: tuple[str, ...]
    first_day: date
    last_day: date
    room: RoomRef
    lang: Lang
    created_by: str
    creator_key: str
    created_at: datetime
    decisions: tuple[int, ...]
    summary: Mapping[str, Any]
    approved_by: str | None = None
    approved_at: datetime | None = None
    expires_at: datetime | None = None
    finished_at: datetime | None = None
    corrects: int | None = None
    progress_at: datetime | None = None
    progress_step: int = 0


@dataclass(frozen=True)
class NewMessage:
    phone: str
    day: date
    kind: str  # cancelled | contact | correction
    lang: Lang
    body: str
    appointments: tuple[str, ...]
    first_start: datetime


@dataclass(frozen=True)
class QueuedSms:
    id: int
    job_no: int
    key: str
    phone: str
    body: str
    state: SmsState
    attempts: int
    day: date
    kind: str
    lang: Lang
    appointments: tuple[str, ...]
    first_start: datetime
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    provider_id: str | None = None
    error: str | None = None


# --- drafting ---------------------------------------------------------------------------


@dataclass
class DraftStats:
    """What the dry run shows: counts only, never a name or a number."""

    appointments: int = 0  # in scope (service, sites, days)
    recipients: int = 0  # messages to send
    by_lang: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    no_mobile: int = 0
    opted_out: int = 0
    merged: int = 0  # appointments folded into another's message (same patient, same day)
    not_covered: int = 0  # status open/reduced or no decision: no message
    already: int = 0  # the same message went out in an earlier job: not sent twice
    maintained: int = 0  # kept by their doctor (/maintain): no cancellation SMS
    postponed: int = 0  # moved by their doctor (/postpone): messaged like the others
    in_force: dict[str, str | None] = field(default_factory=dict)  # see in_force()
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)  # lang -> sample

    def to_json(self) -> dict[str, Any]:
        return {
            "appointments": self.appointments,
            "recipients": self.recipients,
            "by_lang": dict(sorted(self.by_lang.items())),
            "by_kind": dict(sorted(self.by_kind.items())),
            "no_mobile": self.no_mobile,
            "opted_out": self.opted_out,
            "merged": self.merged,
            "not_covered": self.not_covered,
            "already": self.already,
            "maintained": self.maintained,
            "postponed": self.postponed,
            "in_force": self.in_force,
            "samples": self.samples,
        }


def message_kind(decision: Decision | None) -> str | None:
    if decision is None:
        return None
    if decision.status in CANCELLING:
        return "cancelled"
    if decision.status == Status.CASE_BY_CASE:
        return "contact"
    return None


async def in_force(
    uow: UnitOfWork,
    *,
    service: str,
    sites: Sequence[str],
    first: date,
    last: date,
    notifying_only: bool = False,
    latest: Mapping[date, list[Decision]] | None = None,
) -> dict[str, str | None]:
    """For each "day|site" of the scope, what the decisions in force mean for a message:
    "cancelled" (cancelled or closed), "contact" (case by case), "open", "reduced", or None
    (no decision).

    Stored with a draft and compared at approval and resumption: a job is sent only on
    what its dry run showed. ``notifying_only``: only "cancelled" and "contact" count.
    ``latest``: the caller's :func:`latest_by_day` of the period, if it has it.
    """
    if latest is None:
        latest = await latest_by_day(uow, service=service, first=first, last=last)
    out: dict[str, str | None] = {}
    for day, covering in sorted(latest.items()):
        for site in sites:
            d = resolve(covering, service=service, site=site, day=day)
            meaning = message_kind(d) or (None if d is None else str(d.status))
            if notifying_only and meaning not in ("cancelled", "contact"):
                meaning = None
            out[f"{day.isoformat()}|{site}"] = meaning
    return out


def render_sms(
    options: NotifyOptions,
    catalog: Catalog,
    *,
    kind: str,
    lang: Lang,
    day: date,
    starts: Sequence[datetime],
    services: Sequence[str],
    sites: Sequence[str],
    tz: tzinfo,
) -> str:
    text = options.template(kind, lang).format(
        hospital=options.hospital,
        hotline=options.hotline,
        date=str(format_date(day, t(lang, "format.sms_date"), locale=lang)),
        time=", ".join(dict.fromkeys(s.astimezone(tz).strftime("%H:%M") for s in sorted(starts))),
        service=", ".join(catalog.service_name(s, lang) for s in dict.fromkeys(services)),
        site=", ".join(catalog.site_name(s, lang) for s in dict.fromkeys(sites)),
    )
    return (t(lang, "sms.drill_mark") + text) if options.drill else text


def _sample(body: str) -> dict[str, Any]:
    seg = segments(body)
    return {
        "text": body,
        "length": seg.length,
        "segments": seg.count,
        "encoding": seg.encoding,
        "ucs2_because": seg.ucs2_because,
    }


async def draft_job(
    uow: UnitOfWork,
    *,
    catalog: Catalog,
    options: NotifyOptions,
    actor: Actor,
    creator_key: str,
    service: str,
    sites: Sequence[str],
    first: date,
    last: date,
    now: datetime,
    lang: Lang,
) -> tuple[Job | None, DraftStats, list[Decision]]:
    """Build a draft (not sent until approved). No job when nothing would be sent.

    Returns (job, the dry run's counts, the decisions the messages rest on).
    """
    if (last - first).days >= MAX_DAYS:
        raise DomainError(tn(lang, "notify.too_long", MAX_DAYS, days=MAX_DAYS))
    scope = tuple(catalog.site_ids) if (not sites or ALL_SITES in sites) else tuple(sites)
    stats = DraftStats()
    latest = await latest_by_day(uow, service=service, first=first, last=last)
    stats.in_force = await in_force(
        uow, service=service, sites=scope, first=first, last=last, latest=latest
    )
    appointments: list[Appointment] = await uow.appointments.in_scope(
        service=service, sites=scope, first=first, last=last
    )
    stats.appointments = len(appointments)
    marks = await uow.marks.of([a.id for a in appointments])
    used: dict[int, Decision] = {}
    groups: dict[tuple[str, date, str], list[Appointment]] = defaultdict(list)
    for n, a in enumerate(appointments):
        if n % 2000 == 1999:
            await asyncio.sleep(0)  # a big list: let other rooms' messages through
        decision = resolve(latest[a.day], service=service, site=a.site, day=a.day)
        kind = message_kind(decision)
        if kind is None or decision is None:
            stats.not_covered += 1
            continue
        mark = marks.get(a.id)
        if mark is not None and mark.outcome == "maintained":
            stats.maintained += 1  # the doctor keeps it: no cancellation
            continue
        if mark is not None:
            stats.postponed += 1
        used[decision.no] = decision
        if a.phone is None or a.phone_kind != "mobile":
            stats.no_mobile += 1
            continue
        groups[(a.phone, a.day, kind)].append(a)
    rows = await _messages(
        uow,
        groups,
        options=options,
        catalog=catalog,
        service=service,
        first=first,
        last=last,
        now=now,
        stats=stats,
    )
    decisions = [used[n] for n in sorted(used)]
    if not rows:
        return None, stats, decisions
    job = await _create_job(
        uow,
        kind=JobKind.NOTIFY,
        actor=actor,
        creator_key=creator_key,
        service=service,
        sites=scope,
        first=first,
        last=last,
        lang=lang,
        now=now,
        decisions=tuple(d.no for d in decisions),
        summary=stats.to_json(),
        rows=rows,
    )
    return job, stats, decisions


async def _messages(
    uow: UnitOfWork,
    groups: Mapping[tuple[str, date, str], list[Appointment]],
    *,
    options: NotifyOptions,
    catalog: Catalog,
    service: str,
    first: date,
    last: date,
    now: datetime,
    stats: DraftStats,
) -> list[NewMessage]:
    """One message per (patient, day, kind) -- the group's appointments merged -- skipping
    opted-out numbers and what an earlier job already gave the patient; counted in
    ``stats``."""
    suppressed = await uow.suppressions.among(sorted({k[0] for k in groups}))
    earlier = await uow.jobs.already_messaged(service=service, first=first, last=last)
    rows: list[NewMessage] = []
    for (phone, day, kind), appts in sorted(groups.items()):
        if phone in suppressed:
            stats.opted_out += len(appts)
            continue
        if (phone, day, kind) in earlier:
            stats.already += 1
            continue
        appts.sort(key=lambda a: a.start)
        msg_lang = appts[0].language
        body = render_sms(
            options,
            catalog,
            kind=kind,
            lang=msg_lang,
            day=day,
            starts=[a.start for a in appts],
            services=[a.service for a in appts],
            sites=[a.site for a in appts],
            tz=now.tzinfo or UTC,
        )
        stats.merged += len(appts) - 1
        stats.recipients += 1
        stats.by_lang[msg_lang] += 1
        stats.by_kind[kind] += 1
        stats.samples.setdefault(msg_lang, _sample(body))
        rows.append(
            NewMessage(phone, day, kind, msg_lang, body, tuple(a.id for a in appts), appts[0].start)
        )
    return rows


async def _create_job(
    uow: UnitOfWork,
    *,
    kind: JobKind,
    actor: Actor,
    creator_key: str,
    service: str,
    sites: tuple[str, ...],
    first: date,
    last: date,
    lang: Lang,
    now: datetime,
    decisions: tuple[int, ...],
    summary: Mapping[str, Any],
    rows: Sequence[NewMessage],
    corrects: int | None = None,
    **extra: Any,
) -> Job:
    """A draft with its messages; the next job number (handed out in order, like decision
    numbers, under the ledger lock) and a ledger entry."""
    await uow.ledger.lock()
    job = Job(
        no=await uow.jobs.next_no(),
        kind=kind,
        state=JobState.DRAFT,
        service=service,
        sites=sites,
        first_day=first,
        last_day=last,
        room=actor.room,
        lang=lang,
        created_by=actor.id,
        creator_key=creator_key,
        created_at=now,
        decisions=decisions,
        summary=summary,
        corrects=corrects,
    )
    await _record(uow, job, "job-drafted", actor, now, **extra)
    await uow.jobs.add(job)
    await uow.jobs.add_messages(job, rows)
    return job


async def draft_correction(
    uow: UnitOfWork,
    *,
    catalog: Catalog,
    options: NotifyOptions,
    actor: Actor,
    creator_key: str,
    of: Job,
    now: datetime,
    lang: Lang,
) -> tuple[Job | None, DraftStats]:
    """A follow-up for the patients of ``of`` who were messaged about a day that is no longer
    cancelled (or to be reviewed): "your appointment is maintained after all"."""
    if of.kind != "notify":
        raise JobError(t(lang, "notify.correct_correction", no=of.no))
    stats = DraftStats()
    latest = await latest_by_day(uow, service=of.service, first=of.first_day, last=of.last_day)
    stats.in_force = await in_force(
        uow,
        service=of.service,
        sites=of.sites,
        first=of.first_day,
        last=of.last_day,
        latest=latest,
    )
    sent = await uow.jobs.messages(of.no, MESSAGED)
    ids = sorted({i for m in sent for i in m.appointments})  # one query, not one per message
    by_id = {a.id: a for a in await uow.appointments.get_many(ids)}
    marks = await uow.marks.of(ids)
    rows: list[NewMessage] = []
    suppressed = await uow.suppressions.among(sorted({m.phone for m in sent}))
    earlier = await uow.jobs.already_messaged(
        service=of.service, first=of.first_day, last=of.last_day
    )
    for m in sent:
        stats.appointments += len(m.appointments)
        # "Maintained after all" only where an `open` decision now says so, for every
        # appointment of the message (revoked with nothing in force is not "maintained").
        appts = [by_id[i] for i in m.appointments if i in by_id]
        now_open = []
        for a in appts:
            d = resolve(latest[m.day], service=of.service, site=a.site, day=m.day)
            # kept by the doctor whatever the service decision, or the service is open
            if (a.id in marks and marks[a.id].outcome == "maintained") or (
                d is not None and d.status == Status.OPEN
            ):
                now_open.append(a)
        if not appts or len(now_open) < len(appts):
            stats.not_covered += 1
            continue
        if (m.phone, m.day, "correction") in earlier:
            stats.already += 1
            continue
        if m.phone in suppressed:
            stats.opted_out += 1
            continue
        body = render_sms(
            options,
            catalog,
            kind="correction",
            lang=m.lang,
            day=m.day,
            starts=[a.start for a in appts],
            services=[a.service for a in appts],
            sites=[a.site for a in appts],
            tz=now.tzinfo or UTC,
        )
        stats.recipients += 1
        stats.by_lang[m.lang] += 1
        stats.by_kind["correction"] += 1
        stats.samples.setdefault(m.lang, _sample(body))
        rows.append(
            NewMessage(m.phone, m.day, "correction", m.lang, body, m.appointments, m.first_start)
        )
    if not rows:
        return None, stats
    job = await _create_job(
        uow,
        kind=JobKind.CORRECTION,
        actor=actor,
        creator_key=creator_key,
        service=of.service,
        sites=of.sites,
        first=of.first_day,
        last=of.last_day,
        lang=lang,
        now=now,
        decisions=of.decisions,
        summary=stats.to_json(),
        rows=rows,
        corrects=of.no,
    )
    return job, stats


@dataclass(frozen=True)
class ToCall:
    """A patient the cell phones for a job (``crisiscell notify report``)."""

    reason: str  # the message's state, "opted-out (STOP)" or "no-mobile (<kind>)"
    appointment: Appointment
    phone: str
    lang: str
    error: str = ""


async def patients_to_call(uow: UnitOfWork, job: Job) -> list[ToCall]:
    """Messages that failed, expired or may not have left; and, for a notification job,
    the patients it could not text (no mobile number, or STOP) whose appointment the
    decisions, as they stand now, cancel (unless their doctor maintained it)."""
    out: list[ToCall] = []
    sent = await uow.jobs.messages(job.no, TO_CALL)
    ids = sorted({i for m in sent for i in m.appointments})
    by_id = {a.id: a for a in await uow.appointments.get_many(ids)}
    for m in sent:
        for i in m.appointments:
            if i in by_id:  # not purged since
                out.append(ToCall(m.state, by_id[i], m.phone, m.lang, m.error or ""))
    if job.kind != "notify":
        return out
    latest = await latest_by_day(uow, service=job.service, first=job.first_day, last=job.last_day)
    scope = await uow.appointments.in_scope(
        service=job.service, sites=job.sites, first=job.first_day, last=job.last_day
    )
    stopped = await uow.suppressions.among(
        sorted({a.phone for a in scope if a.phone and a.phone_kind == "mobile"})
    )
    marks = await uow.marks.of([a.id for a in scope])
    for a in scope:
        if a.phone_kind == "mobile" and a.phone not in stopped:
            continue
        if a.id in marks and marks[a.id].outcome == "maintained":
            continue  # kept by the doctor: nobody calls to cancel it
        if not message_kind(resolve(latest[a.day], service=a.service, site=a.site, day=a.day)):
            continue
        opted_out = a.phone in stopped and a.phone_kind == "mobile"
        reason = "opted-out (STOP)" if opted_out else f"no-mobile ({a.phone_kind})"
        out.append(ToCall(reason, a, a.phone or "", a.language))
    return out


async def _record(
    uow: UnitOfWork, job: Job, type: str, actor: Actor, at: datetime, **extra: Any
) -> None:
    """Job state changes are ledger entries (who, when); counts only, no personal data."""
    await uow.ledger.lock()
    await uow.ledger.append(
        type=type,
        actor=actor,
        at=at,
        payload={
            "job": job.no,
            "kind": job.kind,
            "state": job.state,
            "decisions": list(job.decisions),
            "first_day": job.first_day.isoformat(),
            "last_day": job.last_day.isoformat(),
            "sites": list(job.sites),
            **extra,
        },
        service=job.service,
    )


# --- life cycle -------------------------------------------------------------------------


@dataclass(frozen=True)
class JobStateChanged:
    """A domain event: a job was approved, paused, resumed, aborted or finished."""

    job: Job
    previous: str
    actor: Actor | None
    reason: str = ""


SYSTEM = "crisiscell"


def system_actor(room: RoomRef) -> Actor:
    """The bot itself, for the job changes it makes (done, paused on a changed decision)."""
    return Actor(id=SYSTEM, name=SYSTEM, roles=frozenset({"system"}), platform="bot", room=room)


class JobError(DomainError):
    pass


async def get_job(uow: UnitOfWork, no: int, lang: Lang) -> Job:
    job: Job | None = await uow.jobs.get(no)
    if job is None:
        raise JobError(t(lang, "notify.no_such_job", no=no))
    return job


async def approve(
    uow: UnitOfWork,
    *,
    job: Job,
    actor: Actor,
    approver_key: str,
    options: NotifyOptions,
    now: datetime,
    lang: Lang,
    catalog: Catalog | None = None,
) -> Job:
    job = await _locked(uow, job)
    if job.state != "draft":
        raise JobError(t(lang, "notify.not_draft", no=job.no, state=state_name(job.state, lang)))
    if approver_key == job.creator_key and not options.single_approver:
        raise JobError(t(lang, "notify.self_approval", no=job.no))
    await check_decisions(uow, job, lang, catalog)
    expires = now + options.expire_after
    new = replace(
        job, state=JobState.RUNNING, approved_by=actor.id, approved_at=now, expires_at=expires
    )
    await uow.jobs.update(
        job.no,
        expect=("draft",),
        state="running",
        approved_by=actor.id,
        approved_at=now,
        expires_at=expires,
    )
    await _record(uow, new, "job-approved", actor, now)
    uow.events.append(JobStateChanged(new, job.state, actor))
    return new


async def check_decisions(
    uow: UnitOfWork, job: Job, lang: Lang, catalog: Catalog | None = None
) -> None:
    """Refuse to send when the decisions in force mean something else than in the dry run."""
    changes = await decision_changes(uow, job, lang, catalog)
    if changes:
        raise JobError(t(lang, "notify.decision_gone", no=job.no, changes="; ".join(changes)))


async def decision_changes(
    uow: UnitOfWork, job: Job, lang: Lang, catalog: Catalog | None = None
) -> list[str]:
    """Where the decisions in force changed meaning since the job was drafted."""
    before: Mapping[str, str | None] = job.summary.get("in_force") or {}
    now = await in_force(
        uow, service=job.service, sites=job.sites, first=job.first_day, last=job.last_day
    )
    out = []
    for key in sorted(set(before) | set(now)):
        if before.get(key) != now.get(key):
            day, _, site = key.partition("|")
            where = (
                fmt_day(date.fromisoformat(day), lang)
                + ", "
                + (catalog.site_name(site, lang) if catalog else site)
            )
            was, is_ = (_meaning(before.get(key), lang), _meaning(now.get(key), lang))
            out.append(f"{where}: {was} → {is_}")
    return out


def _meaning(value: str | None, lang: Lang) -> str:
    return t(lang, MEANINGS[value or "none"])


MEANINGS = {
    "cancelled": N_("job.meaning.cancelled"),
    "contact": N_("job.meaning.contact"),
    "open": N_("job.meaning.open"),
    "reduced": N_("job.meaning.reduced"),
    "none": N_("job.meaning.none"),
}


ALLOWED_CHANGES: Mapping[JobState, tuple[JobState, ...]] = {
    JobState.PAUSED: (JobState.RUNNING,),
    JobState.RUNNING: (JobState.PAUSED,),
    JobState.ABORTED: (JobState.DRAFT, JobState.RUNNING, JobState.PAUSED),
    JobState.DONE: (JobState.RUNNING,),
}


async def change_state(
    uow: UnitOfWork,
    *,
    job: Job,
    to: JobState,
    actor: Actor | None,
    now: datetime,
    lang: Lang,
    reason: str = "",
    catalog: Catalog | None = None,
) -> Job:
    job = await _locked(uow, job)
    if job.state not in ALLOWED_CHANGES[to]:
        raise JobError(
            t(
                lang,
                "notify.bad_change",
                no=job.no,
                state=state_name(job.state, lang),
                to=state_name(to, lang),
            )
        )
    if to == "running" and actor is not None:
        await check_decisions(uow, job, lang, catalog)
    fields: dict[str, Any] = {"state": to}
    if to in ("done", "aborted"):
        fields["finished_at"] = now
    if to == "aborted":
        await uow.jobs.cancel_pending(job.no, at=now)
    new = replace(job, **fields)
    await uow.jobs.update(job.no, expect=ALLOWED_CHANGES[to], **fields)
    if actor is not None:
        await _record(uow, new, f"job-{to}", actor, now, reason=reason)
    uow.events.append(JobStateChanged(new, job.state, actor, reason))
    return new


async def _locked(uow: UnitOfWork, job: Job) -> Job:
    """The job as it is now, its row locked until commit (a sender or another command may
    be changing it at the same moment on PostgreSQL)."""
    current = await uow.jobs.get(job.no, lock=True)
    assert current is not None
    return current


def state_name(state: str, lang: Lang) -> str:
    return t(lang, JOB_STATE_NAMES[JobState(state)])


def kind_name(kind: str, lang: Lang) -> str:
    return t(lang, JOB_KIND_NAMES[JobKind(kind)])


JOB_STATE_NAMES: Mapping[JobState, str] = {
    JobState.DRAFT: N_("job.state.draft"),
    JobState.RUNNING: N_("job.state.running"),
    JobState.PAUSED: N_("job.state.paused"),
    JobState.DONE: N_("job.state.done"),
    JobState.ABORTED: N_("job.state.aborted"),
}

JOB_KIND_NAMES: Mapping[JobKind, str] = {
    JobKind.NOTIFY: N_("job.kind.notify"),
    JobKind.CORRECTION: N_("job.kind.correction"),
    JobKind.CALLBACK: N_("job.kind.callback"),
}


@dataclass(frozen=True)
class Progress:
    total: int
    counts: Mapping[str, int]

    @property
    def open(self) -> int:
        return sum(self.counts.get(s, 0) for s in OPEN_STATES)

    @property
    def handled(self) -> int:
        return self.total - self.open

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.handled / self.total)

    def get(self, state: str) -> int:
        return self.counts.get(state, 0)


async def progress_of(uow: UnitOfWork, job_no: int) -> Progress:
    counts: dict[str, int] = await uow.jobs.counts(job_no)
    return Progress(sum(counts.values()), counts)


def langs_sorted(by_lang: Mapping[str, int]) -> list[tuple[str, int]]:
    return [(x, by_lang[x]) for x in LANGS if by_lang.get(x)]


async def draft_callback(
    uow: UnitOfWork,
    *,
    catalog: Catalog,
    options: NotifyOptions,
    actor: Actor,
    creator_key: str,
    list_no: int,
    service: str,
    sites: Sequence[str],
    first: date,
    last: date,
    appointment_ids: Sequence[str],
    now: datetime,
    lang: Lang,
) -> tuple[Job | None, DraftStats]:
    """A "please call us back" SMS for the patients a call list could not reach."""
    stats = DraftStats()
    stats.in_force = await in_force(uow, service=service, sites=sites, first=first, last=last)
    appointments = await uow.appointments.get_many(appointment_ids)
    stats.appointments = len(appointments)
    marks = await uow.marks.of(list(appointment_ids))
    groups: dict[tuple[str, date, str], list[Appointment]] = defaultdict(list)
    for a in appointments:
        if a.id in marks:  # settled by the doctor meanwhile: no "call us back"
            stats.maintained += marks[a.id].outcome == "maintained"
            stats.postponed += marks[a.id].outcome == "postponed"
            continue
        if a.phone is None or a.phone_kind != "mobile":
            stats.no_mobile += 1
            continue
        groups[(a.phone, a.day, "callback")].append(a)
    rows = await _messages(
        uow,
        groups,
        options=options,
        catalog=catalog,
        service=service,
        first=first,
        last=last,
        now=now,
        stats=stats,
    )
    if not rows:
        return None, stats
    job = await _create_job(
        uow,
        kind=JobKind.CALLBACK,
        actor=actor,
        creator_key=creator_key,
        service=service,
        sites=tuple(sites),
        first=first,
        last=last,
        lang=lang,
        now=now,
        decisions=(),
        summary={**stats.to_json(), "call_list": list_no},
        rows=rows,
        call_list=list_no,
    )
    return job, stats
