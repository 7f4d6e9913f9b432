"""The states an SMS job and its messages go through, named once.

They are ``StrEnum`` members: stored and compared as their text ("running"), typed in
the code. The moves between message states are ``FORWARD`` in ``bot/jobs/notify.py``;
the moves of a job are ``ALLOWED_CHANGES`` there.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    DRAFT = "draft"  # dry run shown, waiting for a second approver
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    ABORTED = "aborted"


class JobKind(StrEnum):
    NOTIFY = "notify"  # the SMS of a cancelled or case-by-case service
    CORRECTION = "correction"  # "your appointment is maintained after all"
    CALLBACK = "callback"  # "please call us back" (unreached on a call list)


class SmsState(StrEnum):
    PENDING = "pending"  # queued, not yet handed to a gateway
    SENDING = "sending"  # claimed by a sender; the gateway may have it
    SUBMITTED = "submitted"  # the gateway accepted it
    DELIVERED = "delivered"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # a crash mid-send and the gateway cannot be asked
    EXPIRED = "expired"  # not sent in time: a late SMS is worse than none
    CANCELLED = "cancelled"  # withdrawn before sending (abort, mark, other job)
