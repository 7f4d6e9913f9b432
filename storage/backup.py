"""Backup, restore and copy of the bot's database, in one portable format.

**The format** (version 1) is the same whichever database wrote it, so a backup of
SQLite restores into PostgreSQL and the other way round: a gzip'd stream of JSON lines.

    {"format": "crisiscell-backup", "version": 1, "revision": "0006",
     "created_at": "2022-05-15T07:12:00.000000Z", "source": "sqlite", "crisiscell": "0.1.0",
     "tables": [{"name": "ledger", "rows": 3, "columns": [["seq", "int"], ...]}, ...]}
    {"table": "ledger"}
    [1, "decision", "2022-05-15T07:12:00.000000Z", "@operator:local", ...]
    ...                                                  one JSON array per row
    {"table": "ledger_head"}
    ...
    {"end": true, "rows": 1234}

Tables come in foreign-key order (``MetaData.sorted_tables``), rows in primary-key order.
Each column carries its kind: ``int``, ``float``, ``str``, ``bool`` (JSON values),
``date`` (``YYYY-MM-DD``) or ``datetime`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``); ``null``
is ``None``. The header's ``revision`` is the Alembic revision of the schema the rows
belong to. The runtime leases (``adapter_state`` keys ``lease`` and the SMS sender's) are
left out: a restored or copied database is not held by any bot.

**Encrypted** (a passphrase given; ``storage.sealing``), the file is::

    CRISISCELL-BACKUP-ENCRYPTED 1\\n
    {"kdf": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<base64>", "check": "<hex>",
     "cipher": "fernet"}\\n
    <one Fernet token (AES-128-CBC + HMAC-SHA256) of the whole gzip stream>

Scrypt derives 64 bytes from the passphrase and the random salt: the first 32 are the
Fernet key, the SHA-256 of the last 32 is ``check``, so a wrong passphrase is told apart
from a damaged file. Fernet works on bytes in memory: an encrypted backup is built, and
restored, in memory (a few times the compressed size: fine for this bot's databases).

**Consistency.** SQLite: the online backup API copies the live database into a private
snapshot file in one step (in a worker thread), and the rows are read from that file.
PostgreSQL: every table is read in one ``REPEATABLE READ READ ONLY`` transaction. Either
way the bot keeps recording while the backup runs, and the backup holds exactly the
commits made before it started.

**Restore and copy** load into an empty target in one transaction: schema set to the
backup's revision (a fresh target is migrated to it), rows inserted in batches, the
PostgreSQL sequences moved past the highest ids, the schema migrated to the code's head
if the backup was older, then the row counts and the ledger (``bot.ledger.chain.verify``, and
the chain head) are checked before the commit: a restore is whole or not at all. A backup
from a newer schema than the code knows is refused.

Messages never hold row values (appointments and SMS rows hold phone numbers).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import io
import json
import logging
import os
import re
import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar, cast

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    column,
    delete,
    func,
    insert,
    inspect,
    make_url,
    select,
    table,
    text,
)
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.expression import TableClause

from bot.ledger.chain import GENESIS, verify
from bot.ports import UnitOfWork
from bot.runtime.clock import Clock
from bot.runtime.lease import LEASE_KEY, SMS_LEASE_KEY, Lease
from storage.db import KIND_KEY, Database, _alembic_config, _current, _upgrade
from storage.ledger import SqlDecisions, SqlLedger
from storage.marks import SqlMarks
from storage.plan import SqlPlan
from storage.sealing import SealError, seal, unseal
from storage.tables import UTCDateTime, metadata

log = logging.getLogger(__name__)

FORMAT = "crisiscell-backup"
VERSION = 1
ENCRYPTED_MAGIC = b"CRISISCELL-BACKUP-ENCRYPTED 1\n"
GZIP_MAGIC = b"\x1f\x8b"
BATCH = 2000
LAST_BACKUP_KEY = "last-backup"  # adapter_state: the newest scheduled backup, for status
RUNTIME_KEYS = (LEASE_KEY, SMS_LEASE_KEY)  # not carried over: a copy is held by no bot
# A drill copy keeps the ledger, the plan, room settings and appointments, and leaves out
# what could reach a real patient or a real room: the SMS rows, the one-SMS-per-patient
# guard and early receipts, undelivered outbox rows, and the adapters' state (Matrix sync
# token and keys, Teams conversation references).
DRILL_LEFT_OUT = ("sms", "sms_guard", "sms_receipts", "outbox", "adapter_state")
KINDS = ("int", "float", "str", "bool", "date", "datetime")


class BackupError(Exception):
    """A backup, restore or copy cannot be done. The message is for the operator and never
    holds row values (no personal data)."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    bytes: int
    encrypted: bool
    revision: str
    created_at: datetime
    tables: dict[str, int]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class RestoreInfo:
    revision: str  # the backup's schema revision
    head: str  # the schema revision of the restored database
    created_at: datetime  # when the backup was taken
    tables: dict[str, int]
    ledger_entries: int
    seconds: float
    encrypted: bool = False  # the file was encrypted

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class CopyInfo:
    revision: str
    head: str
    tables: dict[str, int]
    ledger_entries: int
    seconds: float
    forced: bool = False  # copied although a bot held the source's lease
    drill: bool = False  # a drill copy: the tables of DRILL_LEFT_OUT were left out
    left_out: dict[str, int] = field(default_factory=dict)  # drill: rows not copied

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class BackupSettings:
    """The ``[backup]`` config section: ``interval_minutes = 0`` turns scheduled backups off;
    ``passphrase_env`` names the environment variable holding the passphrase (none: the
    backups are not encrypted)."""

    directory: Path
    interval_minutes: int = 0
    keep: int = 7
    passphrase_env: str | None = None

    def __post_init__(self) -> None:
        if self.interval_minutes < 0:
            raise ValueError("backup.interval_minutes must be 0 (off) or a number of minutes")
        if self.keep < 1:
            raise ValueError("backup.keep must be at least 1")


