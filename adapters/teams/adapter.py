"""The bot in Microsoft Teams, on the Microsoft 365 Agents SDK.

The SDK validates every request's token (signature, audience = app id, expiry, issuer);
this adapter adds what the SDK leaves to its user: the tenant, and the token's service
URL against the activity's. Activities are deduplicated by the inbox (Teams redelivers
when a bot is slow), answered at once (handling is quick; replies go out from the outbox
right after the commit), and every conversation's reference is stored so that alerts can
be posted into it later, after a restart too. Teams cannot refuse a repeated post: its
delivery is at least once. Posts are paced per conversation and retried with backoff and
jitter on 429/502/504.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import random
import re
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
import jwt
from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.aiohttp import jwt_authorization_decorator
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration, ClaimsIdentity

from adapters.runtime import Runtime
from adapters.teams.render import render
from bot.config import TeamsSection
from bot.model import Incoming, Lang, as_lang, room_id, room_ref
from bot.ports import OutboxItem
from bot.runtime.outbox import OutboxSender

log = logging.getLogger(__name__)

PLATFORM = "teams"
REF_KEY = "teams:conversation:"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_ATTEMPTS = 5
MIN_INTERVAL = 0.15  # seconds between posts to one conversation (Teams: about 7/s)
_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


class TeamsError(Exception):
    """A post to the Bot Connector failed for good (the message says why)."""


class TokenSource(Protocol):
    async def token(self) -> str | None:
        """A bearer token for the Bot Connector, or None (local testing)."""


class MsalTokenSource:
    """Tokens for the Bot Connector from Entra, with the SDK's MSAL provider."""

    def __init__(self, cfg: TeamsSection, secret: str) -> None:
        from microsoft_agents.authentication.msal import MsalAuth

        self._auth = MsalAuth(
            AgentAuthConfiguration(
                client_id=cfg.app_id, tenant_id=cfg.tenant_id, client_secret=secret
            )
        )

    async def token(self) -> str | None:
        return str(
            await self._auth.get_access_token(
                "https://api.botframework.com", ["https://api.botframework.com/.default"]
            )
        )


class NoToken:
    async def token(self) -> str | None:
        return None


def auth_configuration(cfg: TeamsSection) -> AgentAuthConfiguration:
    if cfg.local_testing and not cfg.app_id:
        return AgentAuthConfiguration(anonymous_allowed=True)
    return AgentAuthConfiguration(
        client_id=cfg.app_id, tenant_id=cfg.tenant_id, validate_issuer=True
    )


def plain_text(text: str, bot_names: set[str]) -> tuple[str, bool]:
    """Teams text -> (text without the bot's mention and markup, whether it was mentioned)."""
    mentioned = False

    def drop(m: re.Match[str]) -> str:
        nonlocal mentioned
        if html.unescape(m.group(1)).strip().casefold() in bot_names:
            mentioned = True
            return " "
        return html.unescape(m.group(1))

    text = _AT.sub(drop, text or "")
    text = html.unescape(_TAG.sub(" ", text))
    return " ".join(text.split()), mentioned


