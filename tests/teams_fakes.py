"""Loopback stand-ins for Microsoft's side of Teams: a JWKS key server with our own RSA
key (tokens minted here pass the SDK's real validation), and a fake Bot Connector."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient
from microsoft_agents.hosting.core.authorization.authentication_constants import (
    AuthenticationConstants,
)
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
    JwtTokenValidator,
    _JwkClientCacheEntry,
)

from adapters.web import WebServer

APP_ID = "0e5c1f8a-0000-4000-8000-00000000abcd"
TENANT = "7d2c4b10-0000-4000-8000-00000000cafe"
ALICE = "aad-alice-0000-4000-8000-000000000001"  # Entra object ids
BOB = "aad-bob-0000-4000-8000-000000000002"
KID = "test-key-1"


class KeyServer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KID, "use": "sig", "alg": "RS256"})
        app = web.Application()

        async def keys(_: web.Request) -> web.Response:
            return web.json_response({"keys": [jwk]})

        app.router.add_get("/keys", keys)
        self.server = WebServer(app)

    async def start(self) -> KeyServer:
        await self.server.start("127.0.0.1:0")
        return self

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Point the SDK's key source for the Bot Framework and our tenant at this server;
        every other check of the SDK's validation runs unchanged."""
        cache = JwtTokenValidator._jwk_client_manager._cache
        urls = [
            AuthenticationConstants.PUBLIC_ABS_JWKS_URL,
            f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys",
        ]
        saved = {u: cache.get(u) for u in urls}
        for u in urls:
            cache[u] = _JwkClientCacheEntry(
                PyJWKClient(f"http://127.0.0.1:{self.server.port}/keys"), threading.Lock()
            )
        try:
            yield
        finally:
            for u, entry in saved.items():
                if entry is None:
                    cache.pop(u, None)
                else:
                    cache[u] = entry

    def token(self, service_url: str, **override: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "https://api.botframework.com",
            "aud": APP_ID,
            "nbf": now - 10,
            "iat": now - 10,
            "exp": now + 600,
            "serviceurl": service_url,
        }
        headers = {"kid": override.pop("kid", KID)}
        key = self.other if override.pop("wrong_key", False) else self.key
        claims.update(override)
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)


class FakeConnector:
    """Records what the bot posts to /v3/conversations/{id}/activities[/{replyTo}]."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.arrivals: dict[str, float] = {}  # replyToId -> time.perf_counter() at arrival
        self.fail_with: list[int] = []  # statuses to answer first, in order
        self.arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v3/conversations/{conv}/activities", self.post)
        app.router.add_post("/v3/conversations/{conv}/activities/{reply}", self.post)
        self.server = WebServer(app)

    async def start(self) -> FakeConnector:
        await self.server.start("127.0.0.1:0")
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/"

    async def post(self, request: web.Request) -> web.Response:
        if self.fail_with:
            status = self.fail_with.pop(0)
            return web.json_response(
                {"error": "busy"},
                status=status,
                headers={"Retry-After": "1"} if status == 429 else {},
            )
        if request.match_info.get("reply"):
            self.arrivals[request.match_info["reply"]] = time.perf_counter()
        self.posts.append(
            {
                "conversation": request.match_info["conv"],
                "reply_to": request.match_info.get("reply"),
                "auth": request.headers.get("Authorization"),
                "activity": await request.json(),
            }
        )
        self.arrived.set()
        return web.json_response({"id": uuid.uuid4().hex})

    async def wait(self, count: int, within: float = 10) -> list[dict[str, Any]]:
        async def until() -> None:
            while len(self.posts) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(until(), within)
        return self.posts


def channel_message(
    service_url: str,
    text: str,
    *,
    activity_id: str | None = None,
    sender: str = ALICE,
    tenant: str = TENANT,
    conversation: str = "19:crisis@thread.tacv2;messageid=1700000000000",
    kind: str = "channel",
    mention: bool = True,
    locale: str = "en-US",
) -> dict[str, Any]:
    bot = {"id": f"28:{APP_ID}", "name": "crisiscell"}
    body = f"<at>crisiscell</at> {text}" if mention else text
    return {
        "type": "message",
        "id": activity_id or str(int(time.time() * 1000)) + uuid.uuid4().hex[:4],
        "timestamp": "2026-11-29T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{sender}", "name": sender.split("-")[1], "aadObjectId": sender},
        "conversation": {
            "isGroup": kind != "personal",
            "conversationType": kind,
            "tenantId": tenant,
            "id": conversation,
        },
        "recipient": bot,
        "text": body,
        "textFormat": "plain",
        "locale": locale,
        "entities": [{"type": "mention", "mentioned": bot, "text": "<at>crisiscell</at>"}]
        if mention
        else [],
        "channelData": {"tenant": {"id": tenant}},
    }
