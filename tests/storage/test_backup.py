"""Backup, restore and copy in one portable format, on SQLite and on PostgreSQL.

A database filled through the real core (decisions, a revocation, a milestone, an SMS job
sent through a recording gateway, appointment marks, a call list, room settings) goes
through a backup file or a copy, in every direction between the two databases, and comes
out the same, verified, and able to go on recording. Refusals: a non-empty target, a newer
schema, a wrong passphrase, a damaged or altered file, a bot holding the source's lease.
A backup taken while decisions are being recorded holds a consistent prefix of them. The
scheduled backup writes and prunes on a fake clock."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, select, text

from bot.ledger.chain import verify
from bot.ledger.decisions import record_decision
from bot.model import ALL_SITES, Actor, Status, room_ref
from bot.runtime.lease import LEASE_KEY, Lease
from storage import tables as T
from storage.backup import (
    LAST_BACKUP_KEY,
    RUNTIME_KEYS,
    BackupError,
    BackupInfo,
    BackupSettings,
    backup,
    backup_loop,
    backup_name,
    copy,
    head_revision,
    read_header,
    restore,
)
from storage.db import Database, _alembic_config
from tests.bot.test_notify import appt, seed, sender
from tests.conftest import skip_or_fail
from tests.fakes.clock import FakeClock
from tests.fakes.sms import FakeGateway
from tests.harness import (
    Harness,
    create_pg_database,
    drop_pg_database,
    pg_admin_url,
    pg_reachable,
    settle,
)

START = datetime.fromisoformat("2022-05-15T09:12:00+02:00")  # a Sunday
MARTIN = "@martin:hospital.example"
IT = "@it:hospital.example"
KINDS = [
    pytest.param("sqlite", "sqlite", id="sqlite-sqlite"),
    pytest.param("postgres", "postgres", id="pg-pg", marks=pytest.mark.postgres),
    pytest.param("sqlite", "postgres", id="sqlite-pg", marks=pytest.mark.postgres),
    pytest.param("postgres", "sqlite", id="pg-sqlite", marks=pytest.mark.postgres),
]
ON_BOTH = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="pg", marks=pytest.mark.postgres),
]


def phone(n: int) -> str:
    """A fake Belgian mobile number: a canary that must never leave the database files."""
    return f"+3247500{n:04d}"


CANARIES = [phone(n) for n in range(1, 7)]
APPOINTMENTS = [
    appt("C1", phone(1), hour=9),
    appt("C2", phone(2), hour=10, lang="nl"),
    appt("C3", phone(3), hour=11),
    appt("C4", phone(4), hour=12),  # opted out
    appt("S1", phone(5), hour=8, service="surgery"),
    appt("S2", phone(6), hour=9, service="surgery", site="bastogne"),
]

NewDb = Callable[[str], Awaitable[Database]]


@pytest.fixture
async def new_db(tmp_path: Path) -> AsyncIterator[NewDb]:
    """A factory of fresh, empty databases (not migrated): "sqlite" or "postgres"."""
    created: list[str] = []
    opened: list[Database] = []

    async def make(kind: str) -> Database:
        if kind == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / uuid.uuid4().hex[:8]}.sqlite3"
        else:
            admin = pg_admin_url()
            if not await pg_reachable(admin):
                skip_or_fail(f"PostgreSQL is not reachable at {admin} (set CRISISCELL_PG_URL)")
            name, url = await create_pg_database()
            created.append(name)
        db = Database(url)
        opened.append(db)
        return db

    yield make
    for db in opened:
        await db.dispose()
    for name in created:
        await drop_pg_database(name)


async def fill(h: Harness) -> None:
    """Something in (nearly) every table, through the real core."""
    await seed(h, APPOINTMENTS, opted_out=(phone(4),))
    await h.say("/decide consultations cancelled monday")
    await h.say("/decide surgery case-by-case monday")
    await h.say("/decide radiology cancelled monday")
    await h.say("/revoke 3 : wrong service")
    await h.say("/maintain C3 : the doctor keeps it")
    await h.say("/milestone pacs restoring eta demain 18h : database restore", user=IT)
    await h.say("/room language fr", room="ward-a")
    await h.say("/subscribe jobs", room="cell-2")
    assert (await h.facts("/notify consultations monday"))["recipients"] == 2
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    s = sender(h, gw)
    await s.run_until_idle()
    assert len(gw.accepted) == 2
    assert (await h.facts("/calls surgery monday"))["calls"] == 2
    await h.say("/call S1 maintained : as planned")
    async with h.runtime.db.uow() as uow:
        await uow.state.put("matrix-next-batch", "s72594_4483_1934")
        lease = Lease("run-1", "laptop", 4242, START, START + timedelta(seconds=30))
        await uow.state.put(LEASE_KEY, lease.to_json())
        await settle(uow)


async def contents(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (runtime leases aside), in a dialect-neutral order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        for t in T.metadata.sorted_tables:
            stmt = select(t)
            if t.name == "adapter_state":
                stmt = stmt.where(t.c.key.not_in(RUNTIME_KEYS))
            rows = (await conn.execute(stmt)).all()
            out[t.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def verified(db: Database) -> int:
    async with db.reader() as uow:
        result = await verify(uow)
    assert result.ok, result
    return result.checked


async def goes_on(db: Database) -> None:
    """The restored database takes new commands: chain head, ids and sequences are right."""
    h = await Harness.start(db.url, now=START + timedelta(hours=1))
    try:
        facts = await h.facts("/decide blood-sampling open monday")
        assert facts["kind"] == "decision"
        async with h.runtime.db.reader() as uow:
            assert (await verify(uow)).ok
    finally:
        await h.close()


async def url_of(new_db: NewDb, kind: str) -> str:
    db = await new_db(kind)
    return db.url


@pytest.fixture
async def filled(tmp_path: Path) -> AsyncIterator[Harness]:
    h = await Harness.start(f"sqlite+aiosqlite:///{tmp_path / 'source.sqlite3'}", now=START)
    try:
        await fill(h)
        yield h
    finally:
        await h.close()


# --- round trips ---------------------------------------------------------------------


@pytest.mark.parametrize(("src", "dst"), KINDS)
async def test_backup_restore_round_trip(src: str, dst: str, new_db: NewDb, tmp_path: Path) -> None:
    h = await Harness.start(await url_of(new_db, src), now=START)
    try:
        await fill(h)
        before = await contents(h.runtime.db)
        entries = await verified(h.runtime.db)
        path = tmp_path / "crisiscell.jsonl.gz"
        info = await backup(h.runtime.db, path, passphrase=None)
    finally:
        await h.close()
    assert info.revision == head_revision() and not info.encrypted and info.bytes > 0
    assert info.tables["ledger"] == entries and info.tables["sms"] == 2
    assert info.tables["adapter_state"] == 2  # the sync token and the kind; not the lease
    header = await read_header(path, passphrase=None)
    assert header.source == ("sqlite" if src == "sqlite" else "postgresql")
    names = [t.name for t in header.tables]
    assert names.index("ledger") < names.index("decisions") < names.index("revocations")
    assert names.index("jobs") < names.index("sms") < names.index("sms_guard")

    target = await new_db(dst)
    restored = await restore(target, path, passphrase=None)
    assert restored.tables == info.tables and restored.ledger_entries == entries
    assert restored.revision == restored.head == head_revision()
    assert await contents(target) == before
    assert await verified(target) == entries
    await target.dispose()
    await goes_on(target)


@pytest.mark.parametrize(("src", "dst"), KINDS)
async def test_copy_between_databases(src: str, dst: str, new_db: NewDb) -> None:
    h = await Harness.start(await url_of(new_db, src), now=START)
    try:
        await fill(h)
        before = await contents(h.runtime.db)
        target = await new_db(dst)
        # the lease written by fill() expired long ago (2022): the copy may go ahead
        info = await copy(h.runtime.db, target)
    finally:
        await h.close()
    assert not info.forced and info.head == head_revision()
    assert info.tables["ledger"] == info.ledger_entries > 0
    assert await contents(target) == before
    async with target.reader() as uow:
        assert await uow.state.get("lease") is None  # a copy is held by no bot
    await target.dispose()
    await goes_on(target)


async def test_encrypted_backup(filled: Harness, new_db: NewDb, tmp_path: Path) -> None:
    path = tmp_path / "crisiscell.jsonl.gz.enc"
    info = await backup(filled.runtime.db, path, passphrase="correct horse battery staple")
    assert info.encrypted
    raw = path.read_bytes()
    assert raw.startswith(b"CRISISCELL-BACKUP-ENCRYPTED 1\n") and b"\x1f\x8b" not in raw[:64]
    for number in CANARIES:
        assert number.encode() not in raw and number[3:].encode() not in raw

    target = await new_db("sqlite")
    with pytest.raises(BackupError, match="wrong passphrase"):
        await restore(target, path, passphrase="incorrect horse")
    with pytest.raises(BackupError, match="encrypted: give its passphrase"):
        await restore(target, path, passphrase=None)
    damaged = tmp_path / "damaged.enc"
    damaged.write_bytes(raw[:-40] + bytes(b ^ 1 for b in raw[-40:]))
    with pytest.raises(BackupError, match="damaged"):
        await restore(target, damaged, passphrase="correct horse battery staple")

    restored = await restore(target, path, passphrase="correct horse battery staple")
    assert restored.tables == info.tables and restored.encrypted
    assert await contents(target) == await contents(filled.runtime.db)


# --- refusals --------------------------------------------------------------------------


def rewrite(path: Path, edit: Callable[[list[bytes]], list[bytes]]) -> None:
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    path.write_bytes(gzip.compress(b"".join(edit(lines))))


def edit_header(**changes: Any) -> Callable[[list[bytes]], list[bytes]]:
    def edit(lines: list[bytes]) -> list[bytes]:
        header = json.loads(lines[0])
        header.update(changes)
        return [json.dumps(header).encode() + b"\n", *lines[1:]]

    return edit


def names_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def table_counts(db: Database) -> dict[str, int]:
    """Rows per project table that exists (a refused restore leaves not even the schema)."""
    async with db.engine.connect() as conn:
        existing = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        return {
            t.name: int((await conn.execute(text(f"SELECT COUNT(*) FROM {t.name}"))).scalar_one())
            for t in T.metadata.sorted_tables
            if t.name in existing
        }


@pytest.mark.parametrize("dst", ON_BOTH)
async def test_restore_refuses_a_non_empty_target(
    dst: str, filled: Harness, new_db: NewDb, tmp_path: Path
) -> None:
    path = tmp_path / "b.jsonl.gz"
    await backup(filled.runtime.db, path, passphrase=None)
    target = await new_db(dst)
    await target.migrate()
    async with target.uow() as uow:
        await record_decision(
            uow,
            actor=Actor("@x:local", "X", frozenset({"cell"}), "shell", room_ref("shell", "x")),
            service="radiology",
            site=ALL_SITES,
            status=Status.CANCELLED,
            first_day=date(2022, 5, 16),
            last_day=None,
            note="",
            source_event_id="e1",
            at=START,
        )
        await settle(uow)
    counts = await table_counts(target)
    with pytest.raises(BackupError, match="not empty"):
        await restore(target, path, passphrase=None)
    with pytest.raises(BackupError, match="not empty"):
        await copy(filled.runtime.db, target)
    assert await table_counts(target) == counts
    # into itself: the same refusal, not a corruption
    with pytest.raises(BackupError, match="same database"):
        await copy(filled.runtime.db, filled.runtime.db)


async def test_restore_into_a_migrated_empty_target(
    filled: Harness, new_db: NewDb, tmp_path: Path
) -> None:
    path = tmp_path / "b.jsonl.gz"
    info = await backup(filled.runtime.db, path, passphrase=None)
    target = await new_db("sqlite")
    await target.migrate()  # e.g. a bot was started on it once, and stopped
    assert (await restore(target, path, passphrase=None)).tables == info.tables


async def test_refuses_a_newer_schema_or_format(
    filled: Harness, new_db: NewDb, tmp_path: Path
) -> None:
    path = tmp_path / "b.jsonl.gz"
    await backup(filled.runtime.db, path, passphrase=None)
    target = await new_db("sqlite")
    newer = tmp_path / "newer.jsonl.gz"
    newer.write_bytes(path.read_bytes())
    rewrite(newer, edit_header(revision="0099_from_the_future"))
    with pytest.raises(BackupError, match=r"does not know.*use a newer crisiscell"):
        await restore(target, newer, passphrase=None)
    rewrite(newer, edit_header(revision=head_revision(), version=2))
    with pytest.raises(BackupError, match="format version 2"):
        await restore(target, newer, passphrase=None)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(BackupError, match="not a crisiscell backup"):
        await restore(target, not_a_backup, passphrase=None)
    with pytest.raises(BackupError, match="no backup file"):
        await restore(target, tmp_path / "missing.jsonl.gz", passphrase=None)
    # nothing was written: the good file still restores
    await restore(target, path, passphrase=None)


@pytest.mark.parametrize("dst", ON_BOTH)
async def test_an_older_backup_is_migrated_forward(dst: str, new_db: NewDb, tmp_path: Path) -> None:
    """A backup of a database at revision 0005 loads at 0005, then migrates to the head."""
    source = await new_db("sqlite")

    def to_0005(conn: Connection) -> None:
        command.upgrade(_alembic_config(conn), "0005")

    async with source.engine.begin() as conn:
        await conn.run_sync(to_0005)
    actor = Actor("@op:local", "Op", frozenset({"cell"}), "shell", room_ref("shell", "local"))
    async with source.uow() as uow:
        for i in range(3):
            await record_decision(
                uow,
                actor=actor,
                service="radiology",
                site=ALL_SITES,
                status=Status.CANCELLED,
                first_day=date(2022, 5, 16 + i),
                last_day=None,
                note="",
                source_event_id=f"e{i}",
                at=START,
            )
        await settle(uow)
    path = tmp_path / "old.jsonl.gz"
    info = await backup(source, path, passphrase=None)
    assert info.revision == "0005" and "calls" not in info.tables

    fresh = await new_db(dst)
    restored = await restore(fresh, path, passphrase=None)
    assert (restored.revision, restored.head) == ("0005", head_revision())
    assert restored.ledger_entries == 3
    assert await fresh.revision() == (head_revision(), head_revision())
    # a target already at the head (and empty) is set back to 0005 first
    migrated = await new_db(dst)
    await migrated.migrate()
    assert (await restore(migrated, path, passphrase=None)).ledger_entries == 3
    await migrated.dispose()
    await goes_on(migrated)


async def test_a_truncated_or_altered_backup_restores_nothing(
    filled: Harness, new_db: NewDb, tmp_path: Path
) -> None:
    path = tmp_path / "b.jsonl.gz"
    await backup(filled.runtime.db, path, passphrase=None)
    target = await new_db("sqlite")

    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(BackupError, match="truncated"):
        await restore(target, cut, passphrase=None)

    def alter_first_decision_entry(lines: list[bytes]) -> list[bytes]:
        header = json.loads(lines[0])
        ledger = next(t for t in header["tables"] if t["name"] == "ledger")
        body = [c for c, _ in ledger["columns"]].index("body")
        i = lines.index(b'{"table":"ledger"}\n') + 1
        row = json.loads(lines[i])
        row[body] = row[body].replace("cancelled", "open")
        return [*lines[:i], json.dumps(row).encode() + b"\n", *lines[i + 1 :]]

    altered = tmp_path / "altered.jsonl.gz"
    altered.write_bytes(path.read_bytes())
    rewrite(altered, alter_first_decision_entry)
    with pytest.raises(BackupError, match=r"does not verify at entry 1.*nothing was restored"):
        await restore(target, altered, passphrase=None)

    def drop_last_row(lines: list[bytes]) -> list[bytes]:
        return [*lines[:-2], lines[-1]]

    short = tmp_path / "short.jsonl.gz"
    short.write_bytes(path.read_bytes())
    rewrite(short, drop_last_row)
    with pytest.raises(BackupError, match="damaged"):
        await restore(target, short, passphrase=None)

    assert not any((await table_counts(target)).values())  # whole or nothing
    await restore(target, path, passphrase=None)


@pytest.mark.parametrize("dst", ON_BOTH)
async def test_a_refused_row_names_no_personal_data(
    dst: str, filled: Harness, new_db: NewDb, tmp_path: Path
) -> None:
    """A duplicated SMS row (the file claims it): the driver's message would quote the
    phone number; the error names the table only."""
    path = tmp_path / "b.jsonl.gz"
    await backup(filled.runtime.db, path, passphrase=None)

    def duplicate_an_sms(lines: list[bytes]) -> list[bytes]:
        header = json.loads(lines[0])
        for t in header["tables"]:
            if t["name"] == "sms":
                t["rows"] += 1
        i = lines.index(b'{"table":"sms"}\n') + 1
        end = json.loads(lines[-1])
        end["rows"] += 1
        return [
            json.dumps(header).encode() + b"\n",
            *lines[1:i],
            lines[i],
            *lines[i:-1],
            json.dumps(end).encode() + b"\n",
        ]

    rewrite(path, duplicate_an_sms)
    target = await new_db(dst)
    with pytest.raises(BackupError, match="refused rows of table sms") as caught:
        await restore(target, path, passphrase=None)
    shown = str(caught.value) + repr(caught.value.__cause__)
    assert caught.value.__suppress_context__
    for number in CANARIES:
        assert number not in shown and number[3:] not in shown


async def test_backup_refuses_to_overwrite(filled: Harness, tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl.gz"
    path.write_text("precious")
    with pytest.raises(BackupError, match="already exists"):
        await backup(filled.runtime.db, path, passphrase=None)
    assert path.read_text() == "precious"
    with pytest.raises(BackupError, match="passphrase is empty"):
        await backup(filled.runtime.db, tmp_path / "c.enc", passphrase="")
    assert [n for n in names_in(tmp_path) if not n.startswith("source.")] == ["b.jsonl.gz"]


async def test_an_unreachable_database_is_a_backup_error(filled: Harness, tmp_path: Path) -> None:
    nowhere = Database("postgresql://postgres@127.0.0.1:1/crisiscell")
    try:
        with pytest.raises(BackupError):
            await copy(filled.runtime.db, nowhere)
        with pytest.raises(BackupError):
            await backup(nowhere, tmp_path / "x.jsonl.gz", passphrase=None)
    finally:
        await nowhere.dispose()
    assert not (tmp_path / "x.jsonl.gz").exists()


# --- copy and the lease ------------------------------------------------------------------


async def put_lease(db: Database, expires: datetime) -> None:
    lease = Lease("run-7", "cell-laptop", 1234, expires - timedelta(minutes=5), expires)
    async with db.uow() as uow:
        await uow.state.put(LEASE_KEY, lease.to_json())
        await settle(uow)


@pytest.mark.parametrize("src", ON_BOTH)
async def test_copy_refuses_while_a_bot_holds_the_lease(src: str, new_db: NewDb) -> None:
    h = await Harness.start(await url_of(new_db, src), now=START)
    try:
        await h.say("/decide radiology cancelled monday")
        db = h.runtime.db
        await put_lease(db, datetime.now(UTC) + timedelta(seconds=30))
        target = await new_db("sqlite")
        with pytest.raises(BackupError, match=r"cell-laptop.*pid 1234.*Stop it first"):
            await copy(db, target)
        assert not target_exists(target)
        forced = await copy(db, target, force=True)
        assert forced.forced and forced.ledger_entries == 1

        await put_lease(db, datetime.now(UTC) - timedelta(seconds=1))  # the bot stopped
        other = await new_db("sqlite")
        info = await copy(db, other)
        assert not info.forced and info.ledger_entries == 1
        async with other.reader() as uow:
            assert await uow.state.get("lease") is None
        # the lease's clock may be a drill's: "now" can be given
        with pytest.raises(BackupError, match="holds the source database's lease"):
            await copy(db, await new_db("sqlite"), now=datetime.now(UTC) - timedelta(hours=1))
    finally:
        await h.close()


def target_exists(db: Database) -> bool:
    """A refused copy (SQLite) has not even created the target's tables."""
    from sqlalchemy import make_url

    path = Path(str(make_url(db.url).database))
    return path.exists() and path.stat().st_size > 0


