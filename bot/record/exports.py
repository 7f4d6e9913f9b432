"""The crisis record, exported: the activity log (HICS 214 spirit) and the situation report.

Pure and platform-free: the builders take plain inputs (ledger entries and their
verification, board rows, milestones, jobs with their progress) and return data classes
whose every user-facing string is already localized; the renderers turn those into CSV,
Markdown or HTML text. Reading the database and loading the HTML templates is the
adapter's job (``adapters/exports.py``); an HTML renderer is handed its template.

The record is internal: decision notes are shown whole (internal part included). It never
holds patient data: the ledger has none, and jobs are shown by their counts only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal, Protocol

from bot.catalog import Catalog
from bot.i18n import N_, fmt_day, fmt_period, t, tn
from bot.jobs.marks import outcome_name
from bot.jobs.notify import Job, Progress, kind_name, state_name
from bot.jobs.reports import counts_line, to_call
from bot.ledger.chain import Verification
from bot.ledger.decisions import NOTE_INTERNAL, BoardRow
from bot.model import ALL_SITES, Attachment, Lang, LedgerEntry, Milestone
from bot.plan.milestones import progress, progress_bar

HASH_SHOWN = 12  # hex digits of an entry's hash in the listing
OPEN_JOB_STATES = ("draft", "running", "paused")


class HtmlTemplate(Protocol):
    """What an HTML renderer needs of a template (a ``jinja2.Template`` is one)."""

    def render(self, *args: Any, **kwargs: Any) -> str: ...


# --- shared pieces --------------------------------------------------------------------


def fmt_moment(dt: datetime, lang: Lang, tz: tzinfo) -> str:
    """An absolute local moment: "lundi 16 mai 2022 à 18:00"."""
    local = dt.astimezone(tz)
    return t(lang, "export.at", day=fmt_day(local.date(), lang), time=local.strftime("%H:%M"))


def zone_name(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz)


@dataclass(frozen=True)
class ChainStatus:
    """The ledger's verification, as the top of every export states it."""

    ok: bool
    checked: int
    last_hash: str | None  # the hash of the last entry when the chain verifies
    bad_seq: int | None
    text: str  # the localized line

    @property
    def broken_from(self) -> int | None:
        """Entries from this seq on are not covered by the hash chain (None: all are)."""
        if self.ok or self.bad_seq is None or self.checked >= self.bad_seq:
            return None
        return self.bad_seq


def reason_text(v: Verification, lang: Lang) -> str:
    """Why verification failed, in the reader's language."""
    return t(lang, REASONS[v.code], **v.args) if v.code else v.reason


def chain_status(v: Verification, last_hash: str | None, lang: Lang) -> ChainStatus:
    if v.ok:
        text = (
            tn(lang, "export.chain.ok", v.checked, n=v.checked, hash=last_hash)
            if v.checked and last_hash
            else t(lang, "export.chain.empty")
        )
        return ChainStatus(True, v.checked, last_hash, None, text)
    reason = reason_text(v, lang)
    if v.bad_seq is None:
        text = tn(lang, "export.chain.nowhere", v.checked, reason=reason, n=v.checked)
    elif v.checked >= v.bad_seq:  # the chain holds; a table disagrees with it
        text = tn(lang, "export.chain.tables", v.checked, seq=v.bad_seq, reason=reason, n=v.checked)
    else:
        text = tn(lang, "export.chain.broken", v.checked, seq=v.bad_seq, reason=reason, n=v.checked)
    return ChainStatus(False, v.checked, None, v.bad_seq, text)


def _made_line(made_at: datetime, made_by: str | None, lang: Lang, tz: tzinfo) -> str:
    when = fmt_moment(made_at, lang, tz)
    if made_by:
        return t(lang, "export.made.by", when=when, name=made_by)
    return t(lang, "export.made", when=when)


def full_note(note: str, lang: Lang) -> str:
    """The whole note (the record is internal), its internal part marked as such."""
    public, sep, internal = note.partition(NOTE_INTERNAL)
    if not sep or not internal.strip():
        return note.strip()
    if not public.strip():
        return t(lang, "export.note.internal", public="", internal=internal.strip()).strip()
    return t(lang, "export.note.internal", public=public.strip(), internal=internal.strip())


