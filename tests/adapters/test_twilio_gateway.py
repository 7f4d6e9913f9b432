"""The Twilio gateway against a loopback fake Twilio API, its webhooks on a real web server.

Every test runs with logging captured at DEBUG; afterwards no phone number of the test
may appear in any log record (fixture ``no_number_in_logs``). Exceptions raised by the
gateway are checked the same way (``assert_hides_numbers``).
"""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

from adapters.sms.twilio import EMPTY_TWIML, INBOUND_PATH, STATUS_PATH, TwilioGateway
from adapters.web import WebServer
from bot.config import TwilioSettings
from bot.jobs.sms import GatewayError, Lookup, OutgoingSms, Receipt, UnknownOutcome
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

# Fake Belgian mobile numbers (the 0470 00 01xx block); never real ones.
SENDER = "+32470000100"
ALICE = "+32470000101"
BOB = "+32470000102"
CAROL = "+32470000103"
DAVE = "+32470000104"
NUMBERS = (SENDER, ALICE, BOB, CAROL, DAVE)
SERVICE_SID = "MG" + "0" * 32

# twilio 9.13 hands aiohttp a BasicAuth (deprecated in aiohttp 3.14): not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]


def assert_no_number(text: str) -> None:
    for number in NUMBERS:
        assert number not in text
        assert number.lstrip("+") not in text  # nor URL-encoded (%2B32...) or bare


def assert_hides_numbers(exc: BaseException) -> None:
    assert_no_number(str(exc))
    assert_no_number(repr(exc))
    assert_no_number("".join(traceback.format_exception(exc)))
    if isinstance(exc, GatewayError):
        assert_no_number(exc.detail)


@pytest.fixture(autouse=True)
def no_number_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    for record in records:
        assert_no_number(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            assert_no_number("".join(traceback.format_exception(record.exc_info[1])))


class RecordingSink:
    """A ReceiptSink that remembers; ``fail`` makes it raise (a database outage)."""

    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self.opt_outs: list[tuple[str, str]] = []
        self.fail = False

    async def receipt(self, receipt: Receipt) -> None:
        if self.fail:
            raise RuntimeError("sink is down")
        self.receipts.append(receipt)

    async def opt_out(self, phone: str, *, source: str) -> None:
        if self.fail:
            raise RuntimeError("sink is down")
        self.opt_outs.append((phone, source))


def settings(api_base: str, public_url: str = "", **kw: Any) -> TwilioSettings:
    base: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "from_number": SENDER,
        "public_url": public_url,
        "api_base": api_base,
        "timeout_seconds": 5.0,
    }
    return TwilioSettings(**(base | kw))


@dataclass
class Wired:
    gateway: TwilioGateway
    sink: RecordingSink
    public_url: str

    @property
    def status_url(self) -> str:
        return self.public_url + STATUS_PATH

    @property
    def inbound_url(self) -> str:
        return self.public_url + INBOUND_PATH


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as f:
        yield f


