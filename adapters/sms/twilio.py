"""The Twilio SMS gateway: Programmable Messaging REST API, status callbacks, STOP replies.

Outgoing messages go through the ``twilio`` package's async client
(``client.messages.create_async``); the API base URL is ``settings.api_base`` so tests
can point it at a loopback fake. Twilio reports what happens next by POSTing to the
bot's web server:

- ``POST /sms/twilio/status``: status callbacks (sent, delivered, undelivered...)
  -> :meth:`ReceiptSink.receipt`;
- ``POST /sms/twilio/inbound``: replies from recipients; a STOP word
  -> :meth:`ReceiptSink.opt_out`.

Both check ``X-Twilio-Signature`` against ``settings.public_url`` + the request path.

Phone numbers are personal health data: they never appear in an exception message or
a log line. Twilio's own error messages quote the number, so errors are described from
their code only, and the twilio library's request logging (INFO, with query strings
such as ``To=+32...``) is silenced.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import aiohttp
from aiohttp import web
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from adapters.sms.quiet import warnings_only
from bot.config import TwilioSettings
from bot.jobs.sms import (
    ErrorKind,
    GatewayError,
    Lookup,
    OutgoingSms,
    Receipt,
    ReceiptSink,
    ReceiptState,
    UnknownOutcome,
    is_stop,
)

log = logging.getLogger(__name__)

STATUS_PATH: Final = "/sms/twilio/status"
INBOUND_PATH: Final = "/sms/twilio/inbound"
EMPTY_TWIML: Final = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

# Twilio error codes (https://www.twilio.com/docs/api/errors) -> our error kinds. The
# descriptions are ours: Twilio's messages quote the phone number.
_OPTED_OUT: Final = 21610
_INVALID: Final[dict[int, str]] = {
    21211: "invalid 'To' number",
    21217: "the number does not appear valid",
    21408: "sending to this region is not enabled",
    21612: "the number is not reachable from this sender",
    21614: "the number is not a mobile number",
}
_THROTTLED: Final = 20429
_DESCRIPTIONS: Final[dict[int, str]] = {
    **_INVALID,
    _OPTED_OUT: "the recipient replied STOP",
    _THROTTLED: "too many requests",
    20003: "authentication failed",
    21602: "message body is required",
    21603: "a sender ('From' or messaging service) is required",
    21606: "the 'From' number cannot send SMS",
    21617: "the message body is too long",
}

_STATES: Final[dict[str, ReceiptState]] = {
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}
# Everything else (queued, accepted, scheduled, sending, sent...) is "submitted".

# Tolerance when comparing Twilio's timestamps (whole seconds, Twilio's clock) with ours.
_CLOCK_SKEW: Final = timedelta(minutes=2)
# How many of the newest messages to a number are searched for one still queued.
_RECENT: Final = 50

# The twilio library logs every request at INFO, including query strings (a message
# list filtered by To=<number>): kept at WARNING (adapters.sms.quiet).
_TWILIO_HTTP_LOGGERS: Final = ("twilio.http_client", "twilio.async_http_client")


def receipt_state(status: str) -> ReceiptState:
    """A Twilio message status as a receipt state."""
    return _STATES.get(status.strip().lower(), "submitted")


def _error(exc: TwilioException) -> GatewayError:
    """A Twilio error response as a GatewayError, described from its codes only."""
    status: int | None = getattr(exc, "status", None)
    raw_code = getattr(exc, "code", None)
    code = raw_code if isinstance(raw_code, int) and raw_code >= 1000 else None
    if code is not None:
        label, detail = f"twilio-{code}", f"Twilio HTTP {status}, error {code}"
    elif status is not None:
        label, detail = f"http-{status}", f"Twilio HTTP {status}"
    else:
        label, detail = "twilio", f"Twilio client error ({type(exc).__name__})"
    if code in _DESCRIPTIONS:
        detail += f": {_DESCRIPTIONS[code]}"
    kind: ErrorKind
    if code == _OPTED_OUT:
        kind = "opted-out"
    elif code in _INVALID:
        kind = "invalid"
    elif status in (429, 503) or code == _THROTTLED:
        kind = "transient"
    else:
        kind = "rejected"
    return GatewayError(kind, label, detail)


class TwilioGateway:
    """:class:`bot.jobs.sms.SmsGateway` over Twilio's REST API; webhooks via :meth:`install`."""

    name = "twilio"

    def __init__(self, settings: TwilioSettings, auth_token: str) -> None:
        if not auth_token:
            # Webhook signatures made with an empty key would be forgeable by anyone.
            raise ValueError(f"the Twilio auth token is empty (set {settings.auth_token_env})")
        self._settings = settings
        self._token = auth_token
        self._validator = RequestValidator(auth_token)
        self._timeout = settings.timeout_seconds
        self._client: Any = None  # twilio.rest.Client, created in start() (needs a loop)
        self._http: Any = None  # its AsyncTwilioHttpClient (owns an aiohttp session)
        self._sink: ReceiptSink | None = None
        warnings_only(*_TWILIO_HTTP_LOGGERS)

    # -- lifecycle -------------------------------------------------------------------

    async def start(self, sink: ReceiptSink) -> None:
        self._sink = sink
        if self._client is not None:
            return
        # No max_retries: the client would then retry POSTs itself (aiohttp_retry), and
        # a retried create can send the same SMS twice. Retrying is the core's job.
        self._http = AsyncTwilioHttpClient(timeout=self._timeout)
        client = Client(self._settings.account_sid, self._token, http_client=self._http)
        # Each API domain holds its base URL; Domain.absolute_url() reads it per request.
        client.api.base_url = self._settings.api_base
        # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the host name of
        # every request; the base URL is settings.api_base and nothing else.
        client.edge = None
        client.region = None
        self._client = client

    async def close(self) -> None:
        http, self._http, self._client = self._http, None, None
        if http is not None:
            await http.close()

    def _started(self) -> Any:
        if self._client is None:
            raise RuntimeError("TwilioGateway.start() was not called")
        return self._client

    # -- sending ---------------------------------------------------------------------

    async def submit(self, msg: OutgoingSms) -> str:
        client = self._started()
        s = self._settings
        kwargs: dict[str, Any] = {"to": msg.to, "body": msg.body}
        if s.messaging_service_sid:
            kwargs["messaging_service_sid"] = s.messaging_service_sid
        else:
            kwargs["from_"] = s.from_number
        if s.public_url:
            kwargs["status_callback"] = s.public_url + STATUS_PATH
        try:
            # The client's own timeout is not applied by AsyncTwilioHttpClient (it passes
            # timeout=None to aiohttp, which means "no timeout at all"): bound it here.
            async with asyncio.timeout(self._timeout):
                instance = await client.messages.create_async(**kwargs)
        except TwilioException as exc:
            if getattr(exc, "status", None) in (500, 502, 504):
                # a server error after the request arrived: it may have been created;
                # the reconciliation asks Twilio instead of sending it again
                raise UnknownOutcome(
                    f"Twilio answered HTTP {getattr(exc, 'status', '?')}; the message may "
                    "have been accepted"
                ) from None
            # `from None`: the original's text quotes the number, keep it off tracebacks.
            raise _error(exc) from None
        except aiohttp.ClientConnectorError as exc:
            # Refused, unreachable, DNS, TLS handshake: nothing was sent.
            raise GatewayError(
                "transient", "connect", f"cannot connect to Twilio ({type(exc).__name__})"
            ) from None
        except TimeoutError:
            raise UnknownOutcome(
                f"Twilio did not answer within {self._timeout:g}s; the message may have "
                "been accepted"
            ) from None
        except Exception as exc:  # disconnects, unreadable answers: the request went out
            raise UnknownOutcome(
                f"Twilio's answer was lost ({type(exc).__name__}); the message may have "
                "been accepted"
            ) from None
        sid = instance.sid
        if not isinstance(sid, str) or not sid:
            raise UnknownOutcome("Twilio accepted the request but returned no message SID")
        log.debug("twilio: message %s submitted as %s", msg.key, sid)
        return sid

    async def lookup(self, msg: OutgoingSms, *, since: datetime) -> Lookup | None:
        """Find ``msg`` among the messages Twilio holds for its recipient.

        Twilio filters by day only, so candidates are matched on the exact body and on
        their date (sent, else created) being no earlier than ``since`` (minus some
        clock skew). A message still queued has no date_sent and may escape Twilio's
        date filter: when nothing matches, the newest messages are searched for it.
        Raises GatewayError("transient") when Twilio cannot be asked right now.
        """
        client = self._started()
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
        floor = since - _CLOCK_SKEW
        try:
            async with asyncio.timeout(self._timeout):
                listed = await client.messages.list_async(
                    to=msg.to, date_sent_after=since, limit=200, page_size=100
                )
                found = self._match(listed, msg, floor, queued_only=False)
                if found is None:
                    recent = await client.messages.list_async(to=msg.to, limit=_RECENT)
                    found = self._match(recent, msg, floor, queued_only=True)
        except Exception as exc:
            raise GatewayError(
                "transient", "lookup", f"cannot ask Twilio ({type(exc).__name__})"
            ) from None
        if found is None:
            return Lookup(found=False)
        return Lookup(found=True, provider_id=found.sid, state=receipt_state(found.status or ""))

    @staticmethod
    def _match(messages: list[Any], msg: OutgoingSms, floor: datetime, *, queued_only: bool) -> Any:
        """The newest message (Twilio lists newest first) that can be ``msg``."""
        for m in messages:
            if m.body != msg.body or (queued_only and m.date_sent is not None):
                continue
            stamp: datetime | None = m.date_sent or m.date_created
            if stamp is None or stamp >= floor:
                return m
        return None

    # -- webhooks --------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        """Add the status-callback and inbound-SMS routes to the bot's web server."""
        if not self._settings.public_url:
            log.warning(
                "twilio: public_url is not set: webhooks cannot be verified and are refused"
            )
        app.router.add_post(STATUS_PATH, self._on_status)
        app.router.add_post(INBOUND_PATH, self._on_inbound)

    async def _verified_form(self, request: web.Request) -> dict[str, str] | None:
        """The form fields when the request is signed by Twilio with our token."""
        form = await request.post()
        signature = request.headers.get("X-Twilio-Signature", "")
        url = self._settings.public_url + request.path_qs
        if not (self._settings.public_url and signature) or not self._validator.validate(
            url, form, signature
        ):
            log.warning(
                "twilio: refused a webhook on %s: %s X-Twilio-Signature",
                request.path,
                "invalid" if signature else "missing",
            )
            return None
        return {k: v for k, v in form.items() if isinstance(v, str)}

    async def _on_status(self, request: web.Request) -> web.StreamResponse:
        form = await self._verified_form(request)
        if form is None:
            return web.Response(status=403)
        sid = form.get("MessageSid", "")
        status = form.get("MessageStatus") or form.get("SmsStatus", "")
        if not sid or not status:
            return web.Response(status=400, text="MessageSid and MessageStatus are required")
        error_code = form.get("ErrorCode") or None
        receipt = Receipt(
            self.name,
            sid,
            receipt_state(status),
            error_code,
            opted_out=error_code == str(_OPTED_OUT),
        )
        if not await self._report("status", lambda sink: sink.receipt(receipt)):
            return web.Response(status=500)
        return web.Response(status=204)

    async def _on_inbound(self, request: web.Request) -> web.StreamResponse:
        form = await self._verified_form(request)
        if form is None:
            return web.Response(status=403)
        sender = form.get("From", "")
        # OptOutType: Twilio's Advanced Opt-Out recognised a keyword configured there.
        stop = is_stop(form.get("Body", "")) or form.get("OptOutType", "").upper() == "STOP"
        if sender and stop:
            log.info("twilio: a STOP reply was received (%s)", form.get("MessageSid", "?"))
            if not await self._report(
                "inbound", lambda sink: sink.opt_out(sender, source="twilio-stop")
            ):
                return web.Response(status=500)
        # Other replies are not read by anyone: say nothing back (empty TwiML).
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def _report(self, what: str, call: Callable[[ReceiptSink], Awaitable[None]]) -> bool:
        """Hand something to the sink; False (-> 5xx, Twilio retries) when that failed."""
        sink = self._sink
        if sink is None:
            log.warning("twilio: %s webhook before the gateway was started", what)
            return False
        try:
            await call(sink)
        except Exception as exc:
            # Only the type: the sink's message could quote the number.
            log.error("twilio: %s webhook: the sink failed (%s)", what, type(exc).__name__)
            return False
        return True
