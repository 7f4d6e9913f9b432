"""The repository contract, run on SQLite and on the PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text, update

from bot.ledger.chain import GENESIS, verify
from bot.ledger.decisions import record_decision, resolve, revoke_decision
from bot.model import ALL_SITES, Actor, Paragraph, Reply, Status, room_ref
from bot.ports import RoomSettings
from storage import tables as T
from storage.db import Database
from tests.harness import settle

TZ = ZoneInfo("Europe/Brussels")
NOW = datetime(2022, 5, 15, 9, 12, tzinfo=TZ)
ROOM = room_ref("shell", "local")
CELL = Actor("@operator:local", "Operator", frozenset({"cell", "staff"}), "shell", ROOM)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.dispose()


async def decide(
    db: Database,
    service: str,
    status: Status,
    first: date,
    last: date | None,
    site: str = ALL_SITES,
    note: str = "",
) -> int:
    async with db.uow() as uow:
        d = await record_decision(
            uow,
            actor=CELL,
            service=service,
            site=site,
            status=status,
            first_day=first,
            last_day=last,
            note=note,
            source_event_id=f"e-{service}-{first}",
            at=NOW,
        )
        await settle(uow)
    return d.no


async def test_empty_ledger_verifies(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.ledger.head() == (0, GENESIS)
        result = await verify(uow)
    assert result.ok and result.checked == 0


async def test_decisions_chain_and_verify(db: Database) -> None:
    d1 = await decide(
        db,
        "radiology",
        Status.CANCELLED,
        date(2022, 5, 16),
        date(2022, 5, 16),
        note="tous les examens — annulés",
    )
    d2 = await decide(db, "radiology", Status.OPEN, date(2022, 5, 16), None, site="arlon")
    async with db.uow() as uow:
        await revoke_decision(uow, actor=CELL, no=d2, reason="erreur", at=NOW)
        await settle(uow)
    async with db.uow() as uow:
        entries = await uow.ledger.entries()
        assert [e.seq for e in entries] == [1, 2, 3]
        assert [e.type for e in entries] == ["decision", "decision", "revocation"]
        assert entries[0].prev_hash == GENESIS
        assert entries[1].prev_hash == entries[0].hash
        assert entries[2].at == NOW
        result = await verify(uow)
        assert result.ok and result.checked == 3
        got = await uow.decisions.get(d1)
        assert got is not None and got.note == "tous les examens — annulés"
        assert got.recorded_at == NOW and got.revoked_by is None
        revoked = await uow.decisions.get(d2)
        assert revoked is not None and revoked.revoked_by == 3
        assert revoked.supersedes == (d1,)


async def test_the_chain_hashes_the_same_on_every_database(db: Database) -> None:
    """A fixed entry gives a fixed hash: SQLite and PostgreSQL produce the same chain."""
    await decide(db, "surgery", Status.CASE_BY_CASE, date(2022, 5, 16), None)
    async with db.uow() as uow:
        (entry,) = await uow.ledger.entries()
    assert entry.body == (
        '{"actor":{"id":"@operator:local","name":"Operator","platform":"shell",'
        '"roles":["cell","staff"],"room":"shell:local"},"at":"2022-05-15T07:12:00.000000Z",'
        '"payload":{"first_day":"2022-05-16","last_day":null,"no":1,"note":"",'
        '"source_event_id":"e-surgery-2022-05-16","status":"case-by-case","supersedes":[]},'
        '"seq":1,"service":"surgery","site":"all","type":"decision"}'
    )
    assert entry.hash == "f37ba0edf2b31e6c5ae2585a7e9e8ca39f650be90846a7620cd9d27c45ff89be"


async def test_verify_finds_a_tampered_ledger_row(db: Database) -> None:
    for day in (16, 17, 18):
        await decide(db, "radiology", Status.CANCELLED, date(2022, 5, day), date(2022, 5, day))
    async with db.engine.begin() as conn:
        # what someone with database access might do: rewrite a status in place
        await conn.execute(
            update(T.ledger)
            .where(T.ledger.c.seq == 2)
            .values(body=text("replace(body, 'cancelled', 'open')"))
        )
    async with db.uow() as uow:
        result = await verify(uow)
    assert not result.ok
    assert result.bad_seq == 2
    assert result.checked == 1
    assert "altered" in result.reason


async def test_verify_finds_a_tampered_decision_row(db: Database) -> None:
    await decide(db, "radiology", Status.CANCELLED, date(2022, 5, 16), date(2022, 5, 16))
    async with db.engine.begin() as conn:
        await conn.execute(update(T.decisions).values(status="open"))
    async with db.uow() as uow:
        result = await verify(uow)
    assert not result.ok and result.bad_seq == 1
    assert "decision no. 1" in result.reason


async def test_concurrent_appends_never_fork_the_chain(db: Database) -> None:
    days = [date(2022, 5, 16) + timedelta(days=i) for i in range(12)]
    nos = await asyncio.gather(*(decide(db, "laboratory", Status.REDUCED, d, d) for d in days))
    assert sorted(nos) == list(range(1, 13))
    async with db.uow() as uow:
        result = await verify(uow)
        assert result.ok and result.checked == 12


async def test_latest_covering_and_resolution(db: Database) -> None:
    mon, tue = date(2022, 5, 16), date(2022, 5, 17)
    n1 = await decide(db, "consultations", Status.CANCELLED, mon, None)
    n2 = await decide(db, "consultations", Status.OPEN, mon, mon, site="arlon")
    n3 = await decide(db, "consultations", Status.REDUCED, tue, tue)
    n4 = await decide(db, "radiology", Status.CLOSED, mon, tue)
    async with db.uow() as uow:
        await revoke_decision(uow, actor=CELL, no=n4, reason="", at=NOW)
        await settle(uow)
    async with db.uow() as uow:
        on_mon = await uow.decisions.latest_covering(mon)
        on_tue = await uow.decisions.latest_covering(tue, services=["consultations"])
    assert sorted(d.no for d in on_mon) == [n1, n2]
    assert sorted(d.no for d in on_tue) == [n3]  # n3 is newer than n1 for all sites
    assert resolve(on_mon, service="consultations", site="arlon", day=mon).no == n2  # type: ignore[union-attr]
    assert resolve(on_mon, service="consultations", site="virton", day=mon).no == n1  # type: ignore[union-attr]
    assert resolve(on_mon, service="radiology", site="virton", day=mon) is None


async def test_inbox_claims_an_event_once(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.inbox.claim(platform="matrix", event_id="$a", room=ROOM, at=NOW)
        assert not await uow.inbox.claim(platform="matrix", event_id="$a", room=ROOM, at=NOW)
        assert await uow.inbox.claim(platform="teams", event_id="$a", room=ROOM, at=NOW)
        await settle(uow)
    async with db.uow() as uow:
        assert not await uow.inbox.claim(platform="matrix", event_id="$a", room=ROOM, at=NOW)


async def test_uncommitted_work_is_rolled_back(db: Database) -> None:
    async with db.uow() as uow:
        await record_decision(
            uow,
            actor=CELL,
            service="emergency",
            site=ALL_SITES,
            status=Status.OPEN,
            first_day=date(2022, 5, 16),
            last_day=None,
            note="",
            source_event_id="x",
            at=NOW,
        )
        await uow.inbox.claim(platform="shell", event_id="x", room=ROOM, at=NOW)
    async with db.uow() as uow:
        assert await uow.ledger.head() == (0, GENESIS)
        assert await uow.decisions.all() == []
        assert await uow.inbox.claim(platform="shell", event_id="x", room=ROOM, at=NOW)


async def test_outbox_pending_sent_failed(db: Database) -> None:
    reply = Reply(kind="text", lang="fr", blocks=(Paragraph("é <b>"),), facts={"n": 1})
    async with db.uow() as uow:
        a = await uow.outbox.add(room=ROOM, reply=reply, key="k1", at=NOW)
        b = await uow.outbox.add(room=room_ref("matrix", "!r:x"), reply=reply, key="k2", at=NOW)
        await settle(uow)
    async with db.uow() as uow:
        due = await uow.outbox.pending(platform="shell", now=NOW)
        assert [i.id for i in due] == [a.id] and due[0].reply == reply
        assert await uow.outbox.next_due(platform="matrix") < NOW  # type: ignore[operator]
        await uow.outbox.mark_failed(b.id, error="down", retry_at=NOW + timedelta(seconds=4))
        await uow.outbox.mark_sent([a.id], at=NOW)
        await settle(uow)
    async with db.uow() as uow:
        assert await uow.outbox.pending(platform="shell", now=NOW) == []
        assert await uow.outbox.pending(platform="matrix", now=NOW) == []
        assert await uow.outbox.next_due(platform="matrix") == NOW + timedelta(seconds=4)
        later = await uow.outbox.pending(platform="matrix", now=NOW + timedelta(seconds=5))
        assert [(i.id, i.attempts) for i in later] == [(b.id, 1)]
        await uow.outbox.mark_failed(b.id, error="down", retry_at=None)  # dead letter
        await settle(uow)
    async with db.uow() as uow:
        assert await uow.outbox.next_due(platform="matrix") is None


async def test_room_settings(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.rooms.get(ROOM) == RoomSettings(room=ROOM)
        await uow.rooms.put(RoomSettings(ROOM, language="nl", answer_questions=True))
        await uow.rooms.put(RoomSettings(ROOM, language="de", briefing_time="07:30"))
        await settle(uow)
    async with db.uow() as uow:
        assert await uow.rooms.get(ROOM) == RoomSettings(ROOM, "de", False, "07:30")


async def test_history_page_filters(db: Database) -> None:
    await decide(db, "radiology", Status.CANCELLED, date(2022, 5, 16), None)
    await decide(db, "radiology", Status.OPEN, date(2022, 5, 16), None, site="arlon")
    await decide(db, "radiology", Status.OPEN, date(2022, 5, 16), None, site="virton")
    await decide(db, "surgery", Status.OPEN, date(2022, 5, 16), None)
    async with db.uow() as uow:
        page, total = await uow.ledger.page(
            types=["decision"], service="radiology", site="arlon", limit=10
        )
        assert total == 2 and [e.seq for e in page] == [2, 1]
        page, total = await uow.ledger.page(types=["decision"], limit=2, offset=1)
        assert total == 4 and [e.seq for e in page] == [3, 2]


async def test_migrations_are_idempotent(db: Database) -> None:
    await db.migrate()
    current, head = await db.revision()
    assert current is not None and current == head  # the newest migration


async def test_adapter_state_and_reply_threading(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.state.get("matrix:next_batch") is None
        await uow.state.put("matrix:next_batch", "s1")
        await uow.state.put("matrix:next_batch", "s2")
        item = await uow.outbox.add(
            room=ROOM, reply=Reply(kind="text", lang="en"), key="k", at=NOW, reply_to="$evt"
        )
        await settle(uow)
    async with db.uow() as uow:
        assert await uow.state.get("matrix:next_batch") == "s2"
        (due,) = await uow.outbox.pending(platform="shell", now=NOW)
        assert due.reply_to == "$evt" == item.reply_to
