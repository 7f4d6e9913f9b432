"""Reading a staff question: language, intent, services, sites, day and the status asked.

Deterministic and local: function words for the language, the catalog (with rapidfuzz for
typos) for services and sites, the shared date rules (bot.dates) for the day. When the
question names no service (and is not about a whole day) or a day that cannot be pinned,
the reading says so and the bot asks back instead of answering something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from rapidfuzz import fuzz, process

from bot.catalog import Catalog
from bot.dates import DateError, parse_day
from bot.errors import UsageError
from bot.model import LANGS, Lang, Status
from commands.parsing import Words, take_sites

Intent = Literal["service-status", "day-overview", "ask-back"]


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
        "that next week was were get"
    ),
    "nl": _set(
        "is er de het wat morgen vandaag gesloten geannuleerd gaan gaat door open zijn "
        "welke nog weet iemand of op in te goedemorgen goeiemorgen hallo dag niet vanaf "
        "afgelast overmorgen dicht nu maandag dinsdag woensdag donderdag vrijdag zaterdag "
        "zondag hoe zit met mijn ik kan kunnen jullie alles wordt worden beperkt geval per "
        "bloedafname raadplegingen consultaties operaties spoed spoedgevallen "
        "beeldvorming radiologie en voor van mei juni alstublieft aub bedankt"
    ),
    "de": _set(
        "ist die der das morgen heute geoffnet geschlossen abgesagt montag dienstag "
        "mittwoch donnerstag freitag samstag sonntag was sind gibt es welche noch am "
        "ubermorgen hallo bitte danke findet statt offen eingeschrankt im einzelfall "
        "blutabnahme sprechstunden notaufnahme labor chirurgie radiologie und in wie "
        "steht mit mein meine ich kann konnen sie wird werden guten morgen tag"
    ),
}

# Words that make a question about a whole day ("what's open today?").
OVERVIEW_WORDS = _set(
    "what what's which quoi qu quels quelles quel quelle wat welke was welche everything "
    "anything tout tous alles overview apercu situation neuf happening"
)
# "is there", "y a-t-il", "gibt es", "gaan … door", "take place": asking whether it runs.
RUNS_PHRASES = (
    ("y", "a", "t", "il"),
    ("il", "y", "a"),
    ("is", "there"),
    ("are", "there"),
    ("gibt", "es"),
    ("a", "lieu"),
    ("ont", "lieu"),
    ("take", "place"),
    ("taking", "place"),
    ("going", "ahead"),
    ("go", "ahead"),
    ("findet",),
    ("finden",),
    ("fonctionne",),
    ("fonctionnent",),
    ("working",),
    ("work",),
    ("functioning",),
    ("assure",),
    ("assures",),
    ("assuree",),
    ("assurees",),
    ("doorgaan",),
    ("door",),
    ("plaats",),
)
NOT_RUNS_PHRASES = (("niet", "door"), ("pas", "lieu"), ("called", "off"), ("fallt", "aus"))
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
IGNORE = _set(
    "bonjour bonsoir salut hello hi hey svp stp please merci thanks thank you bedankt "
    "alstublieft aub danke bitte goedemorgen goeiemorgen hallo guten morgen tag dag "
    "question quick vraag frage"
)


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
        }


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
    ranked = sorted(LANGS, key=lambda lang: -scores[lang])
    best, second = ranked[0], ranked[1]
    if scores[best] == 0 or scores[best] == scores[second]:
        return fallback, False
    return best, True


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
                    elif e.kind in ("mismatch", "invalid") and vague is None:
                        vague = e.fragment
                    continue
                if best is None or (hi - lo) > (best[1] - best[0]):
                    best = (lo, hi, day)
    if best is not None:
        span = list(range(best[0], best[1] + 1))
        return best[2], w.text(span), None, span
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
        if span is not None and not any(j in w.used or j in skip for j in range(i, span.end)):
            found.append((i, span.entry.id))
            w.used.update(range(i, span.end))
            i = span.end
            continue
        i += 1
    choices = {
        k: e.id for e in catalog.services for k in e.match_keys() if len(k) >= 5 and " " not in k
    }
    for i in w.free():
        word = toks[i]
        if i in skip or len(word) < 5 or any(word in lex for lex in LEXICON.values()):
            continue
        hit = process.extractOne(word, list(choices), scorer=fuzz.ratio, score_cutoff=80)
        if hit is not None:
            found.append((i, choices[hit[0]]))
            typos[word] = choices[hit[0]]
            w.used.add(i)
    ordered = list(dict.fromkeys(service for _, service in sorted(found)))
    return ordered, typos


def _asked(w: Words, catalog: Catalog) -> Status | None:
    toks = w.toks
    free = w.free()
    spans = catalog.scan_statuses([toks[i] for i in free])
    if _find_phrase(toks, NOT_RUNS_PHRASES):
        return Status.CANCELLED
    if spans:
        return Status(spans[0].entry.id)
    if _find_phrase(toks, RUNS_PHRASES):
        return Status.OPEN
    return None


def read_question(text: str, *, catalog: Catalog, today: date, fallback: Lang) -> Reading:
    w = Words.of(text)
    toks = w.toks
    lang, sure = detect_language(toks, catalog, fallback)
    try:
        sites = take_sites(w, catalog, lang)
    except UsageError:
        sites = []
    day, date_text, problem, day_words = find_day(w, today, lang)
    skip = set(day_words)
    services, typos = _services(w, catalog, skip)
    w.used.update(day_words)
    asked = _asked(w, catalog)
    base = Reading(
        text=text,
        lang=lang,
        lang_sure=sure,
        intent="ask-back",
        services=tuple(services),
        sites=tuple(sites),
        asked=asked,
        date_text=date_text,
        typos=typos,
    )
    if problem == "vague":
        return replace(base, why="vague-date")
    base = replace(base, day=day or today)
    if services:
        return replace(base, intent="service-status")
    if any(t in OVERVIEW_WORDS for t in toks) or (asked is not None and date_text is not None):
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
