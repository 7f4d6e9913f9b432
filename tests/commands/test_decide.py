"""/decide and /revoke through the real dispatcher and a SQLite file."""

from __future__ import annotations

from sqlalchemy import select

from storage import tables as T
from tests.harness import NURSE, Harness


async def test_decide_the_issue_examples(bot: Harness) -> None:
    f = await bot.facts("/decide radiology cancelled monday : all scheduled exams cancelled")
    assert f["decisions"] == [1]
    item = f["items"][0]
    assert (item["service"], item["site"], item["status"]) == ("radiology", "all", "cancelled")
    assert (item["first_day"], item["last_day"]) == ("2022-05-16", "2022-05-16")
    assert item["note"] == "all scheduled exams cancelled"

    f = await bot.facts("/décision prises de sang maintenu jusqu'à nouvel ordre")
    item = f["items"][0]
    assert (item["service"], item["status"]) == ("blood-sampling", "open")
    assert (item["first_day"], item["last_day"]) == ("2022-05-15", None)

    f = await bot.facts("/decide surgery case-by-case tomorrow")
    assert f["items"][0]["status"] == "case-by-case"
    assert f["items"][0]["first_day"] == "2022-05-16"

    f = await bot.facts("/decide consultations at arlon open 17/05")
    item = f["items"][0]
    assert (item["service"], item["site"], item["status"]) == ("consultations", "arlon", "open")
    assert item["first_day"] == item["last_day"] == "2022-05-17"

    f = await bot.facts("/decide radiology, scintigraphy cancelled monday")
    assert f["decisions"] == [5, 6]
    assert [i["service"] for i in f["items"]] == ["radiology", "scintigraphy"]
    assert f["items"][0]["supersedes"] == [1]
    assert f["items"][1]["supersedes"] == []


async def test_reply_names_number_scope_period_author_and_supersedes(bot: Harness) -> None:
    await bot.say("/decide radiology cancelled monday")
    text = await bot.text("/decide radiology at bastogne open monday : urgent exams only")
    assert "No. 2 — radiology, Bastogne: open on Monday 16 May 2022." in text
    assert "Supersedes: no. 1." in text
    assert "Note: urgent exams only" in text
    assert "Recorded by Operator (cell) on 15 May 09:12." in text


async def test_reply_language_follows_the_alias(bot: Harness) -> None:
    text = await bot.text("/décision radiologie annulé lundi")
    assert "n°1 — radiologie, tous les sites : annulé le lundi 16 mai 2022." in text
    text = await bot.text("/beslissing radiologie geannuleerd dinsdag")
    assert "nr. 2 — radiologie, alle sites: geannuleerd op dinsdag 17 mei 2022." in text


async def test_aliases_prefixes_and_accents(bot: Harness) -> None:
    for n, cmd in enumerate(
        [
            "!decide RX cancelled 16/05",
            "/decision Imagerie ANNULE 16 mai",
            "decide beeldvorming geannuleerd 16 mei",  # addressed, no prefix
            "/décider radio annulée lundi 16 mai",
            "/decide Radiologie abgesagt 16. Mai",
        ],
        start=1,
    ):
        f = await bot.facts(cmd)
        assert f["decisions"] == [n], cmd
        assert f["items"][0]["service"] == "radiology", cmd
        assert f["items"][0]["status"] == "cancelled", cmd
        assert f["items"][0]["first_day"] == "2022-05-16", cmd


async def test_periods(bot: Harness) -> None:
    cases = {
        "/decide laboratory reduced from monday": ("2022-05-16", None),
        "/decide laboratory reduced until friday": ("2022-05-15", "2022-05-20"),
        "/decide laboratory reduced du 16 au 20 mai": ("2022-05-16", "2022-05-20"),
        "/decide laboratory reduced van 16/05 tot 18/05": ("2022-05-16", "2022-05-18"),
        "/decide laboratory reduced": ("2022-05-15", None),
        "/decide laboratory reduced 2022-05-16": ("2022-05-16", "2022-05-16"),
        "/decide laboratory reduced tot nader order": ("2022-05-15", None),
    }
    for cmd, (first, last) in cases.items():
        item = (await bot.facts(cmd))["items"][0]
        assert (item["first_day"], item["last_day"]) == (first, last), cmd


async def test_several_sites_and_all_sites(bot: Harness) -> None:
    f = await bot.facts("/decide emergency open at arlon and virton")
    assert [(i["service"], i["site"]) for i in f["items"]] == [
        ("emergency", "arlon"),
        ("emergency", "virton"),
    ]
    f = await bot.facts("/decide emergency open partout")
    assert f["items"][0]["site"] == "all"


async def test_time_in_a_note_is_not_a_note_separator(bot: Harness) -> None:
    f = await bot.facts("/decide blood-sampling reduced monday : from 08:00 to 12:00 only")
    assert f["items"][0]["note"] == "from 08:00 to 12:00 only"


