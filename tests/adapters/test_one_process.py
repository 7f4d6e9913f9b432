"""One `crisiscell run` serving Matrix (the test Synapse), Teams (a loopback Bot Connector),
the web page and the SMS sender, on one ledger: a decision recorded in a Matrix room is
the answer to a question asked in Teams; a job drafted in Matrix is approved from Teams by
a second person; a milestone alerts a Matrix room and a Teams conversation, each once; a
call outcome recorded on the web page is announced in the Matrix room that built the
list.

Teams runs with `local_testing` here (no token checks: the fake connector and key server
of `tests/adapters/test_teams.py` patch the SDK inside the test process, which a separate
bot process cannot share); token validation is tested there.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.matrix_helpers import FACTS, BotProcess, Human
from tests.polling import until
from tests.synapse import Synapse
from tests.teams_fakes import ALICE, FakeConnector, channel_message

pytestmark = [pytest.mark.matrix, pytest.mark.slow]

CONVERSATION = "19:crisis@thread.tacv2;messageid=1700000000000"
TOKEN = "e2e-web-token"


def phone(n: int) -> str:
    """A fake Belgian mobile number (never a real one)."""
    return f"+3247400{n:04d}"


def teams_text(post: dict[str, Any]) -> str:
    activity = post["activity"]
    parts = [str(activity.get("text") or "")]
    for attachment in activity.get("attachments") or []:
        parts.append(json.dumps(attachment.get("content"), ensure_ascii=False))
    return "\n".join(parts)


async def test_one_process_serves_matrix_teams_the_web_and_sms(
    synapse: Synapse, tmp_path: Path
) -> None:
    bot_id, _ = synapse.register("crisiscell-both")
    alice_id, _ = synapse.register("alice-both")
    connector = await FakeConnector().start()
    # Alice in Matrix and Alice in Teams are two cell members here (two persons), so one
    # may draft and the other approve
    bot = BotProcess(
        tmp_path / "bot",
        synapse,
        bot_id,
        cell=[alice_id, ALICE],
        extra_config="\n[teams]\nenabled = true\nlocal_testing = true\n",
    )
    bot.env.update({"CRISISCELL_WEB_TOKEN": TOKEN, "XDG_DATA_HOME": str(tmp_path / "data")})
    tomorrow = date.today() + timedelta(days=1)
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "appointment_id,start,site,service,phone,language\n"
        + "".join(
            f"S{i},{tomorrow.isoformat()}T{9 + i:02d}:00,arlon,surgery,{phone(i)},fr\n"
            for i in range(1, 4)
        ),
        encoding="utf-8",
    )
    imported = await bot.cli("appointments", "import", str(csv_file))
    assert imported.returncode == 0, imported.stderr
    bot.start()
    alice = await Human(synapse, alice_id, tmp_path / "alice").login()
    web = f"http://127.0.0.1:{bot.web_port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def teams(text: str) -> None:
                activity = channel_message(connector.url, text, conversation=CONVERSATION)
                async with http.post(f"{web}/api/messages", json=activity) as resp:
                    assert resp.status == 200, await resp.text()

            async def serving() -> bool:
                try:
                    async with http.get(f"{web}/healthz") as r:
                        return r.status == 200
                except aiohttp.ClientError:
                    return False

            await until(serving, within=90, what="the bot's web server")
            room = await alice.create_room([bot_id])
            await alice.wait_for(lambda: alice.member(room, bot_id))

            # a decision in Matrix, a question from Teams answered from it
            evt = await alice.send(room, "!decide radiology cancelled tomorrow")
            assert (await alice.reply(evt))[FACTS]["decisions"] == [1]
            await teams("is radiology open tomorrow?")
            answer = teams_text((await connector.wait(1))[0])
            assert "No" in answer and "radiology" in answer and "no. 1" in answer, answer

            # both rooms subscribe to milestones; one milestone alerts each exactly once
            evt = await alice.send(room, "!subscribe milestones")
            await alice.reply(evt)
            await teams("/subscribe milestones")
            await connector.wait(2)
            evt = await alice.send(room, "!milestone pacs restored : images back")
            await alice.reply(evt)
            await connector.wait(3)
            # a case-by-case day: a call list in Matrix, the SMS job approved from Teams
            evt = await alice.send(room, "!decide surgery case-by-case tomorrow")
            await alice.reply(evt)
            evt = await alice.send(room, "!calls surgery tomorrow")
            assert (await alice.reply(evt))[FACTS]["list"] == 1
            evt = await alice.send(room, "!notify surgery tomorrow")
            draft = (await alice.reply(evt))[FACTS]
            assert draft["recipients"] == 3, draft
            await teams(f"/notify approve {draft['job']}")

            async def approval() -> list[str]:
                return [teams_text(p) for p in connector.posts if "approved" in teams_text(p)]

            approved = await until(approval, within=30, what="the approval in Teams")
            assert "going out now" in approved[0], approved

            def sent() -> int:
                with sqlite3.connect(bot.db) as conn:
                    (n,) = conn.execute(
                        "SELECT count(*) FROM sms WHERE state = 'submitted'"
                    ).fetchone()
                return int(n)

            async def all_sent() -> bool:
                return sent() == 3

            await until(all_sent, within=60, what="the SMS sender")

            # the web page: S2 maintained after all -> offered in the Matrix room
            form = {"token": TOKEN, "appointment": "S2", "outcome": "maintained"}
            async with http.post(f"{web}/calls/1/outcome", data=form) as resp:
                assert resp.status == 200
            offer = await alice.wait_for(
                lambda: [
                    n
                    for r, n in alice.room_notices
                    if r == room and n.source["content"].get(FACTS, {}).get("kind") == "call-offer"
                ]
            )
            assert offer[0].source["content"][FACTS]["offer"] == [f"/notify correct {draft['job']}"]
    finally:
        bot.stop()
        await alice.close()
        await connector.server.stop()
    # the milestone, exactly once in each place: the Teams conversation's alert, and the
    # Matrix room where it was posted (its reply)
    in_teams = [teams_text(p) for p in connector.posts if "PACS" in teams_text(p)]
    assert len(in_teams) == 1, in_teams
    in_matrix = [n.body for r, n in alice.room_notices if r == room and "PACS" in n.body]
    assert len(in_matrix) == 1, in_matrix
