"""Date words typed in chat (French, English, Dutch, German) -> days and periods.

The rules are explicit and deterministic (the design forbids relying on the defaults of a
generic date parser, which e.g. resolve a bare weekday to the past):

* relative words: today / tomorrow / after tomorrow / yesterday (+ "in 3 days");
* a weekday name alone ("lundi", "on monday", "ce lundi", "am Montag") is the nearest such
  day from ``today`` on -- today's own weekday is today ("mardi" typed on a Tuesday is that
  Tuesday); with "next" ("next monday", "lundi prochain", "volgende maandag", "nächsten
  Montag") it is the nearest such day strictly after ``today``;
* numeric dates are day-first ("16/05", "16.05.2022", "16-5-22"), ISO "2022-05-16" is accepted;
* named months: "16 mai", "May 16, 2022", "16th of May", "16. Mai", "1er mai", optionally
  preceded by a weekday which must match the date;
* a day-month without a year takes the year that puts it nearest to ``today`` (ties: future);
* periods: "from X", "until Y", "X to Y", "du X au Y", "van X tot Y", "von X bis Y",
  "until further notice" and friends.

Everything works on :func:`normalize`-d text (lowercase, accents stripped, curly quotes made
straight, whitespace collapsed); error fragments are cut from the text as the user typed it.
All lookup tables are built once at import; the functions are pure.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from babel.dates import get_day_names, get_month_names

__all__ = ["DateError", "Period", "normalize", "parse_day", "parse_period"]


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class Period:
    """Inclusive range of days; ``last is None`` means "until further notice"."""

    first: date
    last: date | None

    def covers(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)

    def overlaps(self, other: Period) -> bool:
        self_starts_in_time = other.last is None or self.first <= other.last
        other_starts_in_time = self.last is None or other.first <= self.last
        return self_starts_in_time and other_starts_in_time


class DateError(ValueError):
    """A date text we cannot turn into a day or period.

    kind: 'unknown'  - the text is not a date we understand (fragment = the offending text)
          'vague'    - a date word that cannot be pinned to a day ("next week", "bientôt")
          'invalid'  - no such day ("31/02", "30 février")
          'mismatch' - weekday contradicts the date; suggestion = the date,
                       weekday = the weekday named (0 = Monday)
          'reversed' - period end before its start (suggestion None)
    """

    kind: str
    fragment: str
    suggestion: date | None
    weekday: int | None

    def __init__(
        self,
        kind: str,
        fragment: str,
        suggestion: date | None = None,
        weekday: int | None = None,
    ) -> None:
        super().__init__(f"{kind} date: {fragment!r}")
        self.kind = kind
        self.fragment = fragment
        self.suggestion = suggestion
        self.weekday = weekday


# --------------------------------------------------------------------------- normalisation

_QUOTES: Final = str.maketrans(dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc`\u00b4", "'"))


def _normalize_mapped(text: str) -> tuple[str, tuple[int, ...]]:
    """Normalised text plus, for each of its characters, the index of its source character."""
    chars: list[str] = []
    origin: list[int] = []
    pending_space = False
    for i, raw in enumerate(text):
        folded = unicodedata.normalize("NFKD", raw.translate(_QUOTES).lower()).lower()
        for ch in folded:
            if unicodedata.combining(ch):
                continue
            if ch.isspace():
                pending_space = bool(chars)
                continue
            if pending_space:
                chars.append(" ")
                origin.append(i)
                pending_space = False
            chars.append(ch)
            origin.append(i)
    return "".join(chars), tuple(origin)


def normalize(text: str) -> str:
    """Lowercase, strip accents (NFKD), straighten curly quotes, collapse whitespace."""
    return _normalize_mapped(text)[0]


_EDGE: Final = frozenset(" .,;:!?'\"()[]«»")


@dataclass(frozen=True)
class _Span:
    """A piece of normalised text that remembers where it came from in the user's text."""

    src: str
    norm: str
    origin: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> _Span:
        norm, origin = _normalize_mapped(text)
        return cls(text, norm, origin).sub(0, len(norm))

    def sub(self, start: int, end: int | None = None) -> _Span:
        """Slice (normalised positions), trimming spaces and punctuation at both ends."""
        stop = len(self.norm) if end is None else end
        while start < stop and self.norm[start] in _EDGE:
            start += 1
        while stop > start and self.norm[stop - 1] in _EDGE:
            stop -= 1
        return _Span(self.src, self.norm[start:stop], self.origin[start:stop])

    @property
    def text(self) -> str:
        """The matching stretch of the original text."""
        if not self.norm:
            return ""
        return self.src[self.origin[0] : self.origin[-1] + 1]


