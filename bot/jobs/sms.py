"""SMS: the gateway port, delivery receipts, and message arithmetic (length, segments).

A gateway (``adapters/sms/``: ``log``, ``twilio``, ``smpp``) implements
:class:`SmsGateway`. The core's sender (``bot/jobs/sending.py``) owns the durable state of
every message; a gateway only submits, answers "did you accept this?" where the
provider can be asked, and reports delivery receipts and opt-outs to a
:class:`ReceiptSink`.

Phone numbers are personal data: a gateway never puts one in an exception message or
a log line (``GatewayError.detail`` is shown to people and logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

ErrorKind = Literal["transient", "invalid", "opted-out", "rejected"]
ReceiptState = Literal["submitted", "delivered", "failed"]


@dataclass(frozen=True)
class OutgoingSms:
    key: str  # unique per message and stable across restarts, e.g. "job-3-msg-1204"
    to: str  # E.164
    body: str


class GatewayError(Exception):
    """The gateway did not take the message.

    kind:
      - ``transient``: refused for now (rate limit, provider busy, connection refused
        before the request was sent) -- the message was certainly *not* accepted and
        may be retried later;
      - ``invalid``: the number cannot receive SMS (invalid, landline) -- never retried;
      - ``opted-out``: the recipient unsubscribed (STOP) -- never retried, suppressed;
      - ``rejected``: any other definitive refusal -- never retried.

    A timeout or a broken connection *after* the request was sent is not a
    GatewayError: the gateway may have accepted it. Raise :class:`UnknownOutcome`.
    """

    def __init__(self, kind: ErrorKind, code: str, detail: str = "") -> None:
        super().__init__(f"{kind} ({code}){': ' + detail if detail else ''}")
        self.kind: ErrorKind = kind
        self.code = code
        self.detail = detail


class UnknownOutcome(Exception):
    """The request may or may not have been accepted (timeout after sending)."""


@dataclass(frozen=True)
class Lookup:
    """What the provider says about a message whose fate we do not know."""

    found: bool
    provider_id: str | None = None
    state: ReceiptState | None = None


@dataclass(frozen=True)
class Receipt:
    """A delivery report from the provider."""

    provider: str  # the gateway's name
    provider_id: str
    state: ReceiptState
    error_code: str | None = None
    opted_out: bool = False  # the provider says the recipient unsubscribed


class ReceiptSink(Protocol):
    """Where a gateway reports what happens to messages after submission."""

    async def receipt(self, receipt: Receipt) -> None: ...

    async def opt_out(self, phone: str, *, source: str) -> None:
        """The recipient asked not to be messaged any more (STOP reply): suppress."""


class SmsGateway(Protocol):
    name: str  # "log" | "twilio" | "smpp"

    async def start(self, sink: ReceiptSink) -> None:
        """Connect (bind); receipts and opt-outs are reported to ``sink`` from now on."""

    async def submit(self, msg: OutgoingSms) -> str:
        """Hand one message to the provider; returns the provider's message id.

        Raises :class:`GatewayError` when it was certainly not accepted, and
        :class:`UnknownOutcome` when it may have been.
        """

    async def lookup(self, msg: OutgoingSms, *, since: datetime) -> Lookup | None:
        """Did the provider accept ``msg`` (sent no earlier than ``since``)?

        None when this provider cannot be asked: the message is then ``uncertain``.
        """

    async def close(self) -> None: ...


STOP_WORDS = frozenset(
    {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "arret",
        "arrêt",
        "stoppen",
        "stopp",
    }
)


def is_stop(text: str) -> bool:
    """A reply asking to stop messages (Twilio's words, and FR/NL ones)."""
    words = text.strip().casefold().split()
    return bool(words) and words[0].strip(".!") in STOP_WORDS


@dataclass(frozen=True)
class Segments:
    encoding: Literal["GSM-7", "UCS-2"]
    length: int  # characters as the user sees them
    count: int  # SMS parts the network bills
    ucs2_because: str = ""  # the characters outside GSM-7 that force UCS-2


GSM7_SINGLE, GSM7_PART = 160, 153  # septets; a long message spends 7 on its header
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units


def segments(text: str) -> Segments:
    """GSM-7 when every character is in the GSM 03.38 alphabet (an extension character
    such as "€" costs two septets), else UCS-2; then the parts the network bills."""
    try:
        septets = len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-be")) // 2
        outside = "".join(dict.fromkeys(c for c in text if not _in_gsm7(c)))
        count = 1 if units <= UCS2_SINGLE else -(-units // UCS2_PART)
        return Segments("UCS-2", len(text), count, outside)
    count = 1 if septets <= GSM7_SINGLE else -(-septets // GSM7_PART)
    return Segments("GSM-7", len(text), count)


def _in_gsm7(c: str) -> bool:
    try:
        c.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True
