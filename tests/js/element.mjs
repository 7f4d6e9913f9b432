#!/usr/bin/env node
// A real Element user, played with Element's own SDK (matrix-js-sdk + its Rust crypto in WASM),
// for the Matrix tests. Every result is ONE JSON line on stdout; logs go to stderr.
// Exit status 0 with a result, 1 with {"error": ...} on failure, 2 on bad usage.
//
//   node element.mjs converse --homeserver URL --user @human:localhost --password P
//        --bot @bot:localhost --send-mode signed|all [--decrypt-mode signed|all]
//        --text "!help" [--probe "!whoami"] [--timeout 60] [--decrypt-wait 10] [--trust-wait 2]
//   node element.mjs element-setup --homeserver URL --user @bot:localhost --password P
//        [--sign-device DEVICE_ID]
//   node element.mjs element-recover --homeserver URL --user @bot:localhost --password P
//        --recovery-key "EsT… …"
//
// converse: logs in as a new device, sets up the human's own cross-signing, creates an
// encrypted room, invites the bot, waits for it to join, sends --text (keys shared under
// --send-mode), then decrypts under --decrypt-mode. Prints {room_id, event_id, reply,
// reply_under_all_devices (a failed reply re-decrypted as a control), probe_event_id,
// probe_reply, bot_events, other_bot_events, bot_identity, timings}; "reply" is null when
// no answer came within --timeout (exit status 0: that is a result, not a failure).
// Each run resets the account's cross-signing: use a fresh human account for each run.
// element-setup: Element's "reset identity" + "set up recovery" on the account.
// element-recover: Element's "verify with recovery key" on a new login of the account.
// Every command logs out at the end (the homeserver deletes the device it created).
//
// Set ELEMENT_JS_DEBUG=1 to see the SDK's own debug logs (on stderr).

import { parseArgs, format } from "node:util";

// The SDK logs through `console` (looked up at call time); nothing of it may reach stdout.
const DEBUG = process.env.ELEMENT_JS_DEBUG === "1";
const toStderr = (...a) => process.stderr.write(format(...a) + "\n");
const quiet = () => {};
console.log = DEBUG ? toStderr : quiet;
console.info = DEBUG ? toStderr : quiet;
console.debug = DEBUG ? toStderr : quiet;
console.trace = DEBUG ? toStderr : quiet;
console.warn = toStderr;
console.error = toStderr;

// matrix-js-sdk 37.6+ declares Node >= 22; on Node 20 the one thing missing is
// Promise.withResolvers (ES2024, Node 22). This is its exact specified behaviour.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const sdk = await import("matrix-js-sdk");
const cryptoApi = await import("matrix-js-sdk/lib/crypto-api/index.js");
const {
  AllDevicesIsolationMode,
  OnlySignedDevicesIsolationMode,
  CrossSigningKey,
  decodeRecoveryKey,
  EventShieldColour,
  EventShieldReason,
} = cryptoApi;

