"""The restoration plan, its alerts to subscribed rooms, and the morning briefing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.terminal.render import render_text
from bot.ledger.chain import verify
from bot.model import Incoming, room_ref
from bot.plan.briefing import BriefingScheduler, next_time
from bot.runtime.outbox import OutboxSender
from tests.fakes.chat import RecordingChat
from tests.harness import NURSE, Harness

IT = "@it:hospital.example"
TZ = ZoneInfo("Europe/Brussels")


def sender(bot: Harness) -> tuple[OutboxSender, RecordingChat, RecordingChat]:
    shell, matrix = RecordingChat("shell"), RecordingChat("matrix")
    return (
        OutboxSender(bot.runtime.db.uow, bot.clock, {"shell": shell, "matrix": matrix}),
        shell,
        matrix,
    )


async def test_milestone_and_plan(bot: Harness) -> None:
    f = await bot.facts("/jalon pacs restoring eta demain 18h : serveur réinstallé", user=IT)
    assert (f["system"], f["state"]) == ("radiology-pacs", "restoring")
    assert f["eta"] == "2022-05-16T18:00:00+02:00"
    assert f["progress"] == [0, 6]
    await bot.say("!milestone labs restored : validated by the lab", user=IT)
    plan = await bot.facts("/plan")
    states = {s["system"]: s["state"] for s in plan["systems"]}
    assert states["laboratory-system"] == "restored"
    assert states["radiology-pacs"] == "restoring"
    assert states["email"] is None
    assert plan["progress"] == [1, 6]
    text = await bot.text("/plan")
    assert "1. laboratory system: restored since 15 May 09:12 — validated by the lab" in text
    assert "2. PACS (radiology): restoring since 15 May 09:12 (ETA 16 May 18:00)" in text
    assert "Progress: ███░░░░░░░░░░░░░░░░░ 1/6" in text
    assert (await bot.facts("/milestone pacs restored", user=NURSE))["kind"] == "refused"
    assert "Which system?" in await bot.text("/milestone coffee restored", user=IT)
    assert "Which state?" in await bot.text("/milestone pacs maybe", user=IT)
    async with bot.runtime.db.uow() as uow:
        assert (await verify(uow)).ok


async def test_alerts_reach_subscribed_rooms_on_two_platforms(bot: Harness) -> None:
    await bot.say("/decide radiology cancelled until further notice : PACS down")
    await bot.say("/subscribe milestones", room="ward-a")
    await bot.say("/room language fr", room="ward-a")
    m_room = "!cell:localhost"
    await bot.runtime.dispatcher.handle(_matrix(bot, "/subscribe milestones", m_room))
    await bot.runtime.dispatcher.handle(_matrix(bot, "/room language en", m_room))
    await bot.say("/subscribe decisions", room="ward-a")
    out, shell, matrix = sender(bot)
    await bot.say("!milestone pacs restored", user=IT, room="it-room")
    assert await out.sweep() >= 2
    (fr,) = [
        i
        for i in shell.sent
        if i.room == "shell:ward-a" and i.reply.facts.get("kind") == "milestone"
    ]
    (en,) = [i for i in matrix.sent if i.reply.facts.get("kind") == "milestone"]
    assert en.room == f"matrix:{m_room}"
    assert fr.reply.lang == "fr" and en.reply.lang == "en"
    assert fr.reply.facts["review"] == [1]  # the dependent decision, as a prompt
    text = render_text(fr.reply)
    assert "PACS (radiologie) est rétabli : ces décisions en vigueur peuvent être revues" in text
    assert "n°1 — radiologie, tous les sites : annulé" in text
    # a decision is posted to the rooms subscribed to decisions (not where it was made)
    await bot.say("/decide radiology open tomorrow")
    await out.sweep()
    alerts = [i for i in shell.sent if i.reply.facts.get("kind") == "decision-alert"]
    assert [(i.room, i.reply.facts["decision"]) for i in alerts] == [("shell:ward-a", 2)]
    f = await bot.facts("/subscriptions", room="ward-a")
    assert f["topics"] == ["decisions", "milestones"] and f["undeliverable"] == 0


async def test_an_alert_is_delivered_once_after_a_crash(bot: Harness) -> None:
    await bot.say("/subscribe milestones", room="ward-a")
    await bot.say("!milestone email down", user=IT)  # committed; the process "dies" here
    out, shell, _ = sender(bot)  # after the restart, a new sender
    assert await out.sweep() >= 1  # the alert (and the replies the harness never showed)
    assert await out.sweep() == 0
    alerts = [i for i in shell.sent if i.reply.kind == "alert"]
    assert [(i.room, i.reply.facts["system"]) for i in alerts] == [("shell:ward-a", "email")]


async def test_undeliverable_room_is_reported(bot: Harness) -> None:
    await bot.say("/subscribe milestones", room="gone")
    await bot.say("!milestone email restored", user=IT)
    shell = RecordingChat("shell")
    shell.fail_next = 99
    out = OutboxSender(bot.runtime.db.uow, bot.clock, {"shell": shell}, max_attempts=1)
    await out.sweep()
    f = await bot.facts("/subscriptions", room="gone")
    assert f["undeliverable"] >= 1
    assert "could not be delivered" in await bot.text("/subscriptions", room="gone")


async def test_briefing_on_demand(bot: Harness) -> None:
    await bot.say("/decide blood-sampling open until further notice")
    await bot.say("/decide radiology cancelled today")
    await bot.say("/decide surgery case-by-case tomorrow")
    await bot.say("!milestone labs restoring eta 16h", user=IT)
    f = await bot.facts("/briefing")
    assert f["date"] == "2022-05-15"
    assert {(i["date"], i["service"]) for i in f["in_force"]} >= {
        ("2022-05-15", "radiology"),
        ("2022-05-16", "surgery"),
        ("2022-05-16", "blood-sampling"),
    }
    assert f["expiring"] == [2]
    assert [i["service"] for i in f["open_items"]] == [
        "consultations",
        "radiology",
        "scintigraphy",
        "covid-centres",
        "emergency",
        "laboratory",
    ]
    text = await bot.text("/briefing")
    assert "Decisions expiring today:" in text and "To decide for Monday 16 May 2022" in text


def test_next_briefing_time_is_wall_clock_across_dst() -> None:
    # the night of 27 March 2022 loses an hour in Brussels: 07:30 is still 07:30
    before = datetime(2022, 3, 26, 8, 0, tzinfo=TZ)
    due = next_time(before, "07:30", TZ)
    assert due.isoformat() == "2022-03-27T07:30:00+02:00"
    assert next_time(datetime(2022, 10, 29, 9, 0, tzinfo=TZ), "07:30", TZ).isoformat() == (
        "2022-10-30T07:30:00+01:00"
    )


async def test_briefing_fires_once_a_day_at_the_room_time_across_restarts(bot: Harness) -> None:
    await bot.say("/subscribe briefing", room="cell")
    await bot.say("/room briefing 07:30", room="cell")
    woken: list[int] = []

    def scheduler() -> BriefingScheduler:
        return BriefingScheduler(
            bot.runtime.db.uow,
            bot.clock,
            bot.runtime.catalog,
            "en",
            lambda: woken.append(1),
        )

    s = scheduler()
    bot.clock.set(datetime(2022, 5, 16, 7, 29, tzinfo=TZ))
    assert await s.post_due() == 0
    assert (await s.next_due()).isoformat() == "2022-05-16T07:30:00+02:00"
    bot.clock.set(datetime(2022, 5, 16, 7, 30, tzinfo=TZ))
    assert await s.post_due() == 1
    assert await scheduler().post_due() == 0  # "restarted": still once that day
    bot.clock.set(datetime(2022, 5, 17, 7, 31, tzinfo=TZ))
    assert await scheduler().post_due() == 1
    out, shell, _ = sender(bot)
    await out.sweep()
    days = [i.reply.facts["date"] for i in shell.sent if i.reply.facts.get("kind") == "briefing"]
    assert days == ["2022-05-16", "2022-05-17"] and woken == [1, 1]


def _matrix(bot: Harness, text: str, room_id: str) -> Incoming:
    return Incoming(
        platform="matrix",
        room=room_ref("matrix", room_id),
        sender="@operator:local",
        sender_name="Operator",
        text=text,
        command_text=text,
        event_id=f"${text}",
        sent_at=bot.clock.now(),
        addressed=True,
    )


async def test_questions_about_the_plan_in_three_languages(bot: Harness) -> None:
    await bot.say("/milestone pacs restoring eta demain 18h", user=IT)
    await bot.say("/milestone labs restored : validated by the lab", user=IT)
    text, f = await _ask(bot, "quand le PACS sera-t-il rétabli ?")
    assert f["items"] == [
        {
            "system": "radiology-pacs",
            "state": "restoring",
            "eta": "2022-05-16T18:00:00+02:00",
            "answer": "no",
        }
    ]
    assert text.startswith("Non — PACS (radiologie) : en cours de rétablissement depuis")
    assert "Prévu : 16 mai 18:00." in text
    # a service is answered from the decisions; the system behind it is context
    text, f = await _ask(bot, "quand la radiologie sera-t-elle rétablie ?")
    assert f["intent"] == "service-status" and f["items"][0]["status"] is None
    assert text.startswith("Aucune décision enregistrée — radiologie")
    assert f["systems"] == [
        {"system": "radiology-pacs", "state": "restoring", "eta": "2022-05-16T18:00:00+02:00"}
    ]
    assert "Informatique — PACS (radiologie) : en cours de rétablissement depuis" in text
    text, f = await _ask(bot, "is the lab system working again?")
    assert f["items"][0]["answer"] == "yes" and text.startswith("Yes — laboratory system")
    text, f = await _ask(bot, "is PACS restored?")
    assert f["items"][0]["system"] == "radiology-pacs" and f["items"][0]["answer"] == "no"
    text, f = await _ask(bot, "when will medical records be back?")
    assert f["items"] == [
        {"system": "medical-records", "state": None, "eta": None, "answer": "none"}
    ]
    assert text == "No milestone recorded for medical records."
    text, f = await _ask(bot, "wanneer is het medisch dossier hersteld?")
    assert f["reading"]["lang"] == "nl" and text.startswith("Geen mijlpaal vastgelegd")
    # a service question stays a service question, with no plan line unless asked
    text, f = await _ask(bot, "is radiology open tomorrow?")
    assert f["intent"] == "service-status" and "systems" not in f and "IT —" not in text


async def test_a_service_is_answered_from_its_decision_never_from_the_plan(
    bot: Harness,
) -> None:
    """The drill: PACS restored while the cell still cancels radiology and scintigraphy."""
    await bot.say("/decide radiology cancelled until further notice : PACS down")
    await bot.say("/decide scintigraphy cancelled until further notice")
    await bot.say("/milestone pacs restored", user=IT)
    text, f = await _ask(bot, "Is radiology back to normal today?")
    assert f["intent"] == "service-status"
    assert text.startswith("No — radiology, all sites, Sunday 15 May 2022: cancelled")
    assert "(decision no. 1 of 15 May 09:12" in text
    assert text.splitlines()[-1] == "IT — PACS (radiology): restored since 15 May 09:12."
    assert f["items"][0]["decision"] == 1 and f["items"][0]["answer"] == "no"
    text, f = await _ask(bot, "is scintigraphy back on Tuesday?")
    assert text.startswith("No — scintigraphy, all sites, Tuesday 17 May 2022: cancelled")
    assert "decision no. 2" in text
    assert f["items"][0]["decision"] == 2 and f["items"][0]["answer"] == "no"
    # the other way round: the decision says open while the PACS is down
    await bot.say("/decide radiology open from tomorrow")
    await bot.say("/milestone pacs down eta mardi 18h", user=IT)
    text, f = await _ask(bot, "la radiologie sera-t-elle rétablie demain ?")
    assert text.startswith("Oui — radiologie, tous les sites")
    assert "Informatique — PACS (radiologie) : à l'arrêt depuis" in text
    assert "Prévu : 17 mai 18:00." in text


async def test_a_system_question_is_answered_from_the_plan_degraded_is_partially(
    bot: Harness,
) -> None:
    await bot.say("/decide radiology cancelled until further notice")
    await bot.say("/milestone pacs degraded eta demain 18h", user=IT)
    text, f = await _ask(bot, "when will the PACS be back?")
    assert f["intent"] == "system-status"
    (item,) = f["items"]
    assert (item["system"], item["state"], item["answer"]) == (
        "radiology-pacs",
        "degraded",
        "partially",
    )
    assert text.startswith("Partially — PACS (radiology): degraded since 15 May 09:12")
    text, f = await _ask(bot, "wanneer is het PACS hersteld?")
    assert text.startswith("Gedeeltelijk — PACS")


async def _ask(bot: Harness, question: str) -> tuple[str, dict[str, Any]]:
    (reply,) = await bot.say(question, user=NURSE)
    return render_text(reply), reply.facts


async def test_a_tampered_milestone_is_caught_by_verify(bot: Harness) -> None:
    from sqlalchemy import update

    from storage import tables as T

    await bot.say("/milestone pacs restoring eta demain 18h", user=IT)
    async with bot.runtime.db.uow() as uow:
        assert (await verify(uow)).ok
    async with bot.runtime.db.engine.begin() as conn:
        await conn.execute(update(T.milestones).values(state="restored"))
    async with bot.runtime.db.uow() as uow:
        result = await verify(uow)
    assert not result.ok and "milestone" in result.reason


async def test_briefing_for_another_day(bot: Harness) -> None:
    f = await bot.facts("/briefing tomorrow")
    assert f["date"] == "2022-05-16"
    assert "which day exactly?" in await bot.text("/briefing next week")
