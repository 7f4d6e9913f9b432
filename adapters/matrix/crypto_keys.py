"""Matrix cross-signing and secret-storage cryptography, by the spec, with no I/O.

- Signed JSON: Ed25519 (``cryptography``) over the canonical JSON (``canonicaljson``) of
  the object without ``signatures`` and ``unsigned``; keys and signatures in unpadded
  base64 (spec: "Signing JSON").
- Cross-signing keys: the master key signs the self-signing and user-signing keys; the
  self-signing key signs the account's devices.
- Secret storage (``m.secret_storage.v1.aes-hmac-sha2``): HKDF-SHA-256 (salt: 32 zero
  bytes, info: the secret's name) gives an AES-CTR-256 key and an HMAC-SHA-256 key; the
  key's description holds the MAC of 32 zero bytes encrypted under the name "" so a key
  can be checked. Written in padded base64 as matrix-js-sdk does; both read back.
- The recovery key: 0x8B 0x01, the 32-byte key, a parity byte (XOR of all the others),
  in base58 (Bitcoin alphabet), spaced every four characters.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import operator
import secrets
import string
from dataclasses import dataclass
from typing import Any

import base58
from canonicaljson import encode_canonical_json
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SSSS_ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"
RECOVERY_PREFIX = b"\x8b\x01"
# The account-data types (and secret names) of the three private keys.
SECRET_NAMES = {
    "master": "m.cross_signing.master",
    "self_signing": "m.cross_signing.self_signing",
    "user_signing": "m.cross_signing.user_signing",
}


class KeyFormatError(ValueError):
    """A recovery key, a key object or a secret that cannot be read (the message says why)."""


def b64(data: bytes) -> str:
    """Unpadded standard base64, the Matrix encoding of keys and signatures."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def unb64(text: str) -> bytes:
    """Standard base64, padded or not."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError("not base64") from None


def canonical(obj: dict[str, Any]) -> bytes:
    """The bytes a signature covers: the object without ``signatures`` and ``unsigned``."""
    return bytes(
        encode_canonical_json({k: v for k, v in obj.items() if k not in ("signatures", "unsigned")})
    )


def verify_signature(obj: dict[str, Any], user_id: str, public_key: str) -> bool:
    """Whether ``obj`` carries a valid signature by ``public_key`` (ed25519) from ``user_id``."""
    try:
        sig = obj["signatures"][user_id][f"ed25519:{public_key}"]
        if not isinstance(sig, str):
            return False
        Ed25519PublicKey.from_public_bytes(unb64(public_key)).verify(unb64(sig), canonical(obj))
    except (InvalidSignature, KeyFormatError, ValueError, KeyError, TypeError, AttributeError):
        return False  # unsigned, or a malformed object from the homeserver
    return True


@dataclass(frozen=True)
class SigningKey:
    """One Ed25519 key pair, kept as its 32-byte seed."""

    seed: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def from_b64(cls, text: str) -> SigningKey:
        seed = unb64(text)
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 private key has 32 bytes")
        return cls(seed)

    @functools.cached_property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public(self) -> str:
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return b64(raw)

    def sign(self, obj: dict[str, Any], user_id: str) -> dict[str, Any]:
        """A copy of ``obj`` (without ``unsigned``) with this key's signature added."""
        signed = {k: v for k, v in obj.items() if k != "unsigned"}
        signature = b64(self._private.sign(canonical(obj)))
        sigs = {u: dict(s) for u, s in (obj.get("signatures") or {}).items()}
        sigs.setdefault(user_id, {})[f"ed25519:{self.public}"] = signature
        signed["signatures"] = sigs
        return signed


def key_object(user_id: str, usage: str, key: SigningKey) -> dict[str, Any]:
    """A cross-signing key as uploaded (``usage``: master, self_signing, user_signing)."""
    return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{key.public}": key.public}}


def public_key_of(obj: dict[str, Any] | None) -> str | None:
    """The ed25519 public key of a cross-signing key object from ``/keys/query``."""
    if not isinstance(obj, dict) or not isinstance(obj.get("keys"), dict):
        return None
    for key_id, value in obj["keys"].items():
        if str(key_id).startswith("ed25519:") and isinstance(value, str):
            return value
    return None


