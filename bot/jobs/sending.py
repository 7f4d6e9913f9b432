"""The SMS sender: hands the messages of running jobs to the gateway, one row each.

- Claims due ``pending`` rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
  senders may work on one job) and marks them ``sending`` *before* calling the gateway.
  A row must first win its guard (one message per patient, day, service and kind,
  whatever the job), so two overlapping jobs never text a patient twice.
- On SQLite one sender at a time: it holds a lease (``exclusive``); a second one waits.
- A live sender refreshes ``claimed_at`` of its rows in flight (a heartbeat), so only the
  rows of a sender that stopped are ever reconciled by another.
- Rate limit (messages per second) and bounded concurrency per sender; a job paused or
  aborted stops within a second, even in the middle of a batch.
- Transient refusals are retried with backoff until the messages expire; invalid
  numbers and opt-outs are not retried.
- A crash after the gateway accepted a message but before the row says so leaves the
  row in ``sending``: it is reconciled with the gateway where the gateway can be asked,
  else marked ``uncertain`` and listed for a phone call -- never sent again
  automatically.
- Delivery receipts and STOP replies arrive through :class:`ReceiptHandler`.
- Progress goes to the job's room and the rooms subscribed to ``jobs`` (every N % or
  every M seconds), then a final report -- counts only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from aiolimiter import AsyncLimiter

from bot.catalog import Catalog
from bot.jobs.notify import (
    Job,
    NotifyOptions,
    Progress,
    QueuedSms,
    change_state,
    progress_of,
    system_actor,
)
from bot.jobs.reports import final_reply, post_to_job_rooms, progress_reply
from bot.jobs.sms import GatewayError, Lookup, OutgoingSms, Receipt, SmsGateway, UnknownOutcome
from bot.jobs.states import JobState, SmsState
from bot.model import Lang, Reply
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.runtime.clock import Clock
from bot.runtime.dispatcher import crash_point
from bot.runtime.health import Health
from bot.runtime.lease import SMS_LEASE_KEY, Lease, LeaseKeeper
from bot.runtime.runner import UseCaseRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOptions:
    rate_per_second: float = 10.0  # 0: unlimited
    concurrency: int = 4
    max_attempts: int = 0  # transient refusals; 0: until the message expires
    batch: int = 0  # rows claimed at once; 0: about one second's worth
    max_backoff: float = 300.0
    stale_after: timedelta = timedelta(seconds=120)
    # After a crash, "the gateway has no such message" is believed only for a message
    # claimed at least this long ago (a provider may list a new message late).
    lookup_grace: timedelta = timedelta(seconds=30)
    # SQLite: one sender at a time (a lease), which reconciles at start every row left in
    # "sending": only a sender that stopped can have left them there.
    exclusive: bool = True

    def batch_size(self) -> int:
        if self.batch:
            return self.batch
        per_second = int(self.rate_per_second) if self.rate_per_second > 0 else 200
        return max(2 * self.concurrency, min(per_second, 200))


@dataclass
class _Outcome:
    msg: QueuedSms
    result: Literal["accepted", "error", "unknown", "held"]
    provider_id: str | None = None
    error: GatewayError | None = None


class ReceiptHandler:
    """Applies delivery receipts and STOP replies (the gateways' :class:`ReceiptSink`).

    A receipt may arrive before the sender has written the provider's id (a fast
    callback, or a receipt reaching another process): it is stored and applied when the
    id is written.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.on_change: Callable[[], None] | None = None

    async def receipt(self, receipt: Receipt) -> None:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            m = await uow.jobs.by_provider_id(receipt.provider, receipt.provider_id)
            if m is None:
                await uow.jobs.store_receipt(
                    provider=receipt.provider,
                    provider_id=receipt.provider_id,
                    state=receipt.state,
                    error=receipt.error_code,
                    opted_out=receipt.opted_out,
                    at=now,
                )
            else:
                await apply_receipt(
                    uow,
                    m,
                    receipt.provider,
                    receipt.state,
                    receipt.error_code,
                    now,
                    opted_out=receipt.opted_out,
                )
            await uow.commit()
        if m is not None and self.on_change:
            self.on_change()

    async def opt_out(self, phone: str, *, source: str) -> None:
        async with self.uow_factory() as uow:
            added = await uow.suppressions.add(phone, source=source, at=self.clock.now())
            await uow.commit()
        if added:
            log.info("a recipient opted out (%s); later jobs will skip the number", source)