# --- schema revisions ---------------------------------------------------------------


def revisions() -> list[str]:
    """The code's schema revisions, oldest first (a linear history)."""
    script = ScriptDirectory.from_config(_alembic_config())
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    return revisions()[-1]


def _revision_of(conn: Connection) -> str | None:
    return _current(conn)[0]


def _check_known(revision: str, what: str) -> None:
    if revision not in revisions():
        raise BackupError(
            f"{what} is at schema revision {revision!r}, which this version of crisiscell "
            f"does not know (its newest is {head_revision()!r}): use a newer crisiscell"
        )


# --- values ---------------------------------------------------------------------------


def _kind_of(type_: Any, where: str) -> str:
    if isinstance(type_, sqltypes.Boolean):
        return "bool"
    if isinstance(type_, sqltypes.DateTime):
        return "datetime"
    if isinstance(type_, sqltypes.Date):
        return "date"
    if isinstance(type_, sqltypes.Integer):
        return "int"
    if isinstance(type_, sqltypes.Float):
        return "float"
    if isinstance(type_, sqltypes.String):
        return "str"
    raise BackupError(f"column {where} has a type a backup cannot carry ({type_})")


def _utc(value: datetime) -> datetime:
    # SQLite gives the naive UTC it stores; PostgreSQL gives timestamptz in its zone
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_text(value: datetime) -> str:
    return _utc(value).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _parse_utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a time without its zone")
    return parsed.astimezone(UTC)


# value -> JSON, JSON -> value, value from one database -> value for another (None: as is)
_ENCODE: dict[str, Callable[[Any], Any] | None] = {"date": date.isoformat, "datetime": _utc_text}
_DECODE: dict[str, Callable[[Any], Any] | None] = {
    "date": date.fromisoformat,
    "datetime": _parse_utc,
}
_NORMALIZE: dict[str, Callable[[Any], Any] | None] = {"datetime": _utc}
_BIND_TYPE: dict[str, Any] = {
    "int": Integer(),
    "float": Float(),
    "str": Text(),
    "bool": Boolean(),
    "date": Date(),
    "datetime": UTCDateTime(),
}


def _converter(
    kinds: Sequence[str], table: Mapping[str, Callable[[Any], Any] | None]
) -> Callable[[Sequence[Any]], list[Any]]:
    funcs = [table.get(k) for k in kinds]
    active = [(i, f) for i, f in enumerate(funcs) if f is not None]

    def convert(row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for i, f in active:
            v = out[i]
            if v is not None:
                out[i] = f(v)
        return out

    return convert


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, kind)
    rows: int

    @property
    def names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def kinds(self) -> list[str]:
        return [k for _, k in self.columns]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "columns": [list(c) for c in self.columns]}

    @classmethod
    def from_json(cls, data: Any) -> TableSpec:
        name, rows, cols = data["name"], data["rows"], data["columns"]
        if not isinstance(name, str) or not isinstance(rows, int) or rows < 0:
            raise ValueError("bad table entry")
        columns = tuple((str(c), str(k)) for c, k in cols)
        if any(k not in KINDS for _, k in columns):
            raise BackupError(f"the backup's table {name} has a column kind this version lacks")
        return cls(name, columns, rows)


