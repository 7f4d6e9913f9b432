"""Cross-signing the bot's Matrix device, which matrix-nio cannot do.

Current Element withholds room keys from, and hides messages of, devices their own
account has not cross-signed (MSC4153). So the bot's account gets a master key, a
self-signing key (which signs the bot's device) and a user-signing key:

- ``crisiscell matrix crypto-setup`` creates them when the account has none, uploads them
  (``/keys/device_signing/upload``, answering user-interactive auth with the bot's
  password), stores the three private keys in the account's secret storage (encrypted with
  a new recovery key, printed once) and, sealed with a passphrase, in the bot's database;
  then it signs the device (``/keys/signatures/upload``). Run again, it changes nothing.
- An account set up from Element already has keys: ``--recovery-key`` opens its secret
  storage and imports them instead. ``--reset`` replaces them (people see the bot's
  identity change).
- ``crisiscell run`` signs a new device (a lost store) with the stored self-signing key,
  and records whether the device is cross-signed for ``crisiscell status``.

The private keys live in the database (``adapter_state``), not in the store directory,
because the store is what gets lost; database backups carry them, still sealed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from adapters.matrix.crypto_keys import (
    SECRET_NAMES,
    CrossSigningKeys,
    KeyFormatError,
    SigningKey,
    b64,
    decode_recovery_key,
    decrypt_secret,
    encode_recovery_key,
    encrypt_secret,
    key_description,
    key_matches,
    new_key_id,
    public_key_of,
    unb64,
    verify_signature,
)
from adapters.matrix.errors import MatrixError
from bot.ports import UnitOfWorkFactory
from storage.sealing import SealError, seal, unseal

log = logging.getLogger(__name__)

KEYS_STATE = "matrix:cross_signing_keys"  # + ":<user id>": the sealed private keys
DEVICE_STATE = "matrix:device"  # this device and whether it is cross-signed (for status)
SEAL_MAGIC = b"CRISISCELL-MATRIX-KEYS 1\n"
DEFAULT_KEY = "m.secret_storage.default_key"


class KeysApi:
    """The few client-server endpoints cross-signing needs, over aiohttp."""

    def __init__(self, session: aiohttp.ClientSession, homeserver: str, token: str) -> None:
        self.session = session
        self.base = homeserver.rstrip("/") + "/_matrix/client/v3"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        try:
            async with self.session.request(
                method,
                self.base + path,
                json=body,
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=60),
            ) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = {}
                return resp.status, data if isinstance(data, dict) else {}
        except (aiohttp.ClientError, TimeoutError) as e:
            raise MatrixError(f"the homeserver cannot be reached: {type(e).__name__}: {e}") from e

    async def _ok(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        status, data = await self._call(method, path, body)
        if status != 200:
            raise MatrixError(_failure(path, status, data))
        return data

    async def query(self, user_id: str) -> dict[str, Any]:
        return await self._ok("POST", "/keys/query", {"device_keys": {user_id: []}})

    async def upload_cross_signing(
        self, body: dict[str, Any], user_id: str, password: str | None, password_env: str
    ) -> None:
        path = "/keys/device_signing/upload"
        status, data = await self._call("POST", path, body)
        if status == 401 and "flows" in data:
            # user-interactive auth: the homeserver wants the account's password
            if not any(f.get("stages") == ["m.login.password"] for f in data["flows"]):
                raise MatrixError(
                    "the homeserver asks for a confirmation this command cannot give "
                    f"({data['flows']}): approve the reset on the account's page, then retry"
                )
            if not password:
                raise MatrixError(
                    f"the homeserver asks for the bot account's password: set {password_env}"
                )
            auth = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user_id},
                "password": password,
                "session": data.get("session"),
            }
            status, data = await self._call("POST", path, {**body, "auth": auth})
            if status == 401:
                raise MatrixError(
                    f"the homeserver refused the bot's password ({password_env}): "
                    f"{data.get('error', 'unauthorized')}"
                )
        if status != 200:
            raise MatrixError(_failure(path, status, data))

    async def upload_signatures(self, body: dict[str, Any]) -> None:
        data = await self._ok("POST", "/keys/signatures/upload", body)
        if data.get("failures"):
            raise MatrixError(f"the homeserver refused the signature: {data['failures']}")

    def _account_path(self, user_id: str, kind: str) -> str:
        return f"/user/{quote(user_id, safe='')}/account_data/{quote(kind, safe='')}"

    async def account_data(self, user_id: str, kind: str) -> dict[str, Any] | None:
        status, data = await self._call("GET", self._account_path(user_id, kind))
        if status == 404:
            return None
        if status != 200:
            raise MatrixError(_failure(kind, status, data))
        return data

    async def set_account_data(self, user_id: str, kind: str, content: dict[str, Any]) -> None:
        await self._ok("PUT", self._account_path(user_id, kind), content)


def _failure(what: str, status: int, data: dict[str, Any]) -> str:
    return f"{what}: HTTP {status} {data.get('errcode', '')} {data.get('error', '')}".rstrip()


@dataclass(frozen=True)
class AccountKeys:
    """What the homeserver publishes about the account (``/keys/query`` on itself)."""

    user_id: str
    master: dict[str, Any] | None
    self_signing: dict[str, Any] | None
    devices: dict[str, dict[str, Any]]

    @classmethod
    def parse(cls, user_id: str, data: dict[str, Any]) -> AccountKeys:
        return cls(
            user_id,
            (data.get("master_keys") or {}).get(user_id),
            (data.get("self_signing_keys") or {}).get(user_id),
            (data.get("device_keys") or {}).get(user_id) or {},
        )

    @property
    def master_public(self) -> str | None:
        return public_key_of(self.master)

    @property
    def self_signing_public(self) -> str | None:
        """The self-signing key, if the master key has signed it."""
        ssk, master = public_key_of(self.self_signing), self.master_public
        if ssk is None or master is None or self.self_signing is None:
            return None
        return ssk if verify_signature(self.self_signing, self.user_id, master) else None

    def cross_signed(self, device_id: str) -> bool:
        device, ssk = self.devices.get(device_id), self.self_signing_public
        if device is None or ssk is None:
            return False
        return verify_signature(device, self.user_id, ssk)


async def query_account(api: KeysApi, user_id: str) -> AccountKeys:
    return AccountKeys.parse(user_id, await api.query(user_id))


@dataclass(frozen=True)
class Held:
    """Keys this bot holds, and the secret-storage key made for them while its recovery
    key has not been shown yet (kept until the command has printed it, so a failure
    between the steps never loses it)."""

    keys: CrossSigningKeys
    storage_id: str | None = None
    storage_key: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.keys.to_json())
        if self.storage_id and self.storage_key:
            data["storage"] = {"id": self.storage_id, "key": b64(self.storage_key)}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Held:
        storage = data.get("storage") or {}
        key = storage.get("key")
        return cls(
            CrossSigningKeys.from_json(data),
            storage.get("id"),
            unb64(key) if isinstance(key, str) else None,
        )

    def matches(self, account: AccountKeys) -> bool:
        if self.keys.self_signing.public != account.self_signing_public:
            return False
        return self.keys.master is None or self.keys.master.public == account.master_public


class KeyVault:
    """The account's private cross-signing keys, sealed with a passphrase, in the database
    (one row per account: a config pointed at another account leaves these alone).

    The sealed JSON holds ``active`` keys and, while an upload is under way, ``pending``
    ones: they become active once the homeserver took them, so a refused upload (a wrong
    password) keeps the working keys. Scrypt runs in a worker thread."""

    def __init__(
        self, uow: UnitOfWorkFactory, user_id: str, passphrase: str | None, env: str
    ) -> None:
        self.uow = uow
        self.user_id = user_id
        self.passphrase = passphrase
        self.env = env
        self.state_key = f"{KEYS_STATE}:{user_id}"

    async def stored(self) -> bool:
        async with self.uow() as uow:
            return await uow.state.get(self.state_key) is not None

    async def _read(self) -> dict[str, Any]:
        async with self.uow() as uow:
            raw = await uow.state.get(self.state_key)
        if raw is None:
            return {}
        if not self.passphrase:
            raise MatrixError(f"the cross-signing keys are stored sealed: set {self.env}")
        try:
            blob = base64.b64decode(raw)
            plain = await asyncio.to_thread(unseal, blob, self.passphrase, SEAL_MAGIC, "key store")
            data = json.loads(plain)
        except SealError as e:
            raise MatrixError(f"cross-signing keys: {e} ({self.env})") from None
        except ValueError as e:
            raise MatrixError(f"the stored cross-signing keys are damaged: {e}") from None
        if not isinstance(data, dict) or data.get("user_id") != self.user_id:
            raise MatrixError("the stored cross-signing keys are damaged (another account's)")
        return data

    async def _write(self, data: dict[str, Any]) -> None:
        if not self.passphrase:
            raise MatrixError(
                f"set {self.env}: the private cross-signing keys are stored sealed with it"
            )
        plain = json.dumps({**data, "user_id": self.user_id}).encode()
        blob = await asyncio.to_thread(seal, plain, self.passphrase, SEAL_MAGIC)
        async with self.uow() as uow:
            await uow.state.put(self.state_key, base64.b64encode(blob).decode("ascii"))
            await uow.commit()

    async def matching(self, account: AccountKeys) -> Held | None:
        """What this bot holds of the keys the account publishes (pending ones promoted)."""
        data = await self._read()
        for slot in ("active", "pending"):
            if not data.get(slot):
                continue
            try:
                held = Held.from_json(data[slot])
            except KeyFormatError as e:
                raise MatrixError(f"the stored cross-signing keys are damaged: {e}") from None
            if held.matches(account):
                if slot == "pending":  # uploaded, then interrupted before being promoted
                    await self._write({"active": data[slot], "pending": None})
                return held
        return None

    async def save(self, held: Held, *, pending: bool = False) -> None:
        if pending:
            data = await self._read()
            await self._write({"active": data.get("active"), "pending": held.to_json()})
        else:
            await self._write({"active": held.to_json(), "pending": None})

    async def clear(self) -> None:
        await self._write({})


# --- crypto-setup ---------------------------------------------------------------------------


@dataclass
class SetupResult:
    lines: list[str] = field(default_factory=list)
    # shown once: the caller prints it, then calls `shown()` (until then it is kept)
    recovery_key: str | None = None
    changed: bool = False
    held: Held | None = None


@dataclass(frozen=True)
class SetupRequest:
    user_id: str
    device_id: str
    password: str | None
    password_env: str
    recovery_key: str | None = None
    reset: bool = False


async def crypto_setup(api: KeysApi, vault: KeyVault, req: SetupRequest) -> SetupResult:
    """Idempotent: create or import the account's keys, then sign this device."""
    out = SetupResult()
    user = req.user_id
    account = await query_account(api, user)
    if req.device_id not in account.devices:
        raise MatrixError(
            f"device {req.device_id} has no keys on the homeserver (signed out from another "
            "session?): stop the bot, delete credentials.json in the Matrix store directory "
            "so it logs in as a new device, and run crypto-setup again"
        )
    try:
        held = await vault.matching(account)  # the account's keys, if this bot holds them
    except MatrixError as e:
        if not req.reset:
            raise
        out.lines.append(f"the stored keys cannot be opened ({e}): --reset replaces them")
        await vault.clear()
        held = None
    if req.reset or account.master_public is None:
        if req.recovery_key and not req.reset:
            raise MatrixError(
                f"{user} has no cross-signing keys yet, so there is nothing to import: "
                "run crypto-setup without --recovery-key to create them"
            )
        keys = CrossSigningKeys.generate()
        held = Held(keys, new_key_id(), secrets.token_bytes(32))
        # kept before the upload (the homeserver never has keys this bot lost), as pending
        # until it took them (a refused upload leaves the working keys in place)
        await vault.save(held, pending=True)
        await api.upload_cross_signing(keys.upload_body(user), user, req.password, req.password_env)
        await vault.save(held)
        verb = "replaced" if account.master_public else "created"
        assert keys.master is not None
        out.lines.append(f"{verb} the cross-signing keys of {user} (master {keys.master.public})")
        out.changed = True
    elif held is not None:
        out.lines.append(f"{user}: cross-signing keys already set up (held by this bot)")
        default = await api.account_data(user, DEFAULT_KEY)
        if held.storage_key is None and not (default or {}).get("key"):
            # no secret storage (never made, or disabled from Element): a new one
            held = Held(held.keys, new_key_id(), secrets.token_bytes(32))
            await vault.save(held)
    elif req.recovery_key:
        keys, key_id = await import_keys(api, user, req.recovery_key)
        if keys.master is not None and keys.master.public != account.master_public:
            keys = CrossSigningKeys(keys.self_signing, None, keys.user_signing)
        held = Held(keys)
        if not held.matches(account):
            raise MatrixError(
                "the secret storage holds a self-signing key the account does not publish "
                "(the keys were reset after it was saved): reset from Element, or run "
                "crypto-setup --reset"
            )
        await vault.save(held)
        out.lines.append(f"{user}: imported the self-signing key from secret storage {key_id}")
        out.changed = True
    else:
        have = "holds other keys" if await vault.stored() else "holds none of them"
        raise MatrixError(
            f"{user} already has cross-signing keys (set up from Element, or by a bot whose "
            f"database is gone) and this bot {have}. Import them with --recovery-key (the "
            "account's recovery key, asked for when given no value), or replace them with "
            "--reset (everyone then sees that the bot's identity changed)"
        )
    if out.changed:  # new or imported keys: what the homeserver publishes now
        account = await query_account(api, user)
    if account.cross_signed(req.device_id):
        out.lines.append(f"device {req.device_id}: already cross-signed")
    else:
        await sign_device(api, account, held.keys, req.device_id)
        out.lines.append(f"device {req.device_id}: signed with the self-signing key")
        out.changed = True
    if held.storage_id and held.storage_key:
        # written last and again after an interruption, with the same key: what the
        # recovery key opens is whole before it is shown
        out.recovery_key = await _write_secret_storage(
            api, user, held.keys, held.storage_id, held.storage_key
        )
        out.held = held
        out.changed = True
    return out