# --- a backup while the bot records --------------------------------------------------------


@pytest.mark.parametrize("src", ON_BOTH)
async def test_backup_while_decisions_are_recorded(src: str, new_db: NewDb, tmp_path: Path) -> None:
    h = await Harness.start(await url_of(new_db, src), now=START)
    try:
        recorded = 0
        stop = asyncio.Event()
        warmed_up = asyncio.Event()

        async def record() -> None:
            nonlocal recorded
            while not stop.is_set():
                facts = await h.facts("/decide radiology cancelled monday")
                assert facts["kind"] == "decision"
                recorded += 1
                if recorded == 5:
                    warmed_up.set()

        task = asyncio.create_task(record())
        await warmed_up.wait()
        committed_before = recorded
        path = tmp_path / "live.jsonl.gz"
        info = await backup(h.runtime.db, path, passphrase=None)
        stop.set()
        await task
    finally:
        await h.close()

    in_backup = info.tables["decisions"]
    assert committed_before <= in_backup <= recorded
    assert recorded > committed_before  # commands went on while the backup ran
    # whole units of work only: each /decide wrote its inbox, audit and ledger rows with it
    assert info.tables["inbox"] == info.tables["audit"] == info.tables["ledger"] == in_backup

    target = await new_db("sqlite")
    restored = await restore(target, path, passphrase=None)
    assert restored.ledger_entries == in_backup
    async with target.engine.connect() as conn:
        nos = (await conn.execute(select(T.decisions.c.no).order_by(T.decisions.c.no))).scalars()
        assert list(nos) == list(range(1, in_backup + 1))  # a prefix, no gap
        orphans = await conn.execute(
            select(T.decisions.c.no)
            .select_from(T.decisions.outerjoin(T.ledger, T.decisions.c.seq == T.ledger.c.seq))
            .where(T.ledger.c.seq.is_(None))
        )
        assert orphans.all() == []  # every decision has its ledger entry
    assert await verified(target) == in_backup