@dataclass(frozen=True)
class Header:
    revision: str
    created_at: datetime
    tables: tuple[TableSpec, ...]
    source: str = ""
    written_by: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "revision": self.revision,
            "created_at": _utc_text(self.created_at),
            "source": self.source,
            "crisiscell": self.written_by,
            "tables": [t.to_json() for t in self.tables],
        }

    @classmethod
    def from_json(cls, data: Any) -> Header:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("this file is not a crisiscell backup")
        version = data.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise BackupError(
                f"this backup is in format version {version}, newer than this crisiscell "
                f"reads ({VERSION}): restore it with a newer crisiscell"
            )
        try:
            tables = tuple(TableSpec.from_json(t) for t in data["tables"])
            return cls(
                revision=str(data["revision"]),
                created_at=_parse_utc(data["created_at"]),
                tables=tables,
                source=str(data.get("source", "")),
                written_by=str(data.get("crisiscell", "")),
            )
        except (KeyError, TypeError, ValueError):
            raise BackupError("the backup's header is damaged") from None


def _crisiscell_version() -> str:
    try:
        return package_version("crisiscell")
    except PackageNotFoundError:
        return ""


# --- encryption (storage.sealing) ----------------------------------------------------


def _encrypt(data: bytes, passphrase: str) -> bytes:
    return seal(data, passphrase, ENCRYPTED_MAGIC)


def _decrypt(blob: bytes, passphrase: str) -> bytes:
    try:
        return unseal(blob, passphrase, ENCRYPTED_MAGIC, "encrypted backup")
    except SealError as e:
        raise BackupError(str(e)) from None


# --- the file: writer and reader (synchronous, run in worker threads) --------------------


def _line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


class _Writer:
    """Writes a backup file: to a private temporary file, renamed into place when whole."""

    def __init__(self, path: Path, passphrase: str | None) -> None:
        self.path = path
        self.passphrase = passphrase
        self._lock = threading.Lock()
        self._tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        self._file: IO[bytes] | None = None
        self._memory: io.BytesIO | None = None
        if passphrase is None:
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._file = os.fdopen(fd, "wb")
            sink: IO[bytes] = self._file
        else:
            self._memory = io.BytesIO()
            sink = self._memory
        self._gz = gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6, mtime=0)
        self._done = False

    def write(self, obj: Any) -> None:
        with self._lock:
            self._gz.write(_line(obj))

    def rows(self, encode: Callable[[Sequence[Any]], list[Any]], rows: Iterable[Any]) -> None:
        data = b"".join(_line(encode(r)) for r in rows)
        with self._lock:
            self._gz.write(data)

    def finish(self) -> int:
        with self._lock:
            self._gz.close()
            if self._memory is not None:
                assert self.passphrase is not None
                blob = _encrypt(self._memory.getvalue(), self.passphrase)
                self._memory = None
                fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                self._file = os.fdopen(fd, "wb")
                self._file.write(blob)
            assert self._file is not None
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if self.path.exists():
                raise BackupError(f"{self.path} appeared while the backup was written")
            os.replace(self._tmp, self.path)
            _fsync_dir(self.path.parent)
            self._done = True
            return self.path.stat().st_size

    def abort(self) -> None:
        with self._lock:
            if self._done:
                return
            with contextlib.suppress(Exception):
                self._gz.close()
            if self._file is not None:
                with contextlib.suppress(Exception):
                    self._file.close()
            with contextlib.suppress(FileNotFoundError):
                self._tmp.unlink()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Reader:
    """Reads a backup file: the header, then batches of decoded rows, table by table."""

    def __init__(self, path: Path, passphrase: str | None) -> None:
        if passphrase == "":
            raise BackupError("the passphrase is empty")
        try:
            with path.open("rb") as f:
                start = f.read(len(ENCRYPTED_MAGIC))
                if start == ENCRYPTED_MAGIC:
                    if passphrase is None:
                        raise BackupError(
                            "this backup is encrypted: give its passphrase "
                            "(the environment variable named by the command)"
                        )
                    plain = _decrypt(start + f.read(), passphrase)
                    self._gz = gzip.GzipFile(fileobj=io.BytesIO(plain), mode="rb")
                    self.encrypted = True
                elif start.startswith(GZIP_MAGIC):
                    self._gz = gzip.GzipFile(filename=path, mode="rb")
                    self.encrypted = False
                else:
                    raise BackupError(f"{path.name} is not a crisiscell backup")
        except FileNotFoundError:
            raise BackupError(f"no backup file at {path}") from None
        self.header = Header.from_json(self._json(self._readline()))
        self._tables = list(self.header.tables)
        self._index = -1
        self._left = 0
        self._decode: Callable[[Sequence[Any]], list[Any]] = list
        self._width = 0
        self._total = 0
        self._ended = False

    def _readline(self) -> bytes:
        try:
            line = self._gz.readline()
        except (OSError, EOFError, ValueError):  # BadGzipFile is an OSError; zlib.error too
            raise BackupError("the backup file is damaged or truncated") from None
        if not line.endswith(b"\n"):
            raise BackupError("the backup file is truncated")
        return line

    @staticmethod
    def _json(line: bytes) -> Any:
        try:
            return json.loads(line)
        except ValueError:
            raise BackupError("the backup file is damaged (a line is not JSON)") from None

    def _next_table(self) -> bool:
        self._index += 1
        if self._index >= len(self._tables):
            end = self._json(self._readline())
            if not isinstance(end, dict) or end.get("end") is not True:
                raise BackupError("the backup file is damaged (more rows than its header says)")
            if end.get("rows") != self._total:
                raise BackupError("the backup file is damaged (its row count does not match)")
            self._ended = True
            return False
        spec = self._tables[self._index]
        marker = self._json(self._readline())
        if marker != {"table": spec.name}:
            raise BackupError(f"the backup file is damaged (table {spec.name} is not in place)")
        self._left = spec.rows
        self._decode = _converter(spec.kinds, _DECODE)
        self._width = len(spec.columns)
        return True

    def next_batch(self, size: int = BATCH) -> tuple[TableSpec, list[list[Any]]] | None:
        """The next rows of one table (decoded), or None after the end line was checked."""
        while self._left == 0:
            if self._ended or not self._next_table():
                return None
        spec = self._tables[self._index]
        rows: list[list[Any]] = []
        for _ in range(min(size, self._left)):
            row = self._json(self._readline())
            if not isinstance(row, list) or len(row) != self._width:
                raise BackupError(f"the backup file is damaged (a row of table {spec.name})")
            try:
                rows.append(self._decode(row))
            except (TypeError, ValueError):
                raise BackupError(
                    f"the backup file is damaged (a value in table {spec.name})"
                ) from None
        self._left -= len(rows)
        self._total += len(rows)
        return spec, rows

    def close(self) -> None:
        self._gz.close()


