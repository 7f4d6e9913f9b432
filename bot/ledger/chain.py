"""The hash chain: canonical entries, hashing and verification.

``hash = sha256(prev_hash + canonical JSON of the entry)`` with sorted keys and UTC
ISO-8601 times ending in ``Z``, so the chain verifies the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from bot.model import ALL_SITES, Actor, Decision, LedgerEntry, Status
from bot.ports import UnitOfWork

GENESIS = "0" * 64


def utc_iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        raise ValueError("ledger times must be zone-aware")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def make_entry(
    *,
    seq: int,
    prev_hash: str,
    type: str,
    actor: Actor,
    at: datetime,
    payload: dict[str, Any],
    service: str | None,
    site: str | None,
) -> LedgerEntry:
    at_text = utc_iso(at)
    body = canonical(
        {
            "seq": seq,
            "type": type,
            "at": at_text,
            "actor": {
                "id": actor.id,
                "name": actor.name,
                "roles": sorted(actor.roles),
                "platform": actor.platform,
                "room": str(actor.room),
            },
            "service": service,
            "site": site,
            "payload": payload,
        }
    )
    return LedgerEntry(
        seq=seq,
        type=type,
        at=parse_utc(at_text),
        actor_id=actor.id,
        service=service,
        site=site,
        body=body,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, body),
    )


def decision_payload(d: Decision) -> dict[str, Any]:
    return {
        "no": d.no,
        "status": str(d.status),
        "first_day": d.first_day.isoformat(),
        "last_day": d.last_day.isoformat() if d.last_day else None,
        "note": d.note,
        "source_event_id": d.source_event_id,
        "supersedes": list(d.supersedes),
    }


def decision_from_entry(entry: LedgerEntry) -> Decision:
    body = json.loads(entry.body)
    p = body["payload"]
    actor = body["actor"]
    return Decision(
        no=p["no"],
        seq=body["seq"],
        service=body["service"],
        site=body["site"] or ALL_SITES,
        status=Status(p["status"]),
        first_day=date.fromisoformat(p["first_day"]),
        last_day=date.fromisoformat(p["last_day"]) if p["last_day"] else None,
        note=p["note"],
        author_id=actor["id"],
        author_name=actor["name"],
        author_roles=tuple(actor["roles"]),
        platform=actor["platform"],
        room=actor["room"],
        source_event_id=p["source_event_id"],
        recorded_at=parse_utc(body["at"]),
        supersedes=tuple(p["supersedes"]),
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""  # in English (the command line)
    code: str = ""  # the reason's kind, for translations (``export.reason.<code>``)
    args: dict[str, int | str] = field(default_factory=dict)  # the reason's values


# Why verification failed, in English; translated elsewhere by code.
REASONS = {
    "gap": "sequence gap: expected entry {expected}, found {found}",
    "prev": "its previous-hash does not match the hash of the entry before it",
    "altered": "its content does not match its hash (altered after it was recorded)",
    "json": "its content is not valid JSON",
    "columns": "its columns do not match its hashed content",
    "decision": "decision no. {no} in the decision table differs from the ledger",
    "revocations": "the revocation table differs from the ledger",
    "milestone": "milestone {seq} in the plan table differs from the ledger",
    "mark": "the mark of appointment {appointment} differs from the ledger",
}


def _failed(checked: int, at: int | None, code: str, **args: int | str) -> Verification:
    return Verification(False, checked, at, REASONS[code].format(**args), code, args)


def _check_entry(
    entry: LedgerEntry, expected_seq: int, prev_hash: str
) -> tuple[str, dict[str, int | str]] | None:
    """The problem with one entry (a reason code and its values), or None."""
    if entry.seq != expected_seq:
        return "gap", {"expected": expected_seq, "found": entry.seq}
    if entry.prev_hash != prev_hash:
        return "prev", {}
    if chain_hash(prev_hash, entry.body) != entry.hash:
        return "altered", {}
    try:
        body = json.loads(entry.body)
    except ValueError:
        return "json", {}
    if (
        body.get("seq") != entry.seq
        or body.get("type") != entry.type
        or body.get("at") != utc_iso(entry.at)
        or body.get("actor", {}).get("id") != entry.actor_id
        or body.get("service") != entry.service
        or body.get("site") != entry.site
    ):
        return "columns", {}
    return None


def _same(a: Decision, b: Decision) -> bool:
    fields = (
        "no",
        "seq",
        "service",
        "site",
        "status",
        "first_day",
        "last_day",
        "note",
        "author_id",
        "author_name",
        "author_roles",
        "platform",
        "room",
        "source_event_id",
        "recorded_at",
        "supersedes",
    )
    return all(getattr(a, f) == getattr(b, f) for f in fields)


async def verify(uow: UnitOfWork, *, batch: int = 2000) -> Verification:
    """Walk the chain; then check that the decision tables agree with it."""
    prev_hash, expected, checked = GENESIS, 1, 0
    from_ledger: dict[int, Decision] = {}
    revoked_in_ledger: dict[int, tuple[int, str]] = {}
    milestones: dict[int, tuple[object, ...]] = {}
    marks: dict[str, tuple[int, str, str] | None] = {}  # appointment -> latest mark
    while True:
        entries = await uow.ledger.entries(after_seq=expected - 1, limit=batch)
        if not entries:
            break
        for entry in entries:
            problem = _check_entry(entry, expected, prev_hash)
            if problem:
                return _failed(checked, entry.seq, problem[0], **problem[1])
            if entry.type == "decision":
                d = decision_from_entry(entry)
                from_ledger[d.no] = d
            elif entry.type == "milestone":
                body = json.loads(entry.body)
                milestones[entry.seq] = (
                    body["payload"]["system"],
                    body["payload"]["state"],
                    body["payload"]["eta"],
                    body["payload"]["note"],
                    body["actor"]["id"],
                )
            elif entry.type == "revocation":
                p = json.loads(entry.body)["payload"]
                revoked_in_ledger[p["no"]] = (entry.seq, p["reason"])
            elif entry.type == "appointment-mark":
                p = json.loads(entry.body)["payload"]
                marks[p["appointment"]] = (entry.seq, p["outcome"], p["note"])
            elif entry.type == "appointment-unmark":
                marks[json.loads(entry.body)["payload"]["appointment"]] = None
            prev_hash, expected, checked = entry.hash, expected + 1, checked + 1
    stored = {d.no: d for d in await uow.decisions.all()}
    for no in sorted(set(stored) | set(from_ledger)):
        a, b = stored.get(no), from_ledger.get(no)
        if a is None or b is None or not _same(a, b):
            seq = b.seq if b else (a.seq if a else None)
            return _failed(checked, seq, "decision", no=no)
    if await uow.decisions.revocations() != revoked_in_ledger:
        return _failed(checked, None, "revocations")
    stored_milestones = {
        m.seq: (m.system, m.state, m.eta.isoformat() if m.eta else None, m.note, m.actor_id)
        for m in await uow.plan.all()
    }
    for seq in sorted(set(stored_milestones) | set(milestones)):
        row, logged = stored_milestones.get(seq), milestones.get(seq)
        if (
            row is None
            or logged is None
            or row[:2] != logged[:2]
            or row[3:] != logged[3:]
            or not _same_eta(row[2], logged[2])
        ):
            return _failed(checked, seq, "milestone", seq=seq)
    # Every stored mark is the ledger's latest for its appointment (marks of purged
    # appointments are gone from the table, so only this direction is checked).
    for m in await uow.marks.all():
        if marks.get(m.appointment_id) != (m.seq, m.outcome, m.note):
            return _failed(checked, m.seq, "mark", appointment=m.appointment_id)
    return Verification(True, checked)


def _same_eta(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    return datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))