@dataclass(frozen=True)
class CrossSigningKeys:
    """The account's private keys. Imported from secret storage, master and user-signing
    may be missing: signing the bot's devices needs only the self-signing key."""

    self_signing: SigningKey
    master: SigningKey | None = None
    user_signing: SigningKey | None = None

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def upload_body(self, user_id: str) -> dict[str, Any]:
        """The body of ``/keys/device_signing/upload``: master, and the two it signs."""
        assert self.master is not None and self.user_signing is not None
        return {
            "master_key": key_object(user_id, "master", self.master),
            "self_signing_key": self.master.sign(
                key_object(user_id, "self_signing", self.self_signing), user_id
            ),
            "user_signing_key": self.master.sign(
                key_object(user_id, "user_signing", self.user_signing), user_id
            ),
        }

    def present(self) -> dict[str, SigningKey]:
        found = {
            "master": self.master,
            "self_signing": self.self_signing,
            "user_signing": self.user_signing,
        }
        return {name: key for name, key in found.items() if key is not None}

    def to_json(self) -> dict[str, str]:
        return {name: b64(key.seed) for name, key in self.present().items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrossSigningKeys:
        def opt(name: str) -> SigningKey | None:
            value = data.get(name)
            return SigningKey.from_b64(value) if isinstance(value, str) else None

        ssk = opt("self_signing")
        if ssk is None:
            raise KeyFormatError("no self-signing key")
        return cls(ssk, opt("master"), opt("user_signing"))


# --- the recovery key and secret storage --------------------------------------------------


def new_key_id() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def encode_recovery_key(key: bytes) -> str:
    data = RECOVERY_PREFIX + key
    parity = functools.reduce(operator.xor, data, 0)
    text = base58.b58encode(data + bytes([parity])).decode("ascii")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def decode_recovery_key(text: str) -> bytes:
    compact = "".join(text.split())
    try:
        raw = base58.b58decode(compact)
    except ValueError:
        raise KeyFormatError("a recovery key has only base58 letters and digits") from None
    if len(raw) != len(RECOVERY_PREFIX) + 33 or not raw.startswith(RECOVERY_PREFIX):
        raise KeyFormatError("this is not a Matrix recovery key (wrong length or prefix)")
    if functools.reduce(operator.xor, raw, 0) != 0:
        raise KeyFormatError("this recovery key has a typo (its check digit does not match)")
    return raw[len(RECOVERY_PREFIX) : -1]


def _derive(key: bytes, name: str) -> tuple[bytes, bytes]:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=64, salt=bytes(32), info=name.encode())
    material = hkdf.derive(key)
    return material[:32], material[32:]


def _ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    ctx = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return ctx.update(data) + ctx.finalize()


def _new_iv() -> bytes:
    iv = bytearray(secrets.token_bytes(16))
    iv[8] &= 0x7F  # bit 63 cleared (spec), so the counter never wraps
    return bytes(iv)


def encrypt_secret(key: bytes, name: str, plaintext: str) -> dict[str, str]:
    aes_key, mac_key = _derive(key, name)
    iv = _new_iv()
    ciphertext = _ctr(aes_key, iv, plaintext.encode("utf-8"))
    mac = hmac.new(mac_key, ciphertext, "sha256").digest()
    enc = base64.b64encode
    return {
        "iv": enc(iv).decode(),
        "ciphertext": enc(ciphertext).decode(),
        "mac": enc(mac).decode(),
    }


def decrypt_secret(key: bytes, name: str, payload: dict[str, Any]) -> str:
    """The secret; :class:`KeyFormatError` when the MAC does not match (wrong key)."""
    try:
        iv, ciphertext, mac = (unb64(str(payload[k])) for k in ("iv", "ciphertext", "mac"))
    except KeyError:
        raise KeyFormatError(f"{name}: the stored secret is incomplete") from None
    aes_key, mac_key = _derive(key, name)
    if not hmac.compare_digest(hmac.new(mac_key, ciphertext, "sha256").digest(), mac):
        raise KeyFormatError(f"{name}: the recovery key does not open this secret")
    try:
        return _ctr(aes_key, iv, ciphertext).decode("utf-8")
    except UnicodeDecodeError:
        raise KeyFormatError(f"{name}: the secret is damaged") from None


def key_description(key: bytes, name: str = "crisiscell") -> dict[str, str]:
    """The account data ``m.secret_storage.key.<id>`` for a new secret-storage key."""
    check = encrypt_secret(key, "", "\0" * 32)
    return {"algorithm": SSSS_ALGORITHM, "name": name, "iv": check["iv"], "mac": check["mac"]}


def key_matches(key: bytes, description: dict[str, Any]) -> bool:
    """Whether ``key`` is the secret-storage key this description was made for."""
    if description.get("algorithm") != SSSS_ALGORITHM:
        return False
    if "iv" not in description or "mac" not in description:
        return True  # an old key without a check: the secrets' MACs decide
    try:
        iv, mac = unb64(str(description["iv"])), unb64(str(description["mac"]))
    except KeyFormatError:
        return False
    aes_key, mac_key = _derive(key, "")
    ciphertext = _ctr(aes_key, iv, bytes(32))
    return hmac.compare_digest(hmac.new(mac_key, ciphertext, "sha256").digest(), mac)