# --- the source: one consistent snapshot -------------------------------------------------


def _sqlite_file(db: Database) -> Path:
    name = make_url(db.url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("only a SQLite database in a file can be backed up or copied")
    path = Path(name)
    if not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    return path


def _sqlite_snapshot(source: Path, target: Path) -> None:
    """The online backup API, in one step: a consistent copy while the bot writes."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: the whole database in one step, under one read lock
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


@contextlib.contextmanager
def _private_dir(near: Path) -> Iterator[str]:
    """A private (0700) temporary directory beside the database, so the plaintext snapshot
    does not land on another disk; the system's temporary directory if that is read-only."""
    try:
        tmp = tempfile.TemporaryDirectory(dir=near, prefix=".crisiscell-snapshot-")
    except OSError:
        tmp = tempfile.TemporaryDirectory(prefix="crisiscell-snapshot-")
    with tmp as d:
        yield d


@asynccontextmanager
async def _snapshot_connection(db: Database) -> AsyncIterator[AsyncConnection]:
    if db.dialect == "sqlite":
        source = _sqlite_file(db)
        with _private_dir(source.parent) as d:
            snap = Path(d) / "snapshot.sqlite3"
            try:
                await asyncio.to_thread(_sqlite_snapshot, source, snap)
            except sqlite3.Error as e:
                raise BackupError(f"cannot snapshot the SQLite database: {e}") from None
            engine = create_async_engine(
                f"sqlite+aiosqlite:///{snap}", poolclass=NullPool, hide_parameters=True
            )
            try:
                async with engine.connect() as conn:
                    yield conn
            finally:
                await engine.dispose()
    elif db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with conn.begin():
                yield conn
    else:  # pragma: no cover - Database refuses other schemes
        raise BackupError(f"unsupported database {db.dialect}")


def _reflect(conn: Connection) -> MetaData:
    reflected = MetaData()
    reflected.reflect(conn, only=lambda name, _m: name in metadata.tables)
    return reflected


@dataclass
class _Snapshot:
    conn: AsyncConnection
    revision: str
    tables: list[tuple[Table, TableSpec]]
    dialect: str

    @property
    def specs(self) -> tuple[TableSpec, ...]:
        return tuple(spec for _, spec in self.tables)

    def header(self, created_at: datetime) -> Header:
        return Header(
            revision=self.revision,
            created_at=created_at,
            tables=self.specs,
            source=self.dialect,
            written_by=_crisiscell_version(),
        )

    async def batches(self) -> AsyncIterator[tuple[TableSpec, Sequence[Any]]]:
        """Every table's rows (driver values), in batches; an empty table yields nothing."""
        for t, spec in self.tables:
            stmt = _rows_of(t).order_by(*t.primary_key.columns)
            result = await self.conn.stream(stmt)
            async for part in result.partitions(BATCH):
                yield spec, part

    async def lease(self) -> str | None:
        """The bot's lease row in the source, if any (its raw JSON)."""
        t = next((t for t, _ in self.tables if t.name == "adapter_state"), None)
        if t is None:
            return None
        value = (await self.conn.execute(select(t.c.value).where(t.c.key == LEASE_KEY))).scalar()
        return None if value is None else str(value)


def _rows_of(t: Table) -> Any:
    stmt = select(*t.columns)
    if t.name == "adapter_state":
        stmt = stmt.where(t.c.key.not_in(RUNTIME_KEYS), ~t.c.key.startswith(SMS_LEASE_KEY + ":"))
    return stmt


@asynccontextmanager
async def _snapshot(db: Database) -> AsyncIterator[_Snapshot]:
    async with _snapshot_connection(db) as conn:
        revision = await conn.run_sync(_revision_of)
        if revision is None:
            raise BackupError("the source database has no schema (it was never migrated)")
        _check_known(revision, "the source database")
        reflected = await conn.run_sync(_reflect)
        tables: list[tuple[Table, TableSpec]] = []
        for t in reflected.sorted_tables:
            columns = tuple((c.name, _kind_of(c.type, f"{t.name}.{c.name}")) for c in t.columns)
            count = (
                await conn.execute(select(func.count()).select_from(_rows_of(t).subquery()))
            ).scalar()
            tables.append((t, TableSpec(t.name, columns, int(count or 0))))
        yield _Snapshot(conn, revision, tables, db.dialect)


# --- the target: load into an empty database, all or nothing ----------------------------


@dataclass(frozen=True)
class _Loaded:
    head: str
    tables: dict[str, int]
    ledger_entries: int


class _ConnRepos:
    """The repositories ``bot.ledger.chain.verify`` reads, on the restore's own transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.ledger = SqlLedger(conn)
        self.decisions = SqlDecisions(conn)
        self.plan = SqlPlan(conn)
        self.marks = SqlMarks(conn)


def _prepare_target(conn: Connection, revision: str) -> dict[str, Table]:
    """Refuse a non-empty target or one newer than the code; set its schema to ``revision``."""
    known = revisions()
    current = _revision_of(conn)
    if current is not None and current not in known:
        raise BackupError(
            f"the target database is at schema revision {current!r}, which this version of "
            "crisiscell does not know: use a newer crisiscell"
        )
    existing = set(inspect(conn).get_table_names())
    for name in (t.name for t in metadata.sorted_tables if t.name in existing):
        if name == "ledger_head":  # the migrations seed the genesis head
            stmt = text(
                "SELECT 1 FROM ledger_head WHERE NOT (id = 1 AND seq = 0 AND hash = :g) LIMIT 1"
            ).bindparams(g=GENESIS)
        elif name == "adapter_state":  # a migrated database's kind mark: replaced below
            stmt = text("SELECT 1 FROM adapter_state WHERE key <> :k LIMIT 1").bindparams(
                k=KIND_KEY
            )
        else:
            q = conn.dialect.identifier_preparer.quote(name)
            stmt = text(f"SELECT 1 FROM {q} LIMIT 1")
        if conn.execute(stmt).first() is not None:
            raise BackupError(
                f"the target database is not empty (table {name} has rows): "
                "restore or copy only into an empty database"
            )
    if "adapter_state" in existing:  # the rows bring their own kind (none: live)
        conn.execute(text("DELETE FROM adapter_state WHERE key = :k").bindparams(k=KIND_KEY))
    cfg = _alembic_config(conn)
    if current is None or known.index(current) < known.index(revision):
        command.upgrade(cfg, revision)
    elif known.index(current) > known.index(revision):
        command.downgrade(cfg, revision)  # an empty schema: nothing is lost
    reflected = MetaData()
    reflected.reflect(conn)
    return dict(reflected.tables)


def _lightweight(spec: TableSpec) -> TableClause:
    return table(spec.name, *(column(c, _BIND_TYPE[k]) for c, k in spec.columns))


async def _fix_sequences(conn: AsyncConnection, specs: Sequence[TableSpec]) -> None:
    """PostgreSQL: move each serial id's sequence past the ids just inserted."""
    quote = conn.dialect.identifier_preparer.quote
    for spec in specs:
        for name, kind in spec.columns:
            if kind != "int":
                continue
            seq = (
                await conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"),
                    {"t": quote(spec.name), "c": name},
                )
            ).scalar()
            if seq is None:
                continue
            await conn.execute(
                text(
                    f"SELECT setval(CAST(:s AS regclass), "
                    f"COALESCE((SELECT MAX({quote(name)}) FROM {quote(spec.name)}), 0) + 1, "
                    "false)"
                ),
                {"s": seq},
            )


