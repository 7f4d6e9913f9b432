"""Health: each running part (a chat adapter, the SMS sender) reports how it is doing;
``/healthz`` and ``crisiscell status`` read it.

A part is healthy when it said so last and, if it has a heartbeat, said so recently
(a Matrix sync loop that stopped answering is not healthy even if it never failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.runtime.clock import Clock


@dataclass
class Component:
    name: str
    ok: bool = False
    state: str = "starting"
    detail: str = ""
    last_success: datetime | None = None
    # without a success for this long, the part is not healthy (None: no such limit)
    stale_after: timedelta | None = None

    def healthy(self, now: datetime) -> bool:
        if not self.ok:
            return False
        if self.stale_after is None or self.last_success is None:
            return True
        return now - self.last_success <= self.stale_after


@dataclass
class Health:
    clock: Clock
    components: dict[str, Component] = field(default_factory=dict)

    def register(self, name: str, *, stale_after: timedelta | None = None) -> Component:
        c = self.components.setdefault(name, Component(name, stale_after=stale_after))
        c.stale_after = stale_after
        return c

    def success(self, name: str, detail: str = "") -> None:
        c = self.components.setdefault(name, Component(name))
        c.ok, c.state, c.detail = True, "ok", detail
        c.last_success = self.clock.now()

    def failure(self, name: str, detail: str) -> None:
        """``detail`` is shown on /healthz: no secrets, no personal data."""
        c = self.components.setdefault(name, Component(name))
        c.ok, c.state, c.detail = False, "failing", detail

    def report(self) -> list[dict[str, object]]:
        now = self.clock.now()
        return [
            {
                "name": c.name,
                "healthy": c.healthy(now),
                "state": c.state if c.healthy(now) or not c.ok else "silent",
                "detail": c.detail,
                "last_success": c.last_success.isoformat() if c.last_success else None,
            }
            for c in sorted(self.components.values(), key=lambda c: c.name)
        ]

    def healthy(self) -> bool:
        now = self.clock.now()
        return all(c.healthy(now) for c in self.components.values())
