"""Roles: one table maps each command to the roles allowed to run it.

Everyone has ``staff``. Roles are granted by stable user id (Matrix user id, Entra
object id), never by display name; one person may have several ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

STAFF = "staff"
CELL = "cell"
IT = "it"
KNOWN_ROLES = frozenset({STAFF, CELL, IT, "doctor"})

# The one table. A command not listed here is open to staff; anything that writes
# must be listed (tests check it), so the default for a write is deny.
COMMAND_ROLES: dict[str, frozenset[str]] = {
    "decide": frozenset({CELL}),
    "revoke": frozenset({CELL}),
    "room": frozenset({CELL}),
    "notify": frozenset({CELL}),
    "approve": frozenset({CELL}),
    "subscribe": frozenset({CELL}),
    "unsubscribe": frozenset({CELL}),
    "milestone": frozenset({IT, CELL}),
    # per-appointment exceptions: the cell, or doctors the config names
    "maintain": frozenset({CELL, "doctor"}),
    "postpone": frozenset({CELL, "doctor"}),
    "unmark": frozenset({CELL, "doctor"}),
    "calls": frozenset({CELL}),
    "call": frozenset({CELL, "doctor"}),
    # the crisis record names authors and shows internal notes
    "export": frozenset({CELL}),
}


def required_roles(command: str) -> frozenset[str]:
    return COMMAND_ROLES.get(command, frozenset({STAFF}))


def may_run(roles: frozenset[str], command: str) -> bool:
    return bool(roles & required_roles(command))


@dataclass(frozen=True)
class Person:
    name: str
    ids: tuple[str, ...]
    roles: frozenset[str]


class Directory:
    """Who is who: user ids -> person and roles, from the config."""

    def __init__(
        self, people: Iterable[Person] = (), *, extra: dict[str, frozenset[str]] | None = None
    ):
        self._by_id: dict[str, Person] = {}
        for p in people:
            for i in p.ids:
                self._by_id[i] = p
        self._extra = dict(extra or {})

    def person(self, user_id: str) -> Person | None:
        return self._by_id.get(user_id)

    def roles(self, user_id: str) -> frozenset[str]:
        p = self._by_id.get(user_id)
        granted = p.roles if p else frozenset()
        return frozenset({STAFF}) | granted | self._extra.get(user_id, frozenset())

    def person_key(self, user_id: str) -> str:
        """What the two-person rule compares: the person, not the id."""
        p = self._by_id.get(user_id)
        return f"person:{p.name}" if p else f"id:{user_id}"