def _signed(header: str | None) -> bool:
    parts = (header or "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return False
    try:
        head = jwt.get_unverified_header(parts[1])
    except jwt.PyJWTError:
        return False
    return head.get("alg") == "RS256" and bool(head.get("kid"))


def _lang(locale: str | None) -> Lang | None:
    return as_lang((locale or "")[:2].lower())


class TeamsAdapter:
    platform = PLATFORM

    def __init__(
        self,
        runtime: Runtime,
        cfg: TeamsSection,
        *,
        tokens: TokenSource,
        bot_name: str,
    ) -> None:
        self.runtime = runtime
        self.cfg = cfg
        self.tokens = tokens
        self.bot_names = {bot_name.casefold()}
        self.sender: OutboxSender | None = None
        self.session: aiohttp.ClientSession | None = None
        self._last_post: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._references: dict[str, str] = {}  # conversation id -> stored reference (JSON)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # a seam for tests
        if cfg.local_testing:
            log.warning(
                "TEAMS LOCAL TESTING: authentication is OFF, any request is served. "
                "Never expose this web server."
            )

    def install(self, app: web.Application) -> None:
        with warnings.catch_warnings():  # the SDK reads this plain string key
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            app["agent_configuration"] = auth_configuration(self.cfg)
        validated = jwt_authorization_decorator(self.on_messages)  # type: ignore[no-untyped-call]

        async def handler(request: web.Request) -> web.StreamResponse:
            # Only signed tokens reach the SDK's validator (it expects a key id).
            if not self.cfg.local_testing and not _signed(request.headers.get("Authorization")):
                return web.json_response({"error": "a signed bearer token is required"}, status=401)
            response: web.StreamResponse = await validated(request)
            return response

        app.router.add_post("/api/messages", handler)

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        self.runtime.health.success(self.platform, "endpoint ready")

    async def close(self) -> None:
        """Let replies being sent finish (briefly), then stop."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.session is not None:
            await self.session.close()

    # --- incoming ----------------------------------------------------------------------

    async def on_messages(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            activity = Activity.model_validate(body)
        except (ValueError, json.JSONDecodeError):
            return web.json_response({"error": "not an activity"}, status=400)
        refused = self._refuse(request.get("claims_identity"), activity)
        if refused is not None:
            log.warning("Teams: refused an activity: %s", refused[1])
            return web.json_response({"error": refused[1]}, status=refused[0])
        await self._remember(activity)
        if activity.type != "message":
            return web.Response(status=200)  # conversationUpdate & co: reference kept
        handled = await self.runtime.dispatcher.handle(self.to_incoming(activity))
        if handled.items and self.sender is not None:
            # Answer Teams now; the replies follow at once from the outbox.
            task = asyncio.create_task(self.sender.deliver_in_turn(handled.items))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.Response(status=200)

    def _refuse(self, claims: ClaimsIdentity | None, activity: Activity) -> tuple[int, str] | None:
        if self.cfg.local_testing:
            return None
        tenant = (activity.conversation.tenant_id if activity.conversation else None) or (
            ((activity.channel_data or {}).get("tenant") or {}).get("id")
            if isinstance(activity.channel_data, dict)
            else None
        )
        if tenant != self.cfg.tenant_id:
            return 403, "tenant not served"
        token_url = (claims.claims if claims else {}).get("serviceurl", "")
        if not token_url or token_url.rstrip("/") != (activity.service_url or "").rstrip("/"):
            return 401, "service URL does not match the token"
        return None

    async def _remember(self, activity: Activity) -> None:
        if not activity.conversation or not activity.service_url:
            return
        reference = {
            "service_url": activity.service_url,
            "conversation": activity.conversation.model_dump(by_alias=True, exclude_none=True),
            "bot": activity.recipient.model_dump(by_alias=True, exclude_none=True)
            if activity.recipient
            else None,
            "channel_id": activity.channel_id,
        }
        conversation = activity.conversation.id
        text = json.dumps(reference, sort_keys=True)
        if self._references.get(conversation) == text:
            return  # known and unchanged: no write
        async with self.runtime.db.uow() as uow:
            await uow.state.put(REF_KEY + conversation, text)
            await uow.commit()
        self._references[conversation] = text

    def to_incoming(self, activity: Activity) -> Incoming:
        conv = activity.conversation
        kind = (conv.conversation_type if conv else None) or "personal"
        sender = activity.from_property
        bot_names = set(self.bot_names)
        if activity.recipient and activity.recipient.name:
            bot_names.add(activity.recipient.name.casefold())
        text, mentioned = plain_text(activity.text or "", bot_names)
        bot_id = activity.recipient.id if activity.recipient else None
        entity_mention = any(
            e.type == "mention"
            and (e.model_dump(by_alias=True).get("mentioned") or {}).get("id") == bot_id
            for e in (activity.entities or [])
        )
        sent = activity.timestamp or datetime.now(UTC)
        return Incoming(
            platform=PLATFORM,
            room=room_ref(PLATFORM, conv.id if conv else "unknown"),
            sender=(getattr(sender, "aad_object_id", None) or sender.id) if sender else "",
            sender_name=(sender.name or sender.id) if sender else "",
            text=activity.text or "",
            command_text=text,
            event_id=activity.id or "",
            sent_at=sent if sent.tzinfo else sent.replace(tzinfo=UTC),
            is_direct=kind == "personal",
            addressed=kind in ("personal", "groupChat") or mentioned or entity_mention,
            lang_hint=_lang(activity.locale),
        )

    # --- outgoing (the outbox's chat port) -----------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        conversation = room_id(item.room)
        raw = self._references.get(conversation)
        if raw is None:  # after a restart: from the database
            async with self.runtime.db.uow() as uow:
                raw = await uow.state.get(REF_KEY + conversation)
        if raw is None:
            raise TeamsError(f"no conversation reference stored for {conversation}")
        reference = json.loads(raw)
        base = reference["service_url"].rstrip("/")
        url = f"{base}/v3/conversations/{quote(conversation, safe='')}/activities"
        if item.reply_to:
            url += f"/{quote(item.reply_to, safe='')}"
        activity = render(item.reply, reply_to=item.reply_to)
        activity["conversation"] = {"id": conversation}
        if reference.get("bot"):
            activity["from"] = reference["bot"]
        await self._post(conversation, url, activity)

    async def _post(self, conversation: str, url: str, activity: dict[str, Any]) -> None:
        assert self.session is not None, "start() the adapter first"
        lock = self._locks.setdefault(conversation, asyncio.Lock())
        async with lock:  # paced per conversation
            for attempt in range(1, MAX_ATTEMPTS + 1):
                wait = self._last_post.get(conversation, 0.0) + MIN_INTERVAL - time.monotonic()
                if wait > 0:
                    await self.sleep(wait)
                headers = {"Content-Type": "application/json"}
                token = await self.tokens.token()
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                async with self.session.post(url, json=activity, headers=headers) as resp:
                    self._last_post[conversation] = time.monotonic()
                    if resp.status < 300:
                        return
                    if resp.status in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                        header = resp.headers.get("Retry-After", "")
                        delay = float(header) if header.strip().isdigit() else 2.0**attempt / 2
                        delay += random.uniform(0, 0.25 * delay)  # jitter
                        log.warning(
                            "Teams: %s from the connector; retry in %.1f s", resp.status, delay
                        )
                        await self.sleep(delay)
                        continue
                    raise TeamsError(
                        f"Teams connector answered {resp.status}: {(await resp.text())[:200]}"
                    )
