"""A fake Twilio REST API on loopback, enough of it for the ``twilio`` package's client.

:class:`FakeTwilio` is a real aiohttp server on 127.0.0.1 (a free port) serving

- ``POST /2010-04-01/Accounts/{sid}/Messages.json``: create a message (HTTP basic auth
  with the account SID and auth token; form To, From or MessagingServiceSid, Body,
  StatusCallback); answers 201 with a message resource, status "queued";
- ``GET  /2010-04-01/Accounts/{sid}/Messages.json``: list, newest first, filtered by
  ``To`` and ``DateSent>`` (by day, like Twilio; a message not sent yet has no
  date_sent and is left out by a date filter), one page;
- ``GET  /2010-04-01/Accounts/{sid}/Messages/{msid}.json``: fetch one.

Behaviour is programmable per recipient number (``invalid``, ``opted_out``,
``drop_after_accept``, ``undeliverable``, ``stall``) and ``throttle_next`` answers that
many 429s. Accepted messages are recorded in :attr:`FakeTwilio.accepted` with a
monotonic timestamp (:meth:`max_in_window` measures the send rate).

After accepting, a background task moves the message to "sent" then "delivered" (or
"undelivered", ErrorCode 30003) and, when a StatusCallback was given, POSTs each status
there, form-encoded and signed (X-Twilio-Signature) like Twilio does.
``await fake.callbacks_done()`` returns once every pending callback was answered.
:meth:`send_inbound` posts a signed incoming-SMS webhook (a recipient's reply).
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
API_VERSION = "2010-04-01"


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _rfc2822(when: datetime | None) -> str | None:
    return format_datetime(when, usegmt=True) if when is not None else None


@dataclass
class AcceptedMessage:
    """One message the fake accepted (answered 201, or recorded before dropping)."""

    sid: str
    to: str
    body: str
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    at: float  # time.monotonic() when accepted
    created: datetime
    status: str = "queued"
    sent: datetime | None = None
    error_code: int | None = None


@dataclass(frozen=True)
class WebhookReply:
    """What the bot answered to a webhook the fake posted."""

    url: str
    params: dict[str, str]
    status: int  # 0: the bot could not be reached
    text: str = ""
    content_type: str = ""


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.url = ""  # http://127.0.0.1:<port>, once started
        # Programmable behaviour, by recipient number.
        self.invalid: set[str] = set()  # 400, code 21211
        self.opted_out: set[str] = set()  # 400, code 21610
        self.drop_after_accept: set[str] = set()  # record, then close without answering
        self.undeliverable: set[str] = set()  # final status "undelivered", 30003
        self.stall: set[str] = set()  # record, then never answer (until stop())
        self.throttle_next = 0  # that many 429s (code 20429), whoever the recipient
        self.auto_callbacks = True  # move accepted messages to sent/delivered by itself
        # What happened.
        self.accepted: list[AcceptedMessage] = []
        self.callbacks: list[WebhookReply] = []  # status callbacks posted, in order
        self.requests = 0  # create requests received, refused ones included
        self._messages: dict[str, AcceptedMessage] = {}
        self._validator = RequestValidator(auth_token)
        self._pending: set[asyncio.Task[None]] = set()
        self._released = asyncio.Event()
        self._grew = asyncio.Event()  # set whenever a message is accepted
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        base = f"/{API_VERSION}/Accounts/{{account}}/Messages"
        app.router.add_post(base + ".json", self._create)
        app.router.add_get(base + ".json", self._list)
        app.router.add_get(base + "/{sid}.json", self._fetch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()
        self._released.clear()

    async def stop(self) -> None:
        """Stop serving; pending callbacks are cancelled, stalled requests dropped."""
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        self._released.set()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTwilio:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- what tests look at ----------------------------------------------------------

    def count_to(self, number: str) -> int:
        return sum(1 for m in self.accepted if m.to == number)

    def message(self, sid: str) -> AcceptedMessage:
        return self._messages[sid]

    @property
    def accepted_times(self) -> list[float]:
        return [m.at for m in self.accepted]

    def max_in_window(self, seconds: float) -> int:
        """The most messages accepted within any half-open window [t, t + seconds)."""
        times = sorted(self.accepted_times)
        return max(
            (bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times)),
            default=0,
        )

    async def wait_accepted(self, n: int, within: float = 60) -> None:
        """Wait until at least ``n`` messages have been accepted (woken per message)."""
        async with asyncio.timeout(within):
            while len(self.accepted) < n:
                self._grew.clear()
                await self._grew.wait()

    async def callbacks_done(self) -> None:
        """Wait until every status callback scheduled so far has been posted and answered."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    # -- webhooks towards the bot ----------------------------------------------------

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """X-Twilio-Signature for a POST of ``params`` to ``url``."""
        signature: str = self._validator.compute_signature(url, dict(params))
        return signature

    async def post_webhook(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        signature: str | None = None,
        signed: bool = True,
    ) -> WebhookReply:
        """POST a form to the bot like Twilio; ``signature`` overrides the right one."""
        assert self._session is not None, "FakeTwilio.start() was not called"
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = (
                signature if signature is not None else self.sign(url, params)
            )
        try:
            async with self._session.post(url, data=dict(params), headers=headers) as resp:
                return WebhookReply(
                    url, dict(params), resp.status, await resp.text(), resp.content_type
                )
        except aiohttp.ClientError:
            return WebhookReply(url, dict(params), 0)

    async def send_inbound(
        self, url: str, from_: str, body: str, *, to: str = "+32470000100"
    ) -> WebhookReply:
        """A recipient's reply SMS, as Twilio's incoming-message webhook posts it."""
        sid = _sid("SM")
        return await self.post_webhook(
            url,
            {
                "ToCountry": "BE",
                "SmsMessageSid": sid,
                "NumMedia": "0",
                "SmsSid": sid,
                "SmsStatus": "received",
                "Body": body,
                "FromCountry": "BE",
                "To": to,
                "NumSegments": "1",
                "MessageSid": sid,
                "AccountSid": self.account_sid,
                "From": from_,
                "ApiVersion": API_VERSION,
            },
        )

    # -- the REST API ----------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return (
            request.match_info["account"] == self.account_sid
            and request.headers.get("Authorization", "") == f"Basic {expected}"
        )

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status=status,
        )

    def _resource(self, m: AcceptedMessage) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{m.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": m.body,
            "date_created": _rfc2822(m.created),
            "date_sent": _rfc2822(m.sent),
            "date_updated": _rfc2822(m.sent or m.created),
            "direction": "outbound-api",
            "error_code": m.error_code,
            "error_message": None,
            "from": m.from_,
            "messaging_service_sid": m.messaging_service_sid,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "EUR",
            "sid": m.sid,
            "status": m.status,
            "subresource_uris": {"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
            "to": m.to,
            "uri": uri + ".json",
        }

    async def _create(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._error(401, 20003, "Authenticate")
        self.requests += 1
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        to, body = form.get("To", ""), form.get("Body", "")
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return self._error(429, 20429, "Too Many Requests")
        if not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not body:
            return self._error(400, 21602, "Message body is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21603, "A 'From' phone number is required.")
        # Like Twilio's, these messages quote the number: the gateway must not repeat them.
        if to in self.invalid:
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self.opted_out:
            return self._error(
                400, 21610, f"Attempt to send to unsubscribed recipient {to} (replied STOP)."
            )
        m = AcceptedMessage(
            sid=_sid("SM"),
            to=to,
            body=body,
            from_=form.get("From"),
            messaging_service_sid=form.get("MessagingServiceSid"),
            status_callback=form.get("StatusCallback"),
            at=time.monotonic(),
            created=datetime.now(UTC),
        )
        self.accepted.append(m)
        self._messages[m.sid] = m
        self._grew.set()
        if self.auto_callbacks:
            task = asyncio.create_task(self._progress(m))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        if to in self.stall:
            await self._released.wait()
        if to in self.drop_after_accept or to in self.stall:
            # Accepted, but the client never hears of it.
            assert request.transport is not None
            request.transport.close()
        return web.json_response(self._resource(m), status=201)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._error(401, 20003, "Authenticate")
        q = request.query
        to = q.get("To")
        after = q.get("DateSent>")
        day: date | None = date.fromisoformat(after[:10]) if after else None
        found = [
            m
            for m in reversed(self.accepted)  # newest first, like Twilio
            if (to is None or m.to == to)
            and (day is None or (m.sent is not None and m.sent.date() >= day))
        ]
        uri = request.path_qs
        return web.json_response(
            {
                "messages": [self._resource(m) for m in found],
                "end": max(len(found) - 1, 0),
                "first_page_uri": uri,
                "next_page_uri": None,
                "page": 0,
                "page_size": int(q.get("PageSize", "50")),
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            }
        )

    async def _fetch(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._error(401, 20003, "Authenticate")
        m = self._messages.get(request.match_info["sid"])
        if m is None:
            return self._error(404, 20404, "The requested resource was not found")
        return web.json_response(self._resource(m))

    async def _progress(self, m: AcceptedMessage) -> None:
        """sent, then delivered or undelivered; each posted to the StatusCallback."""
        m.status, m.sent = "sent", datetime.now(UTC)
        await self._callback(m)
        if m.to in self.undeliverable:
            m.status, m.error_code = "undelivered", 30003
        else:
            m.status = "delivered"
        await self._callback(m)

    async def _callback(self, m: AcceptedMessage) -> None:
        if not m.status_callback:
            return
        params = {
            "SmsSid": m.sid,
            "SmsStatus": m.status,
            "MessageStatus": m.status,
            "To": m.to,
            "MessageSid": m.sid,
            "AccountSid": self.account_sid,
            "From": m.from_ or "",
            "ApiVersion": API_VERSION,
        }
        if m.messaging_service_sid:
            params["MessagingServiceSid"] = m.messaging_service_sid
        if m.error_code is not None:
            params["ErrorCode"] = str(m.error_code)
        self.callbacks.append(await self.post_webhook(m.status_callback, params))
