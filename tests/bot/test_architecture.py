"""The house rules that keep the core portable, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.roles import KNOWN_ROLES, STAFF
from commands import all_commands

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "sqlalchemy",
    "alembic",
    "aiohttp",
    "nio",
    "microsoft_agents",
    "asyncpg",
    "aiosqlite",
    "storage",
    "adapters",
)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_and_commands_import_no_sdk_no_sql() -> None:
    offenders = {}
    for package in ("bot", "commands"):
        for path in (ROOT / package).rglob("*.py"):
            bad = imports(path) & set(FORBIDDEN)
            if bad:
                offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_commands_that_write_need_a_role() -> None:
    """Each command declares who may run it; what records needs more than staff."""
    by_name = {c.name: c for c in all_commands()}
    writers = {
        "decide", "revoke", "room", "notify", "subscribe", "unsubscribe", "milestone",
        "maintain", "postpone", "unmark", "calls", "call", "export",
    }  # fmt: skip
    assert writers <= set(by_name)
    for name in writers:
        assert STAFF not in by_name[name].roles, name
    for c in by_name.values():
        assert c.roles and c.roles <= KNOWN_ROLES, c.name