async def apply_receipt(
    uow: UnitOfWork,
    m: QueuedSms,
    provider: str,
    state: str,
    code: str | None,
    now: datetime,
    *,
    opted_out: bool = False,
) -> None:
    """A delivery report on its message (forward moves only); an opt-out is suppressed."""
    error = f"{provider}-{code}" if code else None
    if state == "submitted":
        await uow.jobs.move([m.id], to=SmsState.SUBMITTED, at=now)
    else:
        await uow.jobs.move([m.id], to=SmsState(state), at=now, error=error)
    if opted_out:
        await uow.suppressions.add(m.phone, source=f"{provider}-opt-out", at=now)


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
        health: Health | None = None,
        runner: UseCaseRunner | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        # job state changes (a job done) raise events: their subscribers run here too
        self.runner = runner or UseCaseRunner(uow_factory, clock)
        self.clock = clock
        self.gateway = gateway
        self.catalog = catalog
        self.notify = notify
        self.options = options
        self.worker = worker
        self.default_lang = default_lang
        self.receipts = receipts or ReceiptHandler(uow_factory, clock)
        self.on_outbox = on_outbox
        self.health = health
        self._wake = asyncio.Event()
        self._sem = asyncio.Semaphore(options.concurrency)
        rate = options.rate_per_second
        # capacity 1: messages are spaced evenly, never a burst above the rate
        self._limiter = AsyncLimiter(1, 1.0 / rate) if rate > 0 else None
        self._inflight: set[int] = set()
        self._job_states: dict[int, str] = {}
        self._states_lock = asyncio.Lock()
        self._states_read = 0.0
        self.started = asyncio.Event()
        # set once the sender knows whether it may send: it holds its lease, another
        # sender does, or its gateway could not be started (yet)
        self.checked = asyncio.Event()
        self.sent = 0  # accepted by the gateway, this process
        self._keeper: LeaseKeeper | None = None

    def wake(self) -> None:
        self._job_states.clear()  # a command may have paused or resumed a job
        self._wake.set()

    # --- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        """Send until cancelled: woken on approval/resume, and when retries are due.

        Never gives up: a gateway or database outage is logged and retried, so the chat
        side of the bot keeps running.
        """
        backoff = 1.0
        while True:
            try:
                await self.gateway.start(self.receipts)
                self._health(True, f"gateway {self.gateway.name}")
                break
            except Exception as e:
                self._health(False, f"gateway {self.gateway.name} unavailable")
                log.error("SMS gateway %s unavailable (%s); retrying", self.gateway.name, e)
                self.checked.set()
                await asyncio.sleep(backoff)
                backoff = min(60.0, backoff * 2)
        heartbeat = asyncio.create_task(self._heartbeats(), name="sms-heartbeat")
        try:
            # The lease says "a sender is at work here" (SQLite: the only one); it is
            # released on every clean stop, so a new sender never waits for it to expire.
            held, _ = await self._lease.try_acquire()
            if not self.options.exclusive:
                await self._forget_gone_senders()
            self.checked.set()
            if not held:
                await self._lease.acquire(what="another SMS sender is active")
            with contextlib.suppress(Exception):
                await self.reconcile(everything=self.options.exclusive)
            self.started.set()
            last_reconcile = time.monotonic()
            while True:
                self._wake.clear()
                try:
                    n = await self.step()
                    if not n:
                        await self.finish_idle_jobs()
                    self._health(True, f"gateway {self.gateway.name}")
                except Exception:
                    self._health(False, "sending failed; retrying")
                    log.exception("SMS sender step failed; retrying shortly")
                    n = 0
                    await asyncio.sleep(1.0)
                if time.monotonic() - last_reconcile >= self.options.stale_after.total_seconds():
                    with contextlib.suppress(Exception):
                        await self.reconcile(everything=False)
                    last_reconcile = time.monotonic()
                if n:
                    continue
                try:
                    timeout = await self._next_timeout()
                except Exception:
                    timeout = 5.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            try:
                await self.gateway.close()
            finally:
                with contextlib.suppress(Exception):
                    await self._lease.release()

    def _health(self, ok: bool, detail: str) -> None:
        if self.health is not None:
            if ok:
                self.health.success("sms", detail)
            else:
                self.health.failure("sms", detail)

    async def _next_timeout(self) -> float:
        stale = self.options.stale_after.total_seconds()
        async with self.uow_factory() as uow:
            due = await uow.jobs.next_due()
        if due is None:
            return stale / 4
        return max(0.05, min(stale / 4, (due - self.clock.now()).total_seconds()))

    async def run_until_idle(self) -> None:
        """Send every due message of running jobs, then return (tests, benches, drills)."""
        while await self.step():
            pass
        await self.finish_idle_jobs()

    # --- one sender on SQLite; heartbeats ----------------------------------------------

    @property
    def _lease(self) -> LeaseKeeper:
        """SQLite (exclusive): one sender at a time, under the SMS sender lease held in
        this sender's name; PostgreSQL: a lease of this sender's own, which only says that
        it is alive."""
        if self._keeper is None or self._keeper.holder != self.worker:
            self._keeper = LeaseKeeper(
                self.uow_factory,
                self.clock,
                holder=self.worker,
                host=self.worker.partition(":")[0],
                pid=os.getpid(),
                ttl=self.options.stale_after,
                key=SMS_LEASE_KEY if self.options.exclusive else f"{SMS_LEASE_KEY}:{self.worker}",
            )
        return self._keeper

    async def _forget_gone_senders(self) -> None:
        """Drop the leases of PostgreSQL senders that stopped (released, dead, expired)."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            for key, raw in (await uow.state.with_prefix(SMS_LEASE_KEY + ":")).items():
                if key == self._lease.key:
                    continue
                try:
                    gone = not raw or not Lease.from_json(raw).live(now)
                except (ValueError, KeyError, TypeError):
                    gone = True  # unreadable: no sender can be renewing it
                if gone:
                    await uow.state.delete(key)
            await uow.commit()

    async def renew_lease(self) -> bool:
        """Take or renew the sender lease; False while another live sender holds it."""
        ok, _ = await self._lease.try_acquire()
        return ok

    async def heartbeat(self) -> None:
        """Tell other senders this one is alive: its rows in flight are not stale."""
        ids = sorted(self._inflight)
        if ids:
            async with self.uow_factory() as uow:
                await uow.jobs.heartbeat(ids, worker=self.worker, now=self.clock.now())
                await uow.commit()
        if self.started.is_set():
            await self.renew_lease()

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.options.stale_after.total_seconds() / 4)
            try:
                await self.heartbeat()
            except Exception:
                log.exception("SMS sender heartbeat failed")

    # --- sending -------------------------------------------------------------------------

    async def step(self) -> int:
        """Claim a batch, send it, record the outcomes. Returns how many rows were handled."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            expired = await uow.jobs.expire(now=now)
            claimed = await uow.jobs.claim(
                now=now, limit=self.options.batch_size(), worker=self.worker
            )
            suppressed = await uow.suppressions.among(sorted({m.phone for m in claimed}))
            skipped = [m.id for m in claimed if m.phone in suppressed]
            await uow.jobs.move(skipped, to=SmsState.FAILED, at=now, error="opted out")
            await uow.commit()
        touched = set(expired) | {m.job_no for m in claimed}
        to_send = [m for m in claimed if m.phone not in suppressed]
        self._inflight.update(m.id for m in to_send)
        try:
            outcomes = await asyncio.gather(*(self._send_one(m) for m in to_send))
            await self._record(outcomes, touched)
        finally:
            self._inflight.difference_update(m.id for m in to_send)
        return len(claimed) + sum(expired.values())

    async def _still_running(self, job_no: int) -> bool:
        """The job's state, re-read at most twice a second (pause stops a batch quickly)."""
        async with self._states_lock:  # one read for all the messages waiting on it
            if job_no not in self._job_states or time.monotonic() - self._states_read > 0.5:
                async with self.uow_factory() as uow:
                    wanted = sorted({*self._job_states, job_no})
                    self._job_states = await uow.jobs.states_of(wanted)
                self._states_read = time.monotonic()
            return self._job_states.get(job_no) == "running"

    async def _send_one(self, m: QueuedSms) -> _Outcome:
        async with self._sem:
            if self._limiter is not None:
                await self._limiter.acquire()
            if not await self._still_running(m.job_no):
                return _Outcome(m, "held")  # paused or aborted meanwhile: not sent
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
            await uow.jobs.submitted_many(
                accepted, provider=self.gateway.name, at=now, worker=self.worker
            )
            for o in outcomes:
                await self._apply(uow, o, now)
            # receipts that came before we knew the provider's ids
            early = await uow.jobs.take_receipts(
                provider=self.gateway.name, provider_ids=[pid for _, pid in accepted if pid]
            )
            for provider_id, state, code, opted_out in early:
                m = await uow.jobs.by_provider_id(self.gateway.name, provider_id)
                if m is not None:
                    await apply_receipt(
                        uow, m, self.gateway.name, state, code, now, opted_out=opted_out
                    )
            await uow.commit()
        await self.report(touched)

    async def _apply(self, uow: UnitOfWork, o: _Outcome, now: datetime) -> None:
        jobs, m = uow.jobs, o.msg
        mine: tuple[str | None, datetime | None] = (self.worker, None)  # still ours
        if o.result == "held":
            await jobs.move([m.id], to=SmsState.PENDING, at=now, error="job paused", claim=mine)
        elif o.result == "error" and o.error is not None:
            e = o.error
            limit = self.options.max_attempts
            if e.kind == "transient" and (not limit or m.attempts < limit):
                # retried until the message expires (expiry puts it on the call list)
                delay = min(self.options.max_backoff, 2.0 ** min(m.attempts, 16))
                await jobs.move(
                    [m.id],
                    to=SmsState.PENDING,
                    at=now,
                    error=e.code,
                    next_attempt_at=now + timedelta(seconds=delay),
                    claim=mine,
                )
            else:
                await jobs.move([m.id], to=SmsState.FAILED, at=now, error=e.code, claim=mine)
                if e.kind == "opted-out":
                    await uow.suppressions.add(
                        m.phone, source=f"{self.gateway.name}-opt-out", at=now
                    )
        # "accepted": recorded in one statement by _record; "unknown": left in sending,
        # for reconciliation once the provider has settled

    async def finish_idle_jobs(self) -> None:
        """Running jobs with nothing left to send get their final report (e.g. the last
        rows ended while the job was paused, and it was resumed)."""
        async with self.uow_factory() as uow:
            running = [j.no for j in await uow.jobs.in_states(("running",))]
        if running:
            await self.report(set(running))

    # --- after a crash -------------------------------------------------------------------

    async def reconcile(self, *, everything: bool) -> int:
        """Rows left in ``sending`` by a sender that stopped: ask the gateway.

        Found: submitted. Not found, and claimed long enough ago: back to pending (it was
        never taken). The gateway cannot be asked, or the message is past its expiry and
        the gateway still cannot say: ``uncertain`` (to phone). How many were settled.
        """
        now = self.clock.now()
        cutoff = now - (timedelta(0) if everything else self.options.stale_after)
        async with self.uow_factory() as uow:
            stale = [m for m in await uow.jobs.stale(before=cutoff) if m.id not in self._inflight]
        if not stale:
            return 0
        results: list[tuple[QueuedSms, Lookup | None]] = []
        for m in stale:
            since = (m.claimed_at or now) - timedelta(minutes=5)
            try:
                found = await self.gateway.lookup(OutgoingSms(m.key, m.phone, m.body), since=since)
            except Exception as e:
                log.warning("reconciling message %s: lookup failed (%s)", m.id, type(e).__name__)
                if m.first_start <= now:  # too late to find out: a phone call instead
                    results.append((m, None))
                continue
            results.append((m, found))
        settled = 0
        touched: set[int] = set()
        async with self.uow_factory() as uow:
            for m, found in results:
                claim = (m.claimed_by, m.claimed_at)
                if found is None:
                    settled += await uow.jobs.move(
                        [m.id],
                        to=SmsState.UNCERTAIN,
                        at=now,
                        error="gateway cannot say",
                        claim=claim,
                    )
                elif found.found:
                    settled += await uow.jobs.move(
                        [m.id],
                        to=SmsState.SUBMITTED,
                        at=now,
                        provider=self.gateway.name,
                        provider_id=found.provider_id,
                        claim=claim,
                    )
                    if found.state in ("delivered", "failed"):
                        await uow.jobs.move([m.id], to=SmsState(found.state), at=now)
                elif m.claimed_at is not None and now - m.claimed_at >= self.options.lookup_grace:
                    settled += await uow.jobs.move(
                        [m.id], to=SmsState.PENDING, at=now, error="not at the gateway", claim=claim
                    )
                else:
                    continue  # too recent to be sure: asked again at the next reconciliation
                touched.add(m.job_no)
            await uow.commit()
        log.info("reconciled %d message(s) left in sending", settled)
        await self.report(touched)
        return settled

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
                        to=JobState.DONE,
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
                    tag, render = f"progress-{p.handled}-{now.timestamp():.0f}", progress_reply
                await post_to_job_rooms(
                    uow,
                    job,
                    now=now,
                    tag=tag,
                    default_lang=self.default_lang,
                    render=_bind(render, job, p, self.catalog),
                )
                posted = True
            await self.runner.finish(uow, None)
        if posted and self.on_outbox:
            self.on_outbox()


def _bind(
    render: Callable[[Job, Progress, Lang, Catalog], Reply], job: Job, p: Progress, catalog: Catalog
) -> Callable[[Lang], Reply]:
    return lambda lang: render(job, p, lang, catalog)