# --- scheduled backups ----------------------------------------------------------------------


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


async def next_backup(done: asyncio.Queue[BackupInfo]) -> BackupInfo:
    return await asyncio.wait_for(done.get(), timeout=30)


async def test_scheduled_backups_are_written_and_pruned(
    filled: Harness, new_db: NewDb, tmp_path: Path
) -> None:
    directory = tmp_path / "backups"
    directory.mkdir()
    (directory / "notes.txt").write_text("not a backup: left alone")
    settings = BackupSettings(
        directory, interval_minutes=60, keep=2, passphrase_env="CC_TEST_BACKUP_KEY"
    )
    environ = {"CC_TEST_BACKUP_KEY": "s3cret passphrase"}
    clock = FakeClock(START)
    done: asyncio.Queue[BackupInfo] = asyncio.Queue()
    loop = asyncio.create_task(
        backup_loop(filled.runtime.db, settings, clock, environ=environ, on_backup=done.put_nowait)
    )
    try:
        first = await next_backup(done)  # none there yet: one at once
        assert first.created_at == at(0) and first.encrypted
        clock.advance(minutes=59)
        clock.advance(minutes=1)
        assert (await next_backup(done)).created_at == at(60)
        clock.advance(minutes=60)
        third = await next_backup(done)
        assert third.created_at == at(120)
        assert names_in(directory) == [
            backup_name(at(60), encrypted=True),
            backup_name(at(120), encrypted=True),
            "notes.txt",
        ]
        assert third.path.name == "crisiscell-backup-20220515T091200Z.jsonl.gz.enc"
        async with filled.runtime.db.uow() as uow:  # what `crisiscell status` shows
            recorded = await uow.state.get(LAST_BACKUP_KEY)
        assert recorded is not None and recorded.endswith(str(third.path))
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop

    # a restart half an hour later: the next backup is one interval after the newest
    clock.advance(minutes=30)
    loop = asyncio.create_task(
        backup_loop(filled.runtime.db, settings, clock, environ=environ, on_backup=done.put_nowait)
    )
    try:
        clock.advance(minutes=30)
        assert (await next_backup(done)).created_at == at(180)
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop

    target = await new_db("sqlite")
    restored = await restore(target, third.path, passphrase=environ["CC_TEST_BACKUP_KEY"])
    assert restored.created_at == at(120) and restored.tables == third.tables


