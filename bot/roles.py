"""Roles, and who has them.

Each command declares the roles that may run it (``Command.roles``, in ``commands/``);
everyone has ``staff``. Roles are granted by stable user id (Matrix user id, Entra
object id), never by display name; one person may have several ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

STAFF = "staff"
CELL = "cell"
IT = "it"
DOCTOR = "doctor"
KNOWN_ROLES = frozenset({STAFF, CELL, IT, DOCTOR})

# What a command may declare. Anything that writes needs more than staff (a test checks
# the commands that record): the default for a write is deny.
EVERYONE = frozenset({STAFF})
CELL_ONLY = frozenset({CELL})
IT_OR_CELL = frozenset({IT, CELL})
# per-appointment exceptions: the cell, or the doctors the config names
CELL_OR_DOCTOR = frozenset({CELL, DOCTOR})


def may_run(roles: frozenset[str], needed: frozenset[str]) -> bool:
    """Whether someone with ``roles`` may run a command that needs one of ``needed``."""
    return bool(roles & needed)


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
