"""A human on Matrix (a real matrix-nio client) and the bot as a real `crisiscell run` process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMessageFile,
    RoomMessageNotice,
    RoomSendResponse,
    SyncResponse,
)
from signedjson.key import decode_verify_key_bytes
from signedjson.sign import SignatureVerifyException, verify_signed_json
from unpaddedbase64 import decode_base64

from tests.synapse import Synapse, free_port

FACTS = "io.crisiscell.facts"


class Human:
    """Someone in Element, played by matrix-nio: sends, and waits for the bot's replies."""

    def __init__(self, synapse: Synapse, user_id: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.user_id = user_id
        self.password = synapse.users[user_id]
        self.client = AsyncClient(
            synapse.url,
            user_id,
            store_path=str(store),
            config=AsyncClientConfig(store_sync_tokens=False, encryption_enabled=True),
        )
        self.notices: list[RoomMessageNotice] = []
        self.files: list[tuple[str, RoomMessageFile | RoomEncryptedFile]] = []
        self.room_notices: list[tuple[str, RoomMessageNotice]] = []
        self.token: str | None = None

    async def login(self) -> Human:
        resp = await self.client.login(self.password, device_name="test")
        assert isinstance(resp, LoginResponse), resp
        await self.sync(0)
        return self

    async def sync(self, poll_ms: int = 500) -> None:
        c = self.client
        resp = await c.sync(timeout=poll_ms, since=self.token)
        assert isinstance(resp, SyncResponse), resp
        self.token = resp.next_batch
        for room_id, info in resp.rooms.join.items():
            new = [e for e in info.timeline.events if isinstance(e, RoomMessageNotice)]
            self.notices.extend(new)
            self.room_notices.extend((room_id, e) for e in new)
            self.files.extend(
                (room_id, e)
                for e in info.timeline.events
                if isinstance(e, RoomMessageFile | RoomEncryptedFile)
            )
        if c.should_upload_keys:
            await c.keys_upload()
        if c.should_query_keys:
            await c.keys_query()
        if c.should_claim_keys:
            await c.keys_claim(c.get_users_for_key_claiming())
        await c.send_to_device_messages()

    async def wait_for(self, check: Callable[[], Any], within: float = 30) -> Any:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            await self.sync()
        raise AssertionError(f"{self.user_id}: timed out waiting")

    async def create_room(self, invite: list[str], *, encrypted: bool = False) -> str:
        state = []
        if encrypted:
            state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        resp = await self.client.room_create(invite=invite, initial_state=state)
        assert isinstance(resp, RoomCreateResponse), resp
        await self.wait_for(lambda: resp.room_id in self.client.rooms)
        if encrypted:
            await self.wait_for(lambda: self.client.rooms[resp.room_id].encrypted)
        return str(resp.room_id)

    async def invite(self, room_id: str, user_id: str) -> None:
        await self.client.room_invite(room_id, user_id)

    async def join(self, room_id: str) -> None:
        await self.client.join(room_id)
        await self.wait_for(lambda: room_id in self.client.rooms)

    def member(self, room_id: str, user_id: str) -> bool:
        room = self.client.rooms.get(room_id)  # joined (nio also lists invited users)
        return room is not None and user_id in room.users and user_id not in room.invited_users

    async def send(self, room_id: str, body: str, **extra: Any) -> str:
        content = {"msgtype": "m.text", "body": body, **extra}
        resp = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(resp, RoomSendResponse), resp
        return str(resp.event_id)

    def replies_to(self, event_id: str) -> list[RoomMessageNotice]:
        return [
            n
            for n in self.notices
            if n.source["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            == event_id
        ]

    async def reply(self, event_id: str, within: float = 30) -> dict[str, Any]:
        """The content of the bot's (first) reply to one of our messages."""
        notices = await self.wait_for(lambda: self.replies_to(event_id), within)
        content: dict[str, Any] = notices[0].source["content"]
        return content

    async def close(self) -> None:
        await self.client.close()


class BotProcess:
    """`crisiscell run` as a real process, with its own config, database and store."""

    def __init__(
        self,
        root: Path,
        synapse: Synapse,
        bot_id: str,
        cell: list[str],
        *,
        homeserver: str | None = None,
        db_url: str | None = None,
        extra_config: str = "",
        log_name: str = "bot.log",
    ) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        people = "\n".join(
            f'[[person]]\nname = "Cell {n}"\nids = ["{uid}"]\nroles = ["cell"]\n'
            for n, uid in enumerate(cell)
        )
        self.config = root / "crisiscell.toml"
        self.web_port = free_port()
        self.config.write_text(
            f'[bot]\nlanguage = "en"\nexports_dir = "{root / "exports"}"\n'
            # a killed bot's lease is taken over after 3 s (default 30 s)
            "lease_seconds = 3\n\n"
            f'[web]\nlisten = "127.0.0.1:{self.web_port}"\n\n{people}\n'
            f'[matrix]\nenabled = true\nhomeserver = "{homeserver or synapse.url}"\n'
            f'user_id = "{bot_id}"\n'
            f'store_dir = "{root / "matrix"}"\n' + extra_config,
            encoding="utf-8",
        )
        self.db = root / "crisiscell.sqlite3"
        self.db_arg = db_url or str(self.db)
        self.log_name = log_name
        self.env = {**os.environ, "CRISISCELL_MATRIX_PASSWORD": synapse.users[bot_id]}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, **env: str) -> None:
        log = open(self.root / self.log_name, "ab")  # noqa: SIM115 - kept open with the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adapters.cli",
                "-vv",
                "run",
                "--config",
                str(self.config),
                "--db",
                self.db_arg,
            ],
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    async def cli(
        self, *args: str, stdin: str = "", **env: str
    ) -> subprocess.CompletedProcess[str]:
        """One `crisiscell` command (``args`` ending with its options) on this bot's config
        and database, with the bot's environment plus ``env``."""
        cmd = [sys.executable, "-m", "adapters.cli", *args]
        cmd += ["--config", str(self.config), "--db", self.db_arg]
        return await asyncio.to_thread(
            subprocess.run,
            cmd,
            env={**self.env, **env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    async def wait_exit(self, within: float = 30) -> int:
        assert self.proc is not None
        return await asyncio.to_thread(self.proc.wait, within)

    def log(self) -> str:
        return (self.root / self.log_name).read_text(encoding="utf-8", errors="replace")


def signed_by(obj: dict[str, Any], user_id: str, key: str) -> bool:
    """signedjson's verdict: ``obj`` carries a valid ed25519 signature by ``key``."""
    verify_key = decode_verify_key_bytes(f"ed25519:{key}", decode_base64(key))
    try:
        verify_signed_json(obj, user_id, verify_key)
    except SignatureVerifyException:
        return False
    return True
