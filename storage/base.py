"""What every repository shares: the unit of work's connection and the dialect's upsert."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


class _Repo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has ON CONFLICT (both SQLite and PostgreSQL)."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _upsert(self, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        """Insert, or update the row with this key: one statement, no race between two."""
        stmt = self._insert(table).values(**key, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=values))
