"""Notification jobs through the real core: chat commands, SQLite, the SMS sender and a
recording gateway. What users see: the dry run's counts, the two-person rule, one SMS per
patient and day, progress and final reports, corrections, and no phone number in chat."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from adapters.terminal.render import render_text
from bot.jobs.appointments import Appointment, classify_phone
from bot.jobs.notify import FORWARD
from bot.jobs.sending import ReceiptHandler, SendOptions, SmsSender
from bot.jobs.sms import OutgoingSms, Receipt
from bot.jobs.states import SmsState
from bot.model import Lang
from tests.fakes.sms import FakeGateway
from tests.harness import DEFAULT_CONFIG, Harness

START = datetime.fromisoformat("2022-05-15T09:12:00+02:00")  # a Sunday
MONDAY = START.date() + timedelta(days=1)
MARTIN = "@martin:hospital.example"  # a second cell member


def phone(n: int) -> str:
    """A fake Belgian mobile number (never a real one)."""
    return f"+3247000{n:04d}"


def appt(
    ident: str,
    number: str,
    *,
    hour: int = 9,
    minute: int = 0,
    lang: Lang = "fr",
    site: str = "arlon",
    service: str = "consultations",
    day_offset: int = 1,
) -> Appointment:
    e164, kind = classify_phone(number)
    start = (START + timedelta(days=day_offset)).replace(hour=hour, minute=minute)
    return Appointment(ident, start, start.date(), site, service, e164, kind, lang)


# Six patients on Monday at Arlon: one has two appointments (one SMS), one has a landline,
# one an invalid number, one is Dutch-speaking, one has opted out before.
MONDAY_LIST = [
    appt("A1", phone(1), hour=9),
    appt("A2", phone(1), hour=11, minute=30),  # same patient, same day: merged
    appt("A3", phone(2), hour=10),
    appt("A4", phone(3), hour=10, lang="nl"),
    appt("A5", "063 21 21 11", hour=14),  # landline
    appt("A6", "12345", hour=15),  # invalid
    appt("A7", phone(4), hour=16),  # opted out
]


async def seed(h: Harness, rows: list[Appointment], *, opted_out: tuple[str, ...] = ()) -> None:
    async with h.runtime.db.uow() as uow:
        await uow.appointments.upsert(rows, at=h.clock.now())
        for number in opted_out:
            await uow.suppressions.add(number, source="test", at=h.clock.now())
        await uow.commit()


def sender(h: Harness, gateway: FakeGateway, **kw: object) -> SmsSender:
    options = SendOptions(rate_per_second=0, **kw)  # type: ignore[arg-type]
    return SmsSender(
        h.runtime.db.uow,
        h.clock,
        gateway,
        catalog=h.runtime.catalog,
        notify=h.runtime.dispatcher.notify,
        options=options,
        worker="test",
        receipts=ReceiptHandler(h.runtime.db.uow, h.clock),
    )


async def outbox_replies(h: Harness) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from storage import tables as T

    async with h.runtime.db.engine.connect() as conn:
        rows = await conn.execute(select(T.outbox.c.room, T.outbox.c.reply).order_by(T.outbox.c.id))
        return [{"room": r.room, **json.loads(r.reply)} for r in rows]


@pytest.fixture
async def h(sqlite_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(sqlite_url, now=START)
    await seed(harness, MONDAY_LIST, opted_out=(phone(4),))
    try:
        yield harness
    finally:
        await harness.close()


async def draft(h: Harness, text: str = "/notify consultations monday") -> dict[str, Any]:
    await h.say("/decide consultations cancelled monday")
    return await h.facts(text)


async def test_dry_run_counts_languages_samples_and_no_number(h: Harness) -> None:
    facts = await draft(h)
    assert facts["kind"] == "notify-draft" and facts["job"] == 1
    assert facts["appointments"] == 7
    assert facts["recipients"] == 3  # patients 1 (two appointments), 2 and 3
    assert facts["by_lang"] == {"fr": 2, "nl": 1}
    assert facts["no_mobile"] == 2 and facts["opted_out"] == 1 and facts["merged"] == 1
    samples = facts["samples"]
    assert isinstance(samples, dict) and set(samples) == {"fr", "nl"}
    fr = samples["fr"]
    assert "annulé" in fr["text"] and "lundi 16 mai" in fr["text"]
    # the default hospital name "Hôpital" has an "ô": UCS-2, 67 characters per part
    assert fr["encoding"] == "UCS-2" and fr["ucs2_because"] == "ô"
    assert fr["segments"] == 3 and fr["length"] == len(fr["text"])
    nl = samples["nl"]
    assert (nl["encoding"], nl["segments"]) == ("UCS-2", 3)
    text = await h.text("/notify status 1")
    assert "draft" in text
    replies = await outbox_replies(h)
    for r in replies:
        for n in range(1, 5):
            assert phone(n)[1:] not in json.dumps(r)
        assert "3263212111" not in json.dumps(r)


async def test_merged_patient_gets_both_times_in_one_message(h: Harness) -> None:
    await draft(h)
    async with h.runtime.db.uow() as uow:
        messages = await uow.jobs.messages(1)
    mine = [m for m in messages if m.phone == phone(1)]
    assert len(mine) == 1
    assert "09:00, 11:30" in mine[0].body and mine[0].appointments == ("A1", "A2")
    nl = next(m for m in messages if m.phone == phone(3))
    assert "geannuleerd" in nl.body and "maandag 16 mei" in nl.body


async def test_no_decision_no_job(h: Harness) -> None:
    text = await h.text("/notify consultations monday")
    assert "No decision in force" in text
    await h.say("/decide consultations open monday")
    assert "No decision in force" in await h.text("/notify consultations monday")
    assert (await h.facts("/jobs"))["jobs"] == []


async def test_until_further_notice_is_refused(h: Harness) -> None:
    await h.say("/decide consultations cancelled from monday")
    text = await h.text("/notify consultations from monday")
    assert "last day" in text


async def test_creator_cannot_approve_a_second_member_can(h: Harness) -> None:
    await draft(h)
    text = await h.text("/notify approve 1")
    assert "another cell member" in text
    assert (await h.facts("/notify status 1"))["state"] == "draft"
    nurse = await h.say("/notify approve 1", user="@nurse:local")  # staff only
    assert nurse[0].facts["kind"] == "refused"
    facts = await h.facts("/notify approve 1", user=MARTIN)
    assert facts == {
        "kind": "job-approved",
        "job": 1,
        "state": "running",
        "total": 3,
        "sending": "no-sender",  # nothing runs a sender in this test
    }
    assert "is not a draft" in await h.text("/notify approve 1", user=MARTIN)


async def test_single_approver_switch(sqlite_url: str) -> None:
    h = await Harness.start(
        sqlite_url, now=START, config=DEFAULT_CONFIG + "\n[notify]\nsingle_approver = true\n"
    )
    try:
        await seed(h, MONDAY_LIST)
        await draft(h)
        assert (await h.facts("/notify approve 1"))["state"] == "running"
    finally:
        await h.close()


async def test_send_one_sms_per_patient_then_final_report(h: Harness) -> None:
    await draft(h)
    await h.say("/subscribe jobs", room="cell-2")
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    s = sender(h, gw)
    await s.gateway.start(s.receipts)
    await s.run_until_idle()
    assert gw.per_number() == {phone(1): 1, phone(2): 1, phone(3): 1}
    status = await h.facts("/notify status 1")
    assert status["state"] == "done"
    assert status["counts"] == {"total": 3, "submitted": 3}
    assert status["to_call"] == 3  # landline, invalid, opted out
    finals = [r for r in await outbox_replies(h) if r["facts"]["kind"] == "job-final"]
    assert {r["room"] for r in finals} == {"shell:local", "shell:cell-2"}
    text = render_text_of(finals[0])
    assert "crisiscell notify report 1 --csv" in text
    # a second run sends nothing more
    await s.run_until_idle()
    assert len(gw.accepted) == 3


def render_text_of(data: dict[str, Any]) -> str:
    from bot.model import Reply

    return render_text(Reply.from_json({k: v for k, v in data.items() if k != "room"}))


async def test_progress_every_ten_percent(sqlite_url: str) -> None:
    h = await Harness.start(sqlite_url, now=START)
    try:
        await seed(h, [appt(f"P{i}", phone(100 + i)) for i in range(40)])
        await draft(h)
        await h.say("/notify approve 1", user=MARTIN)
        s = sender(h, FakeGateway(), batch=4)
        await s.run_until_idle()
        progress = [
            r["facts"]["percent"]
            for r in await outbox_replies(h)
            if r["facts"]["kind"] == "job-progress"
        ]
        assert progress == [10, 20, 30, 40, 50, 60, 70, 80, 90]
    finally:
        await h.close()


async def test_pause_resume_abort(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    assert (await h.facts("/notify pause 1"))["state"] == "paused"
    gw = FakeGateway()
    s = sender(h, gw)
    await s.run_until_idle()
    assert gw.accepted == []  # nothing leaves a paused job
    assert (await h.facts("/notify resume 1"))["state"] == "running"
    assert (await h.facts("/notify abort 1"))["state"] == "aborted"
    await s.run_until_idle()
    assert gw.accepted == []
    status = await h.facts("/notify status 1")
    assert status["counts"] == {"total": 3, "cancelled": 3}
    assert "cannot" in await h.text("/notify resume 1")


async def test_case_by_case_sends_we_will_contact_you(h: Harness) -> None:
    await h.say("/decide consultations case-by-case monday")
    facts = await h.facts("/notify consultations monday")
    assert facts["by_kind"] == {"contact": 3}
    assert "Nous vous contacterons" in facts["samples"]["fr"]["text"]


async def test_invalid_opted_out_transient_and_suppression_for_later_jobs(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    gw.invalid.add(phone(2))
    gw.opted_out.add(phone(3))
    gw.transient_next = 1
    s = sender(h, gw)
    await s.step()  # the first message is refused for now: retried later, not failed
    h.clock.advance(10)
    await s.run_until_idle()
    status = await h.facts("/notify status 1")
    assert status["counts"] == {"total": 3, "submitted": 1, "failed": 2}
    assert gw.per_number() == {phone(1): 1}
    # the provider's opt-out is honoured by every later job
    await h.say("/decide consultations cancelled tuesday")
    await seed(h, [appt("T1", phone(3), day_offset=2), appt("T2", phone(5), day_offset=2)])
    facts = await h.facts("/notify consultations tuesday")
    assert facts["recipients"] == 1 and facts["opted_out"] == 1


async def test_messages_expire_rather_than_arrive_late(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    h.clock.advance(hours=13)  # default expiry: 12 hours after approval
    gw = FakeGateway()
    await sender(h, gw).run_until_idle()
    assert gw.accepted == []
    status = await h.facts("/notify status 1")
    assert status["counts"] == {"total": 3, "expired": 3}
    assert status["to_call"] == 6  # 3 expired, landline, invalid, opted out


async def test_crash_after_accept_is_reconciled_not_resent(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    gw.timeout_after_accept.add(phone(1))  # accepted, but the sender never heard back
    s = sender(h, gw)
    await s.run_until_idle()
    assert (await h.facts("/notify status 1"))["counts"] == {
        "total": 3,
        "sending": 1,
        "submitted": 2,
    }
    # a new sender (a restart) asks the gateway instead of sending again
    s2 = sender(h, gw)
    assert await s2.reconcile(everything=True) == 1
    await s2.run_until_idle()
    assert gw.count_to(phone(1)) == 1
    assert (await h.facts("/notify status 1"))["counts"] == {"total": 3, "submitted": 3}


async def test_unaskable_gateway_leaves_uncertain_for_a_phone_call(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway(can_lookup=False)
    gw.timeout_after_accept.add(phone(1))
    await sender(h, gw).run_until_idle()
    s2 = sender(h, gw)
    await s2.reconcile(everything=True)
    await s2.run_until_idle()
    status = await h.facts("/notify status 1")
    assert status["counts"] == {"total": 3, "submitted": 2, "uncertain": 1}
    assert status["state"] == "done" and status["to_call"] == 4
    assert gw.count_to(phone(1)) == 1


async def test_receipts_only_move_forward_and_early_receipts_are_kept(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    s = sender(h, gw)
    await s.gateway.start(s.receipts)
    await s.run_until_idle()
    key = gw.accepted[0].key
    await gw.report(key, "delivered")
    await gw.report(key, "failed", "30003")  # late and out of order: ignored
    await gw.report(key, "submitted")
    counts = (await h.facts("/notify status 1"))["counts"]
    assert counts == {"total": 3, "delivered": 1, "submitted": 2}
    # a STOP reported with a failure feeds the suppression list
    await gw.report(gw.accepted[1].key, "failed", "21610", stop=True)
    async with h.runtime.db.uow() as uow:
        assert await uow.suppressions.among([gw.accepted[1].to]) == {gw.accepted[1].to}


def test_forward_table_never_leaves_a_final_state() -> None:
    finals = {"delivered", "failed", "expired", "cancelled"}
    for to, sources in FORWARD.items():
        assert not finals & set(sources), (to, sources)
    assert "pending" not in FORWARD[SmsState.SUBMITTED]


async def test_revoked_decision_pauses_and_offers_a_correction(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    s = sender(h, gw, batch=2)
    await s.step()  # two patients messaged, one still pending
    await h.say("/revoke 1 : erreur, les consultations sont maintenues")
    affected = [r for r in await outbox_replies(h) if r["facts"]["kind"] == "job-affected"]
    assert affected and affected[0]["facts"]["paused"] is True
    assert affected[0]["facts"]["messaged"] == 2
    assert "/notify correct 1" in render_text_of(affected[0])
    await s.run_until_idle()
    assert len(gw.accepted) == 2  # the paused job sends nothing more
    # "maintained after all" needs an `open` decision, not just a revocation
    none = await h.say("/notify correct 1")
    assert none[0].facts["job"] is None and "`open` decision" in render_text(none[0])
    await h.say("/decide consultations open monday")
    facts = await h.facts("/notify correct 1")
    assert facts["kind"] == "notify-draft" and facts["job"] == 2 and facts["recipients"] == 2
    assert "maintenu" in facts["samples"]["fr"]["text"]
    assert "another cell member" in await h.text("/notify approve 2")
    await h.say("/notify approve 2", user=MARTIN)
    await h.say("/notify abort 1")
    await s.run_until_idle()
    assert len(gw.accepted) == 4
    corrected = {m.to for m in gw.accepted[2:]}
    assert corrected == {m.to for m in gw.accepted[:2]}


async def test_decisions_changed_since_the_draft_block_approval(h: Harness) -> None:
    await draft(h)
    await h.say("/decide consultations open monday at arlon")
    text = await h.text("/notify approve 1", user=MARTIN)
    assert "drafted (Monday 16 May 2022, Arlon: cancelled → open): nothing is sent" in text
    assert (await h.facts("/notify status 1"))["state"] == "draft"


async def test_a_new_job_never_messages_a_patient_twice(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    s = sender(h, gw, batch=1)
    await s.step()  # one patient messaged, then the job is stopped
    await h.say("/notify abort 1")
    facts = await h.facts("/notify consultations monday")
    assert facts["job"] == 2 and facts["recipients"] == 2 and facts["already"] == 1
    await h.say("/notify approve 2", user=MARTIN)
    await s.run_until_idle()
    assert set(gw.per_number().values()) == {1} and len(gw.accepted) == 3


async def test_resume_after_a_revocation_is_refused(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    await h.say("/revoke 1 : error")
    assert (await h.facts("/notify status 1"))["state"] == "paused"
    assert "changed since job #1" in await h.text("/notify resume 1")
    assert (await h.facts("/notify status 1"))["state"] == "paused"


async def test_reopening_decision_offers_a_correction(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    await sender(h, FakeGateway()).run_until_idle()
    await h.say("/decide consultations open monday")
    affected = [r for r in await outbox_replies(h) if r["facts"]["kind"] == "job-affected"]
    assert affected[0]["facts"]["paused"] is False  # already done
    assert affected[0]["facts"]["messaged"] == 3
    assert (await h.facts("/notify correct 1"))["recipients"] == 3


def test_unknown_placeholder_is_a_config_error() -> None:
    from bot.config import ConfigError, parse_settings

    with pytest.raises(ConfigError, match=r"unknown placeholder.*\{patient\}"):
        parse_settings('[notify.templates.cancelled]\nfr = "Bonjour {patient}"')


async def test_drill_marks_every_message(sqlite_url: str) -> None:
    h = await Harness.start(
        sqlite_url, now=START, config=DEFAULT_CONFIG + "\n[notify]\ndrill = true\n"
    )
    try:
        await seed(h, MONDAY_LIST)
        facts = await draft(h)
        assert facts["samples"]["fr"]["text"].startswith("[EXERCICE] ")
        drafts = [r for r in await outbox_replies(h) if r["facts"]["kind"] == "notify-draft"]
        assert "no SMS leaves" in render_text_of(drafts[0])
    finally:
        await h.close()


async def test_stop_reply_is_honoured_by_the_next_job(h: Harness) -> None:
    handler = ReceiptHandler(h.runtime.db.uow, h.clock)
    await handler.opt_out(phone(2), source="twilio-stop")
    await handler.opt_out(phone(2), source="twilio-stop")  # twice: still one entry
    facts = await draft(h)
    assert facts["opted_out"] == 2 and facts["recipients"] == 2
    async with h.runtime.db.uow() as uow:
        numbers = {m.phone for m in await uow.jobs.messages(1)}
    assert phone(2) not in numbers


async def test_two_overlapping_jobs_never_text_a_patient_twice(h: Harness) -> None:
    first = await draft(h)
    second = await h.facts("/notify consultations monday")
    assert second["recipients"] == first["recipients"] == 3
    assert second["overlapping"] == [1]  # the dry run says so
    await h.say("/notify approve 1", user=MARTIN)
    await h.say("/notify approve 2", user=MARTIN)
    gw = FakeGateway()
    await sender(h, gw).run_until_idle()
    assert gw.per_number() == {phone(1): 1, phone(2): 1, phone(3): 1}
    counts_1 = (await h.facts("/notify status 1"))["counts"]
    counts_2 = (await h.facts("/notify status 2"))["counts"]
    assert counts_1 == {"total": 3, "submitted": 3}
    assert counts_2 == {"total": 3, "cancelled": 3}  # "already sent by another job"


async def test_a_failed_message_does_not_block_a_later_job(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    gw.invalid.add(phone(2))
    await sender(h, gw).run_until_idle()
    gw.invalid.clear()  # the number was fixed in the scheduling system
    facts = await h.facts("/notify consultations monday")
    assert facts["recipients"] == 1 and facts["already"] == 2
    await h.say("/notify approve 2", user=MARTIN)
    await sender(h, gw).run_until_idle()
    assert gw.per_number() == {phone(1): 1, phone(2): 1, phone(3): 1}


async def test_a_patient_with_two_kinds_the_same_day_gets_both(h: Harness) -> None:
    await seed(h, [appt("B1", phone(1), hour=14, site="bastogne")])
    await h.say("/decide consultations cancelled monday at arlon")
    await h.say("/decide consultations case-by-case monday at bastogne")
    facts = await h.facts("/notify consultations monday")
    assert facts["by_kind"] == {"cancelled": 3, "contact": 1}
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    await sender(h, gw).run_until_idle()
    assert gw.count_to(phone(1)) == 2  # one cancellation, one "we will contact you"


async def test_two_corrections_send_once_and_a_recancelled_day_blocks_them(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    s = sender(h, gw)
    await s.run_until_idle()
    await h.say("/decide consultations open monday")
    assert (await h.facts("/notify correct 1"))["job"] == 2
    assert (await h.facts("/notify correct 1"))["job"] == 3
    assert "itself a correction" in await h.text("/notify correct 2")
    await h.say("/notify approve 2", user=MARTIN)
    await h.say("/notify approve 3", user=MARTIN)
    await s.run_until_idle()
    corrections = [m for m in gw.accepted if m.key.startswith(("job-2-", "job-3-"))]
    assert len(corrections) == 3 and len({m.to for m in corrections}) == 3
    # a correction drafted, then the day is cancelled again: it is never sent
    await h.say("/decide consultations open tuesday")
    await seed(h, [appt("T1", phone(9), day_offset=2)])
    await h.say("/decide consultations cancelled tuesday")
    await h.say("/notify consultations tuesday")  # job 4
    await h.say("/notify approve 4", user=MARTIN)
    await s.run_until_idle()
    await h.say("/decide consultations open tuesday")
    assert (await h.facts("/notify correct 4"))["job"] == 5
    await h.say("/decide consultations cancelled tuesday")
    text = await h.text("/notify approve 5", user=MARTIN)
    assert "open → cancelled" in text and "nothing is sent" in text


async def test_pause_stops_the_batch_in_flight(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    s = sender(h, FakeGateway(), concurrency=1)

    class PausingGateway(FakeGateway):
        async def submit(self, msg: OutgoingSms) -> str:
            ident = await super().submit(msg)
            if len(self.accepted) == 1:  # the cell pauses right after the first SMS
                await h.say("/notify pause 1")
                s.wake()
            return ident

    s.gateway = gw = PausingGateway()
    await s.step()
    assert len(gw.accepted) == 1
    assert (await h.facts("/notify status 1"))["counts"] == {
        "total": 3,
        "submitted": 1,
        "pending": 2,
    }
    # resumed later: the rest goes, and the job finishes with its final report
    await h.say("/notify resume 1")
    await s.run_until_idle()
    assert len(gw.accepted) == 3
    assert (await h.facts("/notify status 1"))["state"] == "done"


async def test_a_job_whose_last_message_ended_while_paused_still_finishes(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    gw.timeout_after_accept.add(phone(3))
    s = sender(h, gw)
    await s.run_until_idle()
    await h.say("/notify pause 1")
    await s.reconcile(everything=True)  # the last one settles while the job is paused
    await h.say("/notify resume 1")
    await s.run_until_idle()
    assert (await h.facts("/notify status 1"))["state"] == "done"
    finals = [r for r in await outbox_replies(h) if r["facts"]["kind"] == "job-final"]
    assert len(finals) == 1


async def test_an_outage_is_retried_until_expiry_then_to_phone(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    gw.transient_next = 10**6  # the provider refuses everything for now
    s = sender(h, gw)
    for _ in range(8):  # several hours of refusals: still pending, not failed
        await s.run_until_idle()
        h.clock.advance(minutes=10)
    counts = (await h.facts("/notify status 1"))["counts"]
    assert counts == {"total": 3, "pending": 3}
    gw.transient_next = 0  # back
    h.clock.advance(minutes=10)
    await s.run_until_idle()
    assert gw.per_number() == {phone(1): 1, phone(2): 1, phone(3): 1}


async def test_a_paused_job_expires_its_messages_to_the_call_list(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    await h.say("/notify pause 1")
    h.clock.advance(hours=48)
    await sender(h, FakeGateway()).run_until_idle()
    status = await h.facts("/notify status 1")
    assert status["counts"] == {"total": 3, "expired": 3}
    assert status["to_call"] == 3 + 2 + 1  # expired, no mobile, opted out


async def test_a_receipt_before_the_id_is_written_is_applied(h: Harness) -> None:
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    s = sender(h, FakeGateway())

    class FastGateway(FakeGateway):
        async def submit(self, msg: OutgoingSms) -> str:
            ident = await super().submit(msg)
            # the provider's callback outruns the sender's write
            await s.receipts.receipt(Receipt("fake", ident, "delivered"))
            return ident

    s.gateway = FastGateway()
    await s.run_until_idle()
    assert (await h.facts("/notify status 1"))["counts"] == {"total": 3, "delivered": 3}


async def test_a_live_senders_rows_are_never_taken_over(h: Harness) -> None:
    """Sender A is slow (its gateway has not answered); B reconciles "stale" rows. A's
    heartbeat keeps its rows its own, so B does not re-send them."""
    await draft(h)
    await h.say("/notify approve 1", user=MARTIN)
    release, all_in = asyncio.Event(), asyncio.Event()

    class SlowGateway(FakeGateway):
        async def submit(self, msg: OutgoingSms) -> str:
            ident = await super().submit(msg)
            if len(self.accepted) == 3:
                all_in.set()
            await release.wait()
            return ident

    gw = SlowGateway()
    a = sender(h, gw, exclusive=False)
    b = sender(h, gw, exclusive=False)
    a.worker, b.worker = "a", "b"
    sending = asyncio.create_task(a.step())
    await all_in.wait()
    h.clock.advance(seconds=600)  # long past stale_after
    await a.heartbeat()
    assert await b.reconcile(everything=False) == 0
    release.set()
    await sending
    await b.run_until_idle()
    assert set(gw.per_number().values()) == {1}
    assert (await h.facts("/notify status 1"))["counts"] == {"total": 3, "submitted": 3}


async def test_one_sender_at_a_time_on_sqlite(h: Harness) -> None:
    a = sender(h, FakeGateway())
    b = sender(h, FakeGateway())
    a.worker, b.worker = "a", "b"
    assert await a.renew_lease()
    assert not await b.renew_lease()  # standby while a lives
    h.clock.advance(seconds=121)  # a stopped renewing
    assert await b.renew_lease()


async def test_log_gateway_warns_that_nothing_leaves(h: Harness) -> None:
    facts = await draft(h)
    assert facts["sends_nothing"] is True
    drafts = [r for r in await outbox_replies(h) if r["facts"]["kind"] == "notify-draft"]
    assert "no SMS will leave" in render_text_of(drafts[0])
    assert "no number" in render_text_of(drafts[0])  # no hotline configured
