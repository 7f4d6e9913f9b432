"""The bot and current Element: matrix-js-sdk (Element's own SDK, Rust crypto) plays the human.

Element's "invisible crypto" (MSC4153, "exclude insecure devices") is
``OnlySignedDevicesIsolationMode``: room keys go only to devices their owner cross-signed,
and messages decrypt only from such devices. The harness is ``tests/js/element.mjs``
(``npm ci --prefix tests/js``); each human account is used for one conversation only,
because every conversation sets up that account's cross-signing anew.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from tests.element_js import require_element_js, run_element
from tests.matrix_helpers import BotProcess
from tests.synapse import Synapse

pytestmark = [pytest.mark.matrix, pytest.mark.slow]

PASSPHRASE = "element-js test passphrase for the sealed keys"
TIMEOUT = 30  # for the bot to join and answer; a conversation takes ~1 s


@pytest.fixture(scope="session")
def element_js() -> str:
    """Node and the harness's packages, or a skip (a failure under CRISISCELL_REQUIRE_ALL=1)."""
    return require_element_js()


def new_bot(synapse: Synapse, root: Path, humans: int) -> tuple[BotProcess, str, list[str]]:
    """A bot (not started), its account, and `humans` fresh accounts in its crisis cell."""
    bot_id, _ = synapse.register("crisiscell")
    people = [synapse.register(f"human{n}")[0] for n in range(humans)]
    bot = BotProcess(root, synapse, bot_id, cell=people)
    bot.env["CRISISCELL_MATRIX_KEY_PASSPHRASE"] = PASSPHRASE
    return bot, bot_id, people


async def converse(synapse: Synapse, human: str, bot_id: str, *args: str) -> dict[str, Any]:
    """`element.mjs converse`: a new room with the bot, one message, the bot's answer."""
    return await run_element(
        "converse",
        "--homeserver",
        synapse.url,
        "--user",
        human,
        "--password",
        synapse.users[human],
        "--bot",
        bot_id,
        "--timeout",
        str(TIMEOUT),
        *args,
        timeout=TIMEOUT + 60,
    )


async def element_setup(synapse: Synapse, user: str, *args: str) -> dict[str, Any]:
    """`element.mjs element-setup`: an admin in Element, logged in as `user`, sets up its
    cross-signing and secret storage with a new recovery key."""
    return await run_element(
        "element-setup",
        "--homeserver",
        synapse.url,
        "--user",
        user,
        "--password",
        synapse.users[user],
        *args,
        timeout=60,
    )


def whoami_answer(result: dict[str, Any], human: str, reply: dict[str, Any]) -> None:
    """`reply` is the bot's decrypted m.notice answering our `!whoami`."""
    assert reply["decrypted"] is True, reply
    assert reply["msgtype"] == "m.notice", reply
    assert reply["in_reply_to"] == result["event_id"], reply
    assert reply["body"].startswith(f"You are {human} "), reply


async def strict_whoami(
    synapse: Synapse, bot: BotProcess, bot_id: str, human: str
) -> dict[str, Any]:
    """Start the bot; `human`, in current (strict) Element, asks it `!whoami` in a new
    encrypted room and must read its answer; the conversation's result."""
    bot.start()
    try:
        result = await converse(
            synapse, human, bot_id, "--send-mode", "signed", "--text", "!whoami"
        )
    finally:
        bot.stop()
    reply = result["reply"]
    assert reply is not None, f"strict Element got no answer (did the bot get the key?): {result}"
    whoami_answer(result, human, reply)
    return result


async def crypto_setup(bot: BotProcess, *args: str, **env: str) -> str:
    """`crisiscell matrix crypto-setup ARGS`; its output."""
    done = await bot.cli("matrix", "crypto-setup", *args, **env)
    assert done.returncode == 0, (
        f"crisiscell matrix crypto-setup {' '.join(args)} exited {done.returncode}\n"
        f"--- stdout ---\n{done.stdout[-3000:]}\n--- stderr ---\n{done.stderr[-3000:]}"
    )
    return done.stdout + done.stderr


# A recovery key as Element shows it: base58, "Es…", groups of four.
B58 = "[1-9A-HJ-NP-Za-km-z]"
RECOVERY_KEY = re.compile(rf"\bEs{B58}{{2}}(?: {B58}{{4}})+(?: {B58}{{1,4}})?")


# --- a bot device that nobody cross-signed -----------------------------------------------------


