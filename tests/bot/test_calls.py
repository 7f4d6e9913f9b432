"""Per-appointment exceptions and the surgery call list, through the real core: a scripted
day. Surgery is case by case tomorrow, consultations are cancelled with three
appointments maintained by their doctors: the SMS job messages every other consultation
patient once and none of the three; the call list holds every surgery appointment;
outcomes move the counts; a maintain mark after a message was sent offers a correction.
Canary phone numbers never reach chat."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.status_web import StatusSite
from adapters.web import WebServer
from tests.bot.test_notify import START, appt, outbox_replies, seed, sender
from tests.fakes.sms import FakeGateway
from tests.harness import DEFAULT_CONFIG, Harness

MARTIN = "@martin:hospital.example"
PEETERS = "@peeters:hospital.example"  # a doctor: may mark appointments, not decide
CONFIG = (
    DEFAULT_CONFIG
    + f"""
[[person]]
name = "Dr Peeters"
ids = ["{PEETERS}"]
roles = ["doctor"]
"""
)


def phone(n: int) -> str:
    return f"+3247200{n:04d}"


CONSULTATIONS = [appt(f"C{i}", phone(i), hour=8 + i) for i in range(1, 7)]
SURGERY = [
    appt("S1", phone(11), hour=8, service="surgery"),
    appt("S2", phone(12), hour=9, service="surgery", lang="nl"),
    appt("S3", phone(13), hour=10, service="surgery", site="bastogne"),
    appt("S4", "063 21 21 11", hour=11, service="surgery", site="bastogne"),
]
CANARIES = [phone(n) for n in (1, 2, 3, 11, 12, 13)]


@pytest.fixture
async def h(sqlite_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(sqlite_url, now=START, config=CONFIG)
    await seed(harness, CONSULTATIONS + SURGERY)
    await harness.say("/decide consultations cancelled monday")
    await harness.say("/decide surgery case-by-case monday")
    try:
        yield harness
    finally:
        await harness.close()


def no_canary_in(text: str) -> None:
    for number in CANARIES:
        assert number not in text and number[3:] not in text, number[-4:]


async def test_a_scripted_day(h: Harness) -> None:
    # doctors keep three consultations
    facts = await h.facts("/maintain C1, C2 : Dr Peeters sees them", user=PEETERS)
    assert facts["marked"] == ["C1", "C2"] and facts["unknown"] == []
    facts = await h.facts("/maintain C3, X999")
    assert facts["marked"] == ["C3"] and facts["unknown"] == ["X999"]
    nurse = await h.facts("/maintain C4", user="@nurse:local")
    assert nurse["kind"] == "refused"
    assert (await h.facts("/decide radiology cancelled monday", user=PEETERS))["kind"] == "refused"

    counts = await h.facts("/appointments monday consultations")
    assert counts["items"][0]["maintained"] == 3
    answer = await h.text("are consultations cancelled on monday?")
    assert "3 appointments maintained by their doctor, 0 postponed" in answer

    # the SMS job skips the three, messages the other three once
    draft = await h.facts("/notify consultations monday")
    assert draft["recipients"] == 3 and draft["maintained"] == 3
    await h.say("/notify approve 1", user=MARTIN)
    gw = FakeGateway()
    s = sender(h, gw)
    await s.run_until_idle()
    assert gw.per_number() == {phone(4): 1, phone(5): 1, phone(6): 1}

    # the surgery call list: every surgery appointment, grouped by site and time
    built = await h.facts("/calls surgery monday")
    assert built == {"kind": "call-list", "list": 1, "calls": 4, "skipped": 0}
    assert (await h.facts("/calls consultations monday"))["list"] is None  # not case by case
    await h.say("/call S1 maintained : 8:00 as planned")
    for _ in range(3):
        await h.say("/call S2 no-answer")
    await h.say("/call S3 postponed : new date by letter")
    status = await h.facts("/calls status 1")
    assert status["counts"] == {"maintained": 1, "no-answer": 1, "postponed": 1, "pending": 1}
    assert status["unreached"] == 1  # S2, after 3 tries
    assert (await h.facts("/appointments monday surgery"))["items"][0]["maintained"] == 1

    # the patient not reached gets "please call us back", through the job machinery
    callback = await h.facts("/calls sms 1")
    assert callback["job"] == 2 and callback["recipients"] == 1 and callback["by_lang"] == {"nl": 1}
    assert "bellen" in callback["samples"]["nl"]["text"]
    assert "another cell member" in await h.text("/notify approve 2")
    await h.say("/notify approve 2", user=MARTIN)
    await s.run_until_idle()
    assert gw.count_to(phone(12)) == 1

    # a mark after the patient was messaged: a correction is offered, for that patient only
    late = await h.facts("/maintain C4 : the doctor will see her after all", user=PEETERS)
    assert late["offer"] == ["/notify correct 1"]
    correction = await h.facts("/notify correct 1")
    assert correction["recipients"] == 1, {k: v for k, v in correction.items() if k != "samples"}
    await h.say(f"/notify approve {correction['job']}", user=MARTIN)
    await s.run_until_idle()
    assert gw.count_to(phone(4)) == 2  # the cancellation, then the correction
    assert "maintenu" in [m.body for m in gw.accepted if m.to == phone(4)][-1]

    # marks are ledger entries; nothing in chat names a patient's number
    async with h.runtime.db.uow() as uow:
        types = [e.type for e in await uow.ledger.entries(limit=1000)]
    assert types.count("appointment-mark") == 6  # C1 C2 C3 C4, S1 and S3 via their calls
    assert types.count("call-outcome") == 5
    no_canary_in(json.dumps(await outbox_replies(h)))


async def test_call_usage_and_unknown_appointment(h: Harness) -> None:
    assert "Unknown outcome" in await h.text("/call S1 maybe")
    assert "is on no call list" in await h.text("/call S1 maintained")
    assert "There is no call list #7" in await h.text("/calls status 7")


async def test_call_list_locally_marks_from_a_file_and_the_internal_page(
    h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await h.say("/calls surgery monday")
    db = h.runtime.db.url

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "adapters.cli", *args, "--db", db],
            capture_output=True,
            text=True,
            check=False,
        )

    out = tmp_path / "calls.csv"
    done = await asyncio.to_thread(cli, "calls", "export", "1", "--csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = (await asyncio.to_thread(out.read_text, encoding="utf-8")).splitlines()
    assert rows[0].startswith("list,site,time,appointment_id,phone")
    assert [r.split(",")[3] for r in rows[1:]] == ["S1", "S2", "S3", "S4"]  # by site, time
    assert phone(11) in rows[1] and "landline" in rows[4]
    recorded = await asyncio.to_thread(cli, "calls", "outcome", "S4", "to-retry", "--as", "desk1")
    assert recorded.returncode == 0 and "S4" in recorded.stdout
    marks = tmp_path / "marks.csv"
    await asyncio.to_thread(
        marks.write_text,
        "appointment_id;outcome;note\nC5;maintained;kept\nC6;cancelled;no\nZ1;postponed;\n",
        encoding="utf-8",
    )
    marked = await asyncio.to_thread(cli, "appointments", "mark", str(marks))
    assert marked.returncode == 0 and "1 appointment marked" in marked.stdout
    assert "line 3: outcome must be" in marked.stdout and "line 4" in marked.stdout
    assert (await h.facts("/appointments monday consultations"))["items"][0]["maintained"] == 1

    # the surgery patients are told they will be contacted (S4 has no mobile)
    job = await h.facts("/notify surgery monday")
    assert job["recipients"] == 3, job
    await h.say(f"/notify approve {job['job']}", user=MARTIN)
    await sender(h, FakeGateway()).run_until_idle()

    # the internal page: the numbers, behind the token; outcomes recorded there too
    import aiohttp

    monkeypatch.setenv("CRISISCELL_WEB_TOKEN", "calls-token")
    web = WebServer()
    StatusSite(h.runtime).install(web.app)
    await web.start("127.0.0.1:0")
    base = f"http://127.0.0.1:{web.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/calls/1") as r:
                assert r.status == 403
            async with http.get(base + "/calls/1?token=calls-token") as r:
                page: Any = await r.text()
                assert r.status == 200 and phone(12) in page
            form = {"token": "calls-token", "appointment": "S2", "outcome": "maintained"}
            async with http.post(base + "/calls/1/outcome", data=form) as r:
                assert r.status == 200  # followed the redirect back to the list
            async with http.post(base + "/calls/1/outcome", data={**form, "token": "x"}) as r:
                assert r.status == 403
            # settled: a later "no answer" is refused with the reason, not a server error
            settled = {**form, "outcome": "no-answer"}
            async with http.post(base + "/calls/1/outcome", data=settled) as r:
                assert r.status == 409 and "S2" in await r.text()
    finally:
        await web.stop()
    status = await h.facts("/calls status 1")
    assert status["counts"]["maintained"] == 1 and status["counts"]["to-retry"] == 1
    # S2 had been messaged: the call list's room is offered a correction, as in chat
    offers = [r["facts"] for r in await outbox_replies(h) if r["facts"].get("kind") == "call-offer"]
    assert offers == [{"kind": "call-offer", "offer": [f"/notify correct {job['job']}"]}]


async def test_a_mark_after_the_draft_withholds_the_sms(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    await h.say("/notify consultations monday")  # job 1: six patients
    await h.say("/notify approve 1", user=MARTIN)
    facts = await h.facts("/maintain C1, C2 : doctor calls them herself", user=PEETERS)
    assert facts["withheld"] == 2 and facts["offer"] == []
    gw = FakeGateway()
    await sender(h, gw).run_until_idle()
    assert phone(1) not in gw.per_number() and phone(2) not in gw.per_number()
    assert len(gw.accepted) == 4
    no_canary_in(caplog.text)


async def test_one_sms_about_two_appointments_needs_a_call(h: Harness) -> None:
    await seed(h, [appt("C9", phone(1), hour=16)])  # patient 1 has C1 and C9 that day
    await h.say("/notify consultations monday")
    await h.say("/notify approve 1", user=MARTIN)
    await sender(h, FakeGateway()).run_until_idle()
    facts = await h.facts("/maintain C1", user=PEETERS)
    assert facts["to_phone"] == 1 and facts["offer"] == []  # C9 is still cancelled


async def test_one_list_per_appointment_and_settled_calls_stay_settled(h: Harness) -> None:
    assert (await h.facts("/calls surgery monday"))["calls"] == 4
    assert (await h.facts("/calls surgery monday"))["list"] is None  # all already listed
    await h.say("/call S1 maintained")
    assert "already settled" in await h.text("/call S1 no-answer")
    echoed = await h.facts("/maintain +32472000099")
    assert echoed["marked"] == [] and echoed["unknown"] == []
    assert "+32472000099" not in await h.text("/maintain +32472000099")


async def test_unmark_and_the_ledger_guards_the_marks(h: Harness) -> None:
    from sqlalchemy import text

    from bot.ledger.chain import verify
    from bot.record.exports import chain_status

    await h.say("/maintain C1, C2", user=PEETERS)
    assert (await h.facts("/unmark C2, C5 : meant C5"))["unmarked"] == ["C2"]
    draft = await h.facts("/notify consultations monday")
    assert draft["maintained"] == 1 and draft["recipients"] == 5
    async with h.runtime.db.uow() as uow:
        assert (await verify(uow)).ok
    async with h.runtime.db.engine.begin() as conn:  # someone edits the table by hand
        await conn.execute(text("UPDATE appointment_marks SET outcome = 'postponed'"))
    async with h.runtime.db.uow() as uow:
        result = await verify(uow)
    assert not result.ok and "mark of appointment C1" in result.reason
    # the crisis record says so in the reader's language
    fr = chain_status(result, None, "fr").text
    assert "la marque du rendez-vous C1 diffère du registre" in fr
