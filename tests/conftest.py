"""Shared fixtures: databases (SQLite file, PostgreSQL server), a bot harness, a fake clock."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import pytest

from tests.harness import (
    Harness,
    create_pg_database,
    drop_pg_database,
    pg_admin_url,
    pg_reachable,
)
from tests.synapse import Synapse, free_port

REQUIRE_ALL = os.environ.get("CRISISCELL_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with a reason on a developer's machine; under CI (REQUIRE_ALL) a skip is a failure."""
    if REQUIRE_ALL:
        pytest.fail(f"CRISISCELL_REQUIRE_ALL=1 but: {reason}")
    pytest.skip(reason)


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/crisiscell.sqlite3"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    admin = pg_admin_url()
    if not asyncio.run(pg_reachable(admin)):
        skip_or_fail(f"PostgreSQL is not reachable at {admin} (set CRISISCELL_PG_URL)")
    name, url = asyncio.run(create_pg_database())
    try:
        yield url
    finally:
        asyncio.run(drop_pg_database(name))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


START = datetime.fromisoformat("2022-05-15T09:12:00+02:00")


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Harness]:
    """The whole core on a SQLite file, driven like a chat room; the clock is fake."""
    h = await Harness.start(sqlite_url, now=START)
    try:
        yield h
    finally:
        await h.close()


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """One real Synapse homeserver on loopback for the whole test session."""
    if importlib.util.find_spec("synapse") is None:
        skip_or_fail("matrix-synapse is not installed (pip install -e '.[test]')")
    server = Synapse(tmp_path_factory.mktemp("synapse"), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