async def shown(vault: KeyVault, held: Held) -> None:
    """The recovery key was printed: forget the secret-storage key it encodes."""
    await vault.save(Held(held.keys))


async def _write_secret_storage(
    api: KeysApi, user: str, keys: CrossSigningKeys, key_id: str, key: bytes
) -> str:
    """Secret storage under ``key`` holding the private keys; the recovery key opening it."""
    await api.set_account_data(user, f"m.secret_storage.key.{key_id}", key_description(key))
    for name, signing_key in keys.present().items():
        secret = SECRET_NAMES[name]
        encrypted = encrypt_secret(key, secret, b64(signing_key.seed))
        await api.set_account_data(user, secret, {"encrypted": {key_id: encrypted}})
    await api.set_account_data(user, DEFAULT_KEY, {"key": key_id})  # last: now it is whole
    return encode_recovery_key(key)


async def import_keys(api: KeysApi, user: str, recovery_key: str) -> tuple[CrossSigningKeys, str]:
    """The private keys from the account's secret storage, opened with the recovery key;
    and the secret-storage key's id."""
    default = await api.account_data(user, DEFAULT_KEY)
    key_id = (default or {}).get("key")
    if not isinstance(key_id, str) or not key_id:
        raise MatrixError(f"{user} has no secret storage: a recovery key cannot open anything")
    description = await api.account_data(user, f"m.secret_storage.key.{key_id}") or {}
    try:
        key = decode_recovery_key(recovery_key)
    except KeyFormatError as e:
        if (description.get("passphrase") or {}).get("algorithm") == "m.pbkdf2":
            raise MatrixError(
                f"recovery key: {e}. This account's secret storage also opens with a "
                "security phrase, which this command does not take: give the recovery key"
            ) from None
        raise MatrixError(f"recovery key: {e}") from None
    if not key_matches(key, description):
        raise MatrixError("this recovery key does not open the account's secret storage")
    found: dict[str, SigningKey] = {}
    for name, secret in SECRET_NAMES.items():
        stored = await api.account_data(user, secret)
        payload = ((stored or {}).get("encrypted") or {}).get(key_id)
        if payload is None:
            continue
        try:
            found[name] = SigningKey.from_b64(decrypt_secret(key, secret, payload))
        except KeyFormatError as e:
            raise MatrixError(f"secret storage: {e}") from None
    if "self_signing" not in found:
        raise MatrixError("the account's secret storage holds no self-signing key")
    keys = CrossSigningKeys(found["self_signing"], found.get("master"), found.get("user_signing"))
    return keys, key_id


