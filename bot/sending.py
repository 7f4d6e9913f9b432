"""The SMS sender: hands the messages of running jobs to the gateway, one row each.

- Claims due ``pending`` rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
  senders may work on one job) and marks them ``sending`` *before* calling the gateway.
- Rate limit (messages per second) and bounded concurrency per sender.
- Transient refusals are retried with backoff; invalid numbers and opt-outs are not.
- A crash after the gateway accepted a message but before the row says so leaves the
  row in ``sending``: at restart (or, with several senders, once it is stale) it is
  reconciled with the gateway where the gateway can be asked, else marked ``uncertain``
  and listed for a phone call -- never sent a second time automatically.
- Delivery receipts and STOP replies arrive through :class:`ReceiptHandler`.
- Progress goes to the job's room and the rooms subscribed to ``jobs`` (every N % or
  every M seconds), then a final report -- counts only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from aiolimiter import AsyncLimiter

from bot.catalog import Catalog
from bot.clock import Clock
from bot.dispatcher import crash_point
from bot.job_reports import final_reply, post_to_job_rooms, progress_reply
from bot.model import Actor, Lang, Reply, RoomRef
from bot.notify import (
    Job,
    NotifyOptions,
    Progress,
    QueuedSms,
    change_state,
    progress_of,
)
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.sms import GatewayError, OutgoingSms, Receipt, SmsGateway, UnknownOutcome

log = logging.getLogger(__name__)

SYSTEM = "crisiscell"


def system_actor(room: RoomRef) -> Actor:
    return Actor(id=SYSTEM, name=SYSTEM, roles=frozenset({"system"}), platform="bot", room=room)


@dataclass(frozen=True)
class SendOptions:
    rate_per_second: float = 10.0  # 0: unlimited
    concurrency: int = 4
    max_attempts: int = 5
    batch: int = 100
    max_backoff: float = 300.0
    stale_after: timedelta = timedelta(seconds=120)
    # A lone sender (SQLite) reconciles every row left in ``sending`` at start: it is the
    # only one that could have left them there.
    reconcile_all_at_start: bool = True


@dataclass
class _Outcome:
    msg: QueuedSms
    result: Literal["accepted", "error", "unknown"]
    provider_id: str | None = None
    error: GatewayError | None = None


class ReceiptHandler:
    """Applies delivery receipts and STOP replies (the gateways' :class:`ReceiptSink`).

    A receipt may arrive before the sender has written the provider's id (a fast
    callback): it is kept and applied again after the sender's next write.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self._unmatched: list[tuple[Receipt, float]] = []
        self.on_change: Callable[[], None] | None = None

    async def receipt(self, receipt: Receipt) -> None:
        async with self.uow_factory() as uow:
            matched = await self._apply(uow, receipt)
            await uow.commit()
        if not matched:
            self._unmatched.append((receipt, time.monotonic()))
            del self._unmatched[:-10000]  # bounded
        elif self.on_change:
            self.on_change()

    async def _apply(self, uow: UnitOfWork, receipt: Receipt) -> bool:
        m = await uow.jobs.by_provider_id(receipt.provider, receipt.provider_id)
        if m is None:
            return False
        now = self.clock.now()
        error = f"{receipt.provider}-{receipt.error_code}" if receipt.error_code else None
        if receipt.state == "submitted":
            await uow.jobs.move([m.id], to="submitted", at=now)
        else:
            await uow.jobs.move([m.id], to=receipt.state, at=now, error=error)
        if receipt.opted_out:
            await uow.suppressions.add(m.phone, source=f"{receipt.provider}-opt-out", at=now)
        return True

    async def retry_unmatched(self) -> None:
        if not self._unmatched:
            return
        pending, self._unmatched = self._unmatched, []
        keep: list[tuple[Receipt, float]] = []
        async with self.uow_factory() as uow:
            for receipt, since in pending:
                if not await self._apply(uow, receipt) and time.monotonic() - since < 600:
                    keep.append((receipt, since))
            await uow.commit()
        self._unmatched.extend(keep)

    async def opt_out(self, phone: str, *, source: str) -> None:
        async with self.uow_factory() as uow:
            added = await uow.suppressions.add(phone, source=source, at=self.clock.now())
            await uow.commit()
        if added:
            log.info("a recipient opted out (%s); later jobs will skip the number", source)


