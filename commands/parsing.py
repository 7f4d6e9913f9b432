"""Reading command arguments: services, sites, statuses, dates and a note.

The argument text is folded (case, accents) once; words keep their offsets in the
folded text so the date part can be cut out as typed ("16/05", "jusqu'a nouvel ordre").
Problems raise :class:`UsageError` with localized text and suggestions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.catalog import Catalog, Entry
from bot.dates import DateError, Period, parse_day, parse_period
from bot.errors import UsageError
from bot.i18n import N_, fmt_day, t, weekday_name
from bot.model import ALL_SITES, Lang, Status
from bot.text import fold, words

SITE_MARKERS = frozenset({"at", "a", "in", "te", "bei", "sur", "site", "sites"})
CONNECTORS = frozenset({"and", "et", "en", "und", "or", "ou", "of", "oder", "plus"})
FILLERS = frozenset(
    {
        "the",
        "le",
        "la",
        "les",
        "l",
        "de",
        "du",
        "des",
        "d",
        "het",
        "der",
        "die",
        "das",
        "service",
        "services",
        "dienst",
        "diensten",
        "dienste",
        "for",
        "pour",
        "voor",
        "fur",
        "is",
        "are",
        "est",
        "sont",
        "zijn",
        "ist",
        "sind",
        "all",
        "tous",
        "toutes",
    }
)
_NOTE_SPLIT = re.compile(r"(?<!\d):|:(?!\d)")


def split_note(text: str) -> tuple[str, str]:
    """``spec : note`` -- the first colon that is not inside a time like 09:30."""
    m = _NOTE_SPLIT.search(text)
    if not m:
        return text, ""
    return text[: m.start()], text[m.end() :].strip()


@dataclass
class Words:
    """A folded argument text and which of its words a parser has consumed."""

    folded: str
    items: list[tuple[str, int, int]]
    used: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, text: str) -> Words:
        folded = fold(text)
        return cls(folded, words(folded))

    @property
    def toks(self) -> list[str]:
        return [w for w, _, _ in self.items]

    def free(self, start: int = 0, end: int | None = None) -> list[int]:
        end = len(self.items) if end is None else end
        return [i for i in range(start, end) if i not in self.used]

    def text(self, indices: list[int]) -> str:
        """The folded text from the first to the last index, consumed words blanked out."""
        if not indices:
            return ""
        lo, hi = self.items[indices[0]][1], self.items[indices[-1]][2]
        chars = list(self.folded[lo:hi])
        for i in self.used:
            _, s, e = self.items[i]
            if lo <= s and e <= hi:
                chars[s - lo : e - lo] = " " * (e - s)
        return " ".join("".join(chars).split())

    def runs(self, indices: list[int]) -> list[list[int]]:
        """Split indices into runs of consecutive word positions."""
        out: list[list[int]] = []
        for i in indices:
            if out and out[-1][-1] == i - 1:
                out[-1].append(i)
            else:
                out.append([i])
        return out


def names(entries: list[Entry], lang: Lang) -> str:
    return ", ".join(e.name(lang) for e in entries)


def take_sites(w: Words, catalog: Catalog, lang: Lang) -> list[str]:
    """Consume site names (``at arlon``, ``à Bastogne et Virton``, ``partout``)."""
    toks, found = w.toks, []
    i = 0
    while i < len(toks):
        if i in w.used:
            i += 1
            continue
        start = i + 1 if toks[i] in SITE_MARKERS else i
        span = catalog.site_at(toks, start) if start < len(toks) else None
        if span is None:
            if toks[i] == "at" and start < len(toks):
                guesses = catalog.suggest_sites(toks[start])
                if guesses:
                    raise UsageError(
                        t(lang, "parse.unknown_site", text=toks[start]),
                        t(lang, "parse.did_you_mean", choices=names(guesses, lang)),
                    )
            i += 1
            continue
        found.append(span.entry.id)
        w.used.update(range(i, span.end))
        i = span.end
        # "at arlon and bastogne", "à Arlon, Virton"
        while i < len(toks) and toks[i] in CONNECTORS:
            nxt = catalog.site_at(toks, i + 1)
            if nxt is None:
                break
            found.append(nxt.entry.id)
            w.used.update(range(i, nxt.end))
            i = nxt.end
    if ALL_SITES in found:
        return [ALL_SITES]
    return list(dict.fromkeys(found))


def take_services(w: Words, catalog: Catalog, indices: list[int]) -> tuple[list[str], list[str]]:
    """Consume service names among ``indices``; return (service ids, unmatched fragments)."""
    toks = w.toks
    found: list[str] = []
    leftovers: list[int] = []
    pos = 0
    while pos < len(indices):
        i = indices[pos]
        # a phrase must use consecutive free words
        run_end = pos
        while run_end + 1 < len(indices) and indices[run_end + 1] == indices[run_end] + 1:
            run_end += 1
        sub = toks[i : indices[run_end] + 1]
        span = catalog.service_at(sub, 0)
        if span is not None:
            found.append(span.entry.id)
            w.used.update(range(i, i + span.end))
            pos += span.end
            continue
        if toks[i] not in CONNECTORS and toks[i] not in FILLERS:
            leftovers.append(i)
        pos += 1
    fragments = [w.text(run) for run in w.runs(leftovers)]
    return list(dict.fromkeys(found)), fragments


def unknown_service(fragment: str, catalog: Catalog, lang: Lang) -> UsageError:
    guesses = catalog.suggest_services(fragment)
    hint = (
        t(lang, "parse.did_you_mean", choices=names(guesses, lang))
        if guesses
        else t(lang, "parse.known", choices=names(list(catalog.services), lang))
    )
    return UsageError(t(lang, "parse.unknown_service", text=fragment), hint)


def status_choices(catalog: Catalog, lang: Lang) -> str:
    return ", ".join(e.name(lang) for e in catalog.statuses)


def date_problem(e: DateError, lang: Lang) -> UsageError:
    if e.kind == "mismatch" and e.suggestion is not None and e.weekday is not None:
        weekday = weekday_name(e.weekday, lang)
        return UsageError(
            t(
                lang,
                "date.mismatch",
                text=e.fragment,
                day=fmt_day(e.suggestion, lang),
                weekday=weekday,
            ),
            show_usage=False,
        )
    msg_key = {
        "vague": N_("date.vague"),
        "invalid": N_("date.invalid"),
        "reversed": N_("date.reversed"),
    }.get(e.kind, N_("date.unknown"))
    return UsageError(t(lang, msg_key, text=e.fragment), show_usage=e.kind == "unknown")


def _bounded(day: date | None, text: str, lang: Lang) -> None:
    if day is not None and not 2000 <= day.year <= 2100:
        raise UsageError(t(lang, "date.invalid", text=text), show_usage=False)


def read_period(text: str, today: date, lang: Lang) -> Period:
    try:
        period = parse_period(text, today)
    except DateError as e:
        raise date_problem(e, lang) from e
    _bounded(period.first, text, lang)
    _bounded(period.last, text, lang)
    return period


def refuse_past(period: Period, text: str, today: date, lang: Lang) -> None:
    """A command acts from today on: a day that resolves to the past ("le 18" typed on the
    30th, "hier") is asked back, never recorded or acted on."""
    if period.first < today:
        raise UsageError(
            t(
                lang,
                "date.past",
                text=text.strip(),
                day=fmt_day(period.first, lang),
                today=fmt_day(today, lang),
            ),
            show_usage=False,
        )


def read_day(text: str, today: date, lang: Lang) -> date:
    try:
        day = parse_day(text, today)
    except DateError as e:
        raise date_problem(e, lang) from e
    _bounded(day, text, lang)
    return day


@dataclass(frozen=True)
class DecideRequest:
    services: tuple[str, ...]
    sites: tuple[str, ...]
    status: Status
    period: Period
    note: str


def parse_decide(text: str, *, catalog: Catalog, today: date, lang: Lang) -> DecideRequest:
    spec, note = split_note(text)
    w = Words.of(spec)
    if not w.items:
        raise UsageError(t(lang, "parse.no_service"))
    sites = take_sites(w, catalog, lang)
    free = w.free()
    spans = [s for s in catalog.scan_statuses([w.toks[i] for i in free])]
    if not spans:
        for i in free:
            guesses = catalog.suggest_statuses(w.toks[i])
            if guesses and catalog.match_service(w.toks[i]) is None:
                raise UsageError(
                    t(
                        lang,
                        "parse.unknown_status",
                        text=w.toks[i],
                        choices=status_choices(catalog, lang),
                    ),
                    t(lang, "parse.did_you_mean", choices=names(guesses, lang)),
                )
        raise UsageError(t(lang, "parse.no_status", choices=status_choices(catalog, lang)))
    statuses = list(dict.fromkeys(s.entry.id for s in spans))
    if len(statuses) > 1:
        found = ", ".join(catalog.status_name(s, lang) for s in statuses)
        raise UsageError(t(lang, "parse.two_statuses", found=found))
    status_start, status_end = free[spans[0].start], free[spans[0].end - 1]
    for s in spans:
        w.used.update(free[s.start : s.end])
    before = [i for i in w.free(0, status_start)]
    after = w.free(status_end + 1)
    services, fragments = take_services(w, catalog, before)
    when = w.text(after)
    if fragments and not when:
        # "/decide radiology monday cancelled": a date placed before the status
        try:
            parse_period(fragments[-1], today)
        except DateError:
            pass
        else:
            when = fragments.pop()
    if fragments:
        raise unknown_service(fragments[0], catalog, lang)
    if not services:
        raise UsageError(t(lang, "parse.no_service"))
    period = read_period(when, today, lang)
    refuse_past(period, when, today, lang)
    return DecideRequest(
        services=tuple(services),
        sites=tuple(sites or [ALL_SITES]),
        status=Status(statuses[0]),
        period=period,
        note=note,
    )


@dataclass(frozen=True)
class Filter:
    services: tuple[str, ...]
    sites: tuple[str, ...]
    rest: str  # what is left: a date, a page number...


def parse_filter(text: str, *, catalog: Catalog, lang: Lang) -> Filter:
    """Services and sites anywhere in ``text``; the rest is returned as typed (folded)."""
    w = Words.of(text)
    sites = take_sites(w, catalog, lang)
    services, _ = take_services(w, catalog, w.free())
    rest = w.text(w.free())
    return Filter(tuple(services), tuple(s for s in sites if s != ALL_SITES), rest)


@dataclass(frozen=True)
class Scope:
    """What an SMS job or a call list covers: one service, sites, a bounded period."""

    service: str
    sites: tuple[str, ...]  # (ALL_SITES,) when none was named
    first: date
    last: date


def parse_scope(text: str, *, catalog: Catalog, today: date, lang: Lang) -> Scope:
    """``<service> [at <site>] <day or period>`` -- the period must end."""
    f = parse_filter(text, catalog=catalog, lang=lang)
    if len(f.services) != 1:
        raise UsageError(t(lang, "notify.need_service"))
    if not f.rest:
        raise UsageError(t(lang, "notify.need_day"))
    period = read_period(f.rest, today, lang)
    if period.last is None:
        raise UsageError(t(lang, "notify.need_end"), show_usage=False)
    refuse_past(period, f.rest, today, lang)
    return Scope(f.services[0], f.sites or (ALL_SITES,), period.first, period.last)


def read_number(text: str, lang: Lang, action: str, *, show_usage: bool = True) -> int:
    """A job or list number: ``3``, ``#3``, ``n° 3``."""
    digits = text.strip().lstrip("#").removeprefix("n°").strip()
    if not digits.isdigit() or len(digits) > 9:
        raise UsageError(t(lang, "notify.need_no", action=action), show_usage=show_usage)
    return int(digits)