async def sign_device(
    api: KeysApi, account: AccountKeys, keys: CrossSigningKeys, device_id: str
) -> None:
    device = account.devices[device_id]
    signed = keys.self_signing.sign(device, account.user_id)
    await api.upload_signatures({account.user_id: {device_id: signed}})


# --- at start-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceTrust:
    device_id: str
    cross_signed: bool
    detail: str  # for the log and `crisiscell status`
    signed_now: bool = False
    unknown: bool = False  # the homeserver could not be asked: try again later

    def to_json(self, at: datetime) -> str:
        return json.dumps(
            {
                "device_id": self.device_id,
                "cross_signed": self.cross_signed,
                "detail": self.detail,
                "checked_at": at.isoformat(),
            }
        )


async def ensure_signed(api: KeysApi, vault: KeyVault, device_id: str) -> DeviceTrust:
    """Sign this device with the stored self-signing key if it is not cross-signed yet."""
    account = await query_account(api, vault.user_id)
    if account.cross_signed(device_id):
        return DeviceTrust(device_id, True, "cross-signed")
    hint = "run `crisiscell matrix crypto-setup`"
    if account.self_signing_public is None:
        return DeviceTrust(device_id, False, f"the account has no cross-signing keys: {hint}")
    if device_id not in account.devices:
        return DeviceTrust(device_id, False, "the device has published no keys yet")
    try:
        held = await vault.matching(account)
    except MatrixError as e:
        return DeviceTrust(device_id, False, f"{e}")
    if held is None:
        if await vault.stored():
            return DeviceTrust(
                device_id,
                False,
                "the account's keys were replaced since this bot stored its own: run "
                "`crisiscell matrix crypto-setup --recovery-key`",
            )
        return DeviceTrust(device_id, False, f"this bot holds no cross-signing keys: {hint}")
    await sign_device(api, account, held.keys, device_id)
    return DeviceTrust(device_id, True, "cross-signed (signed by the bot)", signed_now=True)


async def record(uow_factory: UnitOfWorkFactory, trust: DeviceTrust, at: datetime) -> None:
    """Where `crisiscell status` reads whether the bot's device is cross-signed."""
    async with uow_factory() as uow:
        await uow.state.put(DEVICE_STATE, trust.to_json(at))
        await uow.commit()