const T0 = Date.now();
const elapsed = () => (Date.now() - T0) / 1000;
const log = (...a) => process.stderr.write(`[element.mjs ${elapsed().toFixed(2)}s] ${format(...a)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class UsageError extends Error {}

function emit(obj, code = 0) {
  process.stdout.write(JSON.stringify(obj) + "\n", () => process.exit(code));
}

async function waitFor(check, timeoutMs, what, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// --- login, crypto, sync -------------------------------------------------------------------

/** Secret-storage keys this process knows (Element caches the new key the same way). */
const ssssKeys = new Map();
const cryptoCallbacks = {
  getSecretStorageKey: async ({ keys }) => {
    for (const keyId of Object.keys(keys)) {
      if (ssssKeys.has(keyId)) return [keyId, ssssKeys.get(keyId)];
    }
    return null;
  },
  cacheSecretStorageKey: (keyId, _keyInfo, key) => {
    ssssKeys.set(keyId, key);
  },
};

async function login(homeserver, user, password, deviceName) {
  const anon = sdk.createClient({ baseUrl: homeserver });
  const res = await anon.loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user },
    password,
    initial_device_display_name: deviceName,
  });
  const client = sdk.createClient({
    baseUrl: homeserver,
    userId: res.user_id,
    deviceId: res.device_id,
    accessToken: res.access_token,
    cryptoCallbacks,
  });
  // In Node there is no IndexedDB: the Rust OlmMachine keeps its store in memory.
  await client.initRustCrypto({ useIndexedDB: false });
  log(`logged in as ${res.user_id} device ${res.device_id}; Rust crypto ready`);
  return client;
}

/** User-interactive auth for /keys/device_signing/upload, answered with the password. */
function passwordAuth(client, password) {
  return async (makeRequest) => {
    const auth = {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: client.getUserId() },
      password,
    };
    try {
      await makeRequest(auth);
    } catch (e) {
      // a homeserver that insists on a UIA session first: take its session and retry
      const session = e?.data?.session;
      if (e?.httpStatus !== 401 || !session) throw e;
      await makeRequest({ ...auth, session });
    }
  };
}

async function startSyncing(client) {
  const ready = new Promise((resolve, reject) => {
    const onSync = (state, _prev, data) => {
      if (state === sdk.SyncState.Prepared || state === sdk.SyncState.Syncing) {
        client.removeListener(sdk.ClientEvent.Sync, onSync);
        resolve();
      } else if (state === sdk.SyncState.Error) {
        client.removeListener(sdk.ClientEvent.Sync, onSync);
        reject(data?.error ?? new Error("sync error"));
      }
    };
    client.on(sdk.ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 1 });
  await ready;
  log("first sync done");
}

async function shutdown(client) {
  try {
    client.stopClient();
    // Element's "Sign out": the homeserver deletes this device and its keys.
    await client.logout(true);
    log("logged out (device deleted by the homeserver)");
  } catch (e) {
    log(`logout failed: ${e}`);
  }
}

// --- converse --------------------------------------------------------------------------------

const MODES = {
  signed: () => new OnlySignedDevicesIsolationMode(),
  all: () => new AllDevicesIsolationMode(false),
};

function shieldSummary(info) {
  if (!info) return null;
  return {
    colour: EventShieldColour[info.shieldColour] ?? info.shieldColour,
    reason: info.shieldReason == null ? null : (EventShieldReason[info.shieldReason] ?? info.shieldReason),
  };
}

function inReplyTo(ev) {
  // the relation is inside the encrypted payload (matrix-nio does not copy it out)
  return ev.getContent()?.["m.relates_to"]?.["m.in_reply_to"]?.event_id
    ?? ev.getWireContent()?.["m.relates_to"]?.["m.in_reply_to"]?.event_id
    ?? null;
}

async function describe(client, ev) {
  const failed = ev.isDecryptionFailure();
  const wire = ev.getWireContent() ?? {};
  let shield = null;
  if (!failed && ev.isEncrypted()) {
    try {
      shield = shieldSummary(await client.getCrypto().getEncryptionInfoForEvent(ev));
    } catch (e) {
      shield = { error: String(e) };
    }
  }
  return {
    event_id: ev.getId(),
    encrypted: ev.isEncrypted(),
    decrypted: ev.isEncrypted() ? !failed : null,
    msgtype: failed ? null : (ev.getContent()?.msgtype ?? null),
    body: failed ? null : (ev.getContent()?.body ?? null),
    in_reply_to: failed ? null : inReplyTo(ev),
    failure: failed ? (ev.decryptionFailureReason ?? "UNKNOWN_ERROR") : null,
    failure_message: failed ? (ev.getContent()?.body ?? null) : null,
    sender_device: wire.device_id ?? null,
    sender_key: wire.sender_key ?? null,
    shield,
  };
}

// Failures of the sender's trust (MSC4153): waiting only helps if its owner signs the device.
const TRUST_FAILURES = new Set(["UNSIGNED_SENDER_DEVICE", "UNKNOWN_SENDER_DEVICE", "SENDER_IDENTITY_PREVIOUSLY_VERIFIED"]);

/**
 * Wait for a decryption attempt to settle and, when it fails, for a later success: up to
 * keyWaitMs for missing keys (they may still come), up to trustWaitMs for a trust failure.
 */
async function settle(client, ev, keyWaitMs, trustWaitMs) {
  if (!ev.isEncrypted()) return;
  await client.decryptEventIfNeeded(ev);
  if (ev.isBeingDecrypted()) await ev.getDecryptionPromise();
  if (!ev.isDecryptionFailure()) return;
  const first = ev.decryptionFailureReason;
  const waitMs = TRUST_FAILURES.has(first) ? trustWaitMs : keyWaitMs;
  log(`event ${ev.getId()} did not decrypt (${first}); waiting up to ${waitMs / 1000} s`);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && ev.isDecryptionFailure()) await sleep(100);
  log(ev.isDecryptionFailure() ? `still undecryptable: ${ev.decryptionFailureReason}` : "decrypted later");
}

/** The bot's cross-signing as this Element client sees it. */
async function identityOf(client, userId, deviceId) {
  const keys = await client.downloadKeysForUsers([userId]);
  const master = Object.values(keys.master_keys?.[userId]?.keys ?? {})[0] ?? null;
  const selfSigning = Object.values(keys.self_signing_keys?.[userId]?.keys ?? {})[0] ?? null;
  const device = deviceId ? await client.getCrypto().getDeviceVerificationStatus(userId, deviceId) : null;
  return {
    master_key: master,
    self_signing_key: selfSigning,
    device_id: deviceId ?? null,
    device_signed_by_owner: device ? device.signedByOwner : null,
  };
}

/** Re-decrypt a failed event under AllDevicesIsolationMode: does it fail *only* because of the mode? */
async function retryUnderAllDevices(client, ev) {
  const crypto = client.getCrypto();
  crypto.setDeviceIsolationMode(MODES.all());
  try {
    await ev.attemptDecryption(client.cryptoBackend, { isRetry: true });
    if (ev.isBeingDecrypted()) await ev.getDecryptionPromise();
    return await describe(client, ev);
  } finally {
    crypto.setDeviceIsolationMode(MODES.signed());
  }
}

async function converse(o) {
  for (const k of ["homeserver", "user", "password", "bot", "text", "send-mode"]) {
    if (!o[k]) throw new UsageError(`converse needs --${k}`);
  }
  const sendMode = o["send-mode"];
  const decryptMode = o["decrypt-mode"] ?? "signed";
  if (!MODES[sendMode] || !MODES[decryptMode]) throw new UsageError("modes are 'signed' or 'all'");
  const timeoutMs = Number(o.timeout ?? 60) * 1000;
  const decryptWaitMs = Number(o["decrypt-wait"] ?? 10) * 1000;
  const trustWaitMs = Number(o["trust-wait"] ?? 2) * 1000;
  const bot = o.bot;
  const timings = {};

  const client = await login(o.homeserver, o.user, o.password, "Element (test harness)");
  try {
    const crypto = client.getCrypto();
    // A realistic Element user: their own cross-signing, this device signed by it.
    await startSyncing(client);
    await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuth(client, o.password) });
    // the signature on our own device is seen once our own keys are queried again
    await waitFor(
      async () => {
        const me = client.getUserId();
        const device = await crypto.getDeviceVerificationStatus(me, client.getDeviceId());
        const user = await crypto.getUserVerificationStatus(me);
        if (user.wasCrossSigningVerified() && !user.isCrossSigningVerified()) {
          // this account's identity was set up (and reset) before: use a fresh account
          throw new Error(`${me} already had a cross-signing identity; converse needs a fresh account`);
        }
        return device?.signedByOwner && user.isCrossSigningVerified();
      },
      10_000,
      "our own device to be cross-signed",
    );
    if (DEBUG) {
      log("own device", JSON.stringify(await crypto.getDeviceVerificationStatus(client.getUserId(), client.getDeviceId())));
      log("own user", JSON.stringify(await crypto.getUserVerificationStatus(client.getUserId())));
      log("cross-signing", JSON.stringify(await crypto.getCrossSigningStatus()));
    }
    timings.ready = elapsed();
    log("own cross-signing set up");

    const { room_id: roomId } = await client.createRoom({
      preset: sdk.Preset.PrivateChat,
      name: "element.mjs",
      invite: [bot],
      initial_state: [
        { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
      ],
    });
    log(`created ${roomId}, invited ${bot}`);

    // Every message event from the bot in this room, in timeline order.
    const botEvents = [];
    client.on(sdk.RoomEvent.Timeline, (ev, room) => {
      if (room?.roomId !== roomId || ev.getSender() !== bot || ev.isState()) return;
      const type = ev.getWireType();
      if (type === "m.room.encrypted" || type === "m.room.message") botEvents.push(ev);
    });

    await waitFor(() => client.getRoom(roomId)?.getMember(bot)?.membership === "join", timeoutMs, `${bot} to join`);
    await waitFor(() => crypto.isEncryptionEnabledInRoom(roomId), timeoutMs, "the room to be encrypted");
    timings.bot_joined = elapsed();
    log(`${bot} joined`);

    // Switch to the decrypting mode once our event is encrypted, before it is even sent:
    // nothing the bot answers can be decrypted under the sending mode.
    const room = client.getRoom(roomId);
    let switchTo = null;
    room.on(sdk.RoomEvent.LocalEchoUpdated, (ev) => {
      // SENDING comes twice: when the local echo is created, and again once encrypted
      if (switchTo && ev.status === sdk.EventStatus.SENDING && ev.isEncrypted()) {
        crypto.setDeviceIsolationMode(MODES[switchTo]());
        switchTo = null;
      }
    });
    const send = async (text, mode, thenMode) => {
      crypto.setDeviceIsolationMode(MODES[mode]());
      switchTo = thenMode;
      const { event_id: id } = await client.sendMessage(roomId, { msgtype: "m.text", body: text });
      if (switchTo) crypto.setDeviceIsolationMode(MODES[thenMode]());
      switchTo = null;
      return id;
    };

    const eventId = await send(o.text, sendMode, decryptMode);
    timings.sent = elapsed();
    log(`sent ${eventId} under ${sendMode}`);
    let probeId = null;
    if (o.probe) {
      // a second message everyone can read: when its answer comes and the first has none,
      // the first was never answered
      probeId = await send(o.probe, "all", decryptMode);
      log(`sent probe ${probeId} under all`);
    }

    // Wait for the bot's answer(s).
    const isReplyTo = (id) => (ev) => !ev.isDecryptionFailure() && !ev.isBeingDecrypted() && inReplyTo(ev) === id;
    const deadline = Date.now() + timeoutMs;
    let reply = null;
    let probeReply = null;
    for (;;) {
      for (const ev of botEvents) {
        if (ev.isEncrypted() && ev.isBeingDecrypted()) await ev.getDecryptionPromise();
      }
      if (probeId) {
        probeReply = botEvents.find(isReplyTo(probeId)) ?? null;
        if (probeReply) break;
      } else if (botEvents.length > 0) {
        reply = botEvents[0];
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(50);
    }
    if (probeId && probeReply) {
      // The bot answers a room's messages in order: an answer to the first message
      // would have come before the probe's.
      reply = botEvents.find(isReplyTo(eventId)) ?? null;
    }
    if (reply) {
      timings.reply_arrived = elapsed();
      await settle(client, reply, decryptWaitMs, trustWaitMs);
      timings.reply_settled = elapsed();
    }

    const out = {
      room_id: roomId,
      event_id: eventId,
      send_mode: sendMode,
      decrypt_mode: decryptMode,
      reply: reply ? await describe(client, reply) : null,
    };
    if (reply && out.reply.decrypted && out.reply.in_reply_to !== eventId) {
      throw new Error(`the bot's first message is not a reply to ours: ${JSON.stringify(out.reply)}`);
    }
    if (reply && out.reply.decrypted === false && decryptMode === "signed") {
      // the control: the very same event, same keys, decrypted under AllDevicesIsolationMode
      out.reply_under_all_devices = await retryUnderAllDevices(client, reply);
    }
    if (probeId) {
      out.probe_event_id = probeId;
      out.probe_reply = probeReply ? await describe(client, probeReply) : null;
    }
    out.bot_events = botEvents.length;
    const others = botEvents.filter((ev) => ev !== reply && ev !== probeReply);
    out.other_bot_events = await Promise.all(others.map((ev) => describe(client, ev)));
    out.bot_identity = await identityOf(client, bot, out.reply?.sender_device ?? out.probe_reply?.sender_device);
    out.timings = timings;
    return out;
  } finally {
    await shutdown(client);
  }
}

