"""The bot in Matrix rooms, with matrix-nio.

- One device across restarts: credentials (0600) and the nio crypto store live in the
  store directory; later starts use ``restore_login``.
- Exactly once: our own sync token is kept in the database (``adapter_state``) and saved
  only after every event of a batch was handled; each event goes through the inbox, so a
  batch seen again after a crash runs nothing twice. A ``limited`` timeline is back-filled
  with ``/messages``. The first start skips history; so does a newly joined room.
- Rate limits: ``retry_after_ms`` or the ``Retry-After`` header, bounded retries; sync
  errors back off exponentially, so a homeserver restart is survived.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from nio import (
    ErrorResponse,
    InviteMemberEvent,
    JoinError,
    MatrixRoom,
    MegolmEvent,
    MessageDirection,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncError,
    SyncResponse,
    UploadResponse,
)
from nio.exceptions import OlmUnverifiedDeviceError

from adapters.matrix.cross_signing import DeviceTrust, record
from adapters.matrix.errors import MatrixError
from adapters.matrix.login import Client, device_trust, login, make_client
from adapters.matrix.render import render
from adapters.runtime import Runtime
from bot import model
from bot.config import MatrixSection
from bot.model import Attachment, Incoming, room_ref
from bot.ports import OutboxItem
from bot.runtime.outbox import OutboxSender

log = logging.getLogger(__name__)

PLATFORM = "matrix"
TOKEN_KEY = "matrix:next_batch"
LAST_TS_KEY = "matrix:last_ts"
MAX_SEND_ATTEMPTS = 6
MAX_BACKFILL_PAGES = 10


def _retry_wait(client: Client, resp: ErrorResponse, attempt: int) -> float:
    if resp.retry_after_ms:
        return float(resp.retry_after_ms) / 1000
    if client.retry_after is not None:
        return client.retry_after
    return min(60.0, 2.0**attempt)


def _is_rate_limit(resp: object) -> bool:
    return isinstance(resp, ErrorResponse) and resp.status_code in ("M_LIMIT_EXCEEDED", "429")


def _room_id(item: OutboxItem) -> str:
    return model.room_id(item.room)


class MatrixAdapter:
    platform = PLATFORM

    def __init__(
        self,
        runtime: Runtime,
        settings: MatrixSection,
        *,
        store_dir: Path,
        inviters: list[str],
        bot_name: str,
    ) -> None:
        self.runtime = runtime
        self.cfg = settings
        self.store_dir = store_dir
        self.inviters = inviters
        self.names = [n for n in {bot_name, *settings.names} if n]
        self.sender: OutboxSender | None = None
        self.sent_events: deque[str] = deque(maxlen=2000)
        self.client = make_client(settings, store_dir)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # a seam for tests
        self.recheck_keys = asyncio.Event()  # the account's own keys changed

    # --- login (adapters.matrix.login) ---------------------------------------------------

    async def login(self) -> None:
        await login(self.client, self.cfg, self.store_dir)

    async def watch_cross_signing(self, stop: asyncio.Event) -> None:
        """Sign this device with the account's stored self-signing key when it is not
        cross-signed (a new device after a lost store), and record whether it is for
        `crisiscell status`. Runs beside the sync loop: checked at start, again when the
        account's own keys change (``device_lists.changed``), and retried with a back-off
        while the homeserver cannot be asked."""
        last: tuple[bool, str] | None = None
        failures = 0
        while not stop.is_set():
            self.recheck_keys.clear()
            trust = await device_trust(self.client, self.cfg, self.runtime.db.uow)
            if (trust.cross_signed, trust.detail) != last:
                last = (trust.cross_signed, trust.detail)
                _log_trust(trust)
                with contextlib.suppress(Exception):  # the next change records it again
                    await record(self.runtime.db.uow, trust, self.runtime.wall_clock.now())
            failures = failures + 1 if trust.unknown else 0
            wait = min(300.0, 5.0 * 2**failures) if trust.unknown else None
            waiting = [asyncio.ensure_future(e.wait()) for e in (stop, self.recheck_keys)]
            try:
                await asyncio.wait(waiting, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiting:
                    w.cancel()

    # --- the sync loop -----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        async with self.runtime.db.uow() as uow:
            token = await uow.state.get(TOKEN_KEY)
            last_ts = int(await uow.state.get(LAST_TS_KEY) or 0)
        failures = 0  # syncs failed in a row
        batch_failures = 0  # sync batches whose handling failed in a row (token kept)
        health = self.runtime.health  # registered (stale after 90 s) by the composition root
        while not stop.is_set():
            first = token is None
            try:
                # after a failure, an immediate sync: the bot is known healthy again at once
                resp = await self.client.sync(
                    timeout=0 if first or failures else 30_000,
                    since=token,
                    full_state=True if first else None,
                )
            except (OSError, TimeoutError, aiohttp.ClientError) as e:
                # the homeserver or the network is gone (a dropped connection is an
                # aiohttp.ClientError, not an OSError): retry, never stop the bot
                resp = SyncError(f"{type(e).__name__}: {e}")
            if not isinstance(resp, SyncResponse):
                health.failure(PLATFORM, f"sync failed: {type(resp).__name__}")
                failures += 1
                wait = (
                    _retry_wait(self.client, resp, failures)
                    if _is_rate_limit(resp)
                    else min(60.0, 0.5 * 2**failures)
                )
                log.warning("Matrix sync failed (%s); retrying in %.1f s", resp, wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                continue
            failures = 0
            health.success(PLATFORM, "syncing")
            if self.client.user_id in resp.device_list.changed:
                self.recheck_keys.set()
            log.debug("Matrix: sync batch %s", resp.next_batch)
            await self._keys_housekeeping()
            await self._invites(resp)
            log.debug("Matrix: invites done")
            if not first:  # the first sync only gives us a starting point: no history
                try:
                    last_ts = max(last_ts, await self._timelines(resp, last_ts))
                except Exception:
                    # The database (or the bot) failed mid-batch: keep the old token, so
                    # the batch is seen again; the inbox skips what was already handled.
                    batch_failures += 1
                    wait = min(60.0, 0.5 * 2**batch_failures)
                    health.failure(PLATFORM, "handling a sync batch failed")
                    log.exception("Matrix: handling a sync batch failed; retry in %.1f s", wait)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), wait)
                    continue
            log.debug("Matrix: timelines done")
            async with self.runtime.db.uow() as uow:
                await uow.state.put(TOKEN_KEY, resp.next_batch)
                await uow.state.put(LAST_TS_KEY, str(last_ts))
                await uow.commit()
            token = resp.next_batch
            batch_failures = 0

    async def _keys_housekeeping(self) -> None:
        c = self.client
        try:
            await c.send_to_device_messages()
            if c.should_upload_keys:
                await c.keys_upload()
            if c.should_query_keys:
                await c.keys_query()
            if c.should_claim_keys:
                await c.keys_claim(c.get_users_for_key_claiming())
        except Exception as e:  # keys are retried at the next sync
            log.warning("Matrix key maintenance failed: %s", e)

    async def _invites(self, resp: SyncResponse) -> None:
        for room_id, info in resp.rooms.invite.items():
            inviter = next(
                (
                    e.sender
                    for e in info.invite_state
                    if isinstance(e, InviteMemberEvent)
                    and e.state_key == self.client.user_id
                    and e.membership == "invite"
                ),
                None,
            )
            if inviter and self._may_invite(inviter) and self._room_allowed(room_id):
                joined = await self.client.join(room_id)
                if isinstance(joined, JoinError):
                    log.warning("Matrix: could not join %s: %s", room_id, joined)
                else:
                    log.info("Matrix: joined %s, invited by %s", room_id, inviter)
            else:
                log.warning("Matrix: refused the invite to %s from %s", room_id, inviter)
                await self.client.room_leave(room_id)

    def _may_invite(self, user_id: str) -> bool:
        server = ":" + user_id.split(":", 1)[-1]
        return user_id in self.inviters or server in self.inviters

    def _room_allowed(self, room_id: str) -> bool:
        return not self.cfg.allowed_rooms or room_id in self.cfg.allowed_rooms

    async def _timelines(self, resp: SyncResponse, last_ts: int) -> int:
        newest = last_ts
        work: list[Awaitable[int]] = []
        for room_id, info in resp.rooms.join.items():
            events = list(info.timeline.events)
            if info.timeline.limited and info.timeline.prev_batch:
                events = await self._backfill(room_id, info.timeline.prev_batch, last_ts) + events
            work.append(self._room_events(room_id, events))
        # Rooms are handled side by side; the token is saved once all are done.
        for ts in await asyncio.gather(*work):
            newest = max(newest, ts)
        return newest

    async def _backfill(self, room_id: str, start: str, last_ts: int) -> list[Any]:
        """Events a ``limited`` sync left out, back to what we had seen (oldest first)."""
        found: list[Any] = []
        token: str | None = start
        for _ in range(MAX_BACKFILL_PAGES):
            page = await self.client.room_messages(
                room_id, start=token or "", direction=MessageDirection.back, limit=50
            )
            if not isinstance(page, RoomMessagesResponse) or not page.chunk:
                break
            older = [e for e in page.chunk if getattr(e, "server_timestamp", 0) >= last_ts]
            found.extend(older)
            if len(older) < len(page.chunk) or not page.end:
                break
            token = page.end
        log.info("Matrix: back-filled %d events in %s", len(found), room_id)
        return list(reversed(found))

    async def _room_events(self, room_id: str, events: list[Any]) -> int:
        newest = 0
        me = self.client.user_id
        # History from before we joined the room is not for us.
        for i, e in enumerate(events):
            if (
                isinstance(e, RoomMemberEvent)
                and e.state_key == me
                and e.membership == "join"
                and e.prev_membership != "join"
            ):
                events = events[i + 1 :]
                break
        room = self.client.rooms.get(room_id)
        for event in events:
            log.debug("Matrix: event %s %s", type(event).__name__, getattr(event, "event_id", ""))
            newest = max(newest, int(getattr(event, "server_timestamp", 0) or 0))
            if room is None or getattr(event, "sender", me) == me:
                continue
            if isinstance(event, MegolmEvent):
                log.info("Matrix: cannot decrypt %s in %s: ignored", event.event_id, room_id)
                continue
            if not isinstance(event, RoomMessageText):  # notices, emotes, state, ...
                continue
            # A handler's own error becomes an answer (the dispatcher records it); what
            # escapes here is an infrastructure failure: it aborts the batch (see run).
            await self._handle(room, event)
        return newest

    # --- one message -------------------------------------------------------------------

    def to_incoming(self, room: MatrixRoom, event: RoomMessageText) -> Incoming:
        content: dict[str, Any] = event.source.get("content", {})
        relates = content.get("m.relates_to") or {}
        is_edit = relates.get("rel_type") == "m.replace"
        if is_edit:
            new = content.get("m.new_content") or {}
            body = str(new.get("body", ""))
            html = str(new.get("formatted_body", "") or "")
        else:
            body = event.body
            html = event.formatted_body or ""
        body = strip_reply_fallback(body)
        reply_to = (relates.get("m.in_reply_to") or {}).get("event_id")
        mentioned = self.client.user_id in (content.get("m.mentions") or {}).get("user_ids", [])
        mentioned = mentioned or f"matrix.to/#/{self.client.user_id}" in html
        text, named = strip_mention(body, [self.client.user_id, *self.names])
        direct = (room.joined_count or 0) + (room.invited_count or 0) <= 2
        return Incoming(
            platform=PLATFORM,
            room=room_ref(PLATFORM, room.room_id),
            sender=event.sender,
            sender_name=room.user_name(event.sender) or event.sender,
            text=body,
            command_text=text,
            event_id=event.event_id,
            sent_at=datetime.fromtimestamp(event.server_timestamp / 1000, UTC),
            is_direct=direct,
            addressed=direct or mentioned or named or reply_to in self.sent_events,
            is_edit=is_edit,
            from_bot=False,
        )

    async def _handle(self, room: MatrixRoom, event: RoomMessageText) -> None:
        handled = await self.runtime.dispatcher.handle(self.to_incoming(room, event))
        # Replies go out in turn; a file (an upload, up to minutes) is left to the outbox
        # sender's own task, so it never holds up this room's next events or the sync.
        in_turn = [i for i in handled.items if not i.reply.attachments]
        if in_turn and self.sender is not None:
            await self.sender.deliver_in_turn(in_turn)

    # --- sending (the outbox's chat port) ------------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        room_id = _room_id(item)
        room = self.client.rooms.get(room_id)
        if room is not None and room.encrypted and self.client.olm is None:
            raise MatrixError("encrypted room but no crypto store: refusing to send plaintext")
        contents = list(render(item.reply, reply_to=item.reply_to))
        if item.reply.attachments and room is None:
            # not known yet (a sync after a restart): whether it is encrypted decides how
            # the file is uploaded, so wait for the room rather than guess
            raise MatrixError("room not known yet; the file is sent at the next attempt")
        encrypted = room is not None and room.encrypted
        for a in item.reply.attachments:  # a file (an export): uploaded, then an m.file event
            contents.append(await self._upload(a, encrypted=encrypted))
        for n, content in enumerate(contents):
            # The outbox key makes the transaction id: the homeserver drops a repeat.
            txn = hashlib.sha256(f"{item.key}#{n}".encode()).hexdigest()[:32]
            resp = await self._send(room_id, content, txn)
            self.sent_events.append(resp.event_id)

    async def _upload(self, a: Attachment, *, encrypted: bool) -> dict[str, Any]:
        if a.path:
            data = await asyncio.to_thread(Path(a.path).read_bytes)
        else:
            data = a.content.encode("utf-8")
        # nio applies no timeout to uploads: a stalled one must not hold the sync loop
        resp, keys = await asyncio.wait_for(
            self.client.upload(
                io.BytesIO(data),
                content_type=a.media_type,
                filename=a.name,
                encrypt=encrypted,
                filesize=len(data),
            ),
            timeout=120,
        )
        if not isinstance(resp, UploadResponse):
            raise MatrixError(f"Matrix upload failed: {resp}")
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": a.name,
            "filename": a.name,
            "info": {"mimetype": a.media_type, "size": len(data)},
        }
        if encrypted and keys is not None:
            content["file"] = {**keys, "url": resp.content_uri}
        else:
            content["url"] = resp.content_uri
        return content

    async def _room_send(self, room_id: str, content: dict[str, Any], txn: str) -> Any:
        kwargs: dict[str, Any] = {"ignore_unverified_devices": self.cfg.trust == "all"}
        try:
            return await self.client.room_send(room_id, "m.room.message", content, txn, **kwargs)
        except OlmUnverifiedDeviceError:
            self.trust_room_devices(room_id)  # trust on first use, then send
            return await self.client.room_send(room_id, "m.room.message", content, txn, **kwargs)

    def trust_room_devices(self, room_id: str) -> None:
        room = self.client.rooms.get(room_id)
        if room is None:
            return
        for user in room.users:
            for device in self.client.device_store.active_user_devices(user):
                if not device.verified and not device.blacklisted:
                    self.client.verify_device(device)

    async def _send(self, room_id: str, content: dict[str, Any], txn: str) -> RoomSendResponse:
        for attempt in range(1, MAX_SEND_ATTEMPTS + 1):
            resp = await self._room_send(room_id, content, txn)
            if isinstance(resp, RoomSendResponse):
                return resp
            if _is_rate_limit(resp) and attempt < MAX_SEND_ATTEMPTS:
                wait = _retry_wait(self.client, resp, attempt)
                log.warning("Matrix: rate limited, waiting %.1f s", wait)
                await self.sleep(wait)
                continue
            raise MatrixError(f"Matrix send failed: {resp}")
        raise MatrixError("Matrix send: too many rate-limit answers")

    async def close(self) -> None:
        await self.client.close()


def _log_trust(trust: DeviceTrust) -> None:
    if trust.signed_now:
        log.info(
            "Matrix: signed the new device %s with the account's self-signing key",
            trust.device_id,
        )
    elif trust.cross_signed:
        log.info("Matrix: device %s is cross-signed", trust.device_id)
    else:
        log.warning(
            "Matrix: device %s is NOT cross-signed (%s): Element users who exclude "
            "insecure devices neither see its messages nor send it room keys",
            trust.device_id,
            trust.detail,
        )


_FALLBACK = re.compile(r"^(?:>.*\n)+\n?", re.MULTILINE)


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted ``> <@user> ...`` lines clients put on top of a reply."""
    if body.startswith("> "):
        return _FALLBACK.sub("", body, count=1).lstrip()
    return body


def strip_mention(body: str, names: list[str]) -> tuple[str, bool]:
    """``crisiscell: !status`` -> (``!status``, True) for any of the bot's names."""
    stripped = body.lstrip()
    for name in sorted(names, key=len, reverse=True):
        if not name:
            continue
        for candidate in (name, name.split(":", 1)[0].lstrip("@")):
            if stripped.casefold().startswith(candidate.casefold()):
                rest = stripped[len(candidate) :]
                if not rest or rest[0] in " :,":
                    return rest.lstrip(" :,").lstrip(), True
    return body, False