async def test_a_failed_scheduled_backup_is_retried_at_the_next_interval(
    filled: Harness, tmp_path: Path
) -> None:
    directory = tmp_path / "backups"
    directory.mkdir()
    (directory / backup_name(at(-30), encrypted=False)).write_text("an old backup")
    # something in the way of the (overdue) backup due now: that one fails, nothing breaks
    (directory / backup_name(at(0), encrypted=False)).mkdir()
    settings = BackupSettings(directory, interval_minutes=15, keep=3)
    clock = FakeClock(START)
    done: asyncio.Queue[BackupInfo] = asyncio.Queue()
    loop = asyncio.create_task(
        backup_loop(filled.runtime.db, settings, clock, on_backup=done.put_nowait)
    )
    try:
        clock.advance(minutes=15)
        info = await next_backup(done)
        assert info.created_at == at(15)  # the failed one at 09:12 was not reported done
        assert (directory / backup_name(at(0), encrypted=False)).is_dir()
        assert (directory / backup_name(at(-30), encrypted=False)).exists()  # keep = 3
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop


async def test_scheduled_backup_settings(filled: Harness, tmp_path: Path) -> None:
    off = BackupSettings(tmp_path / "b", interval_minutes=0)
    await backup_loop(filled.runtime.db, off, FakeClock(START))  # returns at once: off
    assert not (tmp_path / "b").exists()
    unset = BackupSettings(tmp_path / "b", interval_minutes=60, passphrase_env="NOT_SET_HERE")
    with pytest.raises(BackupError, match="NOT_SET_HERE is not set"):
        await backup_loop(filled.runtime.db, unset, FakeClock(START), environ={})
    with pytest.raises(ValueError, match=r"backup\.keep"):
        BackupSettings(tmp_path, interval_minutes=60, keep=0)
    with pytest.raises(ValueError, match=r"backup\.interval_minutes"):
        BackupSettings(tmp_path, interval_minutes=-5)


