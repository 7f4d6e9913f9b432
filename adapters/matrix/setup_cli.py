"""``crisiscell matrix crypto-setup``: the account's cross-signing keys, once per account."""

from __future__ import annotations

import getpass
import os
import sys

import aiohttp

from adapters.matrix.cross_signing import (
    DeviceTrust,
    KeysApi,
    SetupRequest,
    crypto_setup,
    record,
    shown,
)
from adapters.matrix.errors import MatrixError
from adapters.matrix.login import key_vault, login, make_client
from adapters.runtime import database_url, matrix_store
from bot.config import ConfigError, Settings
from bot.runtime.clock import SystemClock
from storage.db import Database

RECOVERY_KEY_ENV = "CRISISCELL_MATRIX_RECOVERY_KEY"

BANNER = """\
============================================================================
 RECOVERY KEY of {user} — shown this once. Keep it in the hospital's password
 safe. With it, `crisiscell matrix crypto-setup --recovery-key` (or Element,
 logged in as the bot) gets the bot's cross-signing keys back.

     {key}
============================================================================"""


def read_recovery_key() -> str:
    """From the environment, else asked for (not echoed), else one line of stdin."""
    key = os.environ.get(RECOVERY_KEY_ENV)
    if key:
        return key
    if sys.stdin.isatty():
        return getpass.getpass("Recovery key of the bot's account: ")
    return sys.stdin.readline()


async def crypto_setup_command(
    settings: Settings, db_url: str | None, *, recovery: bool, reset: bool
) -> int:
    cfg = settings.matrix
    if not (cfg.homeserver and cfg.user_id):
        raise ConfigError("matrix: set homeserver and user_id in the [matrix] section")
    if recovery and reset:
        raise ConfigError("--recovery-key imports the account's keys, --reset replaces them")
    recovery_key = read_recovery_key().strip() if recovery else None
    if recovery and not recovery_key:
        raise MatrixError(f"no recovery key given (stdin or {RECOVERY_KEY_ENV})")
    db = Database(database_url(settings, db_url))
    store = matrix_store(settings)
    client = make_client(cfg, store)
    try:
        await db.migrate()
        vault = key_vault(cfg, db.uow)
        if not vault.passphrase:
            raise MatrixError(
                f"set {cfg.key_passphrase_env}: the private cross-signing keys are stored "
                "sealed with this passphrase (the bot needs it too, to sign a new device)"
            )
        await login(client, cfg, store)
        device = str(client.device_id)
        async with aiohttp.ClientSession() as session:
            result = await crypto_setup(
                KeysApi(session, cfg.homeserver, str(client.access_token)),
                vault,
                SetupRequest(
                    user_id=cfg.user_id,
                    device_id=device,
                    password=os.environ.get(cfg.password_env),
                    password_env=cfg.password_env,
                    recovery_key=recovery_key,
                    reset=reset,
                ),
            )
        trust = DeviceTrust(device, True, "cross-signed (crypto-setup)")
        await record(db.uow, trust, SystemClock(settings.bot.timezone).now())
        for line in result.lines:
            print(line)
        if result.recovery_key and result.held:
            print(BANNER.format(user=cfg.user_id, key=result.recovery_key), flush=True)
            await shown(vault, result.held)  # not kept, not shown again
        print("done" if result.changed else "nothing changed")
    finally:
        await client.close()
        await db.dispose()
    return 0
