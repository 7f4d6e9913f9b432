"""Commands as data, and the router that finds one in a message.

Accepted forms: ``/decide ...``, ``!decide ...`` (Element captures ``/``), and, when the
message is addressed to the bot (mention, reply, direct chat), a bare ``decide ...``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from bot.i18n import t, tn
from bot.jobs.notify import NotifyOptions
from bot.model import Actor, Incoming, Lang
from bot.ports import UnitOfWork
from bot.roles import EVERYONE, may_run
from bot.runtime.clock import Clock
from bot.text import fold

if TYPE_CHECKING:
    from bot.catalog import Catalog
    from bot.record.exports import Exporter
    from bot.roles import Directory

PREFIXES = ("/", "!")


@dataclass
class Context:
    """What a handler gets: the message, the unit of work and the bot's parts."""

    incoming: Incoming
    uow: UnitOfWork
    clock: Clock
    catalog: Catalog
    directory: Directory
    router: Router
    actor: Actor
    lang: Lang
    default_lang: Lang
    who_decides_texts: Mapping[str, str] = field(default_factory=dict)
    notify: NotifyOptions = field(default_factory=NotifyOptions)
    exporter: Exporter | None = None
    wall_clock: Clock | None = None  # real time (leases), when ``clock`` is a drill's

    def real_now(self) -> datetime:
        return (self.wall_clock or self.clock).now()

    def t(self, msg_key: str, /, **kw: Any) -> str:
        return t(self.lang, msg_key, **kw)

    def tn(self, msg_key: str, count: int, /, **kw: Any) -> str:
        return tn(self.lang, msg_key, count, **kw)

    def who_decides(self) -> str:
        """Who decides when nothing is recorded (configurable per language)."""
        return self.who_decides_texts.get(self.lang) or t(self.lang, "who_decides")

    def today(self) -> date:
        return self.clock.now().date()


Handler = Callable[[Context, str], Awaitable[list[Any]]]


@dataclass(frozen=True)
class Command:
    """A command, declared once with everything about it: who may run it, the words
    that call it in each language, and the message ids of its help texts (usage,
    summary, details, examples: one per line) in the catalogs."""

    name: str  # canonical English name (the Teams manifest, the audit, the facts)
    handler: Handler
    names: Mapping[Lang, tuple[str, ...]]  # what people type, per language; first is shown
    usage: str  # message id
    summary: str  # message id
    # who may run it (bot.roles): EVERYONE, CELL_ONLY, IT_OR_CELL, CELL_OR_DOCTOR
    roles: frozenset[str] = EVERYONE
    examples: str | None = None  # message id
    details: str | None = None  # message id

    def may_run(self, roles: frozenset[str]) -> bool:
        return may_run(roles, self.roles)

    def name_in(self, lang: Lang) -> str:
        """The command's word in ``lang`` (its canonical name if it has none there)."""
        return next(iter(self.names.get(lang, ())), self.name)

    def usage_in(self, lang: Lang) -> str:
        return t(lang, self.usage)

    def summary_in(self, lang: Lang) -> str:
        return t(lang, self.summary)

    def details_in(self, lang: Lang) -> str | None:
        return t(lang, self.details) if self.details else None

    def examples_in(self, lang: Lang) -> tuple[str, ...]:
        if not self.examples:
            return ()
        return tuple(x for x in t(lang, self.examples).splitlines() if x.strip())

    def aliases(self) -> tuple[str, ...]:
        """Every word that calls it besides its canonical name, in declaration order."""
        out = [a for words in self.names.values() for a in words if fold(a) != fold(self.name)]
        return tuple(dict.fromkeys(out))

    def all_names(self) -> dict[str, Lang | None]:
        """Folded word -> its language (None when languages share the word; the
        canonical name is English)."""
        out: dict[str, Lang | None] = {}
        for lang, words in self.names.items():
            for word in words:
                key = fold(word)
                out[key] = lang if out.get(key, lang) == lang else None
        out[fold(self.name)] = "en"
        return out


@dataclass(frozen=True)
class Match:
    command: Command
    alias: str
    alias_lang: Lang | None
    args: str


@dataclass(frozen=True)
class Unknown:
    word: str
    suggestions: tuple[Command, ...]


class Router:
    """The commands, and the fallback route for a message that is none of them (the
    questions: "la radiologie est-elle ouverte demain ?"). ``overhears`` tells whether a
    message not addressed to the bot is one the fallback would answer (a question naming
    a known service), in rooms that asked for such answers."""

    def __init__(
        self,
        commands: Iterable[Command],
        *,
        fallback: Handler | None = None,
        overhears: Callable[[str], bool] | None = None,
    ) -> None:
        self.commands: tuple[Command, ...] = tuple(commands)
        self.fallback = fallback
        self.overhears = overhears if fallback is not None else None
        self._by_alias: dict[str, tuple[Command, Lang | None]] = {}
        for c in self.commands:
            for alias, lang in c.all_names().items():
                if alias in self._by_alias and self._by_alias[alias][0] is not c:
                    raise ValueError(f"command alias {alias!r} is used twice")
                self._by_alias[alias] = (c, lang)

    def get(self, name: str) -> Command | None:
        found = self._by_alias.get(fold(name).lstrip("/!"))
        return found[0] if found else None

    def match(self, text: str, *, addressed: bool) -> Match | Unknown | None:
        """A command, an unknown ``/word``, or None (not a command: maybe a question)."""
        stripped = text.strip()
        prefixed = stripped[:1] in PREFIXES
        body = stripped[1:].lstrip() if prefixed else stripped
        if not body:
            return None
        word, _, args = body.partition(" ")
        word = word.rstrip(":,")
        found = self._by_alias.get(fold(word))
        if found:
            if not prefixed and not addressed:
                return None
            return Match(found[0], word, found[1], args.strip())
        if prefixed:
            return Unknown(word, self.suggest(word))
        return None

    def suggest(self, word: str, limit: int = 3) -> tuple[Command, ...]:
        out: list[Command] = []
        for alias, _score, _ in process.extract(
            fold(word), list(self._by_alias), scorer=fuzz.ratio, limit=10, score_cutoff=60
        ):
            c = self._by_alias[alias][0]
            if c not in out:
                out.append(c)
        return tuple(out[:limit])
