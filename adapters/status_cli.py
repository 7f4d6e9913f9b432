"""`crisiscell status`: is the bot alive and well? For a person, and for cron/monitoring
(exit 0: fine; 1: something needs attention; 2: the database cannot be read)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from adapters.matrix.cross_signing import DEVICE_STATE as MATRIX_DEVICE_KEY
from bot.ports import UnitOfWorkFactory
from bot.runtime.clock import Clock
from bot.runtime.health import Health
from bot.runtime.lease import LEASE_KEY, Lease, sms_senders
from storage.backup import LAST_BACKUP_KEY
from storage.db import Database

HEALTH_KEY = "health"


async def publish_health(
    uow_factory: UnitOfWorkFactory, health: Health, clock: Clock, *, every: float
) -> None:
    """The active process writes its parts' health where `crisiscell status` reads it."""
    while True:
        try:
            async with uow_factory() as uow:
                await uow.state.put(
                    HEALTH_KEY,
                    json.dumps({"at": clock.now().isoformat(), "components": health.report()}),
                )
                await uow.commit()
        except Exception:  # the next round tries again; /healthz shows the database state
            pass
        await asyncio.sleep(every)


async def status_lines(
    db: Database, *, now: datetime, lag_limit: timedelta
) -> tuple[int, list[str]]:
    """(exit code, lines to print)."""
    problems: list[str] = []
    lines: list[str] = [f"database: {db.description} ({await db.kind()} database)"]
    async with db.reader() as uow:
        senders = await sms_senders(uow.state, now)
        raw_lease = await uow.state.get(LEASE_KEY)
        raw_health = await uow.state.get(HEALTH_KEY)
        raw_backup = await uow.state.get(LAST_BACKUP_KEY)
        raw_device = await uow.state.get(MATRIX_DEVICE_KEY)
        oldest = await uow.stats.oldest_pending(("matrix", "teams"))
        outbox = await uow.stats.outbox()
        jobs = [j for j in await uow.jobs.in_states(("running", "paused"))]
        job_counts = {j.no: await uow.jobs.counts(j.no) for j in jobs}
    lease = Lease.from_json(raw_lease) if raw_lease else None
    if lease is None:
        problems.append("no active bot process")
        lines.append("active process: none")
    elif not lease.live(now):
        problems.append("the active process stopped renewing its lease")
        lines.append(
            f"active process: none (last: {lease.describe()}, expired {lease.expires:%H:%M:%S})"
        )
    else:
        lines.append(f"active process: {lease.describe()}")
    if senders.active is not None:
        lines.append(f"SMS sender: {senders.active.describe()}")
    elif senders.stale is not None:
        stale = senders.stale
        lines.append(
            f"SMS sender: {stale.describe()}, silent since {stale.last_renewed:%H:%M:%S} "
            f"(its lease ends {stale.expires:%H:%M:%S})"
        )
    else:
        lines.append("SMS sender: none running")
    if raw_health:
        report = json.loads(raw_health)
        at = datetime.fromisoformat(report["at"])
        lines.append(f"parts (reported {at:%Y-%m-%d %H:%M:%S}):")
        for c in report["components"]:
            mark = "ok" if c["healthy"] else "NEEDS ATTENTION"
            last = c["last_success"] or "never"
            lines.append(
                f"  {c['name']}: {mark} — {c['state']} {c['detail']} (last success {last})"
            )
            if not c["healthy"] and lease is not None and lease.live(now):
                problems.append(f"{c['name']} is not healthy")
    if raw_device:
        device = json.loads(raw_device)
        checked = datetime.fromisoformat(device["checked_at"])
        if device["cross_signed"]:
            lines.append(f"Matrix device {device['device_id']}: cross-signed")
        else:
            lines.append(
                f"Matrix device {device['device_id']}: NOT cross-signed — {device['detail']} "
                f"(checked {checked:%Y-%m-%d %H:%M})"
            )
            problems.append(
                "the Matrix device is not cross-signed: Element users who exclude insecure "
                "devices do not see the bot"
            )
    pending = sum(n for _, _, state, n in outbox if state == "pending")
    dead = sum(n for _, _, state, n in outbox if state == "dead")
    lag = (now - oldest).total_seconds() if oldest else 0.0
    lines.append(f"chat outbox: {pending} waiting (oldest {lag:.0f} s), {dead} given up")
    if lag > lag_limit.total_seconds():
        problems.append(f"chat messages have waited {lag:.0f} s")
    for j in jobs:
        c = job_counts[j.no]
        lines.append(
            f"SMS job #{j.no} ({j.state}): " + ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
        )
    if raw_backup:
        lines.append(f"last backup: {raw_backup}")
    else:
        lines.append("last backup: none recorded")
    if problems:
        lines.append("NEEDS ATTENTION: " + "; ".join(problems))
    return (1 if problems else 0), lines
