"""The neutral vocabulary shared by the core, the commands and the adapters.

Nothing here knows about a chat platform or a database: an adapter turns a
platform event into an :class:`Incoming`, the core answers with :class:`Reply`
objects, and a renderer turns those into the platform's format.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, NewType

RoomRef = NewType("RoomRef", str)
"""``platform:id`` -- ``shell:local``, ``matrix:!abc:server``, ``teams:<conversation id>``."""

Lang = Literal["fr", "en", "nl", "de"]
LANGS: tuple[Lang, ...] = ("fr", "en", "nl", "de")


def as_lang(value: object) -> Lang | None:
    """The language if ``value`` is one of ours ("fr", "en", "nl", "de"), else None."""
    return value if value in LANGS else None


def room_ref(platform: str, ident: str) -> RoomRef:
    return RoomRef(f"{platform}:{ident}")


def room_platform(room: RoomRef) -> str:
    """``matrix`` of ``matrix:!abc:server``."""
    return str(room).partition(":")[0]


def room_id(room: RoomRef) -> str:
    """The platform's own id: ``!abc:server`` of ``matrix:!abc:server``."""
    return str(room).partition(":")[2]


class Status(enum.StrEnum):
    OPEN = "open"
    REDUCED = "reduced"
    CASE_BY_CASE = "case-by-case"
    CANCELLED = "cancelled"
    CLOSED = "closed"


# How answers and the status board group the statuses.
RUNNING = frozenset({Status.OPEN})
PARTIAL = frozenset({Status.REDUCED, Status.CASE_BY_CASE})
STOPPED = frozenset({Status.CANCELLED, Status.CLOSED})


def status_group(status: Status | None) -> str:
    """``open``, ``partial`` or ``stopped`` (``none`` without a decision)."""
    if status is None:
        return "none"
    if status in RUNNING:
        return "open"
    return "partial" if status in PARTIAL else "stopped"


@dataclass(frozen=True)
class Incoming:
    """One message as the core sees it, whatever platform it came from."""

    platform: str
    room: RoomRef
    sender: str
    sender_name: str
    text: str
    command_text: str
    event_id: str
    sent_at: datetime
    is_direct: bool = False
    addressed: bool = False
    is_edit: bool = False
    from_bot: bool = False
    lang_hint: Lang | None = None


# --- Reply --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: str
    type: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class BulletList:
    items: tuple[str, ...]
    type: Literal["list"] = "list"


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    type: Literal["table"] = "table"


Block = Paragraph | BulletList | Table

ReplyKind = Literal["text", "board", "decision", "answer", "alert", "error", "usage", "help"]
Severity = Literal["info", "success", "warning", "error"]


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply. A large file is referred to by ``path`` (on the bot's
    machine) rather than carried in the outbox row."""

    name: str
    media_type: str
    content: str = ""
    path: str | None = None


@dataclass(frozen=True)
class Reply:
    """A platform-neutral answer. ``facts`` is the machine-readable result."""

    kind: ReplyKind
    lang: Lang
    blocks: tuple[Block, ...] = ()
    title: str | None = None
    severity: Severity = "info"
    facts: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()

    def to_json(self) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = []
        for b in self.blocks:
            if isinstance(b, Paragraph):
                blocks.append({"type": "paragraph", "text": b.text})
            elif isinstance(b, BulletList):
                blocks.append({"type": "list", "items": list(b.items)})
            else:
                blocks.append(
                    {"type": "table", "headers": list(b.headers), "rows": [list(r) for r in b.rows]}
                )
        return {
            "kind": self.kind,
            "lang": self.lang,
            "title": self.title,
            "blocks": blocks,
            "severity": self.severity,
            "facts": self.facts,
            "attachments": [
                {"name": a.name, "media_type": a.media_type, "content": a.content, "path": a.path}
                for a in self.attachments
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        blocks: list[Block] = []
        for b in data.get("blocks", []):
            if b["type"] == "paragraph":
                blocks.append(Paragraph(b["text"]))
            elif b["type"] == "list":
                blocks.append(BulletList(tuple(b["items"])))
            elif b["type"] == "table":
                blocks.append(Table(tuple(b["headers"]), tuple(tuple(r) for r in b["rows"])))
            else:
                raise ValueError(f"unknown block type {b['type']!r}")
        return cls(
            kind=data["kind"],
            lang=data["lang"],
            title=data.get("title"),
            blocks=tuple(blocks),
            severity=data.get("severity", "info"),
            facts=dict(data.get("facts", {})),
            attachments=tuple(
                Attachment(a["name"], a["media_type"], a.get("content", ""), a.get("path"))
                for a in data.get("attachments", [])
            ),
        )


# --- Domain records ---------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who did something: a stable id, the name shown, the roles held at that moment."""

    id: str
    name: str
    roles: frozenset[str]
    platform: str
    room: RoomRef


ALL_SITES = "all"


@dataclass(frozen=True)
class Decision:
    no: int
    seq: int
    service: str
    site: str  # a site id or ALL_SITES
    status: Status
    first_day: date
    last_day: date | None  # None: until further notice
    note: str
    author_id: str
    author_name: str
    author_roles: tuple[str, ...]
    platform: str
    room: str
    source_event_id: str
    recorded_at: datetime
    supersedes: tuple[int, ...] = ()
    revoked_by: int | None = None  # ledger seq of the revocation, if revoked

    def covers(self, day: date) -> bool:
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the hash-chained ledger. ``body`` is the canonical JSON that is hashed."""

    seq: int
    type: str
    at: datetime
    actor_id: str
    service: str | None
    site: str | None
    body: str
    prev_hash: str
    hash: str


SYSTEM_STATES = ("down", "degraded", "restoring", "restored")


@dataclass(frozen=True)
class Milestone:
    """A change in the restoration plan: a system's state, with an ETA, owner and note."""

    seq: int
    system: str
    state: str  # one of SYSTEM_STATES
    eta: datetime | None
    owner: str | None
    note: str
    at: datetime
    actor_id: str
    actor_name: str