async def _load(
    target: Database,
    revision: str,
    specs: Sequence[TableSpec],
    batches: AsyncIterator[tuple[TableSpec, list[list[Any]]]],
    *,
    kind: str | None = None,
) -> _Loaded:
    """Load into the empty ``target``; ``kind`` marks it (else the rows bring their mark)."""
    _check_known(revision, "the backup")
    unknown = [s.name for s in specs if s.name not in metadata.tables]
    if unknown:
        raise BackupError(f"the backup has tables this version does not know: {unknown}")
    by_name = {s.name: s for s in specs}
    # one transaction (SQLite: BEGIN IMMEDIATE): whole or nothing, schema included
    async with target.engine.begin() as conn:
        existing = await conn.run_sync(_prepare_target, revision)
        for spec in specs:
            t = existing.get(spec.name)
            if t is None or {c.name for c in t.columns} != set(spec.names):
                raise BackupError(
                    f"the backup's table {spec.name} does not match the schema at revision "
                    f"{revision}: the backup is damaged"
                )
        if "ledger_head" in by_name:
            await conn.execute(delete(existing["ledger_head"]))
        targets = {s.name: _lightweight(s) for s in specs}
        inserted = dict.fromkeys(by_name, 0)
        async for spec, rows in batches:
            if not rows:
                continue
            names = spec.names
            try:
                await conn.execute(
                    insert(targets[spec.name]), [dict(zip(names, r, strict=True)) for r in rows]
                )
            except SQLAlchemyError as e:
                # the driver's message may quote a row's values: only the kind of error
                cause = type(getattr(e, "orig", None) or e).__name__
                raise BackupError(
                    f"the target refused rows of table {spec.name} ({cause})"
                ) from None
            inserted[spec.name] += len(rows)
        for spec in specs:
            stored = (
                await conn.execute(select(func.count()).select_from(existing[spec.name]))
            ).scalar()
            if inserted[spec.name] != spec.rows or stored != spec.rows:
                raise BackupError(
                    f"table {spec.name}: {spec.rows} rows expected, {inserted[spec.name]} "
                    f"inserted, {stored} stored; nothing was restored"
                )
        if kind is not None:  # the target's own mark went in _prepare_target
            await conn.execute(
                text("INSERT INTO adapter_state (key, value) VALUES (:k, :v)").bindparams(
                    k=KIND_KEY, v=kind
                )
            )
        if conn.dialect.name == "postgresql":
            await _fix_sequences(conn, specs)
        head = head_revision()
        if revision != head:
            await conn.run_sync(_upgrade)
        checked = await verify(cast(UnitOfWork, _ConnRepos(conn)))
        if not checked.ok:
            where = f" at entry {checked.bad_seq}" if checked.bad_seq is not None else ""
            raise BackupError(
                f"the ledger does not verify{where}: {checked.reason}; nothing was restored"
            )
        await _check_head(conn, checked.checked)
    return _Loaded(head, {s.name: s.rows for s in specs}, checked.checked)


