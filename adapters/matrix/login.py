"""The bot's Matrix device: the nio client, logging in, and whether it is cross-signed.

One device across restarts: the credentials (0600) and nio's crypto store live in the
store directory; later starts use ``restore_login`` (a password login every start would
make a new device each time). ``crisiscell run`` and ``crisiscell matrix crypto-setup``
log in the same way, so both speak for the same device.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import aiohttp
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from adapters.files import write_private
from adapters.matrix.cross_signing import DeviceTrust, KeysApi, KeyVault, ensure_signed
from adapters.matrix.errors import MatrixError
from bot.config import MatrixSection
from bot.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


class Client(AsyncClient):
    """nio's client, remembering the ``Retry-After`` header of the last 429 it got."""

    retry_after: float | None = None

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        resp = await super().send(*args, **kwargs)
        if resp.status == 429:
            header = resp.headers.get("Retry-After", "")
            self.retry_after = float(header) if header.strip().isdigit() else None
        return resp


def make_client(cfg: MatrixSection, store_dir: Path) -> Client:
    return Client(
        cfg.homeserver,
        cfg.user_id,
        device_id=cfg.device_id or "",
        store_path=str(store_dir / "store"),
        config=AsyncClientConfig(
            store_sync_tokens=False,  # our token lives in the database
            encryption_enabled=True,
            max_limit_exceeded=0,  # 429s come back to us (Retry-After honoured there)
            max_timeouts=0,  # connection errors too: our loop backs off
            request_timeout=60,
        ),
    )


async def login(client: Client, cfg: MatrixSection, store_dir: Path) -> None:
    """Log in as the bot's device (a new one only when none is stored) and publish its keys."""
    (store_dir / "store").mkdir(parents=True, exist_ok=True)
    os.chmod(store_dir, 0o700)
    try:
        await _login(client, cfg, store_dir)
    except (aiohttp.ClientError, OSError, TimeoutError) as e:
        raise MatrixError(
            f"cannot reach the homeserver {cfg.homeserver}: {type(e).__name__}: {e}"
        ) from e


async def _login(client: Client, cfg: MatrixSection, store_dir: Path) -> None:
    creds_file = store_dir / "credentials.json"
    token = os.environ.get(cfg.access_token_env)
    creds = _load_creds(creds_file, cfg)
    if token:
        device = cfg.device_id or creds.get("device_id")
        if not device:
            raise MatrixError(
                f"{cfg.access_token_env} is set but matrix.device_id is not: give "
                "the device id that goes with the token"
            )
        client.restore_login(cfg.user_id, device, token)
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse):
            raise MatrixError(f"the access token in {cfg.access_token_env} is refused: {who}")
        if who.user_id != cfg.user_id or (who.device_id and who.device_id != device):
            raise MatrixError(
                f"the access token in {cfg.access_token_env} is {who.user_id}'s on device "
                f"{who.device_id}, not {cfg.user_id}'s on {device}"
            )
    elif creds:
        # the token is checked before nio loads the device's crypto store: a signed-out
        # device is replaced by a new one, whose store nio then loads instead
        client.user_id, client.access_token = creds["user_id"], creds["access_token"]
        who = await client.whoami()
        if isinstance(who, WhoamiResponse):
            client.restore_login(creds["user_id"], creds["device_id"], creds["access_token"])
        else:
            if getattr(who, "status_code", None) != "M_UNKNOWN_TOKEN":
                raise MatrixError(f"the homeserver could not check the stored token: {who}")
            if getattr(who, "soft_logout", False):  # expired: the device is still there
                log.warning("Matrix: the stored token expired: logging in again, same device")
                client.device_id = creds["device_id"]
            else:
                # signed out (from another session, or a password change): the device and
                # its keys are gone; reusing its id would leave it without keys for good
                log.warning(
                    "Matrix: device %s was signed out: logging in as a new device (remove "
                    "the old one from the account if it is still listed)",
                    creds["device_id"],
                )
                client.device_id = ""
            await _password_login(client, cfg, creds_file)
    else:
        await _password_login(client, cfg, creds_file)
    log.info("Matrix: %s on device %s", client.user_id, client.device_id)
    if client.should_upload_keys:
        await client.keys_upload()


async def _password_login(client: Client, cfg: MatrixSection, creds_file: Path) -> None:
    password = os.environ.get(cfg.password_env)
    if not password:
        raise MatrixError(
            f"no Matrix credentials: set {cfg.password_env} (first login) or "
            f"{cfg.access_token_env} with matrix.device_id"
        )
    resp = await client.login(password=password, device_name=cfg.device_name)
    if not isinstance(resp, LoginResponse):
        raise MatrixError(f"Matrix login failed for {cfg.user_id}: {resp}")
    data = {
        "homeserver": cfg.homeserver,
        "user_id": resp.user_id,
        "device_id": resp.device_id,
        "access_token": resp.access_token,
    }
    tmp = creds_file.with_suffix(".tmp")
    write_private(tmp, json.dumps(data))
    tmp.replace(creds_file)


def _load_creds(creds_file: Path, cfg: MatrixSection) -> dict[str, str]:
    try:
        data = json.loads(creds_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if data.get("user_id") != cfg.user_id or data.get("homeserver") != cfg.homeserver:
        return {}
    return {k: str(v) for k, v in data.items()}


def key_vault(cfg: MatrixSection, uow: UnitOfWorkFactory) -> KeyVault:
    env = cfg.key_passphrase_env
    return KeyVault(uow, cfg.user_id, os.environ.get(env), env)


async def device_trust(client: Client, cfg: MatrixSection, uow: UnitOfWorkFactory) -> DeviceTrust:
    """Whether the logged-in device is cross-signed, signing it when the keys are at hand.
    Never raises: a homeserver or key problem is the answer's ``detail``."""
    device = str(client.device_id)
    try:
        async with aiohttp.ClientSession() as session:
            api = KeysApi(session, cfg.homeserver, str(client.access_token))
            return await ensure_signed(api, key_vault(cfg, uow), device)
    except MatrixError as e:
        return DeviceTrust(device, False, f"could not check: {e}", unknown=True)
    except Exception as e:  # never stop the bot over this check: say it, and retry
        log.exception("Matrix: checking the device's cross-signing failed")
        return DeviceTrust(device, False, f"could not check: {type(e).__name__}", unknown=True)