# --------------------------------------------------------------------------- regex helpers

_JOINT: Final = r"(?:'\s?|-|\s)?"  # "aujourd'hui" ~ "aujourdhui" ~ "aujourd hui"


def _soft(phrase: str) -> str:
    """Regex for a normalised phrase; "'" and "-" in it may be typed, spaced or left out."""
    parts: list[str] = []
    for ch in phrase:
        if ch in "'-":
            parts.append(_JOINT)
        elif ch == " ":
            parts.append(r"\s")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def _alt(phrases: Iterable[str]) -> str:
    """Non-capturing alternation of soft phrases, longest first."""
    ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
    return "(?:" + "|".join(_soft(p) for p in ordered) + ")"


def _words(words: Iterable[str]) -> str:
    """Plain (escaped) alternation of tokens, longest first."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w) for w in ordered) + ")"


_B: Final = r"(?<![a-z0-9])"  # word start
_E: Final = r"(?![a-z0-9])"  # word end

# --------------------------------------------------------------------------- name tables

_LOCALES: Final = ("fr", "en", "nl", "de")

_EXTRA_MONTHS: Final[dict[str, int]] = {
    "janv": 1, "jan": 1, "janner": 1, "jaenner": 1,
    "fev": 2, "fevr": 2, "febr": 2, "feb": 2,
    "mar": 3, "mrt": 3, "marz": 3, "maerz": 3, "mrz": 3, "maart": 3,
    "avr": 4, "apr": 4,
    "mai": 5, "may": 5, "mei": 5,
    "jun": 6, "juin": 6, "juni": 6,
    "jul": 7, "juil": 7, "juli": 7,
    "aug": 8, "aout": 8,
    "sep": 9, "sept": 9,
    "oct": 10, "okt": 10,
    "nov": 11,
    "dec": 12, "dez": 12,
}  # fmt: skip

_EXTRA_WEEKDAYS: Final[dict[str, int]] = {
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3, "sonnabend": 5,
}  # fmt: skip


def _add_name(table: dict[str, int], clashes: set[str], name: str, value: int) -> None:
    key = normalize(name).rstrip(".")
    if not key or key in clashes:
        return
    if table.setdefault(key, value) != value:  # same token, two meanings: ambiguous, drop it
        del table[key]
        clashes.add(key)


def _build_months() -> dict[str, int]:
    table: dict[str, int] = {}
    clashes: set[str] = set()
    for locale in _LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                names = get_month_names(width, context, locale)
                for number, name in names.items():
                    _add_name(table, clashes, str(name), int(number))
    for name, number in _EXTRA_MONTHS.items():
        _add_name(table, clashes, name, number)
    return table


def _build_weekdays() -> dict[str, int]:
    table: dict[str, int] = {}
    clashes: set[str] = set()
    for locale in _LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                names = get_day_names(width, context, locale)
                for number, name in names.items():
                    _add_name(table, clashes, str(name), int(number))
    for name, number in _EXTRA_WEEKDAYS.items():
        _add_name(table, clashes, name, number)
    return table


_MONTHS: Final = _build_months()
_WEEKDAYS: Final = _build_weekdays()
# Two-letter abbreviations ("ma", "do", "so", "di"...) clash with ordinary words: they are
# only accepted in front of an explicit date ("Mo. 16. Mai", "ma 16 mei").
_WEEKDAYS_LONG: Final = {k: v for k, v in _WEEKDAYS.items() if len(k) >= 3}

_MONTH_RE: Final = _words(_MONTHS)
_WEEKDAY_RE: Final = _words(_WEEKDAYS)
_WEEKDAY_LONG_RE: Final = _words(_WEEKDAYS_LONG)

# --------------------------------------------------------------------------- day grammar

_FILLER: Final = re.compile(r"(?:le|on|op|am|the|for|pour|voor|fur|fuer|den)\s")

_RELATIVE_WORDS: Final[dict[int, tuple[str, ...]]] = {
    0: (
        "today", "aujourd'hui", "auj", "vandaag", "heute",
        "now", "right now", "immediately", "tonight", "this morning", "this afternoon",
        "this evening", "maintenant", "tout de suite", "immediatement", "ce matin",
        "cet apres-midi", "ce soir", "nu", "meteen", "onmiddellijk", "vanochtend",
        "vanmorgen", "vanmiddag", "vanavond", "jetzt", "sofort", "heute morgen",
        "heute fruh", "heute mittag", "heute nachmittag", "heute abend",
    ),
    1: (
        "tomorrow", "tmrw", "demain", "morgen",
        "tomorrow morning", "tomorrow afternoon", "tomorrow evening", "demain matin",
        "demain apres-midi", "demain soir", "morgenochtend", "morgenmiddag", "morgenavond",
        "morgen fruh", "morgen nachmittag", "morgen abend",
    ),
    2: (
        "after tomorrow", "day after tomorrow", "apres-demain", "overmorgen", "ubermorgen",
        "uebermorgen",
    ),
    -1: ("yesterday", "hier", "gisteren", "gestern"),
    -2: ("day before yesterday", "avant-hier", "eergisteren", "vorgestern"),
}  # fmt: skip

_RELATIVE: Final = tuple(
    (re.compile(_alt(words)), offset) for offset, words in _RELATIVE_WORDS.items()
)

_IN_N_DAYS: Final = re.compile(
    r"(?:in|dans|over)\s(?P<n>\d{1,3})\s"
    r"(?:(?P<days>days?|jours?|dagen|dag|tagen|tag)|(?:weeks?|semaines?|weken|wochen|woche))"
)

# "next monday": strictly after today; "this monday": from today on, like "monday" alone
_NEXT_BEFORE: Final = (
    "next", "coming", "this coming", "volgende", "komende", "aanstaande", "nachsten",
    "nachste", "nachster", "naechsten", "naechste", "naechster", "kommenden", "kommende",
    "kommender",
)  # fmt: skip
_THIS_BEFORE: Final = ("this", "ce", "deze", "diesen", "dieser", "diese")
_LAST_BEFORE: Final = (
    "last", "past", "previous", "vorige", "afgelopen", "letzten", "letzte", "letzter",
    "vergangenen", "vergangene", "vergangener", "vorigen",
)  # fmt: skip

_WEEKDAY_RELATIVE: Final = re.compile(
    rf"(?:(?P<nb>{_alt(_NEXT_BEFORE)})\s|(?P<tb>{_alt(_THIS_BEFORE)})\s"
    rf"|(?P<lb>{_alt(_LAST_BEFORE)})\s)?"
    rf"(?P<wd>{_WEEKDAY_LONG_RE})\.?"
    r"(?:\s(?:(?P<na>prochain|qui\svient|next|aanstaande|a\.?s\.?)"
    r"|(?P<la>dernier|passe|last|j\.?l\.?)))?"
)

_ORD: Final = r"(?:er|re|eme|e|st|nd|rd|th|ste|de|ten|te)?\.?"
_NUM_YMD: Final = re.compile(r"(?P<y>\d{4})(?P<s>[/.-])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})")
_NUM_DMY: Final = re.compile(
    r"(?P<d>\d{1,2})(?P<s>[/.-])(?P<m>\d{1,2})(?:(?P=s)(?P<y>\d{4}|\d{2}))?"
)
_NAMED_DMY: Final = re.compile(
    rf"(?P<d>\d{{1,2}}){_ORD}\s?(?:(?:of|de)\s)?(?P<m>{_MONTH_RE})\.?(?:,?\s(?P<y>\d{{4}}))?"
)
_NAMED_MDY: Final = re.compile(
    rf"(?P<m>{_MONTH_RE})\.?\s?(?:the\s)?(?P<d>\d{{1,2}}){_ORD},?(?:\s(?P<y>\d{{4}}))?"
)
_ABSOLUTE: Final = (_NUM_YMD, _NUM_DMY, _NAMED_DMY, _NAMED_MDY)
_BARE_DAY: Final = re.compile(rf"(?P<d>\d{{1,2}}){_ORD}")
_WEEKDAY_PREFIX: Final = re.compile(
    rf"(?P<wd>{_WEEKDAY_RE})\.?,?\s(?:(?:le|the|den|de|der)\s)?(?P<rest>\S.*)"
)

# "a date word that cannot be pinned to a day": the bot asks back
_VAGUE_PHRASES: Final = (
    # English
    "next week", "this week", "coming week", "the week after", "end of the week",
    "end of week", "this weekend", "next weekend", "weekend", "next month", "this month",
    "end of the month", "end of month", "coming days", "next few days", "in a few days",
    "a few days", "in a couple of days", "couple of days", "soon", "asap", "later",
    "sometime", "some day", "someday", "one of these days", "in a while", "in a week",
    # French
    "la semaine prochaine", "semaine prochaine", "cette semaine", "fin de semaine",
    "fin de la semaine", "ce week-end", "week-end", "le mois prochain", "mois prochain",
    "ce mois-ci", "ce mois", "fin du mois", "fin de mois", "bientot", "plus tard",
    "dans quelques jours", "d'ici quelques jours", "quelques jours", "prochainement",
    "sous peu", "au plus vite", "des que possible", "dans une semaine",
    "les prochains jours",
    # Dutch
    "volgende week", "deze week", "komende week", "eind van de week", "einde van de week",
    "dit weekend", "volgende maand", "deze maand", "eind van de maand", "einde van de maand",
    "eind deze maand", "binnenkort", "straks", "later", "over een paar dagen",
    "over enkele dagen", "een paar dagen", "zo snel mogelijk", "zsm", "over een week",
    "de komende dagen",
    # German
    "nachste woche", "naechste woche", "nachsten woche", "diese woche", "kommende woche",
    "ende der woche", "wochenende", "am wochenende", "nachsten monat", "naechsten monat",
    "nachster monat", "diesen monat", "dieser monat", "ende des monats", "monatsende",
    "bald", "demnachst", "spater", "spaeter", "in ein paar tagen", "in einigen tagen",
    "in wenigen tagen", "so bald wie moglich", "baldmoglichst", "in einer woche",
)  # fmt: skip
_VAGUE_RE: Final = re.compile(_B + _alt(_VAGUE_PHRASES) + _E)
_VAGUE_KEYWORDS: Final = re.compile(
    _B + r"(?:weeks?|semaines?|weken|wochen|woche|months?|mois|maand(?:en)?|monat(?:e|en)?)" + _E
)
_VAGUE_MONTH: Final = re.compile(
    rf"(?:(?:in|en|im|begin|debut|anfang|end\sof|fin|eind|ende)\s)?"
    rf"(?P<m>{_MONTH_RE})\.?(?:\s\d{{4}})?"
)

# --------------------------------------------------------------------------- period grammar

_UFN_PHRASES: Final = (
    "until further notice", "till further notice", "til further notice",
    "until further notification", "until further orders", "ufn", "indefinitely",
    "indefinite", "open-ended", "no end date", "jusqu'a nouvel ordre", "jusqu'a nouvel avis",
    "a nouvel ordre", "indefiniment", "pour une duree indeterminee", "duree indeterminee",
    "sans date de fin", "tot nader order", "tot nader bericht", "voor onbepaalde tijd",
    "onbepaalde tijd", "bis auf weiteres", "bis auf widerruf", "auf unbestimmte zeit",
    "unbefristet",
)  # fmt: skip
_UFN_ALT: Final = _alt(_UFN_PHRASES)
_UFN_FULL: Final = re.compile(_UFN_ALT)
_UFN_SUFFIX: Final = re.compile(_B + _UFN_ALT + "$")
_UFN_PREFIX: Final = re.compile(_UFN_ALT + _E)

_FROM_WORDS: Final = (
    "from", "starting", "starting from", "starting on", "beginning", "beginning on",
    "as of", "as from", "effective", "with effect from", "commencing",
    "a partir de", "a partir du", "a partir des", "a compter de", "a compter du", "des",
    "depuis", "vanaf", "met ingang van", "m.i.v.", "miv", "ab", "ab dem", "ab den",
)  # fmt: skip
_RANGE_WORDS: Final = ("du", "de", "van", "von", "vom")
_BETWEEN_WORDS: Final = ("between", "entre", "tussen", "zwischen")
_UNTIL_WORDS: Final = (
    "until", "till", "til", "untill", "through", "thru", "up to", "up until",
    "jusqu'au", "jusqu'a", "jusqu'aux", "jusque", "tot", "tot en met", "t/m", "tot met",
    "bis", "bis zum", "bis zur", "bis am", "bis einschliesslich", "bis inklusive",
)  # fmt: skip

_FROM_OPENER: Final = re.compile(_alt(_FROM_WORDS) + r"(?=\s|$)|(?:a\spartir|a\scompter)\sd'\s?")
_RANGE_OPENER: Final = re.compile(_alt(_RANGE_WORDS) + r"(?=\s|$)|d'\s?")
_BETWEEN_OPENER: Final = re.compile(_alt(_BETWEEN_WORDS) + r"(?=\s|$)")
_UNTIL_OPENER: Final = re.compile(_alt(_UNTIL_WORDS) + r"(?=\s|$)|jusqu'\s?")

_ONWARDS: Final = re.compile(r"(?:^|\s)(?:and\s)?(?:onwards|onward|and\safter|en\sverder)$")
_ON_SUFFIX: Final = re.compile(r"(?:^|\s)(?:on|an)$")  # "from monday on", "von Montag an"

_RANGE_SEPARATORS: Final = (
    re.compile(r"(?<=\s)" + _alt((*_UNTIL_WORDS, "to", "au", "a")) + r"(?=\s)"),
    re.compile(r"-+>|=>|[-\u2010\u2011\u2012\u2013\u2014\u2212\u2192]"),
)
_BETWEEN_SEPARATORS: Final = (re.compile(r"(?<=\s)(?:and|et|en|und)(?=\s)"),)

_MAX_WRAP: Final = timedelta(days=183)  # longest period we silently wrap over New Year
_SEVERITY: Final = {"unknown": 0, "vague": 1, "invalid": 2, "mismatch": 2, "reversed": 2}


# --------------------------------------------------------------------------- parsing a day


@dataclass(frozen=True)
class _Part:
    """One parsed day expression, before its year (or month) is settled.

    value set     -> fully known day (relative word, weekday, date with a year);
    month set     -> day-month without a year;
    neither       -> bare day number ("16", "le 16") - only usable inside a range.
    """

    span: _Span
    value: date | None = None
    day: int = 0
    month: int = 0
    weekday: int | None = None  # weekday written in front of a date: must match it
    explicit_year: bool = False
    rolling: bool = False  # weekday name alone: may move by whole weeks inside a range

    @property
    def yearless(self) -> bool:
        return self.value is None and self.month != 0

    @property
    def bare(self) -> bool:
        return self.value is None and self.month == 0


def _valid_day_month(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]


def _make(year: int, month: int, day: int, span: _Span) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError("invalid", span.text) from None


def _with_year(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:
        return None


def _nearest(day: int, month: int, today: date) -> date | None:
    """The (day, month) in the year that puts it nearest to today; ties go to the future."""
    best: date | None = None
    best_key = (0, False)
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        key = (abs((candidate - today).days), candidate < today)
        if best is None or key < best_key:
            best, best_key = candidate, key
    return best


def _next_weekday(weekday: int, today: date) -> date:
    """The nearest such weekday strictly after today ("next tuesday")."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _coming_weekday(weekday: int, today: date) -> date:
    """The nearest such weekday from today on ("tuesday" typed on a Tuesday is today)."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _previous_weekday(weekday: int, today: date) -> date:
    return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)


def _strip_fillers(span: _Span) -> _Span:
    while (m := _FILLER.match(span.norm)) is not None:
        span = span.sub(m.end())
    return span


def _absolute(span: _Span, today: date) -> _Part | None:
    for pattern in _ABSOLUTE:
        m = pattern.fullmatch(span.norm)
        if m is not None:
            break
    else:
        return None
    day = int(m["d"])
    month_token = m["m"]
    month = int(month_token) if month_token.isdigit() else _MONTHS[month_token]
    year_token = m["y"]
    if year_token is not None:
        year = int(year_token)
        if len(year_token) == 2:  # "22" -> the century nearest to today
            base = today.year - today.year % 100 + year
            year = min((base - 100, base, base + 100), key=lambda y: abs(y - today.year))
        return _Part(span, value=_make(year, month, day, span), explicit_year=True)
    if not _valid_day_month(day, month):
        raise DateError("invalid", span.text)
    return _Part(span, day=day, month=month)


def _bare(span: _Span) -> _Part | None:
    m = _BARE_DAY.fullmatch(span.norm)
    if m is None:
        return None
    day = int(m["d"])
    if not 1 <= day <= 31:
        raise DateError("invalid", span.text)
    return _Part(span, day=day)


def _not_understood(span: _Span) -> DateError:
    found = [m for i in range(len(span.norm)) if (m := _VAGUE_RE.match(span.norm, i))]
    if found:  # the longest vague phrase: "sometime next week" -> "next week"
        m = max(found, key=lambda m: m.end() - m.start())
        return DateError("vague", span.sub(m.start(), m.end()).text)
    if _VAGUE_KEYWORDS.search(span.norm) or _VAGUE_MONTH.fullmatch(span.norm):
        return DateError("vague", span.text)
    return DateError("unknown", span.text)


def _parse_part(span: _Span, today: date) -> _Part:
    """Parse one day expression; raises DateError ('unknown', 'vague', 'invalid')."""
    span = _strip_fillers(span)
    text = span.norm
    if not text:
        raise DateError("unknown", span.text)
    for pattern, offset in _RELATIVE:
        if pattern.fullmatch(text):
            return _Part(span, value=today + timedelta(days=offset))
    m = _IN_N_DAYS.fullmatch(text)
    if m is not None:
        n = int(m["n"]) * (1 if m["days"] else 7)
        return _Part(span, value=today + timedelta(days=n))
    m = _WEEKDAY_RELATIVE.fullmatch(text)
    if m is not None:
        is_next = bool(m["nb"] or m["na"])
        is_last = bool(m["lb"] or m["la"])
        weekday = _WEEKDAYS_LONG[m["wd"]]
        if is_last and not is_next:
            return _Part(span, value=_previous_weekday(weekday, today))
        if not is_last:
            day = _next_weekday(weekday, today) if is_next else _coming_weekday(weekday, today)
            return _Part(span, value=day, rolling=True)
    part = _absolute(span, today)
    if part is not None:
        return part
    m = _WEEKDAY_PREFIX.fullmatch(text)
    if m is not None:
        rest = span.sub(m.start("rest"))
        inner = _absolute(rest, today) or _bare(rest)
        if inner is not None:
            return _Part(
                span,
                value=inner.value,
                day=inner.day,
                month=inner.month,
                weekday=_WEEKDAYS[m["wd"]],
                explicit_year=inner.explicit_year,
            )
    part = _bare(span)
    if part is not None:
        return part
    raise _not_understood(span)


def _check_weekday(part: _Part, day: date) -> None:
    if part.weekday is not None and day.weekday() != part.weekday:
        raise DateError("mismatch", part.span.text, suggestion=day, weekday=part.weekday)


def _resolve(part: _Part, today: date) -> date:
    """The day of a part on its own (bare day numbers are too vague on their own)."""
    if part.value is not None:
        return part.value
    if part.bare:
        raise DateError("vague", part.span.text)
    day = _nearest(part.day, part.month, today)
    if day is None:  # 29/02 with no leap year next to today
        raise DateError("invalid", part.span.text)
    return day


def _single(span: _Span, today: date) -> date:
    part = _parse_part(span, today)
    day = _resolve(part, today)
    _check_weekday(part, day)
    return day


def _as_date(today: date) -> date:
    return today.date() if isinstance(today, datetime) else today


def parse_day(text: str, today: date) -> date:
    """One day from chat text ("demain", "lundi", "16/05", "May 16"); raises DateError."""
    return _single(_Span.of(text), _as_date(today))


# --------------------------------------------------------------------------- periods


def _range(x: _Part, y: _Part, whole: _Span, today: date) -> Period:
    if x.bare and y.bare:
        raise DateError("vague", whole.text)
    if x.bare:  # "du 16 au 20 mai": the first day borrows month and year
        last = _resolve(y, today)
        first = _make(last.year, last.month, x.day, x.span)
    elif y.bare:  # "May 16-20"
        first = _resolve(x, today)
        last = _make(first.year, first.month, y.day, y.span)
    elif x.yearless and y.explicit_year:  # "16/05 - 20/05/2023": the year applies to both
        last = _resolve(y, today)
        first = _make(last.year, x.month, x.day, x.span)
    elif y.yearless and x.explicit_year:
        first = _resolve(x, today)
        last = _make(first.year, y.month, y.day, y.span)
    else:
        first = _resolve(x, today)
        last = _resolve(y, today)
    if first > last:
        if y.rolling:  # "from friday to monday": the monday after that friday
            last += timedelta(days=7 * -((last - first).days // 7))
        elif y.yearless:  # "28/12 - 03/01": over New Year
            later = _with_year(last, last.year + 1)
            if later is not None and first <= later and later - first <= _MAX_WRAP:
                last = later
        elif x.yearless:
            earlier = _with_year(first, first.year - 1)
            if earlier is not None and earlier <= last and last - earlier <= _MAX_WRAP:
                first = earlier
    _check_weekday(x, first)
    _check_weekday(y, last)
    if first > last:
        raise DateError("reversed", whole.text)
    return Period(first, last)


def _split_points(text: str, separators: Sequence[re.Pattern[str]]) -> list[tuple[int, int]]:
    points = {(m.start(), m.end()) for sep in separators for m in sep.finditer(text)}
    return sorted(points, key=lambda p: (p[0], -p[1]))


def _body(
    body: _Span, whole: _Span, today: date, kind: str, separators: Sequence[re.Pattern[str]]
) -> Period:
    """The text after an opener: a single day, or a range split at a separator."""
    errors: list[DateError] = []
    if kind != "between":
        try:
            day = _single(body, today)
        except DateError as error:
            errors.append(error)
        else:
            if kind == "from":
                return Period(day, None)
            if kind == "plain":
                return Period(day, day)
            errors.append(DateError("unknown", whole.text))  # "du 16 mai" and no end
    for start, end in _split_points(body.norm, separators):
        left, right = body.sub(0, start), body.sub(end)
        if not left.norm or not right.norm:
            continue
        try:
            return _range(_parse_part(left, today), _parse_part(right, today), whole, today)
        except DateError as error:
            errors.append(error)
    # the most specific complaint wins; among equals, the first (the whole text)
    worst = max(errors, key=lambda e: _SEVERITY[e.kind], default=DateError("unknown", whole.text))
    if worst.kind == "unknown":  # "dès que possible" is vague, not "que possible" unknown
        vague = _not_understood(whole)
        if vague.kind == "vague":
            raise vague
    raise worst


def _after(span: _Span, m: re.Match[str] | None) -> _Span | None:
    return None if m is None else span.sub(m.end())


def _strip_opener(span: _Span) -> _Span:
    for opener in (_FROM_OPENER, _RANGE_OPENER):
        rest = _after(span, opener.match(span.norm))
        if rest is not None:
            return rest
    return span


def parse_period(text: str, today: date) -> Period:
    """A period from chat text ("du 16 au 20 mai", "from monday", "until friday", "")."""
    today = _as_date(today)
    whole = _Span.of(text)
    norm = whole.norm
    if not norm or _UFN_FULL.fullmatch(norm):
        return Period(today, None)

    ufn = _UFN_SUFFIX.search(norm)
    start = _strip_opener(whole.sub(0, ufn.start())) if ufn is not None else None
    if start is None:
        start = _after(whole, _UFN_PREFIX.match(norm))
        start = None if start is None else _strip_opener(start)
    if start is not None:  # "from monday until further notice"
        return Period(_single(start, today) if start.norm else today, None)

    end = _after(whole, _UNTIL_OPENER.match(norm))
    if end is not None:  # "until friday"
        last = _single(end, today)
        if last < today:
            raise DateError("reversed", whole.text)
        return Period(today, last)

    separators: Sequence[re.Pattern[str]] = _RANGE_SEPARATORS
    if (body := _after(whole, _FROM_OPENER.match(norm))) is not None:
        kind = "from"
    elif (body := _after(whole, _BETWEEN_OPENER.match(norm))) is not None:
        kind, separators = "between", _BETWEEN_SEPARATORS
    elif (body := _after(whole, _RANGE_OPENER.match(norm))) is not None:
        kind = "range"
    else:
        kind, body = "plain", whole

    onwards = _ONWARDS.search(body.norm)
    if onwards is None and kind in ("from", "range"):
        onwards = _ON_SUFFIX.search(body.norm)
    if onwards is not None:
        kind, body = "from", body.sub(0, onwards.start())
    if not body.norm:
        raise DateError("unknown", whole.text)
    return _body(body, whole, today, kind, separators)