def sentence(text: str) -> str:
    """``text`` ending like a sentence (free text typed in chat often does not)."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def _title(organisation: str, title: str) -> str:
    return f"{organisation} — {title}" if organisation else title


def _scope(sites: Sequence[str], catalog: Catalog) -> tuple[str, ...]:
    if ALL_SITES in sites or (sites and set(sites) == set(catalog.site_ids)):
        return (ALL_SITES,)
    return tuple(sites)


def _known(lang: Lang, table: Mapping[str, str], key: str) -> str:
    """The text for ``key``, or ``key`` itself for an entry type this version does not
    know (a ledger written by a newer version)."""
    return t(lang, table[key]) if key in table else key


def _labels(lang: Lang, *keys: str) -> dict[str, str]:
    return {k: t(lang, HEADERS[k]) for k in keys}


# column headers, ledger entry types, job entries, verification reasons and tags
HEADERS: Mapping[str, str] = {
    "author": N_("export.h.author"),
    "decision": N_("export.h.decision"),
    "eta": N_("export.h.eta"),
    "hash": N_("export.h.hash"),
    "job": N_("export.h.job"),
    "messages": N_("export.h.messages"),
    "note": N_("export.h.note"),
    "period": N_("export.h.period"),
    "scope": N_("export.h.scope"),
    "seq": N_("export.h.seq"),
    "service": N_("export.h.service"),
    "since": N_("export.h.since"),
    "sites": N_("export.h.sites"),
    "state": N_("export.h.state"),
    "status": N_("export.h.status"),
    "summary": N_("export.h.summary"),
    "system": N_("export.h.system"),
    "time": N_("export.h.time"),
    "to_call": N_("export.h.to_call"),
    "type": N_("export.h.type"),
}
ENTRY_TYPES: Mapping[str, str] = {
    "appointment-mark": N_("export.type.appointment-mark"),
    "appointment-unmark": N_("export.type.appointment-unmark"),
    "call-list": N_("export.type.call-list"),
    "call-outcome": N_("export.type.call-outcome"),
    "decision": N_("export.type.decision"),
    "job-aborted": N_("export.type.job-aborted"),
    "job-approved": N_("export.type.job-approved"),
    "job-done": N_("export.type.job-done"),
    "job-drafted": N_("export.type.job-drafted"),
    "job-paused": N_("export.type.job-paused"),
    "job-running": N_("export.type.job-running"),
    "milestone": N_("export.type.milestone"),
    "revocation": N_("export.type.revocation"),
}
JOB_ENTRIES: Mapping[str, str] = {
    "job-aborted": N_("export.job.job-aborted"),
    "job-approved": N_("export.job.job-approved"),
    "job-done": N_("export.job.job-done"),
    "job-drafted": N_("export.job.job-drafted"),
    "job-paused": N_("export.job.job-paused"),
    "job-running": N_("export.job.job-running"),
}
REASONS: Mapping[str, str] = {
    "altered": N_("export.reason.altered"),
    "columns": N_("export.reason.columns"),
    "decision": N_("export.reason.decision"),
    "gap": N_("export.reason.gap"),
    "json": N_("export.reason.json"),
    "mark": N_("export.reason.mark"),
    "milestone": N_("export.reason.milestone"),
    "prev": N_("export.reason.prev"),
    "revocations": N_("export.reason.revocations"),
}
TAGS: Mapping[str, str] = {
    "decision": N_("export.tag.decision"),
    "revoked": N_("export.tag.revoked"),
}


# --- the activity log -----------------------------------------------------------------


@dataclass(frozen=True)
class LogRow:
    seq: int
    at: datetime  # local time
    type: str  # the ledger's entry type ("decision", "job-approved", ...)
    type_label: str
    name: str  # the name shown at the time ("Dr Martin")
    actor_id: str  # the stable id ("@martin:hospital.example")
    roles: tuple[str, ...]
    service: str  # display name; "" when the entry has none
    site: str  # display label; "" when the entry has none
    summary: str
    hash: str
    verified: bool  # covered by the verified part of the chain

    @property
    def time_iso(self) -> str:
        return self.at.isoformat(timespec="seconds")

    @property
    def time_short(self) -> str:
        return self.at.strftime("%H:%M")

    @property
    def short_hash(self) -> str:
        return self.hash[:HASH_SHOWN]

    @property
    def roles_text(self) -> str:
        return ", ".join(self.roles)

    @property
    def author(self) -> str:
        """ "Dr Martin (@martin:hospital.example)"; the id alone when it is the name."""
        return self.name if self.name == self.actor_id else f"{self.name} ({self.actor_id})"

    @property
    def author_roles(self) -> str:
        """ "Dr Martin (@martin:hospital.example) — cell, staff"."""
        return f"{self.author} — {self.roles_text}" if self.roles else self.author


@dataclass(frozen=True)
class LogDay:
    day: date
    title: str
    rows: tuple[LogRow, ...]


@dataclass(frozen=True)
class ActivityLog:
    lang: Lang
    title: str
    chain: ChainStatus
    period_line: str
    listed_line: str
    made_line: str
    tz_line: str
    internal_line: str
    empty_line: str
    unverified_label: str
    first: date
    last: date
    rows: tuple[LogRow, ...]
    labels: Mapping[str, str]

    @property
    def days(self) -> tuple[LogDay, ...]:
        """The rows grouped by local day, in order."""
        groups: dict[date, list[LogRow]] = {}
        for row in self.rows:
            groups.setdefault(row.at.date(), []).append(row)
        return tuple(LogDay(d, fmt_day(d, self.lang), tuple(rs)) for d, rs in groups.items())

    @property
    def header_lines(self) -> tuple[str, ...]:
        """Everything the top of the export states, the verification first."""
        return (
            self.chain.text,
            self.period_line,
            self.listed_line,
            f"{self.made_line}. {self.tz_line}",
            self.internal_line,
        )


class _Summaries:
    """One-line human summaries of ledger entries, in one language."""

    def __init__(self, catalog: Catalog, lang: Lang, tz: tzinfo) -> None:
        self.catalog = catalog
        self.lang = lang
        self.tz = tz
        self.decisions: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    def remember(self, body: Mapping[str, Any]) -> None:
        if body.get("type") == "decision":
            payload = body.get("payload") or {}
            if isinstance(payload, dict) and isinstance(payload.get("no"), int):
                self.decisions[payload["no"]] = (dict(body), payload)

    def nos(self, nos: Sequence[int]) -> str:
        return ", ".join(t(self.lang, "decision.no_ref", no=n) for n in nos)

    def summary(self, body: Mapping[str, Any]) -> str:
        try:
            return self._summary(body)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return t(self.lang, "export.unreadable")

    def _decision_line(self, body: Mapping[str, Any], p: Mapping[str, Any]) -> dict[str, str]:
        c, lang = self.catalog, self.lang
        return {
            "service": c.service_name(str(body["service"]), lang),
            "site": c.site_name(str(body["site"] or ALL_SITES), lang),
            "status": c.status_name(str(p["status"]), lang),
            "period": fmt_period(
                date.fromisoformat(p["first_day"]),
                date.fromisoformat(p["last_day"]) if p["last_day"] else None,
                lang,
            ),
        }

    def _summary(self, body: Mapping[str, Any]) -> str:
        lang, c = self.lang, self.catalog
        kind = body["type"]
        p: Mapping[str, Any] = body["payload"]
        parts: list[str] = []
        if kind == "decision":
            parts.append(t(lang, "decision.line", no=p["no"], **self._decision_line(body, p)))
            if p.get("note"):
                parts.append(sentence(t(lang, "decision.note", note=full_note(p["note"], lang))))
            if p.get("supersedes"):
                parts.append(t(lang, "decision.supersedes", nos=self.nos(p["supersedes"])))
        elif kind == "revocation":
            known = self.decisions.get(p["no"])
            if known is not None:
                parts.append(t(lang, "revoke.done", no=p["no"], **self._decision_line(*known)))
            else:
                parts.append(t(lang, "export.revoked.short", no=p["no"]))
            if p.get("reason"):
                parts.append(sentence(t(lang, "revoke.reason", reason=p["reason"])))
        elif kind == "milestone":
            parts.append(
                t(
                    lang,
                    "export.milestone",
                    system=c.system_name(str(p["system"]), lang),
                    state=c.system_state_name(str(p["state"]), lang),
                )
            )
            if p.get("eta") and p["state"] != "restored":
                eta = datetime.fromisoformat(p["eta"])
                parts.append(t(lang, "alert.eta", eta=fmt_moment(eta, lang, self.tz)))
            if p.get("note"):
                parts.append(sentence(t(lang, "decision.note", note=p["note"])))
        elif kind.startswith("job-"):
            sites = _scope(list(p.get("sites") or ()), c)
            parts.append(
                t(
                    lang,
                    "export.job",
                    title=t(lang, "export.job.title", no=p["job"]),
                    kind=kind_name(p["kind"], lang),
                    service=c.service_name(str(body["service"]), lang),
                    sites=c.sites_label(sites, lang),
                    period=fmt_period(
                        date.fromisoformat(p["first_day"]), date.fromisoformat(p["last_day"]), lang
                    ),
                    what=_known(lang, JOB_ENTRIES, kind),
                )
            )
            if p.get("decisions"):
                parts.append(t(lang, "export.job.decisions", nos=self.nos(p["decisions"])))
            if p.get("reason"):
                parts.append(sentence(t(lang, "revoke.reason", reason=self.tag(str(p["reason"])))))
        elif kind == "appointment-mark":
            parts.append(
                t(
                    lang,
                    "export.mark",
                    appointment=p["appointment"],
                    outcome=outcome_name(p["outcome"], lang),
                )
            )
            if p.get("note"):
                parts.append(sentence(t(lang, "decision.note", note=p["note"])))
        elif kind == "appointment-unmark":
            parts.append(t(lang, "export.unmark", appointment=p["appointment"]))
        elif kind == "call-list":
            parts.append(tn(lang, "export.call_list", p["calls"], no=p["list"], calls=p["calls"]))
        elif kind == "call-outcome":
            parts.append(
                t(
                    lang,
                    "export.call_outcome",
                    no=p["list"],
                    appointment=p["appointment"],
                    outcome=p["outcome"],
                )
            )
        else:
            raise ValueError(kind)
        return " ".join(parts)

    def tag(self, reason: str) -> str:
        """A reason the bot wrote as a tag ("revoked-2") in words; a person's reason as is."""
        m = re.fullmatch(r"(revoked|decision)-(\d+)", reason)
        return t(self.lang, TAGS[m[1]], no=int(m[2])) if m else reason


