"""The SMPP gateway (smpplib in a worker thread) against the smpp34-based SMSC simulator.

Everything runs on loopback; nothing waits on a clock: tests await the gateway's
answers, ``sim.receipts_done()`` and ``sim.send_mo()`` (which return once the gateway
has acknowledged, i.e. after the sink was called).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.sms.smpp import (
    SmppBindError,
    SmppGateway,
    decode_short_message,
    parse_receipt_text,
    submit_error,
)
from bot.config import SmppSettings
from bot.jobs.sms import GatewayError, OutgoingSms, Receipt, UnknownOutcome
from tests.fakes.smpp import SimMessage, SimPart, SmppSimulator, _free_port

PASSWORD = "s3cret"
N1, N2, N3, N4, N5, N6 = (f"+324700002{i:02d}" for i in range(1, 7))
ALL_NUMBERS = [f"+324700002{i:02d}" for i in range(1, 100)]


class RecordingSink:
    """A ReceiptSink that remembers what it was told."""

    def __init__(self, *, fail: bool = False) -> None:
        self.receipts: list[Receipt] = []
        self.opt_outs: list[tuple[str, str]] = []
        self.fail = fail

    async def receipt(self, receipt: Receipt) -> None:
        if self.fail:
            raise RuntimeError("database unavailable")
        self.receipts.append(receipt)

    async def opt_out(self, phone: str, *, source: str) -> None:
        self.opt_outs.append((phone, source))


def smpp_settings(port: int, **overrides: object) -> SmppSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "system_id": "crisiscell",
        "source_addr": "CrisisCell",
        "source_addr_ton": 5,
        "timeout_seconds": 5.0,
        **overrides,
    }
    return SmppSettings.model_validate(values)


def sms(
    to: str, body: str = "Your appointment is cancelled.", key: str = "job-1-msg-1"
) -> OutgoingSms:
    return OutgoingSms(key=key, to=to, body=body)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    yield
    assert [t for t in threading.enumerate() if t.name == "smpp-gateway"] == []


@pytest.fixture
async def sim() -> AsyncIterator[SmppSimulator]:
    async with SmppSimulator(system_id="crisiscell", password=PASSWORD) as simulator:
        yield simulator


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def gateway(sim: SmppSimulator, sink: RecordingSink) -> AsyncIterator[SmppGateway]:
    gw = SmppGateway(smpp_settings(sim.port), PASSWORD)
    await gw.start(sink)
    try:
        yield gw
    finally:
        await gw.close()


async def test_submit_returns_the_message_id_and_the_smsc_counts_one_message(
    gateway: SmppGateway, sim: SmppSimulator
) -> None:
    message_id = await gateway.submit(sms(N1))

    assert sim.count_to(N1) == 1
    (message,) = sim.messages
    assert message.message_id == message_id
    assert message.text == "Your appointment is cancelled."
    assert message.encoding == "GSM-7"
    (part,) = message.parts
    assert part.destination == N1
    assert part.source == "CrisisCell"
    assert part.registered_delivery == 1


async def test_a_200_character_gsm_text_goes_as_two_parts_and_one_message(
    gateway: SmppGateway, sim: SmppSimulator, sink: RecordingSink
) -> None:
    body = ("Votre rendez-vous du 12/03 à 9h30 est annulé. " * 5)[:200]

    message_id = await gateway.submit(sms(N1, body))

    assert len(sim.parts) == 2
    assert sim.count_to(N1) == 1
    (message,) = sim.messages
    assert (message.text, message.encoding) == (body, "GSM-7")
    assert message.message_id == message_id == sim.parts[0].message_id
    # One receipt per part from the SMSC; the core hears about the first part only.
    await sim.receipts_done()
    assert sim.receipts_sent == 2
    assert sink.receipts == [Receipt("smpp", message_id, "delivered")]


@pytest.mark.parametrize(
    "body",
    [
        "Wizyta odwołana — Łódź 🙂",
        "Zażółć gęślą jaźń 🙂 " * 6,  # long: UCS-2 parts, an emoji may straddle two
    ],
    ids=["short", "long"],
)
async def test_a_ucs2_text_arrives_intact(
    gateway: SmppGateway, sim: SmppSimulator, body: str
) -> None:
    await gateway.submit(sms(N2, body))

    (message,) = sim.messages_to(N2)
    assert (message.text, message.encoding) == (body, "UCS-2")
    assert len(message.parts) == (1 if len(body) <= 70 else 2)


async def test_an_invalid_number_is_an_invalid_error(
    gateway: SmppGateway, sim: SmppSimulator
) -> None:
    sim.invalid = {N3}

    with pytest.raises(GatewayError) as caught:
        await gateway.submit(sms(N3))

    assert (caught.value.kind, caught.value.code) == ("invalid", "smpp-0x0b")
    assert sim.count_to(N3) == 0


async def test_throttling_is_transient_and_the_retry_goes_through(
    gateway: SmppGateway, sim: SmppSimulator
) -> None:
    sim.throttle_next = 1

    with pytest.raises(GatewayError) as caught:
        await gateway.submit(sms(N1))
    assert (caught.value.kind, caught.value.code) == ("transient", "smpp-0x58")
    assert sim.count_to(N1) == 0

    await gateway.submit(sms(N1))
    assert sim.count_to(N1) == 1


async def test_a_connection_dropped_after_accepting_is_an_unknown_outcome_then_it_reconnects(
    gateway: SmppGateway, sim: SmppSimulator
) -> None:
    sim.drop_after_accept = {N4}

    with pytest.raises(UnknownOutcome):
        await gateway.submit(sms(N4))
    assert sim.count_to(N4) == 1  # the SMSC did take it

    await asyncio.wait_for(gateway.wait_bound(), 5)
    await gateway.submit(sms(N1))
    assert sim.count_to(N1) == 1
    assert sim.binds == 2


async def test_no_answer_within_the_timeout_is_an_unknown_outcome(sim: SmppSimulator) -> None:
    sim.hold_answer = {N4}
    gw = SmppGateway(smpp_settings(sim.port, timeout_seconds=0.2), PASSWORD)
    await gw.start(RecordingSink())
    try:
        with pytest.raises(UnknownOutcome, match=r"no submit_sm_resp within 0\.2s"):
            await gw.submit(sms(N4))
        assert sim.count_to(N4) == 1
        await gw.submit(sms(N1))  # the link itself is fine
    finally:
        await gw.close()
    assert sim.count_to(N1) == 1


async def test_a_later_part_refused_after_part_one_was_accepted_is_an_unknown_outcome(
    gateway: SmppGateway, sim: SmppSimulator
) -> None:
    sim.refuse_part = {N2: 2}

    with pytest.raises(UnknownOutcome, match="part 2/2"):
        await gateway.submit(sms(N2, "x" * 200))

    assert len(sim.parts) == 1  # the SMSC holds a fragment...
    assert sim.count_to(N2) == 0  # ...not a message


async def test_receipts_reach_the_sink_as_delivered_or_failed(
    gateway: SmppGateway, sim: SmppSimulator, sink: RecordingSink
) -> None:
    sim.undeliverable = {N4}

    delivered = await gateway.submit(sms(N1))
    failed = await gateway.submit(sms(N4))
    await sim.receipts_done()

    assert sorted(sink.receipts, key=lambda r: r.provider_id) == sorted(
        [
            Receipt("smpp", delivered, "delivered"),
            Receipt("smpp", failed, "failed", "smpp-err-001"),
        ],
        key=lambda r: r.provider_id,
    )


async def test_receipts_carrying_tlvs_are_read_too(sink: RecordingSink) -> None:
    async with SmppSimulator(password=PASSWORD, receipt_tlvs=True) as simulator:
        simulator.undeliverable = {N4}
        gw = SmppGateway(smpp_settings(simulator.port), PASSWORD)
        await gw.start(sink)
        try:
            failed = await gw.submit(sms(N4))
            await simulator.receipts_done()
        finally:
            await gw.close()
    assert sink.receipts == [Receipt("smpp", failed, "failed", "smpp-err-001")]


async def test_a_receipt_the_sink_cannot_store_is_refused_for_redelivery(
    sim: SmppSimulator,
) -> None:
    gw = SmppGateway(smpp_settings(sim.port), PASSWORD)
    await gw.start(RecordingSink(fail=True))
    try:
        await gw.submit(sms(N1))
        await sim.receipts_done()
    finally:
        await gw.close()
    assert sim.receipts_sent == 0  # deliver_sm_resp was ESME_RX_T_APPN


async def test_a_stop_reply_reaches_opt_out(
    gateway: SmppGateway, sim: SmppSimulator, sink: RecordingSink
) -> None:
    assert await sim.send_mo(N5, "Stop")
    assert await sim.send_mo(N6, "Merci, bien reçu")
    assert await sim.send_mo(N3, "ARRÊT")  # UCS-2 (Ê is not GSM-7)

    assert sink.opt_outs == [(N5, "smpp-stop"), (N3, "smpp-stop")]
    assert sink.receipts == []


async def test_a_wrong_password_fails_start_with_a_clear_error(sim: SmppSimulator) -> None:
    gw = SmppGateway(smpp_settings(sim.port), "hunter2")

    with pytest.raises(SmppBindError) as caught:
        await gw.start(RecordingSink())

    message = str(caught.value)
    assert "refused" in message and "Invalid Password" in message
    assert "hunter2" not in message
    assert sim.refused_binds == 1 and sim.binds == 0
    assert not gw.bound
    await gw.close()  # nothing to do, no error


async def test_an_unreachable_smsc_fails_start() -> None:
    gw = SmppGateway(smpp_settings(_free_port()), PASSWORD)

    with pytest.raises(SmppBindError, match=r"connection to 127\.0\.0\.1"):
        await gw.start(RecordingSink())


async def test_submitting_while_not_bound_is_transient(sim: SmppSimulator) -> None:
    gw = SmppGateway(smpp_settings(sim.port), PASSWORD)
    with pytest.raises(GatewayError) as before:
        await gw.submit(sms(N1))
    await gw.start(RecordingSink())
    await gw.close()
    await gw.close()  # idempotent
    with pytest.raises(GatewayError) as after:
        await gw.submit(sms(N1))

    assert before.value.kind == after.value.kind == "transient"
    assert sim.count_to(N1) == 0


async def test_lookup_cannot_tell(gateway: SmppGateway) -> None:
    from datetime import UTC, datetime

    assert await gateway.lookup(sms(N1), since=datetime.now(UTC)) is None


async def test_the_event_loop_keeps_running_while_50_messages_are_submitted(
    gateway: SmppGateway, sim: SmppSimulator
) -> None:
    loop = asyncio.get_running_loop()
    ticks = 0
    ticking = True

    def tick() -> None:  # one tick per loop iteration, for as long as the test runs
        nonlocal ticks
        ticks += 1
        if ticking:
            loop.call_soon(tick)

    async def timed_submit(i: int) -> tuple[int, int]:
        before = ticks
        await gateway.submit(sms(ALL_NUMBERS[i], f"Message {i}", key=f"job-1-msg-{i}"))
        return before, ticks

    loop.call_soon(tick)
    spans = await asyncio.gather(*(timed_submit(i) for i in range(50)))
    ticking = False

    assert len(sim.messages) == 50
    assert sim.max_in_window(3600) == sim.max_in_window(3600, parts=True) == 50
    # The loop kept turning while every single submit was waiting for its answer.
    assert all(after > before for before, after in spans)


async def test_no_phone_number_reaches_a_log_record_or_an_exception(
    caplog: pytest.LogCaptureFixture, sim: SmppSimulator
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = RecordingSink()
    errors: list[BaseException] = []
    sim.invalid = {N3}
    sim.undeliverable = {N2}
    sim.drop_after_accept = {N4}

    with pytest.raises(SmppBindError) as bad_bind:
        await SmppGateway(smpp_settings(sim.port), "hunter2").start(sink)
    errors.append(bad_bind.value)
    gw = SmppGateway(smpp_settings(sim.port), PASSWORD)
    await gw.start(sink)
    try:
        await gw.submit(sms(N1, "x" * 200))
        await gw.submit(sms(N2, "Łódź"))
        for number in (N3, N4):
            try:
                await gw.submit(sms(number))
            except (GatewayError, UnknownOutcome) as exc:
                errors.append(exc)
        await asyncio.wait_for(gw.wait_bound(), 5)
        sim.throttle_next = 1
        with pytest.raises(GatewayError) as throttled:
            await gw.submit(sms(N1))
        errors.append(throttled.value)
        await sim.send_mo(N5, "STOP")
        await sim.receipts_done()
    finally:
        await gw.close()
    with pytest.raises(GatewayError) as closed:
        await gw.submit(sms(N6))
    errors.append(closed.value)

    assert len(errors) == 5 and sink.opt_outs and len(sink.receipts) == 2
    assert any(r.name.startswith("adapters.sms.smpp") for r in caplog.records)
    digits = [n.removeprefix("+") for n in ALL_NUMBERS]
    digits += [d.encode().hex() for d in digits]  # smpplib logs whole PDUs in hex
    texts = [str(e) for e in errors] + [repr(e) for e in errors]
    for record in caplog.records:
        texts += [record.getMessage(), record.exc_text or "", repr(record.args)]
    leaked = [(d, t) for d in digits for t in texts if d in t]
    assert leaked == []
    assert not any("hunter2" in t or PASSWORD in t for t in texts)


def test_the_simulator_rate_helper_counts_messages_in_a_sliding_window() -> None:
    sim = SmppSimulator()
    for i, at in enumerate([0.0, 0.5, 1.0, 1.2, 3.0]):
        part = SimPart(f"m{i}", N1, "CrisisCell", 0, 0, b"x", 1, at, "session")
        sim.messages.append(SimMessage(f"m{i}", N1, "x", "GSM-7", [part]))
    assert sim.max_in_window(1.0) == 3  # 0.5, 1.0, 1.2
    assert sim.max_in_window(0.4) == 2  # 1.0, 1.2
    assert sim.max_in_window(10) == 5


def test_receipt_text_parsing() -> None:
    text = (
        "id:0A1b_c sub:001 dlvrd:000 submit date:2403121530 done date:2403121531 "
        "stat:UNDELIV err:042 text:stat:DELIVRD id:nope"
    )
    assert parse_receipt_text(text) == ("0A1b_c", "UNDELIV", "042")
    assert parse_receipt_text("Id:7 Stat:delivrd") == ("7", "DELIVRD", None)
    assert parse_receipt_text("hello") == (None, None, None)


def test_short_message_decoding() -> None:
    udh = bytes([5, 0, 3, 42, 2, 1])
    assert decode_short_message(udh + "Łódź".encode("utf-16-be"), 8, udhi=True) == "Łódź"
    assert decode_short_message(b"\x00Stop", 0, udhi=False) == "@Stop"  # GSM-7: 0x00 is @
    assert decode_short_message(b"id:a_b", 0, udhi=False, default_is_gsm=False) == "id:a_b"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (0x58, "transient"),
        (0x14, "transient"),
        (0x08, "transient"),
        (0x0B, "invalid"),
        (0x45, "rejected"),
        (0x0A, "rejected"),
    ],
)
def test_submit_error_kinds(status: int, kind: str) -> None:
    error = submit_error(status)
    assert (error.kind, error.code) == (kind, f"smpp-0x{status:02x}")
