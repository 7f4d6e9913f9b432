"""The cross-signing and secret-storage cryptography, checked against matrix-org's own
``signedjson`` and against the spec's rules (no homeserver needed)."""

from __future__ import annotations

import secrets

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st
from unpaddedbase64 import decode_base64

from adapters.matrix.crypto_keys import (
    CrossSigningKeys,
    KeyFormatError,
    SigningKey,
    decode_recovery_key,
    decrypt_secret,
    encode_recovery_key,
    encrypt_secret,
    key_description,
    key_matches,
    verify_signature,
)
from tests.matrix_helpers import signed_by

USER = "@crisiscell:hospital.example"


def signedjson_ok(obj: dict[str, object], key: SigningKey) -> bool:
    return signed_by(obj, USER, key.public)


def test_signatures_are_what_signedjson_verifies() -> None:
    keys = CrossSigningKeys.generate()
    body = keys.upload_body(USER)
    assert keys.master is not None
    assert body["master_key"]["usage"] == ["master"]
    assert signedjson_ok(body["self_signing_key"], keys.master)
    assert signedjson_ok(body["user_signing_key"], keys.master)
    assert verify_signature(body["self_signing_key"], USER, keys.master.public)

    device = {
        "user_id": USER,
        "device_id": "ABCDEF",
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {"ed25519:ABCDEF": "x", "curve25519:ABCDEF": "y"},
        "signatures": {USER: {"ed25519:ABCDEF": "device's own"}},
        "unsigned": {"device_display_name": "crisiscell"},
    }
    signed = keys.self_signing.sign(device, USER)
    assert "unsigned" not in signed
    assert signed["signatures"][USER]["ed25519:ABCDEF"] == "device's own"  # kept
    assert signedjson_ok(signed, keys.self_signing)
    # unsigned data does not count; anything else does
    assert verify_signature({**signed, "unsigned": {"x": 1}}, USER, keys.self_signing.public)
    tampered = {**signed, "device_id": "OTHER"}
    assert not verify_signature(tampered, USER, keys.self_signing.public)
    assert not signedjson_ok(tampered, keys.self_signing)
    assert not verify_signature(signed, USER, keys.master.public)  # not its signature


def test_private_keys_round_trip_through_json() -> None:
    keys = CrossSigningKeys.generate()
    again = CrossSigningKeys.from_json(keys.to_json())
    assert again == keys
    only_ssk = CrossSigningKeys.from_json({"self_signing": keys.to_json()["self_signing"]})
    assert only_ssk.master is None and only_ssk.self_signing == keys.self_signing
    with pytest.raises(KeyFormatError):
        CrossSigningKeys.from_json({"master": keys.to_json()["master"]})


@given(st.binary(min_size=32, max_size=32))
def test_recovery_keys_round_trip(key: bytes) -> None:
    text = encode_recovery_key(key)
    groups = text.split(" ")
    assert all(len(g) == 4 for g in groups[:-1]) and 1 <= len(groups[-1]) <= 4
    assert decode_recovery_key(text) == key
    assert decode_recovery_key(text.replace(" ", "")) == key  # typed without spaces
    assert decode_recovery_key(f"  {text}\n") == key


def test_recovery_key_typos_and_foreign_keys_are_refused() -> None:
    key = secrets.token_bytes(32)
    text = encode_recovery_key(key).replace(" ", "")
    assert text.startswith("Es")  # the 0x8B 0x01 prefix makes every recovery key start so
    for i in (5, 20, len(text) - 1):
        wrong = text[:i] + ("2" if text[i] != "2" else "3") + text[i + 1 :]
        with pytest.raises(KeyFormatError):
            decode_recovery_key(wrong)
    with pytest.raises(KeyFormatError, match="base58"):
        decode_recovery_key(text.replace(text[3], "0"))  # 0 is not in base58
    other_prefix = base58.b58encode(b"\x8b\x02" + key + b"\x00").decode()
    with pytest.raises(KeyFormatError, match="not a Matrix recovery key"):
        decode_recovery_key(other_prefix)


def test_secret_storage_encrypts_and_checks_the_key() -> None:
    key, other = secrets.token_bytes(32), secrets.token_bytes(32)
    description = key_description(key)
    assert description["algorithm"] == "m.secret_storage.v1.aes-hmac-sha2"
    assert key_matches(key, description) and not key_matches(other, description)
    payload = encrypt_secret(key, "m.cross_signing.master", "c2VjcmV0")
    # bit 63 of the IV is cleared (spec), so the counter cannot wrap
    iv = decode_base64(payload["iv"].rstrip("="))
    assert len(iv) == 16 and iv[8] & 0x80 == 0
    assert decrypt_secret(key, "m.cross_signing.master", payload) == "c2VjcmV0"
    with pytest.raises(KeyFormatError, match="does not open"):
        decrypt_secret(other, "m.cross_signing.master", payload)
    with pytest.raises(KeyFormatError, match="does not open"):  # the name is bound in
        decrypt_secret(key, "m.cross_signing.self_signing", payload)
    unpadded = {k: v.rstrip("=") for k, v in payload.items()}  # other clients' spelling
    assert decrypt_secret(key, "m.cross_signing.master", unpadded) == "c2VjcmV0"
