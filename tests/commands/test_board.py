"""/status, /history, /help, /whoami and /room through the real dispatcher."""

from __future__ import annotations

import pytest

from adapters.terminal.render import render_text
from bot.model import LANGS, Lang
from commands import all_commands
from tests.harness import NURSE, Harness


def cell(facts: dict[str, object], service: str, site: str = "all") -> tuple[object, object]:
    items = facts["items"]
    assert isinstance(items, list)
    found = [i for i in items if i["service"] == service and i["site"] == site]
    assert len(found) == 1, (service, site, items)
    return found[0]["status"], found[0]["decision"]


async def test_status_defaults_to_today_and_tomorrow(bot: Harness) -> None:
    await bot.say("/decide blood-sampling open until further notice")
    await bot.say("/decide radiology cancelled tomorrow")
    today, tomorrow = await bot.say("/status")
    assert today.facts["date"] == "2022-05-15"
    assert tomorrow.facts["date"] == "2022-05-16"
    assert cell(today.facts, "radiology") == (None, None)
    assert cell(tomorrow.facts, "radiology") == ("cancelled", 2)
    assert cell(today.facts, "blood-sampling") == ("open", 1)
    assert cell(tomorrow.facts, "emergency") == (None, None)
    assert today.title == "Status for Sunday 15 May 2022"


async def test_site_decision_and_all_sites_decision_compete_on_recency(bot: Harness) -> None:
    await bot.say("/decide consultations cancelled monday")  # 1, all sites
    await bot.say("/decide consultations at arlon open monday")  # 2, newer: wins at Arlon
    f = await bot.facts("/status monday consultations")
    assert cell(f, "consultations", "arlon") == ("open", 2)
    for site in ("bastogne", "libramont", "marche", "virton"):
        assert cell(f, "consultations", site) == ("cancelled", 1)
    await bot.say("/decide consultations cancelled monday")  # 3, all sites, newest: wins everywhere
    f = await bot.facts("/status monday consultations")
    assert cell(f, "consultations") == ("cancelled", 3)


async def test_status_for_one_site(bot: Harness) -> None:
    await bot.say("/decide surgery at marche case-by-case monday")
    f = await bot.facts("/status lundi à Marche chirurgie")
    assert f["items"] == [
        {
            "service": "surgery",
            "site": "marche",
            "date": "2022-05-16",
            "status": "case-by-case",
            "decision": 1,
        }
    ]
    f = await bot.facts("/status monday at bastogne surgery")
    assert f["items"][0]["status"] is None


async def test_status_board_text_shows_no_decision_cells_and_notes(bot: Harness) -> None:
    await bot.say("/decide radiology cancelled monday : all scheduled exams cancelled")
    text = await bot.text("/statut lundi")
    assert "== Situation du lundi 16 mai 2022 ==" in text
    assert "radiologie" in text and "annulé" in text and "n°1" in text
    assert "aucune décision enregistrée" in text
    assert "n°1 : all scheduled exams cancelled" in text


async def test_status_bad_inputs(bot: Harness) -> None:
    assert "Unknown service: “radiolgy”" in await bot.text("/status radiolgy")
    assert "which day exactly?" in await bot.text("/status next week")


async def test_staff_may_read(bot: Harness) -> None:
    await bot.say("/decide radiology cancelled monday")
    f = await bot.facts("/status monday radiology", user=NURSE)
    assert cell(f, "radiology") == ("cancelled", 1)
    assert (await bot.facts("/history", user=NURSE))["total"] == 1


async def test_history_is_newest_first_filtered_and_paged(bot: Harness) -> None:
    for day in range(16, 31):
        await bot.say(f"/decide radiology cancelled {day}/05")
    await bot.say("/decide surgery at arlon closed monday")
    await bot.say("/revoke 3 : typo")
    f = await bot.facts("/history radiology")
    assert f["total"] == 16  # 15 decisions + 1 revocation
    assert f["pages"] == 2
    assert [e["decision"] for e in f["entries"]][:3] == [3, 15, 14]
    assert f["entries"][0]["type"] == "revocation"
    f2 = await bot.facts("/history radiology page 2")
    assert [e["decision"] for e in f2["entries"]] == [6, 5, 4, 3, 2, 1]
    text = await bot.text("/history radiology page 2")
    assert "[revoked]" in text
    assert "Page 2/2" in text
    f = await bot.facts("/history at arlon")
    # Arlon's history holds its own decisions and the all-sites ones (the revocation of 3)
    assert [e["decision"] for e in f["entries"]][:2] == [3, 16]
    assert "There are only 2 pages." in await bot.text("/history radiology page 7")