def _body(entry: LedgerEntry) -> dict[str, Any]:
    try:
        body = json.loads(entry.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _author(body: Mapping[str, Any], entry: LedgerEntry) -> tuple[str, str, tuple[str, ...]]:
    """(name, id, roles) of the entry's actor, as the hashed body records them."""
    actor = body.get("actor")
    if not isinstance(actor, dict):
        return entry.actor_id, entry.actor_id, ()
    ident = str(actor.get("id") or entry.actor_id)
    roles = actor.get("roles")
    return (
        str(actor.get("name") or ident),
        ident,
        tuple(str(r) for r in roles) if isinstance(roles, list) else (),
    )


def _where(body: Mapping[str, Any], entry: LedgerEntry, catalog: Catalog, lang: Lang) -> str:
    if entry.type.startswith("job-"):
        p = body.get("payload")
        sites = p.get("sites") if isinstance(p, dict) else None
        if isinstance(sites, list) and sites:
            return catalog.sites_label(_scope([str(s) for s in sites], catalog), lang)
        return ""
    if entry.site is not None:
        return catalog.site_name(entry.site, lang)
    return catalog.site_name(ALL_SITES, lang) if entry.type in ("decision", "revocation") else ""


def build_log(
    entries: Sequence[LedgerEntry],
    verification: Verification,
    *,
    catalog: Catalog,
    lang: Lang,
    tz: tzinfo,
    made_at: datetime,
    first: date | None = None,
    last: date | None = None,
    organisation: str = "",
    made_by: str | None = None,
) -> ActivityLog:
    """The activity log of the entries whose local day is in [first, last].

    ``entries`` is the whole ledger in seq order (revocations are described with the
    decision they revoke, and the head hash is the last entry's); ``verification`` is
    ``bot.ledger.chain.verify`` of that same ledger.
    """
    last_hash = entries[-1].hash if entries else None
    chain = chain_status(verification, last_hash, lang)
    summaries = _Summaries(catalog, lang, tz)
    rows: list[LogRow] = []
    for entry in entries:
        body = _body(entry)
        summaries.remember(body)
        local = entry.at.astimezone(tz)
        if (first and local.date() < first) or (last and local.date() > last):
            continue
        name, actor_id, roles = _author(body, entry)
        broken = chain.broken_from
        rows.append(
            LogRow(
                seq=entry.seq,
                at=local,
                type=entry.type,
                type_label=_known(lang, ENTRY_TYPES, entry.type),
                name=name,
                actor_id=actor_id,
                roles=roles,
                service=catalog.service_name(entry.service, lang) if entry.service else "",
                site=_where(body, entry, catalog, lang),
                summary=summaries.summary(body) if body else t(lang, "export.unreadable"),
                hash=entry.hash,
                verified=broken is None or entry.seq < broken,
            )
        )
    today = made_at.astimezone(tz).date()
    start = entries[0].at.astimezone(tz).date() if entries else today
    end = entries[-1].at.astimezone(tz).date() if entries else today
    lo = first or (min(start, last) if last else start)
    hi = last or max(end, lo)
    period = (
        t(lang, "export.period.day", day=fmt_day(lo, lang))
        if lo == hi
        else t(lang, "export.period.range", first=fmt_day(lo, lang), last=fmt_day(hi, lang))
    )
    return ActivityLog(
        lang=lang,
        title=_title(organisation, t(lang, "export.log.title")),
        chain=chain,
        period_line=period,
        listed_line=tn(lang, "export.listed", len(rows), n=len(rows), total=len(entries)),
        made_line=_made_line(made_at, made_by, lang, tz),
        tz_line=t(lang, "export.tz", zone=zone_name(tz)),
        internal_line=t(lang, "export.internal"),
        empty_line=t(lang, "export.empty"),
        unverified_label=t(lang, "export.unverified"),
        first=lo,
        last=hi,
        rows=tuple(rows),
        labels=_labels(lang, "seq", "time", "type", "author", "summary", "hash"),
    )


CSV_COLUMNS = ("seq", "time", "type", "author", "roles", "service", "site", "summary", "hash")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (a display name may start with "=")."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def log_csv(log: ActivityLog, *, delimiter: str = ",") -> str:
    """One row per entry under fixed English column names; the header lines come first,
    each a one-cell row starting with ``#`` (skip rows until the ``seq`` header)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for line in (log.title, *log.header_lines):
        writer.writerow([f"# {line}"])
    writer.writerow(CSV_COLUMNS)
    for r in log.rows:
        writer.writerow(
            [
                r.seq,
                r.time_iso,
                r.type,
                csv_safe(r.author),
                csv_safe(r.roles_text),
                csv_safe(r.service),
                csv_safe(r.site),
                csv_safe(r.summary),
                r.short_hash,
            ]
        )
    return out.getvalue()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_text(text: str) -> str:
    """Text safe in Markdown, table cells included: one line, no markup, no raw HTML."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


md_cell = md_text


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    lines = ["| " + " | ".join(md_cell(h) for h in headers) + " |"]
    lines.append(
        "|" + "|".join("---:" if a == "r" else "---" for a in align.ljust(len(headers))) + "|"
    )
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _md_header(title: str, chain: ChainStatus, lines: Sequence[str]) -> list[str]:
    out = [f"# {md_text(title)}", ""]
    if chain.ok:
        out.append(f"**{md_text(chain.text)}**")
    else:
        out.append(f"> **⚠ {md_text(chain.text)}**")
    out.append("")
    out.extend(f"- {md_text(line)}" for line in lines)
    out.append("")
    return out


def log_markdown(log: ActivityLog) -> str:
    lines = _md_header(log.title, log.chain, log.header_lines[1:])
    if not log.rows:
        lines.extend([md_text(log.empty_line), ""])
    L = log.labels
    for day in log.days:
        lines.extend([f"## {md_text(day.title)}", ""])
        rows = [
            (
                str(r.seq) if r.verified else f"{r.seq} ⚠",
                r.time_short,
                md_cell(r.type_label),
                md_cell(r.author_roles),
                md_cell(r.summary),
                f"`{r.short_hash}`",
            )
            for r in day.rows
        ]
        headers = (L["seq"], L["time"], L["type"], L["author"], L["summary"], L["hash"])
        lines.extend(_md_table(headers, rows, align="r"))
        lines.append("")
    return "\n".join(lines)


def log_html(log: ActivityLog, template: HtmlTemplate) -> str:
    """The log through its HTML template (``adapters/templates/log.html``)."""
    return template.render(doc=log, L=log.labels)


# --- the situation report -------------------------------------------------------------


@dataclass(frozen=True)
class SitrepDecision:
    service: str
    sites: str
    status: str  # localized; "no decision recorded" when none
    status_id: str  # "open", ..., or "none" (for styling)
    decision: str  # "no. 3", "" when none
    period: str
    note: str


@dataclass(frozen=True)
class SitrepDay:
    day: date
    title: str
    rows: tuple[SitrepDecision, ...]


@dataclass(frozen=True)
class SystemRow:
    n: int
    system: str
    state: str
    state_id: str  # "down", ..., "restored", or "none"
    since: str
    eta: str
    note: str


@dataclass(frozen=True)
class JobRow:
    no: int
    title: str
    scope: str  # "SMS consultations, Arlon, on Monday 16 May 2022"
    state: str
    state_id: str
    counts: str  # "3 SMS: sent 3 · delivered 0 · ..."
    to_call: int


@dataclass(frozen=True)
class Sitrep:
    lang: Lang
    title: str
    day: date
    chain: ChainStatus
    period_line: str
    made_line: str
    tz_line: str
    internal_line: str
    days: tuple[SitrepDay, ...]
    plan_title: str
    progress_line: str
    progress: tuple[int, int]
    systems: tuple[SystemRow, ...]
    jobs_title: str
    jobs: tuple[JobRow, ...]
    jobs_empty: str
    open_title: str
    open_items: tuple[str, ...]
    open_empty: str
    labels: Mapping[str, str]

    @property
    def header_lines(self) -> tuple[str, ...]:
        return (
            self.chain.text,
            self.period_line,
            f"{self.made_line}. {self.tz_line}",
            self.internal_line,
        )


def _decision_rows(
    rows: Sequence[BoardRow], catalog: Catalog, lang: Lang
) -> tuple[SitrepDecision, ...]:
    out = []
    for row in rows:
        d = row.decision
        sites = catalog.sites_label(row.scope(catalog.site_ids), lang)
        name = catalog.service_name(row.service, lang)
        if d is None:
            out.append(SitrepDecision(name, sites, t(lang, "status.none"), "none", "", "", ""))
            continue
        out.append(
            SitrepDecision(
                name,
                sites,
                catalog.status_name(d.status, lang),
                str(d.status),
                t(lang, "decision.no_ref", no=d.no),
                fmt_period(d.first_day, d.last_day, lang),
                full_note(d.note, lang),
            )
        )
    return tuple(out)


def open_items(
    *,
    next_day: date,
    board_next: Sequence[BoardRow],
    milestones: Mapping[str, Milestone],
    jobs: Sequence[tuple[Job, Progress]],
    undeliverable: int,
    catalog: Catalog,
    lang: Lang,
    tz: tzinfo,
) -> tuple[str, ...]:
    """What the cell still has to do: decide, restore, approve, finish sending, phone."""
    items = [
        t(
            lang,
            "export.open.undecided",
            day=fmt_day(next_day, lang),
            service=catalog.service_name(row.service, lang),
            sites=catalog.sites_label(row.scope(catalog.site_ids), lang),
        )
        for row in board_next
        if row.decision is None
    ]
    for system in catalog.system_ids:
        m = milestones.get(system)
        if m is not None and m.state == "restored":
            continue
        eta = t(lang, "export.open.eta", eta=fmt_moment(m.eta, lang, tz)) if m and m.eta else ""
        state = catalog.system_state_name(m.state, lang) if m else t(lang, "export.no_state")
        items.append(
            t(
                lang,
                "export.open.system",
                system=catalog.system_name(system, lang),
                state=state,
                eta=eta,
            )
        )
    for job, p in jobs:
        if job.state == "draft":
            items.append(t(lang, "export.open.draft", no=job.no))
        elif job.state == "running":
            items.append(tn(lang, "export.open.running", p.open, no=job.no, pending=p.open))
        elif job.state == "paused":
            items.append(tn(lang, "export.open.paused", p.open, no=job.no, pending=p.open))
    for job, p in jobs:
        n = to_call(job, p)
        if job.state != "draft" and n:
            items.append(tn(lang, "export.open.to_call", n, no=job.no, n=n))
    if undeliverable:
        items.append(tn(lang, "export.open.undeliverable", undeliverable, n=undeliverable))
    return tuple(items)


def build_sitrep(
    *,
    day: date,
    board_today: Sequence[BoardRow],
    board_next: Sequence[BoardRow],
    milestones: Mapping[str, Milestone],
    jobs: Sequence[tuple[Job, Progress]],
    undeliverable: int,
    verification: Verification,
    last_hash: str | None,
    catalog: Catalog,
    lang: Lang,
    tz: tzinfo,
    made_at: datetime,
    organisation: str = "",
    made_by: str | None = None,
) -> Sitrep:
    """The situation report for ``day``: the board of that day and the next (as
    ``bot.ledger.decisions.board`` gives them), the plan's current milestones, the jobs to show
    with their progress, and how many chat messages could not be delivered."""
    next_day = day + timedelta(days=1)
    systems = []
    for n, system in enumerate(catalog.system_ids, start=1):
        m = milestones.get(system)
        name = catalog.system_name(system, lang)
        if m is None:
            systems.append(SystemRow(n, name, t(lang, "export.no_state"), "none", "", "", ""))
            continue
        systems.append(
            SystemRow(
                n,
                name,
                catalog.system_state_name(m.state, lang),
                m.state,
                fmt_moment(m.at, lang, tz),
                fmt_moment(m.eta, lang, tz) if m.eta and m.state != "restored" else "",
                m.note,
            )
        )
    done, total = progress(catalog, dict(milestones))
    job_rows = tuple(
        JobRow(
            no=job.no,
            title=t(lang, "export.job.title", no=job.no),
            scope=" ".join(
                (
                    kind_name(job.kind, lang),
                    catalog.service_name(job.service, lang)
                    + ", "
                    + catalog.sites_label(_scope(job.sites, catalog), lang)
                    + ", "
                    + fmt_period(job.first_day, job.last_day, lang),
                )
            ),
            state=state_name(job.state, lang),
            state_id=job.state,
            counts=counts_line(p, lang),
            to_call=to_call(job, p) if job.state != "draft" else 0,
        )
        for job, p in jobs
    )
    return Sitrep(
        lang=lang,
        title=_title(organisation, t(lang, "export.sitrep.title", day=fmt_day(day, lang))),
        day=day,
        chain=chain_status(verification, last_hash, lang),
        period_line=t(
            lang,
            "export.sitrep.period",
            day=fmt_day(day, lang),
            next=fmt_day(next_day, lang),
        ),
        made_line=_made_line(made_at, made_by, lang, tz),
        tz_line=t(lang, "export.tz", zone=zone_name(tz)),
        internal_line=t(lang, "export.internal"),
        days=(
            SitrepDay(
                day,
                t(lang, "export.sitrep.in_force", day=fmt_day(day, lang)),
                _decision_rows(board_today, catalog, lang),
            ),
            SitrepDay(
                next_day,
                t(lang, "export.sitrep.in_force", day=fmt_day(next_day, lang)),
                _decision_rows(board_next, catalog, lang),
            ),
        ),
        plan_title=t(lang, "plan.title"),
        progress_line=t(lang, "plan.progress", bar=progress_bar(done, total)),
        progress=(done, total),
        systems=tuple(systems),
        jobs_title=t(lang, "jobs.title"),
        jobs=job_rows,
        jobs_empty=t(lang, "export.jobs.none"),
        open_title=t(lang, "export.open.title"),
        open_items=open_items(
            next_day=next_day,
            board_next=board_next,
            milestones=milestones,
            jobs=jobs,
            undeliverable=undeliverable,
            catalog=catalog,
            lang=lang,
            tz=tz,
        ),
        open_empty=t(lang, "export.open.none"),
        labels=_labels(
            lang,
            "service",
            "sites",
            "status",
            "decision",
            "period",
            "note",
            "seq",
            "system",
            "state",
            "since",
            "eta",
            "job",
            "scope",
            "messages",
            "to_call",
        ),
    )


def sitrep_markdown(s: Sitrep) -> str:
    L = s.labels
    lines = _md_header(s.title, s.chain, s.header_lines[1:])
    for day in s.days:
        lines.extend([f"## {md_text(day.title)}", ""])
        lines.extend(
            _md_table(
                (L["service"], L["sites"], L["status"], L["decision"], L["period"], L["note"]),
                [
                    (
                        md_cell(r.service),
                        md_cell(r.sites),
                        f"**{md_cell(r.status)}**"
                        if r.status_id != "none"
                        else f"_{md_cell(r.status)}_",
                        md_cell(r.decision),
                        md_cell(r.period),
                        md_cell(r.note),
                    )
                    for r in day.rows
                ],
            )
        )
        lines.append("")
    lines.extend([f"## {md_text(s.plan_title)}", "", md_text(s.progress_line), ""])
    lines.extend(
        _md_table(
            ("#", L["system"], L["state"], L["since"], L["eta"], L["note"]),
            [
                (
                    str(r.n),
                    md_cell(r.system),
                    md_cell(r.state),
                    md_cell(r.since),
                    md_cell(r.eta),
                    md_cell(r.note),
                )
                for r in s.systems
            ],
            align="r",
        )
    )
    lines.extend(["", f"## {md_text(s.jobs_title)}", ""])
    if s.jobs:
        lines.extend(
            _md_table(
                (L["job"], L["scope"], L["state"], L["messages"], L["to_call"]),
                [
                    (
                        md_cell(j.title),
                        md_cell(j.scope),
                        md_cell(j.state),
                        md_cell(j.counts),
                        str(j.to_call),
                    )
                    for j in s.jobs
                ],
                align="llllr",
            )
        )
    else:
        lines.append(md_text(s.jobs_empty))
    lines.extend(["", f"## {md_text(s.open_title)}", ""])
    if s.open_items:
        lines.extend(f"- {md_text(item)}" for item in s.open_items)
    else:
        lines.append(md_text(s.open_empty))
    lines.append("")
    return "\n".join(lines)


def sitrep_html(s: Sitrep, template: HtmlTemplate) -> str:
    """The report through its HTML template (``adapters/templates/sitrep.html``)."""
    return template.render(doc=s, L=s.labels)


@dataclass(frozen=True)
class ExportedFile:
    path: str  # where it was written, on the bot's machine
    attachment: Attachment  # the same file, for platforms that take files (Matrix)


class Exporter(Protocol):
    """What ``/export`` needs from the edges: render (from committed data, outside the
    command's write transaction) and write the file."""

    async def export(
        self,
        *,
        kind: Literal["log", "sitrep"],
        first: date | None,
        last: date | None,
        lang: Lang,
        now: datetime,
        made_by: str,
    ) -> ExportedFile: ...
