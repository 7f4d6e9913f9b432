"""The bot in Teams, over loopback: the SDK's real token validation against our own key
server, a fake Bot Connector receiving the replies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from adapters.teams.adapter import TeamsAdapter
from adapters.web import WebServer
from bot.model import Paragraph, Reply, room_ref
from bot.runtime.outbox import OutboxSender
from storage import tables as T
from tests.conftest import START
from tests.harness import Harness
from tests.teams_fakes import (
    ALICE,
    APP_ID,
    BOB,
    TENANT,
    FakeConnector,
    KeyServer,
    channel_message,
)

CONFIG = f"""
[bot]
language = "en"

[[person]]
name = "Alice"
ids = ["{ALICE}"]
roles = ["cell"]

[teams]
enabled = true
app_id = "{APP_ID}"
tenant_id = "{TENANT}"
listen = "127.0.0.1:0"
"""


class StaticToken:
    async def token(self) -> str | None:
        return "connector-token"


@dataclass
class Teams:
    bot: Harness
    adapter: TeamsAdapter
    web: WebServer
    sender: OutboxSender
    keys: KeyServer
    connector: FakeConnector
    http: aiohttp.ClientSession

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.web.port}/api/messages"

    async def post(self, activity: dict[str, Any], token: str | None = "valid") -> int:
        headers = {}
        if token == "valid":
            token = self.keys.token(self.connector.url)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.post(self.endpoint, json=activity, headers=headers) as resp:
            return resp.status

    async def decisions(self) -> int:
        async with self.bot.runtime.db.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(T.decisions))).scalar_one()
            )

    async def inbox(self) -> int:
        async with self.bot.runtime.db.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(T.inbox))).scalar_one())


async def start_bot(h: Harness) -> tuple[TeamsAdapter, WebServer, OutboxSender]:
    adapter = TeamsAdapter(
        h.runtime, h.runtime.settings.teams, tokens=StaticToken(), bot_name="crisiscell"
    )
    sender = OutboxSender(h.runtime.db.uow, h.runtime.wall_clock, {"teams": adapter})
    adapter.sender = sender
    web = WebServer()
    adapter.install(web.app)
    await adapter.start()
    await web.start("127.0.0.1:0")
    return adapter, web, sender


@pytest.fixture
async def teams(sqlite_url: str) -> AsyncIterator[Teams]:
    keys = await KeyServer().start()
    connector = await FakeConnector().start()
    bot = await Harness.start(sqlite_url, now=START, config=CONFIG)
    adapter, web, sender = await start_bot(bot)
    http = aiohttp.ClientSession()
    with keys.installed():
        try:
            yield Teams(bot, adapter, web, sender, keys, connector, http)
        finally:
            await http.close()
            await web.stop()
            await adapter.close()
            await bot.close()
            await connector.server.stop()
            await keys.server.stop()


async def test_channel_mention_runs_decide_and_a_question(teams: Teams) -> None:
    url = teams.connector.url
    # a user who typed "<b>all</b>": Teams sends it HTML-escaped
    first = channel_message(
        url, "/decide radiology cancelled tomorrow : &lt;b&gt;all&lt;/b&gt; exams"
    )
    assert await teams.post(first) == 200
    (post,) = await teams.connector.wait(1)
    assert post["reply_to"] == first["id"]
    assert post["auth"] == "Bearer connector-token"
    activity = post["activity"]
    assert activity["replyToId"] == first["id"]
    assert activity["channelData"]["crisiscellFacts"]["decisions"] == [1]
    card = activity["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "&lt;b&gt;all&lt;/b&gt; exams" in activity["text"]  # escaped, not markup

    question = channel_message(url, "la radiologie est-elle ouverte demain ?", locale="fr-BE")
    assert await teams.post(question) == 200
    posts = await teams.connector.wait(2)
    answer = posts[1]["activity"]
    assert answer["text"].startswith("Non — radiologie, tous les sites")
    assert answer["channelData"]["crisiscellFacts"]["items"][0]["answer"] == "no"


async def test_staff_cannot_decide_and_unmentioned_channel_chatter_is_ignored(
    teams: Teams,
) -> None:
    url = teams.connector.url
    assert await teams.post(channel_message(url, "/decide surgery closed", sender=BOB)) == 200
    (post,) = await teams.connector.wait(1)
    assert post["activity"]["channelData"]["crisiscellFacts"]["kind"] == "refused"
    assert await teams.post(channel_message(url, "lunch at noon?", mention=False)) == 200
    chat = channel_message(
        url, "/whoami", mention=False, kind="groupChat", conversation="19:group@thread.v2"
    )
    assert await teams.post(chat) == 200  # in a group chat, no mention needed
    posts = await teams.connector.wait(2)
    assert posts[1]["activity"]["channelData"]["crisiscellFacts"]["id"] == ALICE
    assert len(posts) == 2


async def test_a_redelivered_activity_records_one_decision(teams: Teams) -> None:
    activity = channel_message(teams.connector.url, "/decide laboratory reduced tomorrow")
    assert await teams.post(activity) == 200
    assert await teams.post(activity) == 200  # Teams retried: the bot was "slow"
    await teams.connector.wait(1)
    assert await teams.decisions() == 1
    assert len(teams.connector.posts) == 1


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"aud": "someone-else"}, 401),
        ({"iss": "https://evil.example"}, 401),
        ({"exp": 1_000_000_000, "nbf": 999_999_000, "iat": 999_999_000}, 401),
        ({"kid": "unknown-key"}, 401),
        ({"wrong_key": True}, 401),
        ({"serviceurl": "https://smba.trafficmanager.net/emea/"}, 401),
    ],
    ids=["audience", "issuer", "expired", "unknown-kid", "bad-signature", "service-url"],
)
async def test_bad_tokens_are_refused_and_run_nothing(
    teams: Teams, claims: dict[str, Any], status: int
) -> None:
    activity = channel_message(teams.connector.url, "/decide radiology open")
    token = teams.keys.token(teams.connector.url, **claims)
    assert await teams.post(activity, token=token) == status
    assert await teams.inbox() == 0 and await teams.decisions() == 0


async def test_unsigned_missing_and_other_tenant_are_refused(teams: Teams) -> None:
    import jwt

    url = teams.connector.url
    activity = channel_message(url, "/decide radiology open")
    none_token = jwt.encode(
        {"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": url},
        key="",
        algorithm="none",
    )
    assert await teams.post(activity, token=none_token) == 401
    assert await teams.post(activity, token=None) == 401
    other = channel_message(url, "/decide radiology open", tenant="another-tenant")
    assert await teams.post(other) == 403
    assert await teams.inbox() == 0 and await teams.decisions() == 0


async def test_proactive_message_after_a_restart(teams: Teams) -> None:
    url = teams.connector.url
    conversation = "19:alerts@thread.tacv2"
    first = channel_message(url, "/whoami", conversation=conversation)
    assert await teams.post(first) == 200
    await teams.connector.wait(1)
    # restart: a new adapter, web server and sender on the same database
    await teams.web.stop()
    await teams.adapter.close()
    adapter, web, sender = await start_bot(teams.bot)
    try:
        async with teams.bot.runtime.db.uow() as uow:
            await uow.outbox.add(
                room=room_ref("teams", conversation),
                reply=Reply(kind="alert", lang="en", blocks=(Paragraph("Lab system restored"),)),
                key="alert:test:1",
                at=teams.bot.clock.now(),
            )
            await uow.commit()
        assert await sender.sweep() == 1
        posts = await teams.connector.wait(2)
        assert posts[1]["conversation"] == conversation
        assert posts[1]["reply_to"] is None
        assert "Lab system restored" in posts[1]["activity"]["text"]
    finally:
        await web.stop()
        await adapter.close()


async def test_connector_429_is_retried(teams: Teams) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    teams.adapter.sleep = record
    teams.connector.fail_with = [429, 502]
    assert await teams.post(channel_message(teams.connector.url, "/whoami")) == 200
    (post,) = await teams.connector.wait(1)
    assert post["activity"]["channelData"]["crisiscellFacts"]["kind"] == "whoami"
    retry_waits = [w for w in waits if w >= 0.5]
    assert len(retry_waits) == 2 and 1.0 <= retry_waits[0] <= 1.25  # Retry-After: 1 + jitter
