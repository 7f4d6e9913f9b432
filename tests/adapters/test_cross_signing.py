"""`crisiscell matrix crypto-setup` and signing at start, on a real Synapse.

What another client sees is read with `/keys/query` from a second account, and every
signature is checked with matrix-org's own ``signedjson`` (Ed25519 over canonical JSON),
not with the bot's code.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import sqlite3
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.matrix.cross_signing import (
    Held,
    KeysApi,
    KeyVault,
    SetupRequest,
    crypto_setup,
    import_keys,
    query_account,
    shown,
)
from adapters.matrix.crypto_keys import CrossSigningKeys
from adapters.matrix.errors import MatrixError
from storage.db import Database
from tests.matrix_helpers import BotProcess, Human, signed_by
from tests.polling import until
from tests.synapse import Synapse, free_port

pytestmark = [pytest.mark.matrix, pytest.mark.slow]

PASSPHRASE = "correct horse battery staple"
KEY_ENV = {"CRISISCELL_MATRIX_KEY_PASSPHRASE": PASSPHRASE}
RECOVERY = re.compile(r"^\s+((?:[1-9A-HJ-NP-Za-km-z]{4} ){11}[1-9A-HJ-NP-Za-km-z]{4})$", re.M)


@dataclass
class Published:
    """The bot's keys as a second client gets them from `/keys/query`."""

    user_id: str
    raw: dict[str, Any]

    @property
    def master(self) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.raw.get("master_keys", {}).get(self.user_id)
        return found

    @property
    def self_signing(self) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.raw.get("self_signing_keys", {}).get(self.user_id)
        return found

    def device(self, device_id: str) -> dict[str, Any]:
        return dict(self.raw["device_keys"][self.user_id][device_id])