@pytest.fixture
async def wired(fake: FakeTwilio) -> AsyncIterator[Wired]:
    """The gateway, its routes on the bot's web app served on loopback, a recording sink."""
    # Bind first: public_url must be known before the routes are installed, and the
    # routes before the server starts.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    gateway = TwilioGateway(settings(fake.url, public_url), AUTH_TOKEN)
    server = WebServer()
    gateway.install(server.app)
    runner = web.AppRunner(server.app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    sink = RecordingSink()
    await gateway.start(sink)
    try:
        yield Wired(gateway, sink, public_url)
    finally:
        await gateway.close()
        await runner.cleanup()


def sms(to: str, body: str = "Votre rendez-vous du 16/05 est reporté.") -> OutgoingSms:
    return OutgoingSms(key=f"job-1-{to[-3:]}", to=to, body=body)


async def submit_error(gateway: TwilioGateway, msg: OutgoingSms) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        await gateway.submit(msg)
    assert_hides_numbers(info.value)
    return info.value


# -- submitting ----------------------------------------------------------------------


async def test_submit_returns_the_sid_and_twilio_gets_one_message(
    fake: FakeTwilio, wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    msg = sms(ALICE)
    sid = await wired.gateway.submit(msg)

    assert sid.startswith("SM") and len(sid) == 34
    assert fake.count_to(ALICE) == 1
    sent = fake.accepted[0]
    assert (sent.sid, sent.to, sent.body) == (sid, ALICE, msg.body)
    assert (sent.from_, sent.messaging_service_sid) == (SENDER, None)
    assert sent.status_callback == wired.status_url
    assert logging.getLogger("twilio.async_http_client").getEffectiveLevel() == logging.WARNING
    assert caplog.records, "DEBUG capture works, so the no-number check means something"


async def test_messaging_service_replaces_the_sender_and_no_public_url_no_callback(
    fake: FakeTwilio,
) -> None:
    gateway = TwilioGateway(settings(fake.url, messaging_service_sid=SERVICE_SID), AUTH_TOKEN)
    await gateway.start(RecordingSink())
    try:
        await gateway.submit(sms(ALICE))
    finally:
        await gateway.close()
    sent = fake.accepted[0]
    assert (sent.from_, sent.messaging_service_sid, sent.status_callback) == (
        None,
        SERVICE_SID,
        None,
    )


async def test_invalid_number(fake: FakeTwilio, wired: Wired) -> None:
    fake.invalid.add(BOB)
    err = await submit_error(wired.gateway, sms(BOB))
    assert (err.kind, err.code) == ("invalid", "twilio-21211")
    assert fake.count_to(BOB) == 0


async def test_opted_out_number_is_not_repeated_from_twilios_message(
    fake: FakeTwilio, wired: Wired
) -> None:
    fake.opted_out.add(CAROL)
    err = await submit_error(wired.gateway, sms(CAROL))
    assert (err.kind, err.code) == ("opted-out", "twilio-21610")
    assert "STOP" in err.detail


async def test_throttled_is_transient_and_the_next_attempt_goes_through(
    fake: FakeTwilio, wired: Wired
) -> None:
    fake.throttle_next = 1
    err = await submit_error(wired.gateway, sms(ALICE))
    assert (err.kind, err.code) == ("transient", "twilio-20429")
    assert fake.count_to(ALICE) == 0
    await wired.gateway.submit(sms(ALICE))
    assert fake.count_to(ALICE) == 1


async def test_connection_refused_is_transient() -> None:
    gone = FakeTwilio()
    await gone.start()
    await gone.stop()  # nothing listens on that port any more
    gateway = TwilioGateway(settings(gone.url), AUTH_TOKEN)
    await gateway.start(RecordingSink())
    try:
        err = await submit_error(gateway, sms(ALICE))
        assert (err.kind, err.code) == ("transient", "connect")
        with pytest.raises(GatewayError) as info:  # lookup cannot ask either
            await gateway.lookup(sms(ALICE), since=datetime.now(UTC))
        assert (info.value.kind, info.value.code) == ("transient", "lookup")
        assert_hides_numbers(info.value)
    finally:
        await gateway.close()


async def test_dropped_answer_is_unknown_and_lookup_finds_the_queued_message(
    fake: FakeTwilio, wired: Wired
) -> None:
    fake.auto_callbacks = False  # stays "queued", without a date_sent
    fake.drop_after_accept.add(DAVE)
    since = datetime.now(UTC)
    msg = sms(DAVE)

    with pytest.raises(UnknownOutcome) as info:
        await wired.gateway.submit(msg)
    assert_hides_numbers(info.value)
    assert fake.count_to(DAVE) == 1

    found = await wired.gateway.lookup(msg, since=since)
    assert found == Lookup(found=True, provider_id=fake.accepted[0].sid, state="submitted")
    assert await wired.gateway.lookup(sms(DAVE, "Autre texte"), since=since) == Lookup(False)
    assert await wired.gateway.lookup(sms(ALICE), since=since) == Lookup(found=False)


async def test_lookup_after_delivery_and_since(fake: FakeTwilio, wired: Wired) -> None:
    fake.drop_after_accept.add(DAVE)
    since = datetime.now(UTC)
    msg = sms(DAVE)
    with pytest.raises(UnknownOutcome):
        await wired.gateway.submit(msg)
    await fake.callbacks_done()
    sid = fake.accepted[0].sid

    assert await wired.gateway.lookup(msg, since=since) == Lookup(True, sid, "delivered")
    # A naive `since` is UTC; another timezone is converted.
    naive = since.replace(tzinfo=None)
    assert await wired.gateway.lookup(msg, since=naive) == Lookup(True, sid, "delivered")
    local = since.astimezone(ZoneInfo("Europe/Brussels"))
    assert await wired.gateway.lookup(msg, since=local) == Lookup(True, sid, "delivered")
    # The same text sent earlier is not this message.
    later = since + timedelta(minutes=10)
    assert await wired.gateway.lookup(msg, since=later) == Lookup(found=False)


async def test_timeout_after_sending_is_unknown(fake: FakeTwilio) -> None:
    fake.stall.add(ALICE)
    gateway = TwilioGateway(settings(fake.url, timeout_seconds=0.2), AUTH_TOKEN)
    await gateway.start(RecordingSink())
    try:
        with pytest.raises(UnknownOutcome) as info:
            await gateway.submit(sms(ALICE))
        assert_hides_numbers(info.value)
        assert fake.count_to(ALICE) == 1
    finally:
        await gateway.close()


# -- status callbacks ----------------------------------------------------------------


async def test_status_callbacks_end_delivered(fake: FakeTwilio, wired: Wired) -> None:
    sid = await wired.gateway.submit(sms(ALICE))
    await fake.callbacks_done()
    assert [c.status for c in fake.callbacks] == [204, 204]
    assert wired.sink.receipts == [
        Receipt("twilio", sid, "submitted"),
        Receipt("twilio", sid, "delivered"),
    ]


async def test_undelivered_ends_failed_with_the_code(fake: FakeTwilio, wired: Wired) -> None:
    fake.undeliverable.add(BOB)
    sid = await wired.gateway.submit(sms(BOB))
    await fake.callbacks_done()
    assert wired.sink.receipts[-1] == Receipt("twilio", sid, "failed", "30003")


async def test_callback_with_error_21610_reports_an_opt_out(fake: FakeTwilio, wired: Wired) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "failed", "ErrorCode": "21610"}
    reply = await fake.post_webhook(wired.status_url, params | {"To": ALICE})
    assert reply.status == 204
    assert wired.sink.receipts == [
        Receipt("twilio", "SM" + "1" * 32, "failed", "21610", opted_out=True)
    ]


@pytest.mark.parametrize("how", ["wrong", "missing", "other-url", "other-token"])
async def test_unsigned_or_badly_signed_webhooks_are_refused(
    fake: FakeTwilio, wired: Wired, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    status = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered", "To": ALICE}
    inbound = {"MessageSid": "SM" + "3" * 32, "From": ALICE, "Body": "STOP"}
    for url, params in ((wired.status_url, status), (wired.inbound_url, inbound)):
        signature = {
            "wrong": "bm90IGEgc2lnbmF0dXJl",
            "missing": None,
            "other-url": fake.sign(wired.public_url + "/elsewhere", params),
            "other-token": RequestValidator("another-token").compute_signature(url, params),
        }[how]
        reply = await fake.post_webhook(url, params, signature=signature, signed=how != "missing")
        assert reply.status == 403
    assert wired.sink.receipts == [] and wired.sink.opt_outs == []
    refused = [r for r in caplog.records if "refused a webhook" in r.getMessage()]
    assert len(refused) == 2 and all(r.levelno == logging.WARNING for r in refused)


# -- replies (STOP) ------------------------------------------------------------------


@pytest.mark.parametrize("body", ["STOP", "Arrêt", "arret.", " stop please"])
async def test_stop_reply_reaches_opt_out(fake: FakeTwilio, wired: Wired, body: str) -> None:
    reply = await fake.send_inbound(wired.inbound_url, ALICE, body)
    assert (reply.status, reply.text, reply.content_type) == (200, EMPTY_TWIML, "text/xml")
    assert wired.sink.opt_outs == [(ALICE, "twilio-stop")]


async def test_twilio_advanced_opt_out_type_counts_as_stop(fake: FakeTwilio, wired: Wired) -> None:
    params = {"MessageSid": "SM" + "5" * 32, "From": BOB, "Body": "Désinscrire"}
    assert (await fake.post_webhook(wired.inbound_url, params)).status == 200
    assert wired.sink.opt_outs == []
    reply = await fake.post_webhook(wired.inbound_url, params | {"OptOutType": "STOP"})
    assert (reply.status, reply.text) == (200, EMPTY_TWIML)
    assert wired.sink.opt_outs == [(BOB, "twilio-stop")]


@pytest.mark.parametrize("body", ["Merci, à demain", "OK", "", "Je ne peux pas stop"])
async def test_other_replies_are_not_an_opt_out(fake: FakeTwilio, wired: Wired, body: str) -> None:
    reply = await fake.send_inbound(wired.inbound_url, BOB, body)
    assert (reply.status, reply.text) == (200, EMPTY_TWIML)
    assert wired.sink.opt_outs == []


async def test_sink_failure_answers_500_so_twilio_retries(fake: FakeTwilio, wired: Wired) -> None:
    wired.sink.fail = True
    stop = await fake.send_inbound(wired.inbound_url, ALICE, "STOP")
    status = await fake.post_webhook(
        wired.status_url, {"MessageSid": "SM" + "4" * 32, "MessageStatus": "sent", "To": ALICE}
    )
    assert (stop.status, status.status) == (500, 500)


# -- the whole flow, for the logs ------------------------------------------------------


async def test_whole_flow_keeps_numbers_out_of_logs_and_errors(
    fake: FakeTwilio, wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    """Every path at once (the autouse fixture checks the log records afterwards)."""
    fake.invalid.add(BOB)
    fake.opted_out.add(CAROL)
    fake.drop_after_accept.add(DAVE)
    fake.undeliverable.add(ALICE)
    since = datetime.now(UTC)
    errors: list[BaseException] = []
    for to in (ALICE, BOB, CAROL, DAVE):
        try:
            await wired.gateway.submit(sms(to))
        except (GatewayError, UnknownOutcome) as exc:
            errors.append(exc)
    fake.throttle_next = 1
    try:
        await wired.gateway.submit(sms(ALICE, "second"))
    except GatewayError as exc:
        errors.append(exc)
    await fake.callbacks_done()
    for to in (ALICE, DAVE, BOB):
        await wired.gateway.lookup(sms(to), since=since)
    await fake.send_inbound(wired.inbound_url, CAROL, "STOP")
    await fake.post_webhook(wired.inbound_url, {"From": BOB, "Body": "STOP"}, signature="x")

    assert [type(e).__name__ for e in errors] == [
        "GatewayError",
        "GatewayError",
        "UnknownOutcome",
        "GatewayError",
    ]
    for error in errors:
        assert_hides_numbers(error)
    assert wired.sink.opt_outs == [(CAROL, "twilio-stop")]
    assert {r.state for r in wired.sink.receipts} == {"submitted", "delivered", "failed"}
    assert any(r.name.startswith("adapters.sms.twilio") for r in caplog.records)


async def test_rate_helpers(fake: FakeTwilio, wired: Wired) -> None:
    for to in (ALICE, BOB, CAROL):
        await wired.gateway.submit(sms(to))
    times = fake.accepted_times
    assert times == sorted(times) and len(times) == 3
    assert fake.max_in_window(3600) == 3
    assert fake.max_in_window(0) == 0


def test_an_empty_auth_token_is_refused() -> None:
    with pytest.raises(ValueError, match="CRISISCELL_TWILIO_TOKEN"):
        TwilioGateway(settings("http://127.0.0.1:9"), "")