// --- element-setup ---------------------------------------------------------------------------

async function elementSetup(o) {
  for (const k of ["homeserver", "user", "password"]) {
    if (!o[k]) throw new UsageError(`element-setup needs --${k}`);
  }
  const client = await login(o.homeserver, o.user, o.password, "Element (admin setup)");
  try {
    const crypto = client.getCrypto();
    await startSyncing(client);
    // Element's "Set up secure backup" / "Reset cryptographic identity": new cross-signing keys,
    await crypto.bootstrapCrossSigning({
      setupNewCrossSigning: true,
      authUploadDeviceSigningKeys: passwordAuth(client, o.password),
    });
    // then Element's "Set up recovery" (settings → Encryption): a new recovery key, secret
    // storage with it as default key, the private cross-signing keys stored in it.
    const recovery = await crypto.createRecoveryKeyFromPassphrase();
    await crypto.bootstrapSecretStorage({
      setupNewSecretStorage: true,
      createSecretStorageKey: async () => recovery,
    });
    await client.setAccountData("io.element.recovery", { enabled: true });
    const status = await crypto.getCrossSigningStatus();
    if (!status.privateKeysInSecretStorage) {
      throw new Error(`cross-signing keys are not in secret storage: ${JSON.stringify(status)}`);
    }
    // self-check: the key as printed (base58, spaces) opens the three stored secrets
    ssssKeys.clear();
    const decoded = decodeRecoveryKey(recovery.encodedPrivateKey);
    const defaultKeyId = await client.secretStorage.getDefaultKeyId();
    ssssKeys.set(defaultKeyId, decoded);
    for (const name of ["m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing"]) {
      const secret = await client.secretStorage.get(name);
      if (!secret) throw new Error(`${name} cannot be read back from secret storage with the recovery key`);
    }
    let signed = null;
    if (o["sign-device"]) {
      // the admin verifies another device of the account from Element: signs it with the
      // account's self-signing key (what the bot's own crypto-setup does for its device)
      const me = client.getUserId();
      const id = o["sign-device"];
      await waitFor(
        async () => (await crypto.getUserDeviceInfo([me], true)).get(me)?.has(id),
        10_000,
        `device ${id} of ${me}`,
      );
      await crypto.crossSignDevice(id);
      await waitFor(
        async () => (await crypto.getDeviceVerificationStatus(me, id))?.signedByOwner,
        10_000,
        `device ${id} to be signed`,
      );
      signed = id;
    }
    const out = {
      recovery_key: recovery.encodedPrivateKey,
      master_key: await crypto.getCrossSigningKeyId(CrossSigningKey.Master),
      self_signing_key: await crypto.getCrossSigningKeyId(CrossSigningKey.SelfSigning),
      user_signing_key: await crypto.getCrossSigningKeyId(CrossSigningKey.UserSigning),
      secret_storage_key_id: defaultKeyId,
      device_id: client.getDeviceId(),
      signed_device: signed,
    };
    return out;
  } finally {
    await shutdown(client);
  }
}

