"""The database: engine set-up, migrations on start, and the unit of work.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` so that
"recorded" is said only once the commit is durable, and every unit of work starts
with ``BEGIN IMMEDIATE`` so that writers are serialised (the ledger never forks).
PostgreSQL (asyncpg) serialises ledger appends with a row lock on the chain head.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from platformdirs import user_data_dir
from sqlalchemy import Connection, event, insert, make_url, select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage import tables
from storage.appointments import SqlAppointments
from storage.jobs import SqlJobs, SqlSuppressions
from storage.ledger import SqlDecisions, SqlLedger
from storage.marks import SqlCalls, SqlMarks
from storage.messaging import SqlAudit, SqlInbox, SqlOutbox
from storage.plan import SqlPlan
from storage.rooms import SqlRooms, SqlState, SqlSubscriptions
from storage.stats import SqlStats

MIGRATIONS = Path(__file__).parent / "migrations"
READONLY = "crisiscell_readonly"

# What a database is for, written when it is created: "drill" (made by a drill shell, or
# by `crisiscell db copy --drill`) or "live" (anything else). A database without the mark
# (made before it existed) is live.
KIND_KEY = "database-kind"
DatabaseKind = Literal["live", "drill"]


def _quiet_driver_logs() -> None:
    """aiosqlite logs every statement *with its parameters* (phone numbers) at DEBUG: those
    records are dropped whatever the logging configuration (a filter survives dictConfig)."""
    logger = logging.getLogger("aiosqlite")
    logger.setLevel(logging.INFO)
    if not any(isinstance(f, _NoDebug) for f in logger.filters):
        logger.addFilter(_NoDebug())


class _NoDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_quiet_driver_logs()


class DatabaseError(Exception):
    """The database cannot be opened or is not at the expected schema."""


class UndrainedEvents(RuntimeError):
    """A unit of work committed with domain events whose subscribers never ran."""


class DatabaseKindError(DatabaseError):
    """A drill database where a live one is needed, or the other way round."""


def default_database_path() -> Path:
    return Path(user_data_dir("crisiscell", appauthor=False)) / "crisiscell.sqlite3"


def normalize_url(url: str | None) -> str:
    """Accept a file path, ``sqlite:///...``, ``postgresql://...`` or a full async URL."""
    if not url:
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"
    if "://" not in url:
        path = Path(url).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"
    parsed: URL = make_url(url)
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise DatabaseError(f"unsupported database URL scheme {driver!r}: use sqlite or postgresql")
    return parsed.render_as_string(hide_password=False)


def describe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "head")


def _revision(connection: Connection) -> str | None:
    """The schema's revision; None for a database never migrated (a new one)."""
    return MigrationContext.configure(connection).get_current_revision()


def _current(connection: Connection) -> tuple[str | None, str | None]:
    current = _revision(connection)
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    return current, head


class Database:
    def __init__(self, url: str | None = None, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        # hide_parameters: a failing statement's values (phone numbers) never reach a log
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.dialect == "postgresql":
            kwargs.update(pool_size=5, max_overflow=5, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine)

    @property
    def description(self) -> str:
        return describe_url(self.url)

    async def migrate(self, *, new_kind: DatabaseKind = "live") -> DatabaseKind:
        """Apply the Alembic migrations (on start, and ``crisiscell db upgrade``); a new
        database is marked ``new_kind``. Returns the database's kind."""
        try:
            async with self.engine.begin() as conn:
                created = await conn.run_sync(_revision) is None
                await conn.run_sync(_upgrade)
                if created:
                    await conn.execute(
                        insert(tables.adapter_state).values(key=KIND_KEY, value=new_kind)
                    )
                return await _kind(conn)
        except OSError as e:
            raise DatabaseError(f"cannot reach the database {self.description}: {e}") from e

    async def kind(self) -> DatabaseKind:
        """live or drill (read only: a database with no schema yet is not asked)."""
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(**{READONLY: True})
            return await _kind(conn)

    async def revision(self) -> tuple[str | None, str | None]:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def reader(self) -> SqlUnitOfWork:
        """A unit of work that only reads: on SQLite it does not take the write lock (so a
        busy status page never delays a command). Never commit through it."""
        return SqlUnitOfWork(self.engine, readonly=True)

    __call__ = uow

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _kind(conn: AsyncConnection) -> DatabaseKind:
    t = tables.adapter_state
    value = (await conn.execute(select(t.c.value).where(t.c.key == KIND_KEY))).scalar()
    return "drill" if value == "drill" else "live"


def _sqlite_setup(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) emit BEGIN itself, so it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a reader (the status page, /healthz) must not take the write lock
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


class SqlUnitOfWork:
    """One transaction; the repositories share its connection. Rolls back unless committed."""

    def __init__(self, engine: AsyncEngine, *, readonly: bool = False) -> None:
        self._engine = engine
        self._readonly = readonly
        self._conn: AsyncConnection | None = None
        self.events: list[object] = []

    async def __aenter__(self) -> SqlUnitOfWork:
        conn = await self._engine.connect()
        try:
            if self._readonly:
                conn = await conn.execution_options(**{READONLY: True})
            await conn.begin()
        except BaseException:
            await asyncio.shield(conn.close())
            raise
        self._conn = conn
        self.ledger = SqlLedger(conn)
        self.decisions = SqlDecisions(conn)
        self.inbox = SqlInbox(conn)
        self.outbox = SqlOutbox(conn)
        self.audit = SqlAudit(conn)
        self.rooms = SqlRooms(conn)
        self.state = SqlState(conn)
        self.plan = SqlPlan(conn)
        self.subscriptions = SqlSubscriptions(conn)
        self.appointments = SqlAppointments(conn)
        self.jobs = SqlJobs(conn)
        self.suppressions = SqlSuppressions(conn)
        self.stats = SqlStats(conn)
        self.marks = SqlMarks(conn)
        self.calls = SqlCalls(conn)
        self.events = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await asyncio.shield(conn.close())

    async def commit(self) -> None:
        assert self._conn is not None, "unit of work not entered"
        if self.events:  # their subscribers never ran: end it through bot.runtime.runner
            names = ", ".join(sorted({type(e).__name__ for e in self.events}))
            raise UndrainedEvents(f"commit refused: domain events not drained ({names})")
        await self._conn.commit()

    async def rollback(self) -> None:
        assert self._conn is not None, "unit of work not entered"
        await self._conn.rollback()
        self.events.clear()