async def test_bad_inputs_get_usage_and_suggestions(bot: Harness) -> None:
    text = await bot.text("/decide radiolgy cancelled monday")
    assert "Unknown service: “radiolgy”." in text
    assert "Did you mean: radiology?" in text
    assert "Usage: /decide" in text

    text = await bot.text("/decide radiology canceld monday")
    assert "Unknown status: “canceld”." in text
    assert "Did you mean: cancelled?" in text

    text = await bot.text("/decide radiology at arlom cancelled")
    assert "Unknown site: “arlom”." in text
    assert "Did you mean: Arlon?" in text

    text = await bot.text("/decide radiology monday")
    assert "Which status? open, reduced, case by case, cancelled, closed." in text

    text = await bot.text("/decide")
    assert "Which service?" in text

    text = await bot.text("/decide radiology cancelled, scintigraphy open")
    assert "One status per decision" in text

    text = await bot.text("/decide radiology cancelled next week")
    assert "“next week”: which day exactly?" in text

    text = await bot.text("/decide radiology cancelled mardi 16 mai 2022")
    assert "Monday 16 May 2022 is not a Tuesday" in text

    text = await bot.text("/decide radiology cancelled 31/02")
    assert "is not a day of the calendar" in text

    # nothing of the above was recorded
    assert (await bot.facts("/history"))["total"] == 0


async def test_usage_is_in_the_alias_language(bot: Harness) -> None:
    text = await bot.text("/décision radiologie")
    assert "Quel statut ?" in text
    assert "Usage : /décision <service>" in text


async def test_staff_cannot_decide_and_the_refusal_is_audited(bot: Harness) -> None:
    replies = await bot.say("/decide radiology cancelled monday", user=NURSE)
    assert replies[0].facts == {"kind": "refused", "command": "decide", "needs": ["cell"]}
    assert "needs the role cell" in replies[0].blocks[0].text  # type: ignore[union-attr]
    assert (await bot.facts("/history"))["total"] == 0
    async with bot.runtime.db.engine.connect() as conn:
        rows = (
            await conn.execute(select(T.audit.c.sender, T.audit.c.command, T.audit.c.outcome))
        ).all()
    assert (NURSE, "decide", "refused") in [tuple(r) for r in rows]


async def test_config_person_with_two_ids_is_cell_on_both(bot: Harness) -> None:
    for user in ("@martin:hospital.example", "11111111-2222-3333-4444-555555555555"):
        f = await bot.facts("/decide covid-centres closed", user=user)
        assert f["kind"] == "decision"
    text = await bot.text("/history")
    assert "Dr Martin" in text


async def test_it_role_cannot_decide(bot: Harness) -> None:
    f = await bot.facts("/decide radiology open", user="@it:hospital.example")
    assert f["kind"] == "refused"


async def test_redelivered_event_is_handled_once(bot: Harness) -> None:
    first = await bot.send("/decide radiology cancelled monday", event_id="$evt1")
    again = await bot.send("/decide radiology cancelled monday", event_id="$evt1")
    assert not first.duplicate and first.replies
    assert again.duplicate and again.replies == []
    assert (await bot.facts("/history"))["total"] == 1


async def test_revoke(bot: Harness) -> None:
    await bot.say("/decide radiology open until further notice")
    await bot.say("/decide radiology cancelled monday")
    f = await bot.facts("/revoke 2 : wrong day")
    assert f["revoked"] == 2
    assert f["reason"] == "wrong day"
    assert f["now"] == [
        {
            "service": "radiology",
            "site": "all",
            "date": "2022-05-16",
            "status": "open",
            "decision": 1,
        }
    ]
    assert "is already revoked" in await bot.text("/revoke 2")
    assert "There is no decision no. 9." in await bot.text("/revoke 9")
    assert "Give the number" in await bot.text("/revoke radiology")
    assert (await bot.facts("/revoke n°1"))["revoked"] == 1
    status = await bot.facts("/status monday radiology")
    assert status["items"] == [
        {
            "service": "radiology",
            "site": "all",
            "date": "2022-05-16",
            "status": None,
            "decision": None,
        }
    ]


async def test_staff_cannot_revoke(bot: Harness) -> None:
    await bot.say("/decide radiology cancelled monday")
    assert (await bot.facts("/revoke 1", user=NURSE))["kind"] == "refused"
    assert (await bot.facts("/status monday radiology"))["items"][0]["decision"] == 1


async def test_past_period_is_asked_back_not_recorded(bot: Harness) -> None:
    text = await bot.text("/decide radiology cancelled 10/05")
    assert "Tuesday 10 May 2022" in text
    assert "already past" in text and "nothing was recorded" in text
    assert (await bot.facts("/status radiology monday"))["items"][0]["decision"] is None


async def test_revoke_says_what_applies_per_site(bot: Harness) -> None:
    await bot.say("/decide radiology cancelled monday")
    await bot.say("/decide radiology at arlon open from monday to friday")
    await bot.say("/decide radiology reduced tuesday")
    f = await bot.facts("/revoke 3")
    now = {item["site"]: (item["status"], item["decision"]) for item in f["now"]}
    assert now["arlon"] == ("open", 2)
    assert now["virton"] == (None, None)