def test_the_cli_backup_restore_verify_and_copy(tmp_path: Path) -> None:
    """The commands a person types: backup while nothing runs, restore into an empty
    database, verify; copy refuses a database whose lease is held."""
    import os
    import subprocess
    import sys

    from tests.harness import Harness

    src = tmp_path / "src.sqlite3"

    async def seed() -> None:
        h = await Harness.start(
            f"sqlite+aiosqlite:///{src}",
            now=datetime.fromisoformat("2022-05-15T09:12:00+02:00"),
        )
        try:
            await h.say("/decide radiology cancelled monday : PACS down")
            await h.say("/decide surgery case-by-case monday")
        finally:
            await h.close()

    asyncio.run(seed())
    env = {**os.environ, "BACKUP_PASS": "correct horse battery staple"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "adapters.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    file = tmp_path / "b.jsonl.gz.enc"
    done = cli("db", "backup", str(file), "--db", str(src), "--passphrase-env", "BACKUP_PASS")
    assert done.returncode == 0 and "encrypted" in done.stdout, done.stderr
    target = tmp_path / "restored.sqlite3"
    done = cli("db", "restore", str(file), "--db", str(target), "--passphrase-env", "BACKUP_PASS")
    assert done.returncode == 0 and "ledger entries verified" in done.stdout, done.stderr
    again = cli("db", "restore", str(file), "--db", str(target), "--passphrase-env", "BACKUP_PASS")
    assert again.returncode == 1 and "empty" in again.stderr
    verify_out = cli("ledger", "verify", "--db", str(target))
    assert verify_out.returncode == 0 and verify_out.stdout.startswith("ok: 2 ledger entries")
    wrong = cli("db", "restore", str(file), "--db", str(tmp_path / "x.sqlite3"))
    assert wrong.returncode == 1 and "passphrase" in wrong.stderr
    copied = cli("db", "copy", "--from", str(target), "--to", str(tmp_path / "copy.sqlite3"))
    assert copied.returncode == 0 and "2 ledger entries verified" in copied.stdout, copied.stderr
