"""An SMSC simulator for tests: smpp34's asyncio SMPP server behind a small bind gate.

The SMSC itself is ``smpp34.Server`` (Rust/tokio, asyncio-native): it accepts binds,
hands every ``submit_sm`` to :meth:`SmppSimulator._serve` as a ``SubmitSmEvent``
(answered with ``accept(message_id)`` / ``reject(status)``), and sends ``deliver_sm``
(receipts, replies) through the bound session's ``Esme`` handle.

What smpp34 1.5's Python server cannot do, and the workaround
---------------------------------------------------------------
1. It accepts every bind: there is no bind callback, and the password is not exposed
   (``Esme`` carries the system_id only), so a wrong password cannot be refused.
2. It cannot report its port when asked to listen on port 0.
3. It cannot drop a session's TCP connection without answering a ``submit_sm``
   (``Esme.unbind()`` is a graceful unbind; a dropped ``SubmitSmEvent`` is NAKed
   with ESME_RSYSERR).
4. It gives no way to know when a ``submit_sm_resp`` has been written, so a receipt
   sent right after ``accept()`` may overtake it on the wire (each submit_sm is
   answered from its own tokio task).

So clients connect to a small asyncio "gate" on 127.0.0.1 port 0, which relays the
byte stream to the smpp34 server (listening on a free loopback port found by probing)
and parses only PDU framing: it answers a bind with wrong credentials itself
(``bind_*_resp`` with ESME_RINVSYSID / ESME_RINVPASWD, a 16-byte header), closes the
client connection instead of relaying the ``submit_sm_resp`` of a message to a
``drop_after_accept`` number, and starts a message's receipt only once its
``submit_sm_resp`` has been relayed. Everything else -- binds, enquire_link, unbind,
submit_sm decoding and answers, deliver_sm -- is smpp34.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import smpp34
from smpp34._smpp34 import (
    ESME_RINVDSTADR,
    ESME_RSYSERR,
    ESME_RTHROTTLED,
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
)
from smpplib import gsm

from adapters.sms.smpp import gsm7_decode

_HEADER: Final = struct.Struct(">IIII")  # command_length, command_id, status, sequence
_BIND_COMMANDS: Final = frozenset({0x00000001, 0x00000002, 0x00000009})
_SUBMIT_SM_RESP: Final = 0x80000004
_ESME_RINVPASWD: Final = 0x0E
_ESME_RINVSYSID: Final = 0x0F
_MAX_PDU: Final = 64 * 1024
_UDHI: Final = 0x40
_RECEIPT_TIMEOUT: Final = 10.0  # a deliver_sm the client never answers

Encoding = Literal["GSM-7", "UCS-2", "other"]


@dataclass(frozen=True)
class SimPart:
    """One accepted submit_sm."""

    message_id: str
    destination: str  # "+<digits>"
    source: str
    data_coding: int
    esm_class: int
    short_message: bytes
    registered_delivery: int
    accepted_at: float  # time.monotonic()
    session_id: str


@dataclass
class SimMessage:
    """A whole message: its parts reassembled (UDH or SAR), text decoded."""

    message_id: str  # the first part's
    destination: str
    text: str
    encoding: Encoding
    parts: list[SimPart] = field(default_factory=list)

    @property
    def accepted_at(self) -> float:
        return self.parts[0].accepted_at


@dataclass(frozen=True)
class _Due:
    """A receipt to send once the part's submit_sm_resp has gone through the gate."""

    part: SimPart
    stat: str
    err: str


def _digits(number: str) -> str:
    return number.strip().removeprefix("+")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def decode(payload: bytes, data_coding: int) -> tuple[str, Encoding]:
    if data_coding == 8:
        return payload.decode("utf-16-be", errors="replace"), "UCS-2"
    if data_coding == 0:
        return gsm7_decode(payload), "GSM-7"
    return payload.decode("latin-1"), "other"


def encode(text: str) -> tuple[bytes, int]:
    """GSM-7 (data_coding 0) when possible, else UCS-2 (8)."""
    try:
        return gsm.gsm_encode(text), 0
    except UnicodeError:
        return text.encode("utf-16-be"), 8


def _part_number(event: smpp34.SubmitSmEvent) -> int:
    """1 for a single message, else the part's number in its concatenated message."""
    data = event.short_message
    if event.esm_class & _UDHI and data:
        found = _udh_concatenation(data)
        if found is not None:
            return found[2]
    for tlv in event.tlvs:
        if tlv.tag == TLV_SAR_SEGMENT_SEQNUM:
            return tlv.value[0]
    return 1


def _concatenation(part: SimPart) -> tuple[int, int, int, bytes] | None:
    """(reference, total, number, payload) of a UDH-concatenated part."""
    if part.esm_class & _UDHI and part.short_message:
        return _udh_concatenation(part.short_message)
    return None


