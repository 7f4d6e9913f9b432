"""Secrets sealed with a passphrase: Scrypt for the key, Fernet for the data.

A sealed blob is::

    <magic line>
    {"kdf": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<base64>", "check": "<hex>",
     "cipher": "fernet"}\\n
    <one Fernet token (AES-128-CBC + HMAC-SHA256) of the data>

Scrypt derives 64 bytes from the passphrase and the random salt: the first 32 are the
Fernet key, the SHA-256 of the last 32 is ``check``, so a wrong passphrase is told apart
from damaged data. Fernet works in memory. Used by encrypted backups and by the Matrix
account's private cross-signing keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MAX_SCRYPT_N = 2**20  # refuse a blob that asks for more (memory)


class SealError(ValueError):
    """A wrong passphrase, or damaged or unknown sealed data (the message says which)."""


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, str]:
    """A Fernet key and a check value (SHA-256 of key material the Fernet key does not use)."""
    material = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    key = base64.urlsafe_b64encode(material[:32])
    return key, hashlib.sha256(material[32:]).hexdigest()


def seal(data: bytes, passphrase: str, magic: bytes) -> bytes:
    if not passphrase:
        raise SealError("the passphrase is empty")
    salt = secrets.token_bytes(16)
    key, check = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    params = {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": base64.b64encode(salt).decode("ascii"),
        "check": check,
        "cipher": "fernet",
    }
    return magic + json.dumps(params).encode("ascii") + b"\n" + Fernet(key).encrypt(data)


def unseal(blob: bytes, passphrase: str, magic: bytes, what: str) -> bytes:
    """The data sealed in ``blob``; ``what`` names it in errors ("encrypted backup")."""
    if not blob.startswith(magic):
        raise SealError(f"this is not an {what}")
    line, _, token = blob[len(magic) :].partition(b"\n")
    try:
        params = json.loads(line)
        if params.get("kdf") != "scrypt" or params.get("cipher") != "fernet":
            raise SealError(f"this {what} is encrypted with a method this version lacks")
        n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
        salt = base64.b64decode(params["salt"], validate=True)
        expected = str(params["check"])
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        if isinstance(e, SealError):
            raise
        raise SealError(f"the {what}'s header is damaged") from None
    if not (1 < n <= MAX_SCRYPT_N and 0 < r <= 32 and 0 < p <= 16):
        raise SealError(f"the {what}'s header asks for unreasonable key parameters")
    key, check = _derive(passphrase, salt, n, r, p)
    if not hmac.compare_digest(check, expected):
        raise SealError(f"wrong passphrase for this {what}")
    try:
        return Fernet(key).decrypt(token)
    except InvalidToken:
        raise SealError(f"the {what} is damaged (it fails its integrity check)") from None
