"""The bot in Matrix rooms, on a real Synapse, driven by a human's matrix-nio client."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nio import DownloadResponse, RoomEncryptedFile

from tests.matrix_helpers import FACTS, BotProcess, Human
from tests.synapse import Synapse

pytestmark = [pytest.mark.matrix, pytest.mark.slow]


@dataclass
class Scene:
    synapse: Synapse
    bot_id: str
    bot: BotProcess
    alice: Human  # crisis cell
    bob: Human  # staff
    root: Path

    async def room(self, *, encrypted: bool = False) -> str:
        room_id = await self.alice.create_room([self.bot_id], encrypted=encrypted)
        await self.alice.wait_for(lambda: self.alice.member(room_id, self.bot_id))
        return room_id


@pytest.fixture
async def scene(synapse: Synapse, tmp_path: Path) -> AsyncIterator[Scene]:
    bot_id, _ = synapse.register("crisiscell")
    alice_id, _ = synapse.register("alice")
    bob_id, _ = synapse.register("bob")
    bot = BotProcess(tmp_path / "bot", synapse, bot_id, cell=[alice_id])
    alice = await Human(synapse, alice_id, tmp_path / "alice").login()
    bob = await Human(synapse, bob_id, tmp_path / "bob").login()
    bot.start()
    try:
        yield Scene(synapse, bot_id, bot, alice, bob, tmp_path)
    finally:
        bot.stop()
        await alice.close()
        await bob.close()


def decisions(db: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        return [tuple(r) for r in conn.execute("SELECT no, service FROM decisions ORDER BY no")]


async def test_commands_questions_roles_and_escaping(scene: Scene) -> None:
    alice, bob = scene.alice, scene.bob
    room = await alice.create_room([])
    early = await alice.send(room, "!status")  # before the bot is in the room
    await alice.invite(room, scene.bot_id)
    await alice.wait_for(lambda: alice.member(room, scene.bot_id))

    note = (
        '<script>alert(1)</script> <a href="javascript:alert(2)">x</a> '
        "<mx-reply><blockquote>forged</blockquote></mx-reply>"
    )
    evt = await alice.send(room, f"!decide radiology cancelled tomorrow : {note}")
    content = await alice.reply(evt)
    assert content["msgtype"] == "m.notice"
    assert content[FACTS]["decisions"] == [1]
    html = content["formatted_body"]
    assert "<script" not in html and "<a " not in html and "<mx-reply" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;a href=&quot;javascript:alert(2)&quot;&gt;" in html
    assert note in content["body"]

    evt = await alice.send(room, "/status radiology")  # a slash that got through
    assert (await alice.reply(evt))[FACTS]["kind"] == "status"

    evt = await alice.send(room, "crisiscell: is radiology open tomorrow?")
    answer = (await alice.reply(evt))[FACTS]
    assert answer["items"][0]["answer"] == "no" and answer["items"][0]["decision"] == 1

    await alice.invite(room, bob.user_id)
    await bob.sync()
    await bob.join(room)
    evt = await bob.send(room, "!decide surgery closed")
    assert (await bob.reply(evt))[FACTS]["kind"] == "refused"

    # chatter is ignored; the command sent before the bot joined was never answered
    chatter = await bob.send(room, "coffee anyone?")
    evt = await alice.send(room, "!whoami")
    await alice.reply(evt)
    await alice.sync()
    assert alice.replies_to(early) == [] and alice.replies_to(chatter) == []
    assert decisions(scene.bot.db) == [(1, "radiology")]


async def test_edits_are_not_rerun(scene: Scene) -> None:
    room = await scene.room()
    evt = await scene.alice.send(room, "!decide radiology cancelled tomorrow")
    await scene.alice.reply(evt)
    edit = await scene.alice.send(
        room,
        "* !decide radiology open tomorrow",
        **{
            "m.new_content": {"msgtype": "m.text", "body": "!decide radiology open tomorrow"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": evt},
        },
    )
    content = await scene.alice.reply(edit)
    assert content[FACTS] == {"kind": "edit-ignored"}
    assert "Edits are not re-run" in content["body"]
    assert decisions(scene.bot.db) == [(1, "radiology")]


async def test_encrypted_room(scene: Scene) -> None:
    room = await scene.room(encrypted=True)
    evt = await scene.alice.send(room, "!decide laboratory reduced tomorrow : half staff")
    content = await scene.alice.reply(evt)  # a decrypted m.notice
    assert content[FACTS]["decisions"] == [1]
    evt = await scene.alice.send(room, "crisiscell: is the lab open tomorrow?")
    assert (await scene.alice.reply(evt))[FACTS]["items"][0]["answer"] == "partially"
    # its keys persist: after a restart it still reads and answers in the room
    scene.bot.stop()
    scene.bot.start()
    evt = await scene.alice.send(room, "!status tomorrow laboratory")
    assert (await scene.alice.reply(evt))[FACTS]["items"][0]["status"] == "reduced"


async def test_a_strangers_invite_is_refused(scene: Scene, synapse: Synapse) -> None:
    eve_id, _ = synapse.register("eve")
    eve = await Human(synapse, eve_id, scene.root / "eve").login()
    try:
        room = await eve.create_room([scene.bot_id])
        # the bot rejects: its membership goes from invite to leave
        await eve.wait_for(lambda: scene.bot_id not in eve.client.rooms[room].invited_users)
        assert not eve.member(room, scene.bot_id)
    finally:
        await eve.close()


async def test_killed_after_commit_answers_exactly_once(scene: Scene) -> None:
    room = await scene.room()
    scene.bot.stop()
    scene.bot.start(CRISISCELL_CRASH_AT="after-inbox-commit")
    evt = await scene.alice.send(room, "!decide radiology cancelled tomorrow")
    assert await scene.bot.wait_exit() == 137  # died right after the commit
    while_down = await scene.alice.send(room, "!decide surgery closed tomorrow")
    scene.bot.start()
    await scene.alice.reply(evt)
    await scene.alice.reply(while_down)
    # one more round trip, so that a duplicate would have arrived by now
    await scene.alice.reply(await scene.alice.send(room, "!whoami"))
    assert len(scene.alice.replies_to(evt)) == 1
    assert len(scene.alice.replies_to(while_down)) == 1
    assert decisions(scene.bot.db) == [(1, "radiology"), (2, "surgery")]


async def test_sigkill_on_arrival_then_restart(scene: Scene) -> None:
    room = await scene.room()
    scene.bot.kill()
    evt = await scene.alice.send(room, "!decide emergency open")
    scene.bot.start()
    await scene.alice.reply(evt)
    scene.bot.kill()  # and again, right after it answered
    scene.bot.start()
    await scene.alice.reply(await scene.alice.send(room, "!whoami"))
    assert len(scene.alice.replies_to(evt)) == 1
    assert decisions(scene.bot.db) == [(1, "emergency")]


async def test_survives_a_homeserver_restart(scene: Scene, synapse: Synapse) -> None:
    room = await scene.room()
    await scene.alice.reply(await scene.alice.send(room, "!whoami"))
    synapse.restart()
    await scene.alice.sync(0)
    evt = await scene.alice.send(room, "!decide covid-centres closed")
    assert (await scene.alice.reply(evt, within=90))[FACTS]["decisions"] == [1]


async def test_one_device_across_restarts(scene: Scene) -> None:
    room = await scene.room()
    await scene.alice.reply(await scene.alice.send(room, "!whoami"))
    scene.bot.stop()
    scene.bot.start()
    await scene.alice.reply(await scene.alice.send(room, "!whoami"))
    creds = json.loads((scene.bot.root / "matrix" / "credentials.json").read_text())
    # the devices with keys that the homeserver knows for the bot: still only one
    req = urllib.request.Request(
        f"{scene.synapse.url}/_matrix/client/v3/keys/query",
        data=json.dumps({"device_keys": {scene.bot_id: []}}).encode(),
        headers={
            "Authorization": f"Bearer {scene.alice.client.access_token}",
            "Content-Type": "application/json",
        },
    )

    def query() -> dict[str, object]:
        with urllib.request.urlopen(req, timeout=10) as resp:
            keys: dict[str, object] = json.loads(resp.read())["device_keys"][scene.bot_id]
            return keys

    keys = await asyncio.to_thread(query)
    assert list(keys) == [creds["device_id"]]


async def test_a_backlog_longer_than_a_sync_is_back_filled(scene: Scene) -> None:
    """Sent while the bot was down, more than one sync timeline holds: all answered once."""
    room = await scene.room()
    await scene.alice.reply(await scene.alice.send(room, "!whoami"))
    scene.bot.stop()
    sent = [await scene.alice.send(room, f"!history page {n}") for n in range(1, 26)]
    scene.bot.start()
    for evt in sent:
        await scene.alice.reply(evt, within=60)
    await scene.alice.reply(await scene.alice.send(room, "!whoami"))
    assert all(len(scene.alice.replies_to(evt)) == 1 for evt in sent)


async def test_a_milestone_alert_reaches_two_subscribed_rooms(scene: Scene) -> None:
    alice = scene.alice
    command_room = await scene.room()
    rooms = [await scene.room(), await scene.room()]
    for room in rooms:
        await alice.reply(await alice.send(room, "!subscribe milestones"))
    await alice.reply(await alice.send(command_room, "!milestone pacs restored : back"))

    def alerts() -> list[tuple[str, dict[str, object]]]:
        return [
            (room, n.source["content"][FACTS])
            for room, n in alice.room_notices
            # alerts, not the command's own reply (which answers in its own room)
            if n.source["content"].get(FACTS, {}).get("kind") == "milestone"
            and "m.relates_to" not in n.source["content"]
        ]

    await alice.wait_for(lambda: len(alerts()) >= 2)
    await alice.reply(await alice.send(command_room, "!whoami"))  # let any duplicate arrive
    assert sorted(room for room, _ in alerts()) == sorted(rooms)
    assert all(facts["system"] == "radiology-pacs" for _, facts in alerts())


async def test_export_is_uploaded_to_the_room(scene: Scene) -> None:
    alice = scene.alice
    for encrypted in (False, True):
        room = await scene.room(encrypted=encrypted)
        await alice.reply(await alice.send(room, "!decide radiology cancelled tomorrow"))
        evt = await alice.send(room, "!export sitrep")
        content = await alice.reply(evt)
        assert content[FACTS]["kind"] == "export"
        assert "file written on the bot's machine" in content["body"]

        def files(room: str = room) -> list[Any]:
            return [e for r, e in alice.files if r == room]

        found = await alice.wait_for(files)
        event = found[0]
        assert event.body.startswith("crisiscell-sitrep-") and event.body.endswith(".html")
        if encrypted:
            assert isinstance(event, RoomEncryptedFile)
            resp = await alice.client.download(event.url)
            assert isinstance(resp, DownloadResponse)
            from nio.crypto import decrypt_attachment

            data = decrypt_attachment(resp.body, event.key["k"], event.hashes["sha256"], event.iv)
        else:
            resp = await alice.client.download(event.url)
            assert isinstance(resp, DownloadResponse)
            data = resp.body
        html = data.decode("utf-8")
        assert "<html" in html and "radiology" in html and "Chain verified" in html
