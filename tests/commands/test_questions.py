"""Staff questions answered from the ledger, in the question's language, never guessed."""

from __future__ import annotations

from typing import Any

from bot.model import Incoming, room_ref
from tests.conftest import START
from tests.harness import NURSE, Harness


async def ask(bot: Harness, text: str, **kw: Any) -> tuple[str, dict[str, Any]]:
    replies = await bot.say(text, user=NURSE, **kw)
    assert len(replies) == 1
    from adapters.terminal.render import render_text

    return render_text(replies[0]), replies[0].facts


async def seed(bot: Harness) -> None:
    await bot.say(
        "/decide radiology cancelled monday : tous les examens programmés sont annulés",
        user="@martin:hospital.example",
    )
    await bot.say("/decide consultations at arlon cancelled wednesday")
    await bot.say("/decide blood-sampling open until further notice")
    await bot.say("/decide surgery case-by-case tomorrow : chaque patient sera contacté")


async def test_french_answer_cites_the_decision(bot: Harness) -> None:
    await seed(bot)
    text, facts = await ask(bot, "la radiologie est-elle ouverte lundi ?")
    assert text == (
        "Non — radiologie, tous les sites : annulé le lundi 16 mai 2022 (décision n°1 du "
        "15 mai 09:12 par Dr Martin : tous les examens programmés sont annulés)."
    )
    assert facts["items"] == [
        {
            "service": "radiology",
            "site": "all",
            "date": "2022-05-16",
            "status": "cancelled",
            "decision": 1,
            "answer": "no",
        }
    ]
    assert facts["reading"]["lang"] == "fr"


async def test_yes_no_partially_none_in_each_language(bot: Harness) -> None:
    await seed(bot)
    text, facts = await ask(bot, "are blood tests still running tomorrow?")
    assert text.startswith(
        "Yes — blood sampling, all sites, Monday 16 May 2022: open from Sunday 15 May 2022"
    )
    text, facts = await ask(bot, "gaan de operaties morgen door?")
    assert text.startswith("Gedeeltelijk — chirurgie, alle sites: geval per geval op maandag")
    assert "chaque patient sera contacté" in text
    assert facts["items"][0]["answer"] == "partially"
    text, facts = await ask(bot, "ist die Radiologie morgen geöffnet?")
    assert text.startswith("Nein — Radiologie, alle Standorte: abgesagt am Montag, 16. Mai 2022")
    text, facts = await ask(bot, "is the lab open today?")
    assert text == (
        "No decision recorded — laboratory, all sites, on Sunday 15 May 2022.\n"
        "The crisis cell decides each morning."
    )
    assert facts["items"][0]["status"] is None and facts["items"][0]["answer"] == "none"


async def test_asking_if_cancelled_answers_yes(bot: Harness) -> None:
    await seed(bot)
    text, facts = await ask(bot, "les consultations à Arlon, c'est annulé mercredi ?")
    assert text.startswith("Oui — consultations, Arlon : annulé le mercredi 18 mai 2022")
    text, facts = await ask(bot, "is radiology open on wednesday 17 may?")  # 17 May: Tuesday
    assert facts["kind"] == "ask-back" and facts["why"] == "vague-date"
    text, facts = await ask(bot, "are consultations cancelled on Wednesday?")
    by_site = {i["site"]: i["answer"] for i in facts["items"]}
    assert by_site == {
        "arlon": "yes",
        "bastogne": "none",
        "libramont": "none",
        "marche": "none",
        "virton": "none",
    }


async def test_site_specific_and_all_sites_are_answered_per_site_group(bot: Harness) -> None:
    await bot.say("/decide consultations cancelled monday")
    await bot.say("/decide consultations at arlon open monday")
    text, _facts = await ask(bot, "consultations monday?")
    assert "Yes — consultations, Arlon: open on Monday 16 May 2022 (decision no. 2" in text
    assert (
        "No — consultations, other sites (Bastogne, Libramont, Marche and Virton): cancelled"
    ) in text
    text, _ = await ask(bot, "consultations lundi à Virton ?")
    assert text.startswith("Non — consultations, Virton : annulé le lundi 16 mai 2022")


