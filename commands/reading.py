"""Reading a staff question: language, intent, services, sites, day and the status asked.

Deterministic and local: function words for the language, the catalog (with rapidfuzz for
typos) for services and sites, the shared date rules (bot.dates) for the day. When the
question names no service (and is not about a whole day) or a day that cannot be pinned,
the reading says so and the bot asks back instead of answering something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from rapidfuzz import fuzz, process

from bot.catalog import Catalog
from bot.dates import DateError, parse_day
from bot.errors import UsageError
from bot.model import ALL_SITES, LANGS, Lang, Status
from bot.text import fold
from commands.parsing import Words, take_sites

Intent = Literal["service-status", "day-overview", "system-status", "ask-back"]


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and question words that tell the language (folded: no accents).
LEXICON: dict[Lang, frozenset[str]] = {
    "fr": _set(
        "est ce que qu les la le des du sont ouvert ouverte ouverts ouvertes annule annulee "
        "annules annulees ferme fermee fermes fermees demain aujourd hui apres y il quoi quel "
        "quels quelle quelles pour c elle ils bonjour svp merci pouvez vous dire si encore "
        "toujours maintenu maintenue maintenus maintenues lieu au aux sur pas mon ma mes "
        "lundi mardi mercredi jeudi vendredi samedi dimanche qui reduit cas par t on peut "
        "ont normalement prevu prevus operations prises sang urgences savoir sait suis "
        "rendez vous rdv consultations chirurgie radiologie imagerie laboratoire labo "
        "de en et ou a etat assure assuree assures assurees fonctionne fonctionnent "
        "quid concernant niveau mai juin juillet"
    ),
    "en": _set(
        "is are the what s what's open cancelled canceled closed tomorrow today monday "
        "tuesday wednesday thursday friday saturday sunday there on at any which does do "
        "running going ahead still hi hello please thanks happening status of for about "
        "will be can you tell me if and or my have has how x ray radiology surgery "
        "emergency laboratory lab blood tests consultations operations shut reduced "
        "case by called off anything services taking place day after may june it this "
        "that next week was were get tmrw in still room centre center send patient patients "
        "closures cancellations update normal capacity test testing ops theatre draws"
    ),
    "nl": _set(
        "is er de het wat morgen vandaag gesloten geannuleerd gaan gaat door open zijn "
        "welke nog weet iemand of op in te goedemorgen goeiemorgen hallo dag niet vanaf "
        "afgelast overmorgen dicht nu maandag dinsdag woensdag donderdag vrijdag zaterdag "
        "zondag hoe zit met mijn ik kan kunnen jullie alles wordt worden beperkt geval per "
        "bloedafname raadplegingen consultaties operaties spoed spoedgevallen "
        "beeldvorming radiologie en voor van mei juni alstublieft aub bedankt volgende "
        "doorgaat ziet eruit overzicht laten prikken bloed morgenochtend vanmorgen week"
    ),
    "de": _set(
        "ist die der das morgen heute geoffnet geschlossen abgesagt montag dienstag "
        "mittwoch donnerstag freitag samstag sonntag was sind gibt es welche noch am "
        "ubermorgen hallo bitte danke findet statt offen eingeschrankt im einzelfall "
        "blutabnahme sprechstunden notaufnahme labor chirurgie radiologie und in wie "
        "steht mit mein meine ich kann konnen sie wird werden guten morgen tag rontgen "
        "sieht aus moglich nachste woche"
    ),
}

# Words that make a question about a whole day ("what's open today?").
OVERVIEW_WORDS = _set(
    "what what's which quoi qu quels quelles quel quelle wat welke was welche everything "
    "anything tout tous alles overview apercu situation neuf happening services diensten "
    "dienste closures cancellations annulations fermetures update overzicht eruit sieht "
    "etat point iets something quelque etwas"
)


# "is there", "y a-t-il", "gibt es", "gaan … door", "take place": asking whether it runs.
def _phrases(*texts: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(t.split()) for t in texts)


# Words that ask whether a service runs: "take place", "gaat door", "fonctionne"...
RUNS_PHRASES = _phrases(
    "a lieu",
    "ont lieu",
    "lieu",
    "take place",
    "taking place",
    "going ahead",
    "go ahead",
    "findet",
    "finden",
    "fonctionne",
    "fonctionnent",
    "working",
    "functioning",
    "assure",
    "assures",
    "assuree",
    "assurees",
    "doorgaan",
    "doorgaat",
    "door",
    "plaats",
    "tourne",
    "tournent",
    "normalement",
    "reprennent",
    "reprend",
)
# ... and words that do so only about a named service ("is there", "still", "possible").
RUNS_WITH_SERVICE = _phrases(
    "y a t il",
    "il y a",
    "is there",
    "are there",
    "gibt es",
    "work",
    "possible",
    "mogelijk",
    "moglich",
    "still",
    "nog",
    "happening",
    "marche",
    "marchent",
    "send",
)
NOT_RUNS_PHRASES = (("niet", "door"), ("pas", "lieu"), ("called", "off"), ("fallt", "aus"))
# Nouns that ask about a status ("any cancellations?", "y a-t-il des fermetures ?").
STATUS_NOUNS: dict[str, Status] = {
    **dict.fromkeys(
        ("annulation", "annulations", "cancellation", "cancellations", "annuleringen", "absagen"),
        Status.CANCELLED,
    ),
    **dict.fromkeys(
        ("fermeture", "fermetures", "closure", "closures", "sluitingen", "schliessungen"),
        Status.CLOSED,
    ),
}
OR_WORDS = _set("or ou of oder")
# Site names that are also common words ("ça marche"): a site only after a site word
# (à, at, in, de…) or when typed with a capital.
AMBIGUOUS_SITES = {"marche": "Marche"}
SITE_LEAD = _set("a at in te de d du bei sur")
# Upper-case acronyms that are ordinary words in lower case ("er" is Dutch for "there").
ACRONYMS = {"ER": "emergency", "OR": "surgery"}
CHAT_WORDS = {
    r"\btmrw\b|\btmr\b|\btomo\b": "tomorrow",
    r"\b2day\b": "today",
}
NUMBER_WORDS = {
    "one": 1,
    "un": 1,
    "une": 1,
    "een": 1,
    "ein": 1,
    "eine": 1,
    "two": 2,
    "deux": 2,
    "twee": 2,
    "zwei": 2,
    "three": 3,
    "trois": 3,
    "drie": 3,
    "drei": 3,
    "four": 4,
    "quatre": 4,
    "vier": 4,
    "five": 5,
    "cinq": 5,
    "vijf": 5,
    "funf": 5,
}
_NUMBER_DAYS = re.compile(
    r"\b(" + "|".join(NUMBER_WORDS) + r")\s+(days?|jours?|dagen|dag|tagen?)\b"
)
_DAY_NUMBER = re.compile(
    r"\b(?:le|on the|op de|am|den)\s+(\d{1,2})(?:st|nd|rd|th|er|e|\.)?(?=\s*$|\s*[?!,.]|"
    r"\s+(?:a|at|in|te|bei)\b)"
)
VAGUE_CUES = _set(
    "week weeks semaine semaines woche wochen soon bientot binnenkort bald later tard "
    "month mois maand monat prochains jours coming komende dagen tage weekend days"
)
# Words that may start or end a vague date phrase ("la semaine prochaine", "next week").
VAGUE_EDGE = VAGUE_CUES | _set(
    "la le the this next cette ce ces prochaine prochain prochaines prochains deze volgende "
    "nachste nachsten diese kommende komende coming in a few quelques dans fin end du of "
    "mois een paar einigen"
)
# Short words the date rules accept that, in a sentence, are usually something else.
NOT_A_DATE = _set("mon ma mar mer jeu ven sam dim lun wed thu fri sat sun tue di do vr za zo")
HERE_WORDS = _set("hier")  # Dutch and German "here", French "yesterday"


@dataclass(frozen=True)
class Reading:
    text: str
    lang: Lang
    lang_sure: bool
    intent: Intent
    services: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    day: date | None = None
    asked: Status | None = None
    why: str | None = None  # ask-back: "no-service" | "vague-date"
    date_text: str | None = None
    suggestions: tuple[str, ...] = ()  # ask-back: service ids that look close
    typos: dict[str, str] = field(default_factory=dict)  # typed word -> service id
    # the IT systems asked about (system-status), or the context of a service's answer
    systems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "lang": self.lang,
            "intent": self.intent,
            "services": list(self.services),
            "sites": list(self.sites),
            "date": self.day.isoformat() if self.day else None,
            "asked": str(self.asked) if self.asked else None,
            "why": self.why,
            "date_text": self.date_text,
            "suggestions": list(self.suggestions),
            "typos": dict(self.typos),
            "systems": list(self.systems),
        }


TIE_ORDER: tuple[Lang, ...] = ("fr", "nl", "en", "de")


def detect_language(toks: list[str], catalog: Catalog, fallback: Lang) -> tuple[Lang, bool]:
    scores: dict[Lang, float] = dict.fromkeys(LANGS, 0.0)
    for tok in toks:
        owners = [lang for lang in LANGS if tok in LEXICON[lang]]
        for lang in owners:
            scores[lang] += 1.0 / len(owners)
    for entry in catalog.services:
        for lang in LANGS:
            name = entry.names.get(lang, "")
            if name and name.casefold() in " ".join(toks):
                scores[lang] += 0.25
    top = max(scores.values())
    if top == 0:
        return fallback, False
    tied = [lang for lang in TIE_ORDER if scores[lang] == top]
    if len(tied) == 1:
        return tied[0], True
    # A tie: the room's (or the configured) language if it is among them, else the
    # languages most spoken in the hospital first.
    return (fallback if fallback in tied else tied[0]), False


def _find_phrase(toks: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(toks) - n + 1):
            if tuple(toks[i : i + n]) == phrase:
                return True
    return False


def _is_dateish(word: str, today: date) -> bool:
    if any(c.isdigit() for c in word):
        return True
    if word in NOT_A_DATE or word in VAGUE_CUES:
        return word in VAGUE_CUES
    try:
        parse_day(word, today)
    except DateError as e:
        return e.kind in ("vague", "mismatch")
    return True


def find_day(
    w: Words, today: date, lang: Lang
) -> tuple[date | None, str | None, str | None, list[int]]:
    """(day, its text, problem kind, word indices) for the longest date phrase in ``w``."""
    toks = w.toks
    free = [i for i in w.free() if not (lang in ("nl", "de") and toks[i] in HERE_WORDS)]
    anchors = [i for i in free if _is_dateish(toks[i], today)]
    best: tuple[int, int, date] | None = None
    vague: str | None = None
    contradictions: list[tuple[int, int, str]] = []  # "mercredi 17 mai" (a Tuesday)
    found: list[tuple[int, int, date]] = []
    tried: set[tuple[int, int]] = set()
    for a in anchors:
        for lo in range(max(0, a - 3), a + 1):
            for hi in range(a, min(len(toks), a + 4)):
                span = list(range(lo, hi + 1))
                if (lo, hi) in tried or any(i not in free for i in span):
                    continue
                tried.add((lo, hi))
                if lo == hi and toks[lo] in NOT_A_DATE:
                    continue
                text = w.text(span)
                try:
                    day = parse_day(text, today)
                except DateError as e:
                    if (
                        e.kind == "vague"
                        and any(toks[i] in VAGUE_CUES for i in span)
                        and toks[lo] in VAGUE_EDGE
                        and toks[hi] in VAGUE_EDGE
                    ):
                        if vague is None or len(e.fragment) > len(vague):
                            vague = e.fragment
                    elif e.kind in ("mismatch", "invalid"):
                        contradictions.append((lo, hi, e.fragment))
                    continue
                found.append((lo, hi, day))
                if best is None or (hi - lo) > (best[1] - best[0]):
                    best = (lo, hi, day)
    if best is not None:
        others = {d for lo, hi, d in found if hi < best[0] or lo > best[1]} - {best[2]}
        if others:  # "monday or tuesday?": two days -- ask, never answer for one
            first, last = min(lo for lo, _, _ in found), max(hi for _, hi, _ in found)
            return None, w.text(list(range(first, last + 1))), "vague", []
        for lo, hi, fragment in contradictions:
            if lo <= best[0] and best[1] <= hi:
                return None, fragment, "vague", []  # ask which day, never pick one
        span = list(range(best[0], best[1] + 1))
        return best[2], w.text(span), None, span
    if contradictions:
        return None, contradictions[0][2], "vague", []
    if vague is not None:
        return None, vague, "vague", []
    return None, None, None, []


def _services(w: Words, catalog: Catalog, skip: set[int]) -> tuple[list[str], dict[str, str]]:
    """Services named exactly, then single words close to a service name (typos)."""
    toks = w.toks
    found: list[tuple[int, str]] = []  # (position, service id)
    typos: dict[str, str] = {}
    i = 0
    while i < len(toks):
        if i in w.used or i in skip:
            i += 1
            continue
        span = catalog.service_at(toks, i)
        if span is not None and toks[i] == "urgence" and i > 0 and toks[i - 1] in ("en", "d"):
            span = None  # "en urgence", "d'urgence": urgently, not the emergency service
            skip = skip | {i}
        if span is not None and not any(j in w.used or j in skip for j in range(i, span.end)):
            found.append((i, span.entry.id))
            w.used.update(range(i, span.end))
            i = span.end
            continue
        i += 1
    choices = {
        k: e.id for e in catalog.services for k in e.match_keys() if len(k) >= 5 and " " not in k
    }
    phrases = {
        k: e.id for e in catalog.services for k in e.match_keys() if len(k) >= 8 and " " in k
    }
    free = [i for i in w.free() if i not in skip]
    for n in (3, 2):  # "prise de sange" -> "prise de sang"
        for start in range(len(free) - n + 1):
            window = free[start : start + n]
            if window != list(range(window[0], window[0] + n)) or any(i in w.used for i in window):
                continue
            text = " ".join(toks[i] for i in window)
            hit = process.extractOne(text, list(phrases), scorer=fuzz.ratio, score_cutoff=88)
            if hit is not None and hit[0][0] == text[0]:
                found.append((window[0], phrases[hit[0]]))
                typos[text] = phrases[hit[0]]
                w.used.update(window)
    for i in w.free():
        word = toks[i]
        if i in skip or len(word) < 5 or any(word in lex for lex in LEXICON.values()):
            continue
        # A typo keeps the first letter; "patients" is not "consults".
        hit = process.extractOne(word, list(choices), scorer=fuzz.ratio, score_cutoff=84)
        if hit is not None and hit[0][0] == word[0]:
            found.append((i, choices[hit[0]]))
            typos[word] = choices[hit[0]]
            w.used.add(i)
    ordered = list(dict.fromkeys(service for _, service in sorted(found)))
    return ordered, typos


def _asked(w: Words, catalog: Catalog, *, with_service: bool) -> Status | None:
    """The status the question asks about, or None for a neutral question."""
    toks = w.toks
    free = w.free()
    spans = catalog.scan_statuses([toks[i] for i in free])
    found = [(free[sp.start], Status(sp.entry.id)) for sp in spans]
    found += [(i, STATUS_NOUNS[toks[i]]) for i in free if toks[i] in STATUS_NOUNS]
    found.sort()
    distinct = list(dict.fromkeys(status for _, status in found))
    if len(distinct) > 1:
        first, last = found[0][0], found[-1][0]
        if any(toks[i] in OR_WORDS for i in range(first, last)):
            return None  # "open or closed?": a neutral question
        return next(st for st in distinct if st != Status.OPEN)  # "running at reduced…"
    if distinct:
        return distinct[0]
    for i in free:  # a typo in a status word ("geanuleerd")
        word = toks[i]
        if len(word) >= 6 and not any(word in lex for lex in LEXICON.values()):
            hit = process.extractOne(
                word, list(_status_words(catalog)), scorer=fuzz.ratio, score_cutoff=85
            )
            if hit is not None and hit[0][0] == word[0]:
                return _status_words(catalog)[hit[0]]
    words = [toks[i] for i in free]
    if _find_phrase(words, NOT_RUNS_PHRASES):
        return Status.CANCELLED
    if _find_phrase(words, RUNS_PHRASES) or (
        with_service and _find_phrase(words, RUNS_WITH_SERVICE)
    ):
        return Status.OPEN
    return None


def _status_words(catalog: Catalog) -> dict[str, Status]:
    return {k: Status(e.id) for e in catalog.statuses for k in e.match_keys() if " " not in k}


# Words that ask whether an IT system is back ("when will PACS be back?", "rétablie ?").
RESTORE_PHRASES = _phrases(
    "back",
    "restored",
    "retabli",
    "retablie",
    "retablis",
    "retablies",
    "remis en service",
    "hersteld",
    "terug",
    "wiederhergestellt",
    "working again",
    "fonctionne a nouveau",
    "fonctionne de nouveau",
    "weer werken",
    "werkt weer",
    "wieder da",
    "wieder verfugbar",
    "repare",
    "repaired",
    "fixed",
)


def _named_systems(toks: list[str], catalog: Catalog) -> tuple[list[str], set[int]]:
    """IT systems named in the question ("PACS", "medical records", "lab system") and the
    word positions they use. A system's one-word alias that is also a service name
    ("labs") counts as the service, not the system."""
    found: list[str] = []
    used: set[int] = set()
    i = 0
    while i < len(toks):
        span = catalog.system_at(toks, i)
        if span is not None and not (
            span.end - span.start == 1 and catalog.match_service(toks[i]) is not None
        ):
            found.append(span.entry.id)
            used.update(range(span.start, span.end))
            i = span.end
        else:
            i += 1
    return found, used


def _systems(named: list[str], toks: list[str], catalog: Catalog, services: list[str]) -> list[str]:
    """The systems a question is about: those named, or, with a restoration word ("is
    radiology back?"), the systems the named services depend on."""
    found = list(named)
    if not found and services and _find_phrase(toks, RESTORE_PHRASES):
        for service in services:
            found.extend(catalog.systems_for_service(service))
    return list(dict.fromkeys(found))


def _prepare(text: str) -> str:
    """Chat abbreviations and number words that the date rules do not read."""
    text = re.sub(r"\b(?:24|7)\s*/\s*7\b", " round the clock ", text)  # "24/7": not a date
    text = re.sub(r"\bguten\s+morgen\b", " hallo ", text, flags=re.IGNORECASE)  # a greeting
    for pattern, word in CHAT_WORDS.items():
        text = re.sub(pattern, word, text, flags=re.IGNORECASE)
    return _NUMBER_DAYS.sub(lambda m: f"{NUMBER_WORDS[m[1]]} {m[2]}", fold(text))


def _day_number(w: Words, today: date) -> tuple[date, list[int]] | None:
    """ "le 19", "the 19th": that day of this month, or of the next if it has passed."""
    m = _DAY_NUMBER.search(w.folded)
    if not m:
        return None
    n = int(m[1])
    year, month = today.year, today.month
    if n < today.day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    try:
        day = date(year, month, n)
    except ValueError:
        return None
    idx = [i for i, (_, s, e) in enumerate(w.items) if s >= m.start() and e <= m.end()]
    return day, idx


def read_question(text: str, *, catalog: Catalog, today: date, fallback: Lang) -> Reading:
    w = Words.of(_prepare(text))
    toks = w.toks
    acronyms = {a.lower() for a in ACRONYMS if re.search(rf"\b{a}\b", text)}
    lang, sure = detect_language([t for t in toks if t not in acronyms], catalog, fallback)
    try:
        sites = take_sites(w, catalog, lang)
    except UsageError:
        sites = []
    for site, capitalised in AMBIGUOUS_SITES.items():
        if site in sites:
            i = toks.index(site)
            if capitalised not in text and not (i > 0 and toks[i - 1] in SITE_LEAD):
                sites.remove(site)
                w.used.discard(i)
    if ALL_SITES in sites:
        sites = []  # "at all sites": no particular site
    day, date_text, problem, day_words = find_day(w, today, lang)
    if day is None and problem is None and (numbered := _day_number(w, today)):
        day, day_words = numbered
        date_text = w.text(day_words)
    named, system_words = _named_systems(toks, catalog)
    skip = set(day_words) | system_words
    services, typos = _services(w, catalog, skip)
    for acronym, service in ACRONYMS.items():
        if re.search(rf"\b{acronym}\b", text) and service not in services:
            services.append(service)
            w.used.update(i for i, t in enumerate(toks) if t == acronym.lower())
    w.used.update(day_words)
    asked = _asked(w, catalog, with_service=bool(services))
    w.used.update(system_words)
    systems = _systems(named, toks, catalog, services)
    base = Reading(
        text=text,
        systems=tuple(systems),
        lang=lang,
        lang_sure=sure,
        intent="ask-back",
        services=tuple(services),
        sites=tuple(sites),
        asked=asked,
        date_text=date_text,
        typos=typos,
    )
    overview = not services and any(t in OVERVIEW_WORDS for t in toks)
    if problem == "vague" and (services or overview):
        return replace(base, why="vague-date")
    base = replace(base, day=day or today)
    # A service is answered from the cell's decisions, always: the systems behind it are
    # context. Only a question naming no service is about the restoration plan.
    if services:
        return replace(base, intent="service-status")
    if systems:
        return replace(base, intent="system-status")
    if overview:
        return replace(base, intent="day-overview")
    guesses: list[str] = []
    for i in w.free():
        if len(toks[i]) >= 4:
            for e in catalog.suggest_services(toks[i]):
                if e.id not in guesses:
                    guesses.append(e.id)
    return replace(base, why="no-service", suggestions=tuple(guesses[:3]))


def mentions_service(text: str, catalog: Catalog) -> bool:
    """Cheap check for unaddressed room messages: a question naming a known service."""
    if not text.rstrip().endswith("?"):
        return False
    toks = Words.of(text).toks
    return any(catalog.service_at(toks, i) is not None for i in range(len(toks)))
