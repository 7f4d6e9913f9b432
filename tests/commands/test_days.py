"""Which day a command or a question means, through the dispatcher.

The drill of 15-20 May 2022: "mardi" typed on Tuesday 17 May at 08:15 is that Tuesday,
never the 24th; "mardi prochain" is the 24th; a command whose day is already past is
asked back and records nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from storage import tables as T
from tests.harness import NURSE, Harness

WEEK = [date(2022, 5, 16) + timedelta(days=i) for i in range(7)]  # Monday to Sunday
NAMES = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
QUESTION = {
    "fr": "la radiologie est-elle ouverte {} ?",
    "en": "is radiology open on {}?",
    "nl": "is radiologie open op {}?",
    "de": "ist die Radiologie am {} geöffnet?",
}
MARTIN = "@martin:hospital.example"


def at(day: date, hour: int = 8, minute: int = 15) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Europe/Brussels"))


def expected(today: date, weekday: int, *, after: bool = False) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=(ahead or 7) if after else ahead)


async def decisions_count(bot: Harness) -> int:
    async with bot.runtime.db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(T.decisions))).scalar_one())


@pytest.mark.parametrize("today", WEEK, ids=lambda d: d.strftime("%a"))
async def test_decide_reads_every_weekday_from_today_on(bot: Harness, today: date) -> None:
    bot.clock.set(at(today))
    for weekday, name in enumerate(NAMES["fr"]):
        f = await bot.facts(f"/decide consultations at virton open {name}")
        day = expected(today, weekday)
        assert f["items"][0]["first_day"] == f["items"][0]["last_day"] == day.isoformat(), name
    f = await bot.facts(f"/décision consultations à virton ouvert {NAMES['fr'][1]} prochain")
    assert f["items"][0]["first_day"] == expected(today, 1, after=True).isoformat()


@pytest.mark.parametrize("today", WEEK, ids=lambda d: d.strftime("%a"))
async def test_questions_read_every_weekday_from_today_on(bot: Harness, today: date) -> None:
    bot.clock.set(at(today))
    for lang, names in NAMES.items():
        for weekday, name in enumerate(names):
            f = await bot.facts(QUESTION[lang].format(name), user=NURSE)
            assert f["kind"] == "answer", (lang, name, f)
            assert f["date"] == expected(today, weekday).isoformat(), (lang, name)


async def test_tuesday_typed_on_tuesday_morning_is_that_tuesday(bot: Harness) -> None:
    bot.clock.set(at(date(2022, 5, 17)))
    text = await bot.text("/décision consultations à virton ouvert mardi")
    assert "mardi 17 mai 2022" in text
    text = await bot.text("les consultations sont-elles ouvertes à Virton mardi ?", user=NURSE)
    assert text.startswith("Oui — consultations, Virton : ouvert le mardi 17 mai 2022")
    text = await bot.text("/briefing tuesday")
    assert "Briefing for Tuesday 17 May 2022" in text
    text = await bot.text("/calls consultations tuesday")
    assert "Tuesday 17 May 2022" in text
    await bot.say("/decide consultations at virton cancelled tuesday")
    f = await bot.facts("/notify consultations at virton tuesday")
    assert (f["first_day"], f["last_day"]) == ("2022-05-17", "2022-05-17")
    text = await bot.text("/export sitrep tuesday")
    assert "Tuesday 17 May 2022" in text


@pytest.mark.parametrize(
    ("command", "day"),
    [
        ("/decide radiology cancelled 18/05", "Wednesday 18 May 2022"),
        ("/décision radiologie annulé hier", "dimanche 29 mai 2022"),
        ("/decide radiology cancelled from 16/05 to 31/05", "Monday 16 May 2022"),
        ("/decide radiology cancelled last friday", "Friday 27 May 2022"),
    ],
)
async def test_a_command_for_a_past_day_is_asked_back(bot: Harness, command: str, day: str) -> None:
    bot.clock.set(at(date(2022, 5, 30)))  # a Monday
    replies = await bot.say(command)
    assert replies[0].kind == "usage"
    text = await bot.text(command)
    assert day in text
    assert "nothing was recorded" in text or "rien n'est enregistré" in text
    assert await decisions_count(bot) == 0


async def test_a_job_or_call_list_for_a_past_day_is_asked_back(bot: Harness) -> None:
    await bot.say("/decide consultations cancelled from monday to friday")
    bot.clock.set(at(date(2022, 5, 18)))
    for command in ("/notify consultations 16/05", "/calls consultations 16/05"):
        text = await bot.text(command)
        assert "Monday 16 May 2022, which is already past" in text, command
    assert (await bot.facts("/jobs"))["jobs"] == []


async def test_today_and_ranges_from_today_are_still_recorded(bot: Harness) -> None:
    bot.clock.set(at(date(2022, 5, 18)))
    f = await bot.facts("/decide radiology cancelled today")
    assert f["items"][0]["first_day"] == "2022-05-18"
    f = await bot.facts("/decide radiology cancelled from today to friday")
    assert (f["items"][0]["first_day"], f["items"][0]["last_day"]) == (
        "2022-05-18",
        "2022-05-20",
    )
    await bot.say("/decide radiology cancelled from wednesday until further notice")
    assert await decisions_count(bot) == 3
