"""A real Synapse homeserver on loopback for the Matrix tests (installed as a test dependency).

Started once per test session: SQLite, 127.0.0.1 and a free port, a registration shared
secret, relaxed rate limits, ``bcrypt_rounds: 4``. Users are registered through the
shared-secret admin API. ``restart()`` stops and starts it on the same port and database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECRET = "crisiscell-test-secret"
LIMIT = {"per_second": 10000, "burst_count": 10000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _config(root: Path, port: int, database: str) -> str:
    cfg: dict[str, Any] = {
        "server_name": "localhost",
        "pid_file": str(root / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": database}},
        "log_config": str(root / "log.yaml"),
        "media_store_path": str(root / "media"),
        "registration_shared_secret": SECRET,
        "report_stats": False,
        "signing_key_path": str(root / "signing.key"),
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "bcrypt_rounds": 4,
        "enable_registration": False,
        "rc_message": LIMIT,
        "rc_registration": LIMIT,
        "rc_login": {"address": LIMIT, "account": LIMIT, "failed_attempts": LIMIT},
        "rc_joins": {"local": LIMIT, "remote": LIMIT},
        "rc_invites": {"per_room": LIMIT, "per_user": LIMIT, "per_issuer": LIMIT},
        "rc_3pid_validation": LIMIT,
        "rc_key_requests": LIMIT,
    }
    return json.dumps(cfg)  # JSON is YAML


LOG = """version: 1
formatters:
  precise: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: precise, filename: LOGFILE}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


@dataclass
class Synapse:
    root: Path
    port: int
    database: str = ""
    proc: subprocess.Popen[bytes] | None = None
    users: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.database = self.database or str(self.root / "homeserver.db")
        (self.root / "homeserver.yaml").write_text(
            _config(self.root, self.port, self.database), encoding="utf-8"
        )
        (self.root / "log.yaml").write_text(
            LOG.replace("LOGFILE", str(self.root / "homeserver.log")), encoding="utf-8"
        )
        base = [
            sys.executable,
            "-m",
            "synapse.app.homeserver",
            "-c",
            str(self.root / "homeserver.yaml"),
        ]
        if not (self.root / "signing.key").exists():
            subprocess.run([*base, "--generate-keys"], check=True, capture_output=True)
        out = open(self.root / "stdout.log", "ab")  # noqa: SIM115 - kept open with the process
        self.proc = subprocess.Popen(base, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Synapse exited: see {self.root / 'stdout.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise RuntimeError("Synapse did not start within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
            method="POST" if body is not None else "GET",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            data: dict[str, Any] = json.loads(resp.read())
            return data

    def register(self, name: str, password: str = "", *, admin: bool = False) -> tuple[str, str]:
        """A new user (unique name); returns (user id, password)."""
        name = f"{name}-{uuid.uuid4().hex[:6]}"
        password = password or uuid.uuid4().hex
        nonce = self._post("/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(f"{nonce}\0{name}\0{password}\0{'admin' if admin else 'notadmin'}".encode())
        self._post(
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": name,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        user_id = f"@{name}:localhost"
        self.users[user_id] = password
        return user_id, password

    def login(self, user_id: str) -> str:
        """A new access token (a new device) for a registered user."""
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user_id},
            "password": self.users[user_id],
        }
        return str(self._post("/_matrix/client/v3/login", body)["access_token"])