async def test_several_services_and_typos(bot: Harness) -> None:
    await seed(bot)
    text, facts = await ask(bot, "radiolgy and scintigraphy tomorrow?")
    assert [i["service"] for i in facts["items"]] == ["radiology", "scintigraphy"]
    assert "(I read: “radiolgy” → radiology.)" in text


async def test_day_overview_lists_services_by_status(bot: Harness) -> None:
    await seed(bot)
    text, facts = await ask(bot, "what is cancelled on 16 May?")
    assert "Cancelled or closed:\n  • radiology — cancelled, no. 1" in text
    assert facts["intent"] == "day-overview" and facts["date"] == "2022-05-16"
    text, facts = await ask(bot, "qu'est-ce qui est ouvert demain ?")
    assert text.startswith("== Situation du lundi 16 mai 2022 — tous les sites ==\nOuvert :")
    assert "prises de sang — ouvert, n°3" in text
    assert "radiologie" not in text.split("Aucune décision")[0]


async def test_ask_back_instead_of_guessing(bot: Harness) -> None:
    await seed(bot)
    text, facts = await ask(bot, "is the cafeteria open?")
    assert facts == {"kind": "ask-back", "why": "no-service", "reading": facts["reading"]}
    assert text.startswith("Which service?")
    text, facts = await ask(bot, "la radio est ouverte la semaine prochaine ?")
    assert facts["why"] == "vague-date"
    assert "« la semaine prochaine » : quel jour exactement ?" in text


async def test_who_decides_is_configurable(sqlite_url: str) -> None:
    config = '[questions.who_decides]\nen = "Ask the cell on extension 4242."\n'
    h = await Harness.start(sqlite_url, now=START, config=config)
    try:
        text = await h.text("is radiology open today?")
        assert text.endswith("Ask the cell on extension 4242.")
    finally:
        await h.close()


async def test_ask_command(bot: Harness) -> None:
    await seed(bot)
    text, facts = await ask(bot, "/ask is radiology open monday?")
    assert text.startswith("No — radiology")
    text, facts = await ask(bot, "!vraag gaan de consultaties maandag door?")
    assert facts["reading"]["lang"] == "nl"


async def test_unaddressed_questions_only_where_the_room_wants_them(bot: Harness) -> None:
    await seed(bot)
    q = "la radiologie est-elle ouverte lundi ?"
    assert (await bot.send(q, addressed=False, room="ward")).replies == []
    await bot.say("/room questions on", room="ward")
    (reply,) = (await bot.send(q, addressed=False, room="ward")).replies
    assert reply.facts["items"][0]["answer"] == "no"
    # chatter without a service or without a question mark stays unanswered
    assert (await bot.send("on mange où ?", addressed=False, room="ward")).replies == []
    assert (await bot.send("la radio est fermée lundi", addressed=False, room="ward")).replies == []


async def test_never_answers_a_bot(bot: Harness) -> None:
    incoming = Incoming(
        platform="shell",
        room=room_ref("shell", "local"),
        sender="@bot:x",
        sender_name="bot",
        text="is radiology open?",
        command_text="is radiology open?",
        event_id="$b1",
        sent_at=bot.clock.now(),
        addressed=True,
        from_bot=True,
    )
    assert (await bot.runtime.dispatcher.handle(incoming)).replies == []


async def test_two_days_in_one_question_are_asked_back(bot: Harness) -> None:
    await seed(bot)
    text, facts = await ask(bot, "is radiology open on monday or tuesday?")
    assert facts["kind"] == "ask-back" and facts["why"] == "vague-date"
    assert "which day exactly?" in text
