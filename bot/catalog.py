"""Services, sites and status words, with names in FR/EN/NL/DE and typo-tolerant matching.

Canonical ids are fixed (other tools script against them). The built-in default makes
the bot usable with no config; a config file can replace or extend it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.i18n import join_list
from bot.model import ALL_SITES, LANGS, Lang, Status
from bot.text import key, tokens


@dataclass(frozen=True)
class Entry:
    """A service, a site or a status: a canonical id, display names, aliases."""

    id: str
    names: Mapping[str, str]
    aliases: tuple[str, ...] = ()

    def name(self, lang: Lang) -> str:
        return self.names.get(lang) or self.names.get("en") or self.id

    def match_keys(self) -> set[str]:
        # The all-sites scope is named ("all sites", "partout"), never by its bare id:
        # "all" alone is too common a word ("all day").
        ident = () if self.id == ALL_SITES else (self.id,)
        return {key(a) for a in (*ident, *self.names.values(), *self.aliases) if key(a)}


def _e(ident: str, fr: str, en: str, nl: str, de: str, *aliases: str) -> Entry:
    return Entry(ident, {"fr": fr, "en": en, "nl": nl, "de": de}, tuple(aliases))


DEFAULT_SERVICES: tuple[Entry, ...] = (
    _e(
        "consultations",
        "consultations",
        "consultations",
        "consultaties",
        "Sprechstunden",
        "consultation",
        "consultations externes",
        "consults",
        "outpatient consultations",
        "outpatient clinics",
        "outpatients",
        "consultatie",
        "raadplegingen",
        "raadpleging",
        "spreekuren",
        "Sprechstunde",
        "Konsultationen",
        "ambulante Sprechstunden",
    ),
    _e(
        "surgery",
        "chirurgie",
        "surgery",
        "chirurgie",
        "Chirurgie",
        "opérations",
        "opération",
        "interventions chirurgicales",
        "interventions",
        "bloc opératoire",
        "bloc",
        "quartier opératoire",
        "surgeries",
        "ops",
        "theatre",
        "theatres",
        "operations",
        "operating theatre",
        "operating room",
        "operaties",
        "operatie",
        "operatiekwartier",
        "ingrepen",
        "Operationen",
        "Operation",
        "OP-Saal",
    ),
    _e(
        "radiology",
        "radiologie",
        "radiology",
        "radiologie",
        "Radiologie",
        "radio",
        "imagerie",
        "imagerie médicale",
        "RX",
        "imaging",
        "x-ray",
        "x-rays",
        "medical imaging",
        "beeldvorming",
        "medische beeldvorming",
        "Röntgen",
        "Bildgebung",
    ),
    _e(
        "scintigraphy",
        "scintigraphie",
        "scintigraphy",
        "scintigrafie",
        "Szintigrafie",
        "scintigraphies",
        "scinti",
        "scintis",
        "médecine nucléaire",
        "nuclear medicine",
        "nucleaire geneeskunde",
        "Szintigraphie",
        "Nuklearmedizin",
    ),
    _e(
        "blood-sampling",
        "prises de sang",
        "blood sampling",
        "bloedafname",
        "Blutabnahme",
        "prise de sang",
        "centres de prélèvements",
        "centre de prélèvement",
        "centres de prélèvement",
        "prélèvements",
        "prélèvement",
        "blood tests",
        "blood test",
        "blood draws",
        "phlebotomy",
        "bloedafnames",
        "bloedprikken",
        "bloed prikken",
        "bloed laten prikken",
        "prikcentrum",
        "Blutentnahme",
    ),
    _e(
        "covid-centres",
        "centres covid",
        "covid centres",
        "covidcentra",
        "Covid-Zentren",
        "centre covid",
        "centres de dépistage",
        "centres de dépistage covid",
        "covid",
        "covid centers",
        "covid testing",
        "testing centres",
        "testing centers",
        "testing centre",
        "testing center",
        "covid test",
        "covid tests",
        "test covid",
        "tests covid",
        "covidcentrum",
        "testcentrum",
        "testcentra",
        "covid-centra",
        "Testzentren",
        "Corona-Testzentren",
    ),
    _e(
        "emergency",
        "urgences",
        "emergency",
        "spoedgevallen",
        "Notaufnahme",
        "urgence",
        "service des urgences",
        "emergencies",
        "emergency department",
        "A&E",
        "spoed",
        "spoeddienst",
        "spoedgevallendienst",
        "Notfall",
        "Notfälle",
        "Notfallaufnahme",
    ),
    _e(
        "laboratory",
        "laboratoire",
        "laboratory",
        "laboratorium",
        "Labor",
        "labo",
        "laboratoires",
        "lab",
        "labs",
        "laboratories",
        "Laboratorium",
    ),
)

DEFAULT_SITES: tuple[Entry, ...] = (
    _e("arlon", "Arlon", "Arlon", "Aarlen", "Arel"),
    _e("bastogne", "Bastogne", "Bastogne", "Bastenaken", "Bastnach"),
    _e("libramont", "Libramont", "Libramont", "Libramont", "Libramont", "Libramont-Chevigny"),
    _e("marche", "Marche", "Marche", "Marche", "Marche", "Marche-en-Famenne"),
    _e("virton", "Virton", "Virton", "Virton", "Virton"),
)

# IT systems, in the agreed restoration priority order, and the services depending on them.
DEFAULT_SYSTEMS: tuple[Entry, ...] = (
    _e(
        "laboratory-system",
        "système du laboratoire",
        "laboratory system",
        "laboratoriumsysteem",
        "Laborsystem",
        "labs",
        "lab system",
        "LIS",
        "systeme de laboratoire",
        "informatique du labo",
        "labosysteem",
    ),
    _e(
        "radiology-pacs",
        "PACS (radiologie)",
        "PACS (radiology)",
        "PACS (radiologie)",
        "PACS (Radiologie)",
        "pacs",
        "RIS",
        "RIS/PACS",
        "système de radiologie",
        "radiology system",
    ),
    _e(
        "medical-records",
        "dossier médical",
        "medical records",
        "medisch dossier",
        "Patientenakte",
        "dossier patient",
        "dossiers médicaux",
        "DPI",
        "EHR",
        "EPD",
        "records",
        "patient records",
        "elektronisch patientendossier",
    ),
    _e("email", "messagerie", "email", "e-mail", "E-Mail", "mail", "courriel", "mails"),
    _e(
        "telephony",
        "téléphonie",
        "telephony",
        "telefonie",
        "Telefonie",
        "telephone",
        "phones",
        "standard",
        "switchboard",
        "téléphone",
        "telefoon",
    ),
    _e(
        "scheduling",
        "agenda des rendez-vous",
        "scheduling",
        "planning",
        "Terminplanung",
        "agenda",
        "rendez-vous",
        "appointments system",
        "afsprakensysteem",
    ),
)
DEFAULT_SYSTEM_SERVICES: dict[str, tuple[str, ...]] = {
    "laboratory-system": ("laboratory", "blood-sampling"),
    "radiology-pacs": ("radiology", "scintigraphy"),
    "medical-records": ("consultations", "surgery"),
    "email": (),
    "telephony": (),
    "scheduling": ("consultations",),
}

SYSTEM_STATES: tuple[Entry, ...] = (
    _e(
        "down",
        "à l'arrêt",
        "down",
        "buiten dienst",
        "ausgefallen",
        "arret",
        "en panne",
        "hors service",
        "plat",
        "offline",
        "out",
        "stopped",
    ),
    _e(
        "degraded",
        "dégradé",
        "degraded",
        "verminderd",
        "eingeschränkt",
        "degrade",
        "partial",
        "partiel",
        "gedeeltelijk",
        "partly",
    ),
    _e(
        "restoring",
        "en cours de rétablissement",
        "restoring",
        "wordt hersteld",
        "wird wiederhergestellt",
        "en cours",
        "restauration",
        "in progress",
        "recovering",
        "bezig",
        "herstel",
    ),
    _e(
        "restored",
        "rétabli",
        "restored",
        "hersteld",
        "wiederhergestellt",
        "retabli",
        "rétablie",
        "ok",
        "up",
        "back",
        "online",
        "fonctionnel",
        "operationnel",
        "up again",
    ),
)

ALL_SITES_ENTRY = _e(
    ALL_SITES,
    "tous les sites",
    "all sites",
    "alle sites",
    "alle Standorte",
    "tous sites",
    "partout",
    "everywhere",
    "every site",
    "alle locaties",
    "overal",
    "überall",
)

STATUSES: tuple[Entry, ...] = (
    _e(
        Status.OPEN,
        "ouvert",
        "open",
        "open",
        "geöffnet",
        "maintenu",
        "maintenue",
        "maintenus",
        "maintenues",
        "ouverte",
        "ouverts",
        "ouvertes",
        "assuré",
        "assurée",
        "assurés",
        "assurées",
        "continue",
        "maintained",
        "running",
        "normal",
        "geopend",
        "gaat door",
        "behouden",
        "normaal",
        "offen",
        "normal geöffnet",
    ),
    _e(
        Status.REDUCED,
        "réduit",
        "reduced",
        "beperkt",
        "eingeschränkt",
        "réduite",
        "réduits",
        "réduites",
        "partiel",
        "limité",
        "limitée",
        "limités",
        "limitées",
        "au ralenti",
        "ralenti",
        "limited",
        "partial",
        "verminderd",
        "gedeeltelijk",
        "reduziert",
    ),
    _e(
        Status.CASE_BY_CASE,
        "au cas par cas",
        "case by case",
        "geval per geval",
        "im Einzelfall",
        "cas par cas",
        "case-by-case",
        "per geval",
        "einzelfall",
        "fallweise",
    ),
    _e(
        Status.CANCELLED,
        "annulé",
        "cancelled",
        "geannuleerd",
        "abgesagt",
        "annulée",
        "annulés",
        "annulées",
        "supprimé",
        "supprimés",
        "supprimées",
        "canceled",
        "afgelast",
        "afgezegd",
        "storniert",
        "ausgefallen",
        "fällt aus",
    ),
    _e(
        Status.CLOSED,
        "fermé",
        "closed",
        "gesloten",
        "geschlossen",
        "fermée",
        "fermés",
        "fermées",
        "arrêté",
        "arrêtée",
        "arrêtés",
        "arrêtées",
        "suspendu",
        "suspendus",
        "stopped",
        "suspended",
        "shut",
        "dicht",
        "gestopt",
        "eingestellt",
    ),
)


@dataclass(frozen=True)
class Span:
    """A catalog phrase found in a token list: tokens[start:end] name ``entry``."""

    start: int
    end: int
    entry: Entry


class _Index:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = tuple(entries)
        self.by_id = {e.id: e for e in self.entries}
        self.by_key: dict[tuple[str, ...], Entry] = {}
        for e in self.entries:
            for k in sorted(e.match_keys()):
                # First entry wins on a clash, so the order of the catalog decides.
                self.by_key.setdefault(tuple(k.split()), e)
        self.longest = max((len(k) for k in self.by_key), default=1)
        self.choices = [" ".join(k) for k in self.by_key]

    def exact(self, text: str) -> Entry | None:
        return self.by_key.get(tuple(tokens(text)))

    def span_at(self, toks: Sequence[str], i: int) -> Span | None:
        for n in range(min(self.longest, len(toks) - i), 0, -1):
            e = self.by_key.get(tuple(toks[i : i + n]))
            if e is not None:
                return Span(i, i + n, e)
        return None

    def scan(self, toks: Sequence[str]) -> list[Span]:
        spans: list[Span] = []
        i = 0
        while i < len(toks):
            s = self.span_at(toks, i)
            if s is None:
                i += 1
            else:
                spans.append(s)
                i = s.end
        return spans

    def suggest(self, text: str, limit: int = 3, cutoff: float = 70.0) -> list[Entry]:
        q = key(text)
        if not q:
            return []
        found: list[Entry] = []
        for choice, _score, _ in process.extract(
            q, self.choices, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=cutoff
        ):
            e = self.by_key[tuple(choice.split())]
            if e not in found:
                found.append(e)
        return found[:limit]


@dataclass(frozen=True)
class Catalog:
    services: tuple[Entry, ...] = DEFAULT_SERVICES
    sites: tuple[Entry, ...] = DEFAULT_SITES
    statuses: tuple[Entry, ...] = STATUSES
    systems: tuple[Entry, ...] = DEFAULT_SYSTEMS  # in restoration priority order
    system_services: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_SYSTEM_SERVICES)
    )
    _svc: _Index = field(init=False, repr=False, compare=False)
    _site: _Index = field(init=False, repr=False, compare=False)
    _status: _Index = field(init=False, repr=False, compare=False)
    _system: _Index = field(init=False, repr=False, compare=False)
    _system_state: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_svc", _Index(self.services))
        object.__setattr__(self, "_site", _Index((*self.sites, ALL_SITES_ENTRY)))
        object.__setattr__(self, "_status", _Index(self.statuses))
        object.__setattr__(self, "_system", _Index(self.systems))
        object.__setattr__(self, "_system_state", _Index(SYSTEM_STATES))

    # systems of the restoration plan
    @property
    def system_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.systems)

    def system_name(self, ident: str, lang: Lang) -> str:
        e = self._system.by_id.get(ident)
        return e.name(lang) if e else ident

    def system_state_name(self, state: str, lang: Lang) -> str:
        e = self._system_state.by_id.get(state)
        return e.name(lang) if e else state

    def system_at(self, toks: Sequence[str], i: int) -> Span | None:
        return self._system.span_at(toks, i)

    def system_state_at(self, toks: Sequence[str], i: int) -> Span | None:
        return self._system_state.span_at(toks, i)

    def suggest_systems(self, text: str) -> list[Entry]:
        return self._system.suggest(text)

    def systems_for_service(self, service: str) -> tuple[str, ...]:
        return tuple(s for s in self.system_ids if service in self.system_services.get(s, ()))

    # lookups by id
    def service(self, ident: str) -> Entry:
        return self._svc.by_id[ident]

    def site(self, ident: str) -> Entry:
        return self._site.by_id[ident]

    def status(self, status: Status | str) -> Entry:
        return self._status.by_id[str(status)]

    def service_name(self, ident: str, lang: Lang) -> str:
        e = self._svc.by_id.get(ident)
        return e.name(lang) if e else ident

    def site_name(self, ident: str, lang: Lang) -> str:
        e = self._site.by_id.get(ident)
        return e.name(lang) if e else ident

    def status_name(self, status: Status | str, lang: Lang) -> str:
        return self.status(status).name(lang)

    def sites_label(self, sites: Sequence[str], lang: Lang) -> str:
        """ "Arlon and Virton", or "all sites" for ``(ALL_SITES,)``."""
        return join_list([self.site_name(s, lang) for s in sites], lang)

    @property
    def site_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sites)

    @property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.services)

    # matching
    def match_service(self, text: str) -> Entry | None:
        return self._svc.exact(text)

    def match_site(self, text: str) -> Entry | None:
        return self._site.exact(text)

    def match_status(self, text: str) -> Status | None:
        e = self._status.exact(text)
        return Status(e.id) if e else None

    def suggest_services(self, text: str) -> list[Entry]:
        return self._svc.suggest(text)

    def suggest_sites(self, text: str) -> list[Entry]:
        return self._site.suggest(text)

    def suggest_statuses(self, text: str) -> list[Entry]:
        return self._status.suggest(text)

    def scan_statuses(self, toks: Sequence[str]) -> list[Span]:
        return self._status.scan(toks)

    def service_at(self, toks: Sequence[str], i: int) -> Span | None:
        return self._svc.span_at(toks, i)

    def site_at(self, toks: Sequence[str], i: int) -> Span | None:
        return self._site.span_at(toks, i)


def merge_entries(
    base: Sequence[Entry], extra: Sequence[Entry], *, replace: bool
) -> tuple[Entry, ...]:
    """Config entries replace the base list, or extend it (same id: names merged, aliases added)."""
    if replace:
        return tuple(extra)
    merged = {e.id: e for e in base}
    for e in extra:
        old = merged.get(e.id)
        if old is None:
            merged[e.id] = e
        else:
            names = {**old.names, **e.names}
            merged[e.id] = Entry(e.id, names, tuple(dict.fromkeys((*old.aliases, *e.aliases))))
    return tuple(merged.values())


def default_names(ident: str, names: Mapping[str, str]) -> dict[str, str]:
    """Fill missing languages with the English name (or the id)."""
    fallback = names.get("en") or next(iter(names.values()), ident)
    return {lang: names.get(lang, fallback) for lang in LANGS}
