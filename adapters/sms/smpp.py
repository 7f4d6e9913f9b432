"""The SMPP 3.4 SMS gateway: smpplib (synchronous) in a worker thread, bridged to asyncio.

Threading
---------
smpplib does blocking socket I/O, so one dedicated thread (``smpp-gateway``) owns the
smpplib ``Client`` and its socket. It connects and binds as a transceiver, reads every
PDU, answers ``enquire_link`` and ``deliver_sm``, sends ``enquire_link`` when the link
has been idle for ``keepalive_seconds``, writes the ``submit_sm`` PDUs, and reconnects
with backoff when the connection drops. Since only that thread touches the socket,
smpplib (whose sequence generator and send path are not thread-safe) needs no lock.

The event loop hands work to the thread through a queue and wakes its ``select()``
with a byte on a socketpair; the thread answers with ``loop.call_soon_threadsafe``
(settling one asyncio Future per ``submit_sm``, correlated by sequence number) and
``asyncio.run_coroutine_threadsafe`` (receipts and STOP replies, handed to the sink on
the loop). The loop never waits on a socket or a lock.

A ``deliver_sm`` is acknowledged only after the sink has handled it: when the sink
fails, the answer is ``ESME_RX_T_APPN`` (temporary error) and the SMSC delivers it
again later.

Long messages
-------------
``smpplib.gsm.make_parts`` encodes GSM-7 (unpacked, data_coding 0) or UCS-2
(data_coding 8) and splits long texts with a concatenation UDH. The parts are sent
one after the other: once part 1 was accepted, a later failure cannot be a clean
"not sent" (the patient may have a fragment), so it is :class:`UnknownOutcome`.

A delivery receipt is requested on every part (``registered_delivery=1``): the SMSC
reports per part, and the id returned to the core is the first part's, so that part's
receipt must be requested -- asking only on the last part would report under an id the
core never saw. Receipts for later parts are recognised by their id and dropped.

Phone numbers are personal health data: they never appear in an exception message or a
log line. smpplib logs whole PDUs (destination addresses included) at DEBUG on the
``smpp.Client`` logger, which is held at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import select
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from smpplib import client as smpp_client
from smpplib import consts as smpp_consts
from smpplib import exceptions as smpp_exceptions
from smpplib import gsm
from smpplib import smpp as smpp_pdu

from adapters.sms.quiet import warnings_only
from bot.config import SmppSettings
from bot.jobs.appointments import classify_phone
from bot.jobs.sms import (
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

# command_status values refused "for now": the message was certainly not accepted.
_TRANSIENT: Final = frozenset(
    {
        smpp_consts.SMPP_ESME_RTHROTTLED,  # 0x58
        smpp_consts.SMPP_ESME_RMSGQFUL,  # 0x14
        smpp_consts.SMPP_ESME_RSYSERR,  # 0x08
    }
)
_INVALID: Final = frozenset({smpp_consts.SMPP_ESME_RINVDSTADR})  # 0x0B
# The deliver_sm_resp status when the sink failed: "temporary application error",
# the SMSC retries later.
_ESME_RX_T_APPN: Final = smpp_consts.SMPP_ESME_RX_T_APPN

# esm_class bits 2-5: the message type of a deliver_sm.
_MSG_TYPE_MASK: Final = 0x3C
_MSG_TYPE_RECEIPT: Final = frozenset({0x04, 0x20})  # SMSC receipt, intermediate notification
_UDHI: Final = 0x40

_RECEIPT_STATES: Final[dict[str, ReceiptState]] = {
    "DELIVRD": "delivered",
    "UNDELIV": "failed",
    "REJECTD": "failed",
    "EXPIRED": "failed",
    "DELETED": "failed",
    "ENROUTE": "submitted",
    "ACCEPTD": "submitted",
}
# The message_state TLV (SMPP 3.4, 5.2.28) as the receipt text's stat: value.
_TLV_STATES: Final[dict[int, str]] = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}

# First-part ids we issued (True) and later-part ids (False), newest last.
_ISSUED_IDS_MAX: Final = 100_000
# Reconnection delays after the link dropped (seconds); the last one repeats.
_BACKOFF: Final = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# How long close() waits for the SMSC's unbind_resp.
_UNBIND_WAIT_MAX: Final = 5.0

# smpplib logs every PDU in hex at DEBUG (destination and source addresses included).
# Our clients log on this one logger, held at WARNING (adapters.sms.quiet).
_SMPPLIB_LOGGER: Final = "smpp.Client"


class SmppBindError(ConnectionError):
    """The gateway could not connect or bind at start (never carries the password)."""


def _describe(status: int) -> str:
    name = smpp_consts.DESCRIPTIONS.get(status, "unknown status")
    return f"{name} (0x{status:02x})"


def submit_error(status: int) -> GatewayError:
    """A refused submit_sm (non-zero command_status) as a GatewayError."""
    code = f"smpp-0x{status:02x}"
    detail = f"the SMSC refused submit_sm: {_describe(status)}"
    if status in _TRANSIENT:
        return GatewayError("transient", code, detail)
    if status in _INVALID:
        return GatewayError("invalid", code, detail)
    return GatewayError("rejected", code, detail)


_RECEIPT_TEXT_END = re.compile(r"\btext:", re.IGNORECASE)
_RECEIPT_ID = re.compile(r"\bid:(\S+)", re.IGNORECASE)
_RECEIPT_STAT = re.compile(r"\bstat:(\w+)", re.IGNORECASE)
_RECEIPT_ERR = re.compile(r"\berr:(\w+)", re.IGNORECASE)


def parse_receipt_text(text: str) -> tuple[str | None, str | None, str | None]:
    """(id, stat, err) from a receipt's standard text (SMPP 3.4 appendix B), where present.

    ``id:XXXX sub:001 dlvrd:001 submit date:... done date:... stat:DELIVRD err:000 text:...``;
    the free ``text:`` part (the start of the message) is not searched.
    """
    head = _RECEIPT_TEXT_END.split(text, maxsplit=1)[0]
    found = [pattern.search(head) for pattern in (_RECEIPT_ID, _RECEIPT_STAT, _RECEIPT_ERR)]
    rid, stat, err = (m.group(1) if m else None for m in found)
    return rid, (stat.upper() if stat else None), err


def decode_short_message(
    payload: bytes, data_coding: int, *, udhi: bool, default_is_gsm: bool = True
) -> str:
    """The text of a deliver_sm: the UDH skipped, then UCS-2, GSM-7 (unpacked) or Latin-1.

    data_coding 0 is "the SMSC default alphabet": GSM-7 for a reply from a phone, but
    plain ASCII in practice for receipts (``default_is_gsm=False``), whose message ids
    may hold characters GSM-7 would turn into others (``_``, ``@``, ``$``...).
    """
    if udhi and payload:
        payload = payload[1 + payload[0] :]
    if data_coding == smpp_consts.SMPP_ENCODING_ISO10646:
        return payload.decode("utf-16-be", errors="replace")
    if data_coding == smpp_consts.SMPP_ENCODING_DEFAULT and default_is_gsm:
        return gsm7_decode(payload)
    return payload.decode("latin-1")


def gsm7_decode(data: bytes) -> str:
    """GSM 03.38 default alphabet, one septet per byte (smpplib's encoding), escapes too."""
    table: str = gsm.GSM_CHARACTER_TABLE
    out: list[str] = []
    escaped = False
    for byte in data:
        if escaped:
            index = 0x80 + byte
            out.append(table[index] if index < len(table) else "?")
            escaped = False
        elif byte == 0x1B:
            escaped = True
        else:
            out.append(table[byte] if byte < 0x80 else "?")
    return "".join(out)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)


