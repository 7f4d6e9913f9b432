"""The ``log`` gateway (the default, and forced in drills): each message is appended to a
file in the data directory and nothing is sent.

The file is not a log of personal data: the number is masked to its last two digits.
Since the file is the "provider", it can be asked whether a message was taken (by its
key), so a crash between writing and recording is reconciled, not guessed.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bot.jobs.sms import Lookup, OutgoingSms, ReceiptSink


def mask(phone: str) -> str:
    return phone[:3] + "•" * max(0, len(phone) - 5) + phone[-2:]


class LogGateway:
    name = "log"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: dict[str, str] = {}  # message key -> provider id
        self._lock = threading.Lock()

    async def start(self, sink: ReceiptSink) -> None:
        await asyncio.to_thread(self._load)

    def _load(self) -> None:
        if not self.path.exists():
            return
        with self._lock, self.path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    item = json.loads(line)
                except ValueError:
                    continue  # a line cut by a crash
                self._keys[item["key"]] = item["id"]

    async def submit(self, msg: OutgoingSms) -> str:
        return await asyncio.to_thread(self._write, msg)

    def _write(self, msg: OutgoingSms) -> str:
        with self._lock:
            if msg.key in self._keys:  # never twice, even if asked twice
                return self._keys[msg.key]
            ident = f"log-{uuid.uuid4().hex[:16]}"
            line = json.dumps(
                {
                    "at": datetime.now(UTC).isoformat(),
                    "id": ident,
                    "key": msg.key,
                    "to": mask(msg.to),
                    "body": msg.body,
                },
                ensure_ascii=False,
            )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
            self._keys[msg.key] = ident
            return ident

    async def lookup(self, msg: OutgoingSms, *, since: datetime) -> Lookup | None:
        if msg.key not in self._keys:  # another process may have written it
            await asyncio.to_thread(self._load)
        ident = self._keys.get(msg.key)
        return Lookup(found=True, provider_id=ident) if ident else Lookup(found=False)

    async def close(self) -> None:
        return None