async def _check_head(conn: AsyncConnection, entries: int) -> None:
    """The chain head the next append starts from must be the last entry."""
    head = (await conn.execute(text("SELECT seq, hash FROM ledger_head WHERE id = 1"))).first()
    if entries == 0:
        expected: tuple[int, str] = (0, GENESIS)
    else:
        last = (
            await conn.execute(text("SELECT hash FROM ledger WHERE seq = :s"), {"s": entries})
        ).scalar()
        expected = (entries, str(last))
    if head is None or (head[0], head[1]) != expected:
        raise BackupError(
            "the ledger's head row does not match its last entry; nothing was restored"
        )


# --- the operations ----------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


def _reported(fn: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """An unreachable database, a full disk: a BackupError too (their messages hold no rows)."""

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except OSError as e:
            raise BackupError(str(e) or type(e).__name__) from e

    return run


@_reported
async def backup(
    db: Database, path: Path, *, passphrase: str | None, at: datetime | None = None
) -> BackupInfo:
    """Write a consistent, compressed (and, with a passphrase, encrypted) snapshot of ``db``
    to ``path`` while the bot keeps running. Refuses to overwrite a file."""
    t0 = time.perf_counter()
    path = Path(path)
    if passphrase == "":
        raise BackupError("the passphrase is empty")
    if await asyncio.to_thread(path.exists):
        raise BackupError(f"{path} already exists: choose another file name")
    if not await asyncio.to_thread(path.parent.is_dir):
        raise BackupError(f"no directory {path.parent}")
    created = _utc(at) if at is not None else datetime.now(UTC)
    async with _snapshot(db) as snap:
        header = snap.header(created)
        writer = await asyncio.to_thread(_Writer, path, passphrase)
        try:
            await asyncio.to_thread(writer.write, header.to_json())
            current: str | None = None
            encoders = {s.name: _converter(s.kinds, _ENCODE) for s in header.tables}
            pending = [s.name for s in header.tables]
            async for spec, rows in snap.batches():
                while current != spec.name:  # markers, empty tables included
                    current = pending.pop(0)
                    await asyncio.to_thread(writer.write, {"table": current})
                await asyncio.to_thread(writer.rows, encoders[spec.name], rows)
            for name in pending:
                await asyncio.to_thread(writer.write, {"table": name})
            total = sum(s.rows for s in header.tables)
            await asyncio.to_thread(writer.write, {"end": True, "rows": total})
            size = await asyncio.to_thread(writer.finish)
        except BaseException:
            writer.abort()  # waits for a batch in flight, at most
            raise
    return BackupInfo(
        path=path,
        bytes=size,
        encrypted=passphrase is not None,
        revision=header.revision,
        created_at=created,
        tables={s.name: s.rows for s in header.tables},
        seconds=time.perf_counter() - t0,
    )


@_reported
async def read_header(path: Path, *, passphrase: str | None) -> Header:
    """The header of a backup file (to show what it holds before restoring it)."""
    reader = await asyncio.to_thread(_Reader, Path(path), passphrase)
    reader.close()
    return reader.header


@_reported
async def restore(db: Database, path: Path, *, passphrase: str | None) -> RestoreInfo:
    """Load a backup into ``db``, which must be empty (a new file, or a new PostgreSQL
    database; a migrated but empty one will do). All or nothing; verified before commit."""
    t0 = time.perf_counter()
    reader = await asyncio.to_thread(_Reader, Path(path), passphrase)
    try:
        header = reader.header
        _check_known(header.revision, "the backup")

        async def batches() -> AsyncIterator[tuple[TableSpec, list[list[Any]]]]:
            while (item := await asyncio.to_thread(reader.next_batch, BATCH)) is not None:
                yield item

        loaded = await _load(db, header.revision, header.tables, batches())
    finally:
        reader.close()
    return RestoreInfo(
        revision=header.revision,
        head=loaded.head,
        created_at=header.created_at,
        tables=loaded.tables,
        ledger_entries=loaded.ledger_entries,
        seconds=time.perf_counter() - t0,
        encrypted=reader.encrypted,
    )


def _same_database(a: Database, b: Database) -> bool:
    if a.dialect == b.dialect == "sqlite":
        pa, pb = make_url(a.url).database, make_url(b.url).database
        return bool(pa and pb) and Path(str(pa)).resolve() == Path(str(pb)).resolve()
    return make_url(a.url) == make_url(b.url)


def lease_holder(value: str, now: datetime) -> str | None:
    """Who holds an unexpired lease (for the message), or None when there is none (never
    taken, released by a clean stop, or expired)."""
    if not value:
        return None
    try:
        lease = Lease.from_json(value)
    except (ValueError, KeyError, TypeError):
        return "a bot (its lease row cannot be read)"
    if not lease.live(now):
        return None
    return f"{lease.holder} ({lease.describe()}), until {_utc_text(lease.expires)}"


@_reported
async def copy(
    source: Database,
    target: Database,
    *,
    force: bool = False,
    now: datetime | None = None,
    drill: bool = False,
) -> CopyInfo:
    """Copy every table of ``source`` into the empty ``target`` (SQLite or PostgreSQL) and
    verify it there. Refuses while a bot holds the source's lease (its ``expires`` is after
    ``now``, by default the real time), unless ``force``. ``drill``: the target becomes a
    drill database, without the tables of :data:`DRILL_LEFT_OUT`."""
    t0 = time.perf_counter()
    now = _utc(now) if now is not None else datetime.now(UTC)
    if _same_database(source, target):
        raise BackupError("the source and the target are the same database")
    forced = False
    async with _snapshot(source) as snap:
        lease = await snap.lease()
        holder = lease_holder(lease, now) if lease is not None else None
        if holder is not None:
            if not force:
                raise BackupError(
                    f"a bot holds the source database's lease: {holder}. Stop it first "
                    "(a copy made while it runs misses what it records next), or force the copy"
                )
            forced = True
            log.warning("copying although a bot holds the source's lease: %s", holder)
        normalizers = {s.name: _converter(s.kinds, _NORMALIZE) for s in snap.specs}
        skipped = DRILL_LEFT_OUT if drill else ()
        specs = [replace(s, rows=0) if s.name in skipped else s for s in snap.specs]

        async def batches() -> AsyncIterator[tuple[TableSpec, list[list[Any]]]]:
            async for spec, rows in snap.batches():
                if spec.name in skipped:
                    continue
                convert = normalizers[spec.name]
                yield spec, [convert(r) for r in rows]

        loaded = await _load(
            target, snap.revision, specs, batches(), kind="drill" if drill else None
        )
    return CopyInfo(
        revision=snap.revision,
        head=loaded.head,
        tables=loaded.tables,
        ledger_entries=loaded.ledger_entries,
        seconds=time.perf_counter() - t0,
        forced=forced,
        drill=drill,
        left_out={s.name: s.rows for s in snap.specs if s.name in skipped and s.rows},
    )


# --- scheduled backups ---------------------------------------------------------------------

BACKUP_NAME = re.compile(r"^crisiscell-backup-(\d{8}T\d{6}Z)\.jsonl\.gz(?:\.enc)?$")


def backup_name(at: datetime, *, encrypted: bool) -> str:
    stamp = _utc(at).strftime("%Y%m%dT%H%M%SZ")
    return f"crisiscell-backup-{stamp}.jsonl.gz" + (".enc" if encrypted else "")


def existing_backups(directory: Path) -> list[tuple[datetime, Path]]:
    """The scheduled backups in ``directory``, oldest first (other files are ignored)."""
    found: list[tuple[datetime, Path]] = []
    if not directory.is_dir():
        return found
    for p in directory.iterdir():
        m = BACKUP_NAME.match(p.name)
        if m and p.is_file():
            at = datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            found.append((at, p))
    return sorted(found)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` scheduled backups; returns the deleted files."""
    backups = existing_backups(directory)
    doomed = [p for _, p in backups[: max(0, len(backups) - keep)]]
    for p in doomed:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    return doomed


def passphrase_from_env(
    env_name: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The passphrase in the named environment variable; an error if it is named but unset
    (never fall back to unencrypted backups)."""
    if not env_name:
        return None
    value = (os.environ if environ is None else environ).get(env_name, "")
    if not value:
        raise BackupError(
            f"the backup passphrase variable {env_name} is not set (or empty): set it, or "
            "remove backup.passphrase_env to write unencrypted backups"
        )
    return value


def _safe_reason(e: BaseException) -> str:
    # our messages carry no row values; a driver's might: only its kind then
    if isinstance(e, BackupError | OSError):
        return str(e)
    return type(e).__name__


async def backup_loop(
    db: Database,
    settings: BackupSettings,
    clock: Clock,
    *,
    environ: Mapping[str, str] | None = None,
    on_backup: Callable[[BackupInfo], object] | None = None,
) -> None:
    """Every ``interval_minutes``, write ``crisiscell-backup-<UTC>.jsonl.gz[.enc]`` into the
    directory and keep the newest ``keep``. The first backup is due one interval after the
    newest one already there (at once if there is none), so restarts do not pile them up.
    A failed backup is logged and retried at the next interval; a written one is recorded
    for `crisiscell status`. Runs until cancelled."""
    if settings.interval_minutes <= 0:
        return
    passphrase = passphrase_from_env(settings.passphrase_env, environ)
    interval = timedelta(minutes=settings.interval_minutes)
    directory = settings.directory.expanduser()
    await asyncio.to_thread(directory.mkdir, mode=0o700, parents=True, exist_ok=True)
    existing = await asyncio.to_thread(existing_backups, directory)
    next_at = existing[-1][0] + interval if existing else clock.now()
    while True:
        await clock.sleep_until(next_at)
        now = clock.now()
        name = backup_name(now, encrypted=passphrase is not None)
        try:
            info = await backup(db, directory / name, passphrase=passphrase, at=now)
            pruned = await asyncio.to_thread(prune, directory, settings.keep)
        except Exception as e:
            log.error("scheduled backup %s failed: %s", name, _safe_reason(e))
        else:
            log.info(
                "backup %s written: %d rows, %d bytes in %.1f s; %d old backup(s) removed",
                name,
                info.rows,
                info.bytes,
                info.seconds,
                len(pruned),
            )
            try:  # where `crisiscell status` finds it
                async with db.uow() as uow:
                    stamp = f"{info.created_at:%Y-%m-%d %H:%M:%S %Z} {info.path}"
                    await uow.state.put(LAST_BACKUP_KEY, stamp)
                    await uow.commit()
            except Exception as e:
                log.warning("could not record backup %s: %s", name, _safe_reason(e))
            if on_backup is not None:
                on_backup(info)
        now = clock.now()
        while next_at <= now:
            next_at += interval


__all__ = [
    "BackupError",
    "BackupInfo",
    "BackupSettings",
    "CopyInfo",
    "Header",
    "RestoreInfo",
    "TableSpec",
    "backup",
    "backup_loop",
    "backup_name",
    "copy",
    "existing_backups",
    "head_revision",
    "lease_holder",
    "passphrase_from_env",
    "prune",
    "read_header",
    "restore",
    "revisions",
]