# --- what goes between the loop and the worker thread ---------------------------------


@dataclass(frozen=True)
class _Answered:
    """A submit_sm_resp (or generic_nack) for the part."""

    status: int
    message_id: str


@dataclass(frozen=True)
class _NotSent:
    """The PDU was never (completely) written: certainly not accepted."""

    reason: str


@dataclass(frozen=True)
class _Lost:
    """The PDU was written, then the link went away before the answer."""

    reason: str


_PartOutcome = _Answered | _NotSent | _Lost


@dataclass(eq=False)
class _SubmitCmd:
    params: dict[str, Any]
    future: asyncio.Future[_PartOutcome]
    first_part: bool


@dataclass(frozen=True)
class _AckCmd:
    """Answer a deliver_sm of link ``generation`` with ``status``."""

    generation: int
    sequence: int
    status: int


class _StopCmd:
    pass


_Command = _SubmitCmd | _AckCmd | _StopCmd


@dataclass(frozen=True)
class _OptOut:
    phone: str


class _LinkDown(Exception):
    """The current connection is unusable (the reason never holds a phone number)."""


class SmppGateway:
    """:class:`bot.jobs.sms.SmsGateway` over SMPP 3.4 (transceiver bind), smpplib in a thread."""

    name = "smpp"

    def __init__(
        self,
        settings: SmppSettings,
        password: str,
        *,
        keepalive_seconds: float = 30.0,
        region: str = "BE",
    ) -> None:
        self._settings = settings
        self._password = password
        self._region = region  # for national-format senders of STOP replies
        self._timeout = settings.timeout_seconds
        self._keepalive = keepalive_seconds
        npi = 0 if settings.source_addr_ton == 5 else 1  # alphanumeric senders have no plan
        self._source = {
            "source_addr_ton": settings.source_addr_ton,
            "source_addr_npi": npi,
            "source_addr": settings.source_addr,
        }
        self._where = f"{settings.host}:{settings.port} as {settings.system_id!r}"
        # Loop side.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sink: ReceiptSink | None = None
        self._bound = asyncio.Event()
        self._exited: asyncio.Future[None] | None = None
        self._thread: threading.Thread | None = None
        # Shared: the command queue (thread-safe) and the wake-up socketpair.
        self._commands: queue.SimpleQueue[_Command] = queue.SimpleQueue()
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = threading.Event()
        # Worker thread only.
        self._client: Any = None  # smpplib.client.Client while connected
        self._generation = 0  # +1 per successful bind; stale deliver_sm acks are dropped
        self._pending: dict[int, _SubmitCmd] = {}  # sequence_number -> written submit_sm
        self._issued: OrderedDict[str, bool] = OrderedDict()
        warnings_only(_SMPPLIB_LOGGER)

    # --- SmsGateway ------------------------------------------------------------------

    async def start(self, sink: ReceiptSink) -> None:
        """Connect and bind (transceiver); raises :class:`SmppBindError` when that fails."""
        if self._thread is not None:
            raise RuntimeError("SmppGateway.start() called twice")
        loop = asyncio.get_running_loop()
        self._loop, self._sink = loop, sink
        self._bound = asyncio.Event()  # of this loop
        self._stopping.clear()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        started: asyncio.Future[str | None] = loop.create_future()
        self._exited = loop.create_future()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name="smpp-gateway", daemon=True
        )
        self._thread.start()
        try:
            error = await started
        except BaseException:  # cancelled while binding: stop the thread, then re-raise
            await self.close()
            raise
        if error is not None:
            await self._join()
            raise SmppBindError(error)
        log.info("SMPP gateway bound to %s", self._where)

    async def submit(self, msg: OutgoingSms) -> str:
        number = msg.to.removeprefix("+")
        if not number.isdigit():
            raise GatewayError("invalid", "smpp-bad-number", "not an E.164 number")
        if self._thread is None or not self._bound.is_set():
            raise GatewayError("transient", "smpp-not-bound", "not bound to the SMSC")
        parts, data_coding, esm_class = gsm.make_parts(msg.body)
        first_id = ""
        for index, part in enumerate(parts):
            params = {
                **self._source,
                "dest_addr_ton": smpp_consts.SMPP_TON_INTL,
                "dest_addr_npi": smpp_consts.SMPP_NPI_ISDN,
                "destination_addr": number,
                "short_message": part,
                "data_coding": data_coding,
                "esm_class": esm_class,
                "registered_delivery": smpp_consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
            }
            outcome = await self._submit_part(params, first_part=index == 0)
            where = f"part {index + 1}/{len(parts)} of {msg.key}"
            if index == 0:
                first_id = self._first_part_result(outcome, msg.key)
                continue
            # Part 1 was accepted: anything but acceptance of this part leaves a fragment.
            if isinstance(outcome, _Answered) and outcome.status != 0:
                raise UnknownOutcome(
                    f"SMPP: {where} refused ({_describe(outcome.status)}) after part 1 was accepted"
                )
            if isinstance(outcome, _NotSent | _Lost):
                raise UnknownOutcome(f"SMPP: {where} not confirmed ({outcome.reason})")
        log.debug("SMPP accepted %s as %s (%d part(s))", msg.key, first_id, len(parts))
        return first_id

    async def lookup(self, msg: OutgoingSms, *, since: datetime) -> Lookup | None:
        """SMPP cannot say whether a message we never got an id for was accepted."""
        return None

    async def close(self) -> None:
        """Unbind, disconnect, join the worker thread. Idempotent."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        self._command(_StopCmd())
        await self._join()

    # --- extras ----------------------------------------------------------------------

    @property
    def bound(self) -> bool:
        """Bound to the SMSC right now (false while reconnecting)."""
        return self._bound.is_set()

    async def wait_bound(self) -> None:
        """Wait until the gateway is bound (again, after a reconnection)."""
        await self._bound.wait()

    # --- loop side helpers -----------------------------------------------------------

    async def _submit_part(self, params: dict[str, Any], *, first_part: bool) -> _PartOutcome:
        assert self._loop is not None
        future: asyncio.Future[_PartOutcome] = self._loop.create_future()
        self._command(_SubmitCmd(params, future, first_part))
        try:
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            return _Lost(f"no submit_sm_resp within {self._timeout:g}s")

    def _first_part_result(self, outcome: _PartOutcome, key: str) -> str:
        if isinstance(outcome, _NotSent):
            raise GatewayError("transient", "smpp-not-bound", f"not sent: {outcome.reason}")
        if isinstance(outcome, _Lost):
            raise UnknownOutcome(f"SMPP: {key} not confirmed ({outcome.reason})")
        if outcome.status != 0:
            raise submit_error(outcome.status)
        return outcome.message_id

    def _command(self, command: _Command) -> None:
        self._commands.put(command)
        if self._wake_w is not None:
            # A full buffer means wake-ups are already pending.
            with contextlib.suppress(BlockingIOError, OSError):
                self._wake_w.send(b"\0")

    async def _join(self) -> None:
        thread, exited = self._thread, self._exited
        if thread is None or exited is None:
            return
        await asyncio.shield(exited)  # the thread's last act; join() is then immediate
        thread.join()
        self._thread = None
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None

    async def _deliver(self, item: Receipt | _OptOut, generation: int, sequence: int) -> None:
        """Hand a receipt / STOP to the sink (on the loop), then acknowledge the deliver_sm."""
        assert self._sink is not None
        status = 0
        try:
            if isinstance(item, Receipt):
                await self._sink.receipt(item)
            else:
                await self._sink.opt_out(item.phone, source="smpp-stop")
        except Exception as exc:  # the sink's message may quote a number: log its type only
            log.error(
                "SMPP: the receipt sink failed (%s); asking for redelivery", type(exc).__name__
            )
            status = _ESME_RX_T_APPN
        self._command(_AckCmd(generation, sequence, status))

    # --- worker thread ---------------------------------------------------------------

    def _call(self, callback: Any, *args: Any) -> None:
        """Run ``callback(*args)`` on the loop (nothing if the loop is gone)."""
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)

    def _settle(self, future: asyncio.Future[Any], value: object) -> None:
        self._call(_set_result, future, value)

    def _run(self, started: asyncio.Future[str | None]) -> None:
        try:
            error = self._open()
            self._settle(started, error)
            attempt = 0
            while error is None and not self._stopping.is_set():
                self._serve()
                # The link dropped: reconnect, with backoff, until bound or stopped.
                while not self._stopping.is_set():
                    if self._idle(_BACKOFF[min(attempt, len(_BACKOFF) - 1)]):
                        break
                    failure = self._open()
                    if failure is None:
                        attempt = 0
                        break
                    attempt += 1
                    log.warning("SMPP reconnection failed (%s); retrying", failure)
        except BaseException as exc:
            log.error("SMPP worker thread crashed: %s", type(exc).__name__)
            self._settle(started, f"SMPP worker crashed ({type(exc).__name__})")
        finally:
            self._link_down("gateway closed")
            self._drain_commands()
            if self._exited is not None:
                self._settle(self._exited, None)

    def _open(self) -> str | None:
        """Connect and bind; None when bound, else why not (no password, no number)."""
        client = smpp_client.Client(
            self._settings.host,
            self._settings.port,
            timeout=self._timeout,
            logger_name=_SMPPLIB_LOGGER,
            allow_unknown_opt_params=True,
        )
        try:
            client.connect()
        except smpp_exceptions.ConnectionError:
            _drop_socket(client)
            return f"SMPP connection to {self._settings.host}:{self._settings.port} failed"
        try:
            client.bind_transceiver(
                system_id=self._settings.system_id,
                password=self._password,
                system_type=self._settings.system_type,
            )
        except smpp_exceptions.PDUError as exc:
            _drop_socket(client)
            status = exc.args[1] if len(exc.args) > 1 else smpp_consts.SMPP_ESME_RBINDFAIL
            return f"SMPP bind to {self._where} refused: {_describe(int(status))}"
        except (smpp_exceptions.ConnectionError, OSError):
            _drop_socket(client)
            return (
                f"SMPP bind to {self._where}: no bind response within "
                f"{self._timeout:g}s (or the connection was closed)"
            )
        self._client = client
        self._generation += 1
        self._call(self._bound.set)
        log.info("SMPP link up (%s)", self._where)
        return None

    def _idle(self, seconds: float) -> bool:
        """Wait ``seconds`` while unbound, serving commands; True when stopping."""
        deadline = time.monotonic() + seconds
        while True:
            if self._process_commands():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._stopping.is_set()
            assert self._wake_r is not None
            select.select([self._wake_r], [], [], remaining)
            self._drain_wakeups()

    def _serve(self) -> None:
        """Run the bound link until it drops or the gateway stops."""
        client = self._client
        sock: socket.socket = client._socket
        assert self._wake_r is not None
        last_rx = time.monotonic()
        probe_sent: float | None = None  # an enquire_link waiting for its answer
        try:
            while True:
                now = time.monotonic()
                if probe_sent is not None:
                    if now - probe_sent >= self._timeout:
                        raise _LinkDown("no answer to enquire_link")
                    wait = probe_sent + self._timeout - now
                elif now - last_rx >= self._keepalive:
                    client.send_pdu(smpp_pdu.make_pdu("enquire_link", client=client))
                    probe_sent = now
                    self._forget_abandoned()
                    continue
                else:
                    wait = self._keepalive - (now - last_rx)
                readable, _, _ = select.select([sock, self._wake_r], [], [], wait)
                if self._wake_r in readable:
                    self._drain_wakeups()
                    if self._process_commands():
                        self._unbind()
                        return
                if sock in readable:
                    pdu = client.read_pdu()  # the socket timeout bounds a partial PDU
                    last_rx, probe_sent = time.monotonic(), None
                    self._handle(pdu)
        except _LinkDown as exc:
            reason = str(exc)
        except smpp_exceptions.ConnectionError:
            reason = "connection lost"
        except Exception as exc:  # a PDU smpplib cannot parse, a socket error...
            reason = f"link error ({type(exc).__name__})"
        log.warning("SMPP link down (%s); reconnecting", reason)
        self._link_down(reason)

    def _process_commands(self) -> bool:
        """Run the queued commands; True when asked to stop."""
        stop = False
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return stop or self._stopping.is_set()
            if isinstance(command, _StopCmd):
                stop = True
            elif isinstance(command, _SubmitCmd):
                self._write_submit(command, stop)
            elif command.generation == self._generation and self._client is not None:
                ack = smpp_pdu.make_pdu(
                    "deliver_sm_resp", client=self._client, status=command.status
                )
                ack.sequence = command.sequence
                self._send(ack)

    def _write_submit(self, command: _SubmitCmd, stopping: bool) -> None:
        if command.future.done():  # timed out or cancelled while queued
            return
        if self._client is None or stopping:
            self._settle(command.future, _NotSent("not bound to the SMSC"))
            return
        try:
            pdu = self._client.send_message(**command.params)
        except smpp_exceptions.ConnectionError:
            self._settle(command.future, _NotSent("connection lost before sending"))
            raise _LinkDown("connection lost while sending") from None
        except smpp_exceptions.PDUError:
            self._settle(command.future, _NotSent("not bound to the SMSC"))
            return
        self._pending[pdu.sequence] = command

    def _send(self, pdu: Any) -> None:
        try:
            self._client.send_pdu(pdu)
        except smpp_exceptions.ConnectionError:
            raise _LinkDown("connection lost while sending") from None

    def _handle(self, pdu: Any) -> None:
        command = pdu.command
        if command in ("submit_sm_resp", "generic_nack"):
            submitted = self._pending.pop(pdu.sequence, None)
            if submitted is None:
                return  # answered after its submit timed out (or a stray nack)
            status = int(pdu.status)
            if command == "generic_nack" and status == 0:
                status = smpp_consts.SMPP_ESME_RUNKNOWNERR
            message_id = _text(getattr(pdu, "message_id", None)) if status == 0 else ""
            if message_id:
                self._remember(message_id, first_part=submitted.first_part)
            self._settle(submitted.future, _Answered(status, message_id))
        elif command == "deliver_sm":
            self._on_deliver_sm(pdu)
        elif command == "enquire_link":
            answer = smpp_pdu.make_pdu("enquire_link_resp", client=self._client)
            answer.sequence = pdu.sequence
            self._send(answer)
        elif command == "unbind":
            answer = smpp_pdu.make_pdu("unbind_resp", client=self._client)
            answer.sequence = pdu.sequence
            self._send(answer)
            raise _LinkDown("the SMSC unbound")
        else:  # enquire_link_resp, alert_notification, ...
            log.debug("SMPP: %s ignored", command)

    def _on_deliver_sm(self, pdu: Any) -> None:
        item = self._inbound(pdu)
        if item is None:
            ack = smpp_pdu.make_pdu("deliver_sm_resp", client=self._client)
            ack.sequence = pdu.sequence
            self._send(ack)
            return
        assert self._loop is not None
        coroutine: Coroutine[Any, Any, None] = self._deliver(item, self._generation, pdu.sequence)
        try:
            asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        except RuntimeError:  # the loop is closed: no ack, the SMSC redelivers later
            coroutine.close()

    def _inbound(self, pdu: Any) -> Receipt | _OptOut | None:
        """What a deliver_sm means for the sink; None when nothing."""
        esm_class = int(pdu.esm_class or 0)
        payload: bytes = pdu.short_message or getattr(pdu, "message_payload", None) or b""
        text = decode_short_message(
            payload, int(pdu.data_coding or 0), udhi=bool(esm_class & _UDHI)
        )
        msg_type = esm_class & _MSG_TYPE_MASK
        if msg_type in _MSG_TYPE_RECEIPT:
            return self._receipt(pdu, text)
        if msg_type != 0:
            return None  # an SME acknowledgement, not a text
        if not is_stop(text):
            log.debug("SMPP: a reply that is not a STOP word, ignored")
            return None
        sender = _text(pdu.source_addr).removeprefix("+")
        if not sender.isdigit():
            log.warning("SMPP: a STOP reply from a non-numeric sender, ignored")
            return None
        log.info("SMPP: STOP reply received")
        # international (TON 1) "32470..." or national "0470...": E.164 like the list's
        ton = getattr(pdu, "source_addr_ton", 1)
        raw = ("+" + sender) if ton == 1 or not sender.startswith("0") else sender
        e164, _ = classify_phone(raw, self._region)
        return _OptOut(e164 or "+" + sender)

    def _receipt(self, pdu: Any, text: str) -> Receipt | None:
        rid, stat, err = parse_receipt_text(text)
        tlv_id = _text(getattr(pdu, "receipted_message_id", None))
        rid = tlv_id or rid
        tlv_state = getattr(pdu, "message_state", None)
        if stat is None and tlv_state is not None:
            stat = _TLV_STATES.get(int(tlv_state))
        state = _RECEIPT_STATES.get(stat or "")
        if not rid or state is None:
            log.warning("SMPP: unreadable delivery receipt (stat %s), ignored", stat)
            return None
        if self._issued.get(rid) is False:
            return None  # a later part of a long message: the first part's receipt counts
        error = f"smpp-err-{err or 'unknown'}" if state == "failed" else None
        log.debug("SMPP receipt for %s: %s", rid, stat)
        return Receipt(self.name, rid, state, error)

    def _remember(self, message_id: str, *, first_part: bool) -> None:
        self._issued[message_id] = first_part
        self._issued.move_to_end(message_id)
        while len(self._issued) > _ISSUED_IDS_MAX:
            self._issued.popitem(last=False)

    def _forget_abandoned(self) -> None:
        """Drop written submits whose caller stopped waiting (timed out)."""
        for sequence in [s for s, c in self._pending.items() if c.future.done()]:
            del self._pending[sequence]

    def _unbind(self) -> None:
        """Best-effort unbind before closing: wait a little for unbind_resp."""
        client = self._client
        # The SMSC may just close the socket, or send something else: we are leaving anyway.
        with contextlib.suppress(Exception):
            client.send_pdu(smpp_pdu.make_pdu("unbind", client=client))
            deadline = time.monotonic() + min(self._timeout, _UNBIND_WAIT_MAX)
            while (remaining := deadline - time.monotonic()) > 0:
                readable, _, _ = select.select([client._socket], [], [], remaining)
                if not readable or client.read_pdu().command == "unbind_resp":
                    break

    def _link_down(self, reason: str) -> None:
        """Forget the connection; written submits get _Lost (the caller: UnknownOutcome)."""
        self._call(self._bound.clear)  # before the futures: callers see "unbound"
        for command in self._pending.values():
            self._settle(command.future, _Lost(reason))
        self._pending.clear()
        if self._client is not None:
            _drop_socket(self._client)
            self._client = None

    def _drain_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            if isinstance(command, _SubmitCmd):
                self._settle(command.future, _NotSent("the gateway is closing"))

    def _drain_wakeups(self) -> None:
        assert self._wake_r is not None
        with contextlib.suppress(BlockingIOError, OSError):
            while self._wake_r.recv(4096):
                pass


def _set_result(future: asyncio.Future[Any], value: object) -> None:
    if not future.done():
        future.set_result(value)


def _drop_socket(client: Any) -> None:
    """Close an smpplib client's socket without its logging (and its bound-state warning)."""
    sock = client._socket
    client._socket = None
    client.state = smpp_consts.SMPP_CLIENT_STATE_CLOSED
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()