async def test_history_empty(bot: Harness) -> None:
    assert "No decision recorded yet." in await bot.text("/history")


async def test_help_lists_commands_and_details(bot: Harness) -> None:
    f = await bot.facts("/help")
    assert f["commands"] == [
        "decide",
        "revoke",
        "status",
        "history",
        "ask",
        "milestone",
        "plan",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "briefing",
        "appointments",
        "notify",
        "jobs",
        "export",
        "maintain",
        "postpone",
        "unmark",
        "calls",
        "call",
        "help",
        "whoami",
        "room",
    ]
    text = await bot.text("/help", user=NURSE)
    assert "(needs role: cell)" in text
    text = await bot.text("/help decide")
    assert "Usage: /decide <service>" in text
    assert "/decide radiology cancelled monday : all scheduled exams cancelled" in text
    assert "needs role: cell" in text
    text = await bot.text("/aide statut")
    assert "Usage : /statut" in text
    assert "Did you mean: /decide" in await bot.text("/help decid")


async def test_help_in_german_and_dutch(bot: Harness) -> None:
    """Every command's usage and summary in the language of the word typed."""
    german = await bot.text("/hilfe")
    assert "Befehle" in german.splitlines()[0] and "Usage" not in german
    assert "Details: /hilfe <Befehl>." in german
    for word in ("/entscheidung", "/abonnieren", "/abbestellen", "/benachrichtigen", "/hilfe"):
        assert f"• {word}" in german, word
    assert "Verwendung: /entscheidung <Dienst>" in await bot.text("/hilfe entscheidung")
    dutch = await bot.text("/hulp")
    assert "Commando's" in dutch.splitlines()[0] and "Details: /hulp <commando>." in dutch
    for word in ("/beslissing", "/abonneren", "/opzeggen", "/abonnementen", "/overzicht"):
        assert f"• {word}" in dutch, word


async def test_unknown_command_suggests(bot: Harness) -> None:
    replies = await bot.say("/decid radiology cancelled")
    assert replies[0].facts == {"kind": "unknown-command", "suggestions": ["decide"]}


async def test_not_addressed_chatter_is_ignored(bot: Harness) -> None:
    handled = await bot.send("lunch at noon?", addressed=False)
    assert handled.replies == []
    # addressed text that is not a command is read as a question: no service -> ask back
    handled = await bot.send("hello bot", addressed=True)
    assert handled.replies[0].facts["kind"] == "ask-back"


async def test_whoami(bot: Harness) -> None:
    f = await bot.facts("/whoami", user="@martin:hospital.example")
    assert f == {
        "kind": "whoami",
        "id": "@martin:hospital.example",
        "person": "Dr Martin",
        "roles": ["cell", "staff"],
        "room": "shell:local",
    }
    assert (await bot.facts("/whoami", user=NURSE))["roles"] == ["staff"]


async def test_room_language_applies_to_later_replies(bot: Harness) -> None:
    f = await bot.facts("/room language nl")
    assert f["language"] == "nl"
    text = await bot.text("/decide radiology cancelled monday")
    assert "nr. 1 — radiologie, alle sites: geannuleerd op maandag 16 mei 2022." in text
    # another room keeps its own settings
    text = await bot.text("/decide surgery closed monday", room="other")
    assert "No. 2 — surgery, all sites: closed on Monday 16 May 2022." in text
    assert (await bot.facts("/room questions on"))["answer_questions"] is True
    assert (await bot.facts("/room briefing 7h30"))["briefing_time"] == "07:30"
    assert "Settings:" in await bot.text("/room colour blue", room="other")
    assert (await bot.facts("/room language auto"))["language"] is None
    assert (await bot.facts("/room", user=NURSE))["kind"] == "refused"


@pytest.mark.parametrize("lang", LANGS)
async def test_every_example_in_help_is_understood(bot: Harness, lang: Lang) -> None:
    """The examples /help shows in a language are read by the bot as written: none is
    answered with the command's usage or as an unknown command."""
    misread = []
    for cmd in all_commands():
        for example in cmd.examples_in(lang):
            for reply in await bot.say(example):
                text = render_text(reply)
                if cmd.usage_in(lang) in text or reply.facts.get("kind") == "unknown-command":
                    misread.append((cmd.name, example, text))
    assert misread == []