def query_keys(synapse: Synapse, token: str, user_id: str) -> Published:
    req = urllib.request.Request(
        f"{synapse.url}/_matrix/client/v3/keys/query",
        data=json.dumps({"device_keys": {user_id: []}}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return Published(user_id, json.loads(resp.read()))


def public(key_obj: dict[str, Any]) -> str:
    ((key_id, value),) = key_obj["keys"].items()
    assert key_id == f"ed25519:{value}"
    return str(value)


def assert_cross_signed(pub: Published, device_id: str) -> tuple[str, str]:
    """Master key, self-signing key signed by it, device signed by that: (master, ssk)."""
    user = pub.user_id
    assert pub.master is not None and pub.master["usage"] == ["master"]
    assert pub.self_signing is not None and pub.self_signing["usage"] == ["self_signing"]
    master, ssk = public(pub.master), public(pub.self_signing)
    assert signed_by(pub.self_signing, user, master)
    device = pub.device(device_id)
    assert signed_by(device, user, ssk)
    assert f"ed25519:{ssk}" in device["signatures"][user]
    return master, ssk


def sign_out(synapse: Synapse, user_id: str, device_id: str) -> None:
    """A server admin deletes one of the user's devices (Synapse admin API)."""
    admin_id, _ = synapse.register("admin", admin=True)
    token = synapse.login(admin_id)
    delete = urllib.request.Request(
        f"{synapse.url}/_synapse/admin/v2/users/{user_id}/devices/{device_id}",
        headers={"Authorization": f"Bearer {token}"},
        method="DELETE",
    )
    with urllib.request.urlopen(delete, timeout=10) as resp:
        assert resp.status == 200


def device_of(bot: BotProcess) -> str:
    creds = json.loads((bot.root / "matrix" / "credentials.json").read_text())
    return str(creds["device_id"])


@pytest.fixture
async def watcher(synapse: Synapse, tmp_path: Path) -> Any:
    """A second account whose client reads the bot's published keys."""
    uid, _ = synapse.register("watcher")
    human = await Human(synapse, uid, tmp_path / "watcher").login()
    try:
        yield human
    finally:
        await human.close()


def token_of(human: Human) -> str:
    return str(human.client.access_token)


async def test_crypto_setup_cross_signs_and_is_idempotent(
    synapse: Synapse, tmp_path: Path, watcher: Human
) -> None:
    bot_id, _ = synapse.register("crisiscell")
    bot = BotProcess(tmp_path / "bot", synapse, bot_id, cell=[watcher.user_id])

    # without the passphrase nothing happens, and the message says what to set
    done = await bot.cli("matrix", "crypto-setup")
    assert done.returncode == 2 and "CRISISCELL_MATRIX_KEY_PASSPHRASE" in done.stderr

    done = await bot.cli("matrix", "crypto-setup", **KEY_ENV)
    assert done.returncode == 0, done.stderr
    device = device_of(bot)
    assert f"device {device}: signed with the self-signing key" in done.stdout
    (recovery,) = RECOVERY.findall(done.stdout)  # shown once
    before = query_keys(synapse, token_of(watcher), bot_id)
    master, ssk = assert_cross_signed(before, device)

    # the private keys are sealed in the database, not in clear
    with sqlite3.connect(bot.db) as conn:
        (stored,) = conn.execute(
            "SELECT value FROM adapter_state WHERE key = ?",
            (f"matrix:cross_signing_keys:{bot_id}",),
        ).fetchone()
    sealed = base64.b64decode(stored)
    assert sealed.startswith(b"CRISISCELL-MATRIX-KEYS 1\n") and b"self_signing" not in sealed

    again = await bot.cli("matrix", "crypto-setup", **KEY_ENV)
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout
    assert RECOVERY.findall(again.stdout) == []  # not shown again
    after = query_keys(synapse, token_of(watcher), bot_id)
    assert after.master == before.master and after.self_signing == before.self_signing
    assert after.device(device)["signatures"] == before.device(device)["signatures"]

    # `crisiscell status` tells the device is cross-signed
    status = await bot.cli("status")
    assert f"Matrix device {device}: cross-signed" in status.stdout

    # a wrong passphrase is told as such, and changes nothing
    wrong = await bot.cli("matrix", "crypto-setup", CRISISCELL_MATRIX_KEY_PASSPHRASE="nope")
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr

    # Another bot installation (a new database, a new device) on the same account: the
    # keys exist and it holds none, so it must import them with the recovery key.
    other = BotProcess(tmp_path / "other", synapse, bot_id, cell=[watcher.user_id])
    refused = await other.cli("matrix", "crypto-setup", **KEY_ENV)
    assert refused.returncode == 2 and "--recovery-key" in refused.stderr
    typo = recovery[:-1] + ("a" if recovery[-1] != "a" else "b")
    bad = await other.cli(
        "matrix", "crypto-setup", "--recovery-key", CRISISCELL_MATRIX_RECOVERY_KEY=typo, **KEY_ENV
    )
    assert bad.returncode == 2 and "recovery key: this recovery key has a typo" in bad.stderr
    imported = await other.cli(
        "matrix", "crypto-setup", "--recovery-key", stdin=recovery + "\n", **KEY_ENV
    )
    assert imported.returncode == 0, imported.stderr
    assert "imported the self-signing key from secret storage" in imported.stdout
    other_device = device_of(other)
    assert other_device != device
    now = query_keys(synapse, token_of(watcher), bot_id)
    assert assert_cross_signed(now, other_device) == (master, ssk)  # same identity

    # --reset: new keys; the homeserver asks for the password (user-interactive auth)
    no_password = await bot.cli(
        "matrix", "crypto-setup", "--reset", CRISISCELL_MATRIX_PASSWORD="", **KEY_ENV
    )
    assert no_password.returncode == 2
    assert "asks for the bot account's password" in no_password.stderr
    # the refused reset left the working keys in place
    kept = await bot.cli("matrix", "crypto-setup", **KEY_ENV)
    assert kept.returncode == 0 and "nothing changed" in kept.stdout, kept.stderr
    assert public(query_keys(synapse, token_of(watcher), bot_id).master or {}) == master
    reset = await bot.cli("matrix", "crypto-setup", "--reset", **KEY_ENV)
    assert reset.returncode == 0, reset.stderr
    assert len(RECOVERY.findall(reset.stdout)) == 1
    new_master, new_ssk = assert_cross_signed(
        query_keys(synapse, token_of(watcher), bot_id), device
    )
    assert (new_master, new_ssk) != (master, ssk)


async def test_a_new_device_is_signed_at_start(
    synapse: Synapse, tmp_path: Path, watcher: Human
) -> None:
    bot_id, _ = synapse.register("crisiscell")
    alice_id, _ = synapse.register("alice")
    bot = BotProcess(tmp_path / "bot", synapse, bot_id, cell=[alice_id])
    done = await bot.cli("matrix", "crypto-setup", **KEY_ENV)
    assert done.returncode == 0, done.stderr
    first_device = device_of(bot)

    # the store is lost: the bot starts as a new device and signs it itself
    shutil.rmtree(bot.root / "matrix")
    alice = await Human(synapse, alice_id, tmp_path / "alice").login()
    bot.start(**KEY_ENV)
    try:
        room = await alice.create_room([bot_id], encrypted=True)
        await alice.wait_for(lambda: alice.member(room, bot_id))
        device = device_of(bot)
        assert device != first_device
        await status_says(bot, f"Matrix device {device}: cross-signed")
        assert f"signed the new device {device}" in bot.log()
        assert_cross_signed(query_keys(synapse, token_of(watcher), bot_id), device)
        # the encrypted round trip still works
        evt = await alice.send(room, "!whoami")
        reply = await alice.reply(evt)
        assert reply["msgtype"] == "m.notice"
    finally:
        bot.stop()
        await alice.close()

    # an admin signs the bot's device out (deletes it): the bot logs in as a new device
    # (reusing the deleted one's id would leave it without keys for good) and signs it
    sign_out(synapse, bot_id, device)
    bot.start(**KEY_ENV)
    try:
        newest = await until(lambda: new_device(bot, device), what="a new device")
        await status_says(bot, f"Matrix device {newest}: cross-signed")
        assert f"device {device} was signed out" in bot.log()
        assert f"signed the new device {newest}" in bot.log()
        assert_cross_signed(query_keys(synapse, token_of(watcher), bot_id), newest)
    finally:
        bot.stop()

    # without the passphrase, a further new device cannot be signed: the log and
    # `crisiscell status` say so (and status asks for attention)
    shutil.rmtree(bot.root / "matrix")
    bot.start()
    try:
        unsigned = await until(lambda: new_device(bot, newest), what="a new device")
        status = await status_says(bot, f"Matrix device {unsigned}: NOT cross-signed")
        assert "NOT cross-signed" in bot.log() and status.returncode == 1
        assert "CRISISCELL_MATRIX_KEY_PASSPHRASE" in status.stdout
    finally:
        bot.stop()

    # with it again, that device is signed; then the account's keys are replaced from
    # elsewhere while the bot runs: it notices (its own keys changed) and says so
    bot.start(**KEY_ENV)
    try:
        await status_says(bot, f"Matrix device {unsigned}: cross-signed")
        assert f"signed the new device {unsigned}" in bot.log()
        elsewhere = BotProcess(tmp_path / "elsewhere", synapse, bot_id, cell=[alice_id])
        reset = await elsewhere.cli("matrix", "crypto-setup", "--reset", **KEY_ENV)
        assert reset.returncode == 0, reset.stderr
        status = await status_says(bot, "the account's keys were replaced")
        assert "NOT cross-signed" in status.stdout and status.returncode == 1
    finally:
        bot.stop()


async def status_says(bot: BotProcess, text: str) -> subprocess.CompletedProcess[str]:
    """`crisiscell status` once it shows ``text`` (the running bot records its device's
    state after checking it)."""

    async def check() -> subprocess.CompletedProcess[str] | None:
        status = await bot.cli("status")
        return status if text in status.stdout else None

    done: subprocess.CompletedProcess[str] = await until(check, within=30, what=text)
    return done


async def new_device(bot: BotProcess, old: str) -> str | None:
    """The bot's device once it logged in as another one than ``old`` (None until then)."""
    try:
        device = device_of(bot)
    except FileNotFoundError:  # the store was removed and the login is not done yet
        return None
    return device if device != old else None


async def test_crypto_setup_without_a_homeserver_says_so(synapse: Synapse, tmp_path: Path) -> None:
    bot_id, _ = synapse.register("crisiscell")
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    bot = BotProcess(tmp_path / "bot", synapse, bot_id, cell=[], homeserver=nowhere)
    done = await bot.cli("matrix", "crypto-setup", **KEY_ENV)
    assert done.returncode == 2
    assert f"cannot reach the homeserver {nowhere}" in done.stderr
    assert "Traceback" not in done.stderr


# --- interruptions, in process: the flow against Synapse, with one call made to fail ------


class FailOnce(KeysApi):
    """The homeserver API, failing the n-th call of one kind once (a 502, a timeout)."""

    def __init__(self, api: KeysApi, method: str, nth: int = 1) -> None:
        super().__init__(api.session, "http://unused", "unused")
        self.base, self.headers = api.base, api.headers
        self.method, self.nth = method, nth

    async def _fail(self, method: str) -> None:
        if method == self.method:
            self.nth -= 1
            if self.nth == 0:
                raise MatrixError(f"{method}: HTTP 502 (injected)")

    async def upload_signatures(self, body: dict[str, Any]) -> None:
        await self._fail("upload_signatures")
        await super().upload_signatures(body)

    async def set_account_data(self, user_id: str, kind: str, content: dict[str, Any]) -> None:
        await self._fail("set_account_data")
        await super().set_account_data(user_id, kind, content)


@dataclass
class Flow:
    user: str
    device: str
    api: KeysApi
    db: Database
    password: str  # the account's (user-interactive auth)

    def vault(self, passphrase: str = PASSPHRASE, user: str | None = None) -> KeyVault:
        return KeyVault(self.db.uow, user or self.user, passphrase, "KEY_ENV")

    def request(self, **kw: Any) -> SetupRequest:
        return SetupRequest(self.user, self.device, self.password, "PW_ENV", **kw)


@pytest.fixture
async def flow(synapse: Synapse, tmp_path: Path) -> Any:
    bot_id, password = synapse.register("crisiscell")
    device = await Human(synapse, bot_id, tmp_path / "device").login()  # keys published
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    await db.migrate()
    async with aiohttp.ClientSession() as session:
        api = KeysApi(session, synapse.url, str(device.client.access_token))
        try:
            yield Flow(bot_id, str(device.client.device_id), api, db, password)
        finally:
            await device.close()
            await db.dispose()


async def test_the_recovery_key_survives_an_interruption(flow: Flow) -> None:
    vault = flow.vault()
    # signing the device fails after the keys went up: the recovery key was not shown
    with pytest.raises(MatrixError, match="injected"):
        await crypto_setup(FailOnce(flow.api, "upload_signatures"), vault, flow.request())
    again = await crypto_setup(flow.api, vault, flow.request())
    assert again.recovery_key is not None and again.held is not None  # shown now
    account = await query_account(flow.api, flow.user)
    assert account.cross_signed(flow.device)
    keys, _ = await import_keys(flow.api, flow.user, again.recovery_key)
    assert keys == again.held.keys  # it opens what the account publishes
    await shown(vault, again.held)
    third = await crypto_setup(flow.api, vault, flow.request())
    assert third.recovery_key is None and not third.changed

    # a reset interrupted while writing secret storage: the rerun completes it with the
    # same new key, and only then shows it
    with pytest.raises(MatrixError, match="injected"):
        await crypto_setup(
            FailOnce(flow.api, "set_account_data", nth=3), vault, flow.request(reset=True)
        )
    done = await crypto_setup(flow.api, vault, flow.request())
    assert done.recovery_key is not None and done.held is not None
    new = await query_account(flow.api, flow.user)
    assert new.master_public != account.master_public and new.cross_signed(flow.device)
    keys, _ = await import_keys(flow.api, flow.user, done.recovery_key)
    assert keys.self_signing.public == new.self_signing_public
    await shown(vault, done.held)

    # secret storage switched off from Element (the default key emptied): a new one
    await flow.api.set_account_data(flow.user, "m.secret_storage.default_key", {})
    remade = await crypto_setup(flow.api, vault, flow.request())
    assert remade.recovery_key is not None
    keys, _ = await import_keys(flow.api, flow.user, remade.recovery_key)
    assert keys.self_signing.public == new.self_signing_public


async def test_reset_with_a_lost_passphrase_and_accounts_kept_apart(flow: Flow) -> None:
    first = await crypto_setup(flow.api, flow.vault(), flow.request())
    assert first.held is not None
    # another account's keys in the same database stay apart
    other = flow.vault(user="@other:localhost")
    assert not await other.stored()
    await other.save(Held(CrossSigningKeys.generate()))
    account = await query_account(flow.api, flow.user)
    assert await flow.vault().matching(account) is not None

    # the passphrase is lost: only --reset goes on, and says what it replaced
    lost = flow.vault(passphrase="forgotten")
    with pytest.raises(MatrixError, match="wrong passphrase"):
        await crypto_setup(flow.api, lost, flow.request())
    reset = await crypto_setup(flow.api, lost, flow.request(reset=True))
    assert any("cannot be opened" in line for line in reset.lines)
    new = await query_account(flow.api, flow.user)
    assert new.master_public != account.master_public and new.cross_signed(flow.device)
    assert await lost.matching(new) is not None
    assert await other.stored()  # untouched