async def test_strict_element_needs_the_bots_device_cross_signed(
    element_js: str, synapse: Synapse, tmp_path: Path
) -> None:
    bot, bot_id, (alice, bob, carol) = new_bot(synapse, tmp_path / "bot", humans=3)
    bot.start()
    try:
        lenient, strict = await asyncio.gather(
            # keys to every device, so the unsigned bot reads the message and answers; its
            # answer is then decrypted the way current Element does
            # (nobody signs the bot's device meanwhile: no wait for trust to change)
            converse(
                synapse,
                alice,
                bot_id,
                *("--send-mode", "all", "--trust-wait", "0", "--text", "!whoami"),
            ),
            # current Element throughout: the bot never gets the key of the first message;
            # a second one, sent to all devices, shows that the bot runs and answers
            converse(
                synapse,
                bob,
                bot_id,
                "--send-mode",
                "signed",
                "--decrypt-mode",
                "all",
                "--text",
                "!help",
                "--probe",
                "!whoami",
            ),
        )

        # The answer arrives but Element cannot show it: the bot's device is not signed by
        # the bot's own account.
        reply = lenient["reply"]
        assert reply is not None, f"the bot did not answer at all: {lenient}"
        assert reply["encrypted"] is True and reply["decrypted"] is False, reply
        assert reply["failure"] == "UNSIGNED_SENDER_DEVICE", reply
        assert lenient["bot_identity"]["master_key"] is None  # no cross-signing at all
        assert lenient["bot_identity"]["device_signed_by_owner"] is False
        # The control: the very same event, same keys, decrypted under
        # AllDevicesIsolationMode, reads fine; only the sender's trust is missing.
        control = lenient["reply_under_all_devices"]
        whoami_answer(lenient, alice, control)
        assert control["shield"] == {"colour": "RED", "reason": "UNSIGNED_DEVICE"}

        # Strict sending: no answer to the first message (the bot could not read it), the
        # answer to the second one is there, and it is the bot's only message in the room.
        assert strict["reply"] is None, strict
        probe = strict["probe_reply"]
        assert probe is not None and probe["decrypted"] is True, strict
        assert probe["in_reply_to"] == strict["probe_event_id"], probe
        assert probe["body"].startswith(f"You are {bob} "), probe
        assert strict["bot_events"] == 1, strict

        # Once the bot's account signs that same device (here an admin in Element, logged
        # in as the bot, does it), strict Element reads the bot both ways.
        device = reply["sender_device"]
        signed = await element_setup(synapse, bot_id, "--sign-device", device)
        assert signed["signed_device"] == device
        ok = await converse(synapse, carol, bot_id, "--send-mode", "signed", "--text", "!whoami")
        assert ok["reply"] is not None, ok
        whoami_answer(ok, carol, ok["reply"])
        assert ok["reply"]["sender_device"] == device
        assert ok["reply"]["shield"]["colour"] != "RED", ok["reply"]
        assert ok["bot_identity"]["master_key"] == signed["master_key"]
        assert ok["bot_identity"]["device_signed_by_owner"] is True
    finally:
        bot.stop()


# --- with `crisiscell matrix crypto-setup` ------------------------------------------------------


async def test_crypto_setup_makes_the_bot_readable_in_strict_element(
    element_js: str, synapse: Synapse, tmp_path: Path
) -> None:
    bot, bot_id, (alice,) = new_bot(synapse, tmp_path / "bot", humans=1)
    printed = await crypto_setup(bot)  # new keys for the account; its device signed
    result = await strict_whoami(synapse, bot, bot_id, alice)
    reply = result["reply"]
    assert reply["shield"]["colour"] != "RED", reply
    identity = result["bot_identity"]
    assert identity["master_key"] is not None and identity["device_signed_by_owner"] is True

    # The recovery key it printed works in Element: logged in as the bot, "Verify with
    # recovery key" opens the account's secret storage, imports the private keys (Rust
    # crypto checks them against the published ones) and signs Element's device with them.
    found = RECOVERY_KEY.findall(printed)
    assert len(found) == 1, f"one recovery key expected in the output:\n{printed}"
    recovered = await run_element(
        "element-recover",
        "--homeserver",
        synapse.url,
        "--user",
        bot_id,
        "--password",
        synapse.users[bot_id],
        "--recovery-key",
        found[0],
        timeout=60,
    )
    assert recovered["private_keys_in_secret_storage"] is True, recovered
    assert recovered["master_key"] == identity["master_key"], recovered
    assert recovered["self_signing_key"] == identity["self_signing_key"], recovered
    assert recovered["cross_signing_ready"] is True, recovered
    assert recovered["device_signed_by_owner"] is True, recovered


async def test_keys_set_up_in_element_are_imported_with_the_recovery_key(
    element_js: str, synapse: Synapse, tmp_path: Path
) -> None:
    bot, bot_id, (alice,) = new_bot(synapse, tmp_path / "bot", humans=1)
    # An admin logs into the bot's account in Element and sets up recovery there.
    setup = await element_setup(synapse, bot_id)
    assert setup["recovery_key"].startswith("Es")
    await crypto_setup(bot, "--recovery-key", CRISISCELL_MATRIX_RECOVERY_KEY=setup["recovery_key"])
    result = await strict_whoami(synapse, bot, bot_id, alice)
    # imported, not replaced: the identity Element created signs the bot's device
    identity = result["bot_identity"]
    assert identity["master_key"] == setup["master_key"], (identity, setup)
    assert identity["self_signing_key"] == setup["self_signing_key"], (identity, setup)
    assert identity["device_signed_by_owner"] is True