// --- element-recover -------------------------------------------------------------------------

/**
 * Element on a new login of the account, "Verify with recovery key": the key opens secret
 * storage, the private cross-signing keys come out of it, and this device gets signed.
 */
async function elementRecover(o) {
  for (const k of ["homeserver", "user", "password", "recovery-key"]) {
    if (!o[k]) throw new UsageError(`element-recover needs --${k}`);
  }
  const client = await login(o.homeserver, o.user, o.password, "Element (admin recovery)");
  try {
    const crypto = client.getCrypto();
    await startSyncing(client);
    const me = client.getUserId();
    const keyId = await client.secretStorage.getDefaultKeyId();
    if (!keyId) throw new Error("the account has no default secret storage key");
    const [, keyInfo] = (await client.secretStorage.getKey(keyId)) ?? [null, null];
    if (!keyInfo) throw new Error(`secret storage key ${keyId} has no description in account data`);
    const key = decodeRecoveryKey(o["recovery-key"]);
    if (!(await client.secretStorage.checkKey(key, keyInfo))) {
      throw new Error(`the recovery key does not open secret storage key ${keyId}`);
    }
    ssssKeys.set(keyId, key);
    const before = await crypto.getCrossSigningStatus();
    // with the keys in secret storage and none on this device, this imports them (Rust
    // crypto checks them against the published public keys) and signs this device
    await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuth(client, o.password) });
    const status = await crypto.getCrossSigningStatus();
    const cached = status.privateKeysCachedLocally;
    if (!(cached.masterKey && cached.selfSigningKey && cached.userSigningKey)) {
      throw new Error(`the private cross-signing keys were not imported: ${JSON.stringify(status)}`);
    }
    await waitFor(
      async () => (await crypto.getDeviceVerificationStatus(me, client.getDeviceId()))?.signedByOwner,
      10_000,
      "this device to be signed with the imported keys",
    );
    const published = await identityOf(client, me, client.getDeviceId());
    return {
      secret_storage_key_id: keyId,
      secret_storage_algorithm: keyInfo.algorithm,
      private_keys_in_secret_storage: before.privateKeysInSecretStorage,
      master_key: await crypto.getCrossSigningKeyId(CrossSigningKey.Master),
      self_signing_key: await crypto.getCrossSigningKeyId(CrossSigningKey.SelfSigning),
      user_signing_key: await crypto.getCrossSigningKeyId(CrossSigningKey.UserSigning),
      published_master_key: published.master_key,
      published_self_signing_key: published.self_signing_key,
      cross_signing_ready: await crypto.isCrossSigningReady(),
      device_id: client.getDeviceId(),
      device_signed_by_owner: published.device_signed_by_owner,
      device_deleted: true,
    };
  } finally {
    await shutdown(client);
  }
}

// --- main ------------------------------------------------------------------------------------

const COMMANDS = { converse, "element-setup": elementSetup, "element-recover": elementRecover };

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      homeserver: { type: "string" },
      user: { type: "string" },
      password: { type: "string" },
      bot: { type: "string" },
      "send-mode": { type: "string" },
      "decrypt-mode": { type: "string" },
      text: { type: "string" },
      probe: { type: "string" },
      timeout: { type: "string" },
      "decrypt-wait": { type: "string" },
      "trust-wait": { type: "string" },
      "sign-device": { type: "string" },
      "recovery-key": { type: "string" },
    },
  });
  const command = COMMANDS[positionals[0]];
  if (!command || positionals.length !== 1) {
    throw new UsageError(`usage: element.mjs ${Object.keys(COMMANDS).join("|")} --options…`);
  }
  return await command(values);
}

main().then(
  (out) => emit(out, 0),
  (e) => {
    log(e?.stack ?? String(e));
    emit(
      { error: String(e?.message ?? e), type: e?.name ?? null, http_status: e?.httpStatus ?? null, errcode: e?.errcode ?? null },
      e instanceof UsageError || e?.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? 2 : 1,
    );
  },
);