class SmsSender:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        gateway: SmsGateway,
        *,
        catalog: Catalog,
        notify: NotifyOptions,
        options: SendOptions,
        worker: str,
        default_lang: Lang = "fr",
        receipts: ReceiptHandler | None = None,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.gateway = gateway
        self.catalog = catalog
        self.notify = notify
        self.options = options
        self.worker = worker
        self.default_lang = default_lang
        self.receipts = receipts or ReceiptHandler(uow_factory, clock)
        self.on_outbox = on_outbox
        self._wake = asyncio.Event()
        self._sem = asyncio.Semaphore(options.concurrency)
        rate = options.rate_per_second
        # capacity 1: messages are spaced evenly, never a burst above the rate
        self._limiter = AsyncLimiter(1, 1.0 / rate) if rate > 0 else None
        self.started = asyncio.Event()
        self.sent = 0  # accepted by the gateway, this process

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled: woken on approval/resume, and when retries are due."""
        await self.gateway.start(self.receipts)
        try:
            await self.reconcile(everything=self.options.reconcile_all_at_start)
            self.started.set()
            last_reconcile = time.monotonic()
            while True:
                self._wake.clear()
                try:
                    n = await self.step()
                except Exception:
                    log.exception("SMS sender step failed; retrying shortly")
                    n = 0
                    await asyncio.sleep(1.0)
                if time.monotonic() - last_reconcile >= self.options.stale_after.total_seconds():
                    with contextlib.suppress(Exception):
                        await self.reconcile(everything=False)
                    last_reconcile = time.monotonic()
                if n:
                    continue
                timeout = await self._next_timeout()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            await self.gateway.close()

    async def _next_timeout(self) -> float:
        stale = self.options.stale_after.total_seconds()
        async with self.uow_factory() as uow:
            due = await uow.jobs.next_due()
        if due is None:
            return stale
        return max(0.05, min(stale, (due - self.clock.now()).total_seconds()))

    async def run_until_idle(self) -> None:
        """Send every due message of running jobs, then return (tests, benches, drills)."""
        while await self.step():
            pass

    async def step(self) -> int:
        """Claim a batch, send it, record the outcomes. Returns how many rows were handled."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            expired = await uow.jobs.expire(now=now)
            claimed = await uow.jobs.claim(now=now, limit=self.options.batch, worker=self.worker)
            suppressed = await uow.suppressions.among(sorted({m.phone for m in claimed}))
            skipped = [m.id for m in claimed if m.phone in suppressed]
            await uow.jobs.move(skipped, to="failed", at=now, error="opted out")
            await uow.commit()
        touched = set(expired) | {m.job_no for m in claimed}
        to_send = [m for m in claimed if m.phone not in suppressed]
        outcomes = await asyncio.gather(*(self._send_one(m) for m in to_send))
        await self._record(outcomes, touched)
        return len(claimed) + sum(expired.values())

    async def _send_one(self, m: QueuedSms) -> _Outcome:
        async with self._sem:
            if self._limiter is not None:
                await self._limiter.acquire()
            try:
                provider_id = await self.gateway.submit(OutgoingSms(m.key, m.phone, m.body))
            except GatewayError as e:
                return _Outcome(m, "error", error=e)
            except UnknownOutcome:
                log.warning(
                    "job %d message %s: outcome unknown; will be reconciled", m.job_no, m.id
                )
                return _Outcome(m, "unknown")
            except Exception as e:  # a gateway bug: we cannot know whether it went out
                log.error("job %d message %s: gateway error %s", m.job_no, m.id, type(e).__name__)
                return _Outcome(m, "unknown")
            crash_point("after-gateway-accept")
            self.sent += 1
            return _Outcome(m, "accepted", provider_id=provider_id)

    async def _record(self, outcomes: Sequence[_Outcome], touched: set[int]) -> None:
        if not touched:
            return
        now = self.clock.now()
        async with self.uow_factory() as uow:
            accepted = [(o.msg.id, o.provider_id or "") for o in outcomes if o.result == "accepted"]
            await uow.jobs.submitted_many(accepted, provider=self.gateway.name, at=now)
            for o in outcomes:
                await self._apply(uow, o, now)
            await uow.commit()
        await self.receipts.retry_unmatched()
        await self.report(touched)

    async def _apply(self, uow: UnitOfWork, o: _Outcome, now: datetime) -> None:
        jobs, m = uow.jobs, o.msg
        if o.result == "error" and o.error is not None:
            e = o.error
            if e.kind == "transient" and m.attempts < self.options.max_attempts:
                delay = min(self.options.max_backoff, 2.0**m.attempts)
                await jobs.move(
                    [m.id],
                    to="pending",
                    at=now,
                    error=e.code,
                    next_attempt_at=now + timedelta(seconds=delay),
                )
            else:
                await jobs.move([m.id], to="failed", at=now, error=e.code)
                if e.kind == "opted-out":
                    await uow.suppressions.add(
                        m.phone, source=f"{self.gateway.name}-opt-out", at=now
                    )
        # "accepted": recorded in one statement by _record; "unknown": left in sending,
        # for reconciliation once the provider has settled

    async def reconcile(self, *, everything: bool) -> int:
        """Rows left in ``sending``: ask the gateway; unknown -> ``uncertain``. How many."""
        cutoff = self.clock.now() - (timedelta(0) if everything else self.options.stale_after)
        async with self.uow_factory() as uow:
            stale = await uow.jobs.stale(before=cutoff)
        if not stale:
            return 0
        now = self.clock.now()
        results = []
        for m in stale:
            since = (m.claimed_at or now) - timedelta(minutes=5)
            try:
                found = await self.gateway.lookup(OutgoingSms(m.key, m.phone, m.body), since=since)
            except Exception as e:
                log.warning("reconciling message %s: lookup failed (%s)", m.id, type(e).__name__)
                continue  # try again later
            results.append((m, found))
        touched: set[int] = set()
        async with self.uow_factory() as uow:
            for m, found in results:
                touched.add(m.job_no)
                if found is None:
                    await uow.jobs.move([m.id], to="uncertain", at=now, error="gateway cannot say")
                elif found.found:
                    await uow.jobs.move(
                        [m.id],
                        to="submitted",
                        at=now,
                        provider=self.gateway.name,
                        provider_id=found.provider_id,
                    )
                    if found.state in ("delivered", "failed"):
                        await uow.jobs.move([m.id], to=found.state, at=now)
                else:  # the provider has no such message: it was never taken
                    await uow.jobs.move([m.id], to="pending", at=now, error="not at the gateway")
            await uow.commit()
        log.info(
            "reconciled %d message(s) left in sending: %d uncertain",
            len(results),
            sum(1 for _, f in results if f is None),
        )
        await self.report(touched)
        return len(results)

    # --- progress ------------------------------------------------------------------------

    async def report(self, job_nos: set[int]) -> None:
        """Progress every N % / M seconds and the final report, through the chat outbox."""
        if not job_nos:
            return
        posted = False
        now = self.clock.now()
        async with self.uow_factory() as uow:
            for no in sorted(job_nos):
                job = await uow.jobs.get(no, lock=True)
                if job is None or job.state != "running":
                    continue
                p = await progress_of(uow, no)
                render: Callable[[Job, Progress, Lang, Catalog], Reply]
                if p.open == 0:
                    job = await change_state(
                        uow,
                        job=job,
                        to="done",
                        actor=system_actor(job.room),
                        now=now,
                        lang=job.lang,
                    )
                    tag, render = "final", final_reply
                else:
                    step = p.percent // self.notify.progress_percent
                    due = job.progress_at is None or (now - job.progress_at) >= timedelta(
                        seconds=self.notify.progress_seconds
                    )
                    if not (step > job.progress_step or (due and p.handled > 0)):
                        continue
                    await uow.jobs.update(no, progress_at=now, progress_step=step)
                    tag, render = f"progress-{p.handled}", progress_reply
                await post_to_job_rooms(
                    uow,
                    job,
                    now=now,
                    tag=tag,
                    default_lang=self.default_lang,
                    render=_bind(render, job, p, self.catalog),
                )
                posted = True
            await uow.commit()
        if posted and self.on_outbox:
            self.on_outbox()


def _bind(
    render: Callable[[Job, Progress, Lang, Catalog], Reply], job: Job, p: Progress, catalog: Catalog
) -> Callable[[Lang], Reply]:
    return lambda lang: render(job, p, lang, catalog)