def _udh_concatenation(data: bytes) -> tuple[int, int, int, bytes] | None:
    """The concatenation element of a user data header (8- or 16-bit reference)."""
    header, payload = data[1 : 1 + data[0]], data[1 + data[0] :]
    i = 0
    while i + 2 <= len(header):
        iei, length = header[i], header[i + 1]
        value = header[i + 2 : i + 2 + length]
        if iei == 0x00 and length == 3:
            return value[0], value[1], value[2], payload
        if iei == 0x08 and length == 4:
            return int.from_bytes(value[:2], "big"), value[2], value[3], payload
        i += 2 + length
    return None


def _pdu_length(header: bytes) -> int:
    (length,) = struct.unpack(">I", header)
    if not 16 <= length <= _MAX_PDU:
        raise ConnectionError(f"bad command_length {length}")
    return int(length)


async def _read_pdu(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(4)
    return head + await reader.readexactly(_pdu_length(head) - 4)


def _bind_credentials(pdu: bytes) -> tuple[str, str]:
    fields = pdu[16:].split(b"\0", 2)
    system_id = fields[0].decode("latin-1")
    password = fields[1].decode("latin-1") if len(fields) > 1 else ""
    return system_id, password


class SmppSimulator:
    """An SMSC on loopback for one or more ESMEs (tests bind one at a time).

    Knobs (numbers with or without "+"): ``invalid`` -> ESME_RINVDSTADR;
    ``throttle_next`` -> that many submit_sm answered ESME_RTHROTTLED; ``undeliverable``
    -> receipt UNDELIV err:001 (else DELIVRD err:000); ``drop_after_accept`` -> the
    part is recorded and accepted by the SMSC, then the gate closes the client's
    connection instead of relaying the answer; ``refuse_part`` (number -> part number)
    -> that part of a long message is refused with ESME_RSYSERR (the others accepted);
    ``hold_answer`` -> the part is recorded, its submit_sm never answered (until stop).
    ``receipt_tlvs`` adds the receipted_message_id / message_state TLVs to receipts.
    """

    def __init__(
        self,
        *,
        system_id: str = "crisiscell",
        password: str = "secret",
        smsc_id: str = "SIMSMSC",
        receipt_tlvs: bool = False,
    ) -> None:
        self.system_id = system_id
        self.password = password
        self.smsc_id = smsc_id
        self.receipt_tlvs = receipt_tlvs
        self.invalid: set[str] = set()
        self.undeliverable: set[str] = set()
        self.drop_after_accept: set[str] = set()
        self.throttle_next = 0
        self.refuse_part: dict[str, int] = {}
        self.hold_answer: set[str] = set()
        self.parts: list[SimPart] = []  # every accepted submit_sm, in order
        self.messages: list[SimMessage] = []  # complete messages, in completion order
        self.binds = 0  # sessions the SMSC bound
        self.refused_binds = 0  # binds the gate refused (credentials)
        self.receipts_sent = 0  # deliver_sm receipts the client acknowledged
        self._port: int | None = None
        self._server: smpp34.Server | None = None
        self._gate: asyncio.Server | None = None
        self._backend_port = 0
        self._serve_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()  # gate connections, receipts
        self._sessions: dict[str, smpp34.Esme] = {}
        self._incomplete: dict[tuple[str, str, int, int], list[tuple[int, SimPart, bytes]]] = {}
        self._next_id = 0
        self._due: dict[str, _Due] = {}  # message_id -> receipt waiting for its resp
        self._drop_ids: set[str] = set()
        self._held: list[smpp34.SubmitSmEvent] = []  # unanswered on purpose
        self._receipts_in_flight = 0
        self._receipts_idle = asyncio.Event()
        self._receipts_idle.set()

    # --- lifecycle -------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port clients connect to (the gate's)."""
        if self._port is None:
            raise RuntimeError("SmppSimulator not started")
        return self._port

    async def start(self) -> None:
        for attempt in range(5):  # the probed port may be taken in between: try another
            port = _free_port()
            server = smpp34.Server("127.0.0.1", port, system_id=self.smsc_id)
            try:
                await server.start()
            except smpp34.SmppError:
                if attempt == 4:
                    raise
                continue
            self._server, self._backend_port = server, port
            break
        self._serve_task = asyncio.create_task(self._serve(), name="smpp-sim-serve")
        self._gate = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self._port = self._gate.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._gate is not None:
            self._gate.close()
        tasks = [*self._tasks]
        if self._serve_task is not None:
            tasks.append(self._serve_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._held.clear()
        self._serve_task = None
        if self._gate is not None:
            await self._gate.wait_closed()
            self._gate = None
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def __aenter__(self) -> SmppSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- what tests look at ----------------------------------------------------------

    def count_to(self, number: str) -> int:
        """Complete messages accepted for ``number`` (not parts)."""
        wanted = _digits(number)
        return sum(1 for m in self.messages if _digits(m.destination) == wanted)

    def messages_to(self, number: str) -> list[SimMessage]:
        wanted = _digits(number)
        return [m for m in self.messages if _digits(m.destination) == wanted]

    def max_in_window(self, seconds: float, *, parts: bool = False) -> int:
        """The most messages (or submit_sm parts) accepted within any ``seconds`` span.

        A message counts at its first part's acceptance; spans are half-open
        (``[t, t + seconds)``).
        """
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        times = (
            sorted(p.accepted_at for p in self.parts)
            if parts
            else sorted(m.accepted_at for m in self.messages)
        )
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    async def receipts_done(self) -> None:
        """Wait until every receipt owed so far has been answered by the client.

        Bounded (a stuck client fails the test instead of hanging it): each receipt
        gives up after ``_RECEIPT_TIMEOUT``.
        """
        async with asyncio.timeout(2 * _RECEIPT_TIMEOUT):
            await self._receipts_idle.wait()

    async def send_mo(self, from_number: str, text: str, *, to: str = "8850") -> bool:
        """A reply from a phone (deliver_sm, not a receipt) to the latest bound session.

        Returns whether the client acknowledged it (deliver_sm_resp ESME_ROK).
        """
        receivers = [e for e in self._sessions.values() if e.can_receive]
        if not receivers:
            raise RuntimeError("no bound receiver session")
        payload, data_coding = encode(text)
        resp = await asyncio.wait_for(
            receivers[-1].deliver_sm(
                to,
                payload,
                source_addr=_digits(from_number),
                source_addr_ton=1,
                source_addr_npi=1,
                data_coding=data_coding,
            ),
            _RECEIPT_TIMEOUT,
        )
        return resp.is_success

    # --- the SMSC (smpp34) -----------------------------------------------------------

    async def _serve(self) -> None:
        assert self._server is not None
        while True:
            event = await self._server.next()
            if isinstance(event, smpp34.Esme):
                self._sessions[event.session_id] = event
                self.binds += 1
            elif isinstance(event, smpp34.Unbound):
                self._sessions.pop(event.session_id, None)
                self._forget_session(event.session_id)
            else:
                self._on_submit(event)

    def _on_submit(self, event: smpp34.SubmitSmEvent) -> None:
        number = event.destination_addr
        if self.throttle_next > 0:
            self.throttle_next -= 1
            event.reject(ESME_RTHROTTLED)
            return
        if number in {_digits(n) for n in self.invalid}:
            event.reject(ESME_RINVDSTADR)
            return
        refused = {_digits(n): part for n, part in self.refuse_part.items()}.get(number)
        if refused is not None and _part_number(event) == refused:
            event.reject(ESME_RSYSERR)
            return
        self._next_id += 1
        message_id = f"sim-{self._next_id:06d}"
        part = SimPart(
            message_id=message_id,
            destination="+" + number,
            source=event.source_addr,
            data_coding=event.data_coding,
            esm_class=event.esm_class,
            short_message=event.short_message,
            registered_delivery=event.registered_delivery,
            accepted_at=time.monotonic(),
            session_id=event.session_id,
        )
        self.parts.append(part)
        self._assemble(part, event)
        if number in {_digits(n) for n in self.hold_answer}:
            self._held.append(event)  # kept alive: a dropped event would be NAKed
            return
        # Registered before accept(): the gate may relay the answer at once.
        if number in {_digits(n) for n in self.drop_after_accept}:
            self._drop_ids.add(message_id)
        elif event.registered_delivery & 0x01:
            failed = number in {_digits(n) for n in self.undeliverable}
            stat, err = ("UNDELIV", "001") if failed else ("DELIVRD", "000")
            self._due[message_id] = _Due(part, stat, err)
            self._receipt_owed()
        event.accept(message_id)

    def _assemble(self, part: SimPart, event: smpp34.SubmitSmEvent) -> None:
        concat = _concatenation(part)
        if concat is None:
            sar = {t.tag: t.value for t in event.tlvs}
            if TLV_SAR_MSG_REF_NUM in sar:
                concat = (
                    int.from_bytes(sar[TLV_SAR_MSG_REF_NUM], "big"),
                    sar[TLV_SAR_TOTAL_SEGMENTS][0],
                    sar[TLV_SAR_SEGMENT_SEQNUM][0],
                    part.short_message,
                )
        if concat is None:
            text, encoding = decode(part.short_message, part.data_coding)
            self.messages.append(
                SimMessage(part.message_id, part.destination, text, encoding, [part])
            )
            return
        reference, total, number, payload = concat
        key = (part.session_id, part.destination, reference, total)
        got = self._incomplete.setdefault(key, [])
        got.append((number, part, payload))
        if len(got) < total:
            return
        del self._incomplete[key]
        got.sort(key=lambda item: item[0])
        # Join the bytes before decoding: a UCS-2 surrogate pair or a GSM escape may
        # straddle two parts.
        text, encoding = decode(b"".join(p for _, _, p in got), part.data_coding)
        parts = [p for _, p, _ in got]
        self.messages.append(
            SimMessage(parts[0].message_id, part.destination, text, encoding, parts)
        )

    # --- receipts --------------------------------------------------------------------

    def _receipt_owed(self) -> None:
        self._receipts_in_flight += 1
        self._receipts_idle.clear()

    def _receipt_settled(self) -> None:
        self._receipts_in_flight -= 1
        if self._receipts_in_flight == 0:
            self._receipts_idle.set()

    def _forget_session(self, session_id: str) -> None:
        """The session ended: the receipts still waiting for their answer are never sent."""
        for message_id in [m for m, due in self._due.items() if due.part.session_id == session_id]:
            del self._due[message_id]
            self._receipt_settled()

    def _answer_relayed(self, message_id: str) -> None:
        due = self._due.pop(message_id, None)
        if due is not None:
            self._spawn(self._send_receipt(due))

    async def _send_receipt(self, due: _Due) -> None:
        try:
            esme = self._sessions.get(due.part.session_id)
            if esme is None:
                return
            now = datetime.now(UTC).strftime("%y%m%d%H%M")
            original, _ = decode(due.part.short_message, due.part.data_coding)
            snippet = original[:20] if original.isascii() else ""
            delivered = "001" if due.stat == "DELIVRD" else "000"
            text = (
                f"id:{due.part.message_id} sub:001 dlvrd:{delivered} submit date:{now} "
                f"done date:{now} stat:{due.stat} err:{due.err} text:{snippet}"
            )
            tlvs = []
            if self.receipt_tlvs:
                state = 2 if due.stat == "DELIVRD" else 5
                tlvs = [
                    smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, due.part.message_id.encode() + b"\0"),
                    smpp34.Tlv(TLV_MESSAGE_STATE, bytes([state])),
                ]
            resp = await asyncio.wait_for(
                esme.deliver_sm(
                    due.part.source,
                    text.encode("ascii"),
                    source_addr=_digits(due.part.destination),
                    source_addr_ton=1,
                    source_addr_npi=1,
                    esm_class=0x04,
                    tlvs=tlvs,
                ),
                _RECEIPT_TIMEOUT,
            )
            if resp.is_success:
                self.receipts_sent += 1
        except (smpp34.SmppError, RuntimeError, TimeoutError):
            pass  # the session went away: a real SMSC would retry later
        finally:
            self._receipt_settled()

    # --- the gate --------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        backend_w: asyncio.StreamWriter | None = None
        try:
            first = await _read_pdu(client_r)
            _, command_id, _, sequence = _HEADER.unpack_from(first)
            if command_id in _BIND_COMMANDS:
                system_id, password = _bind_credentials(first)
                refusal = (
                    _ESME_RINVSYSID
                    if system_id != self.system_id
                    else _ESME_RINVPASWD
                    if password != self.password
                    else None
                )
                if refusal is not None:
                    self.refused_binds += 1
                    client_w.write(_HEADER.pack(16, command_id | 0x80000000, refusal, sequence))
                    await client_w.drain()
                    return
            backend_r, backend_w = await asyncio.open_connection("127.0.0.1", self._backend_port)
            backend_w.write(first)
            up = asyncio.create_task(self._pump_up(client_r, backend_w))
            down = asyncio.create_task(self._pump_down(backend_r, client_w))
            try:
                await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in (up, down):
                    pump.cancel()
                await asyncio.gather(up, down, return_exceptions=True)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            for writer in (client_w, backend_w):
                if writer is not None:
                    writer.transport.abort()
            self._tasks.discard(task)

    async def _pump_up(
        self, client_r: asyncio.StreamReader, backend_w: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await client_r.read(65536):
                backend_w.write(chunk)
                await backend_w.drain()

    async def _pump_down(
        self, backend_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, OSError):
            while True:
                pdu = await _read_pdu(backend_r)
                _, command_id, status, _ = _HEADER.unpack_from(pdu)
                message_id = ""
                if command_id == _SUBMIT_SM_RESP and status == 0:
                    message_id = pdu[16:].split(b"\0", 1)[0].decode("latin-1")
                    if message_id in self._drop_ids:
                        self._drop_ids.discard(message_id)
                        return  # the caller aborts the client connection: no answer
                client_w.write(pdu)
                await client_w.drain()
                if message_id:
                    self._answer_relayed(message_id)
