// Pushgate provider simulator: APNs (HTTP/2 provider API), FCM HTTP v1 and Google's OAuth2 token
// endpoint on one loopback TLS port. Node's http2 module is nghttp2 in C, which keeps the simulator
// several times faster than the clients it measures. Only Node built-ins are used.
//
// Started by pushgate_local/simulator/runner.py with one JSON argument:
//   {"host", "port", "cert_path", "key_path", "ca_path", "latency_ms", "strict"}
// It prints {"event": "ready", "port": N} on stdout once listening and exits when stdin closes
// (the parent died) or on SIGTERM.

import crypto from "node:crypto";
import fs from "node:fs";
import http2 from "node:http2";

import { checkApnsRequest, checkFcmRequest, isValidateOnly, loadFcmContract } from "./contracts.mjs";

const startup = JSON.parse(process.argv[2] || "{}");

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_NO_ERROR } = http2.constants;

// Provider protocol facts the checks rely on (see shared/reference/providers.md); the request
// contracts themselves are in contracts.mjs.
const FCM_CONTRACT = loadFcmContract();
const FCM_SCOPES = ["https://www.googleapis.com/auth/firebase.messaging", "https://www.googleapis.com/auth/cloud-platform"];
const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const APPLE_ID_SHAPE = /^[A-Z0-9]{10}$/;
const FCM_TOKEN_SHAPE = /^[A-Za-z0-9_:.\-]+$/;

// Faults selected by a device-token prefix. The prefix check runs before the token format check,
// so "gone..." is answered as 410 even though it is not hex. Longest prefixes first.
const FAULT_PREFIXES = [
  "unavailableonce", "erroronce", "resetonce", "unavailable", "thirdparty", "mismatch", "throttle", "error", "reset",
  "gone", "slow", "bad",
];
// Faults answered to a token's first request only; later ones succeed (a retry that gets through).
const ONCE_FAULTS = { unavailableonce: "unavailable", erroronce: "error" };
// What pickFault returns for a fault-prefixed token whose one fault was answered already.
const FAULT_PASSED = "passed";

function defaultConfig() {
  return {
    latency_ms: Number(startup.latency_ms || 0),
    strict: Boolean(startup.strict),
    slow_ms: 3000,
    goaway_after_streams: 0,
    fault_rates: {},
    retry_after_s: 7,
    unregistered_timestamp_ms: null,
    oauth_expires_in: 3599,
    max_token_age_s: 3600,
    token_rotation_s: 1200,
    record: true,
    max_recorded: 200000,
    // false keeps only token and platform of each notification (a million-device load run).
    record_payloads: true,
  };
}

let config = defaultConfig();
let notifications = [];
// FCM validate_only requests Google accepted but did not deliver (a registration's dry run).
let validated = [];
// Requests refused because they break the provider's contract (contracts.mjs): a product bug, so
// tests assert there are none.
let violations = [];
let stats = freshStats();
// token -> collapse ids (APNs apns-collapse-id, FCM android.notification.tag) already on its screen.
let onScreen = new Map();
const keys = { apns: new Map(), fcm: new Map() };
const jwtCache = new Map();
const accessTokens = new Map();
const resetOnceSeen = new Set();
const faultedOnce = new Set();
let messageCounter = 0;
let streamsInFlight = 0;

function freshStats() {
  return {
    requests: 0, apns_requests: 0, fcm_requests: 0, token_requests: 0, admin_requests: 0,
    by_status: {}, by_reason: {}, connections: 0, open_connections: 0, max_concurrent_streams: 0,
    max_concurrent_streams_per_connection: 0, goaways: 0, resets: 0, refused_streams: 0,
    token_updates: 0, oauth_tokens_issued: 0, dropped_records: 0, contract_violations: 0, collapsed_on_screen: 0,
  };
}

function clearCaches() {
  jwtCache.clear();
}

const b64urlDecode = (text) => Buffer.from(text, "base64url");

function parseJwt(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    return {
      header: JSON.parse(b64urlDecode(parts[0]).toString("utf8")),
      claims: JSON.parse(b64urlDecode(parts[1]).toString("utf8")),
      signingInput: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: b64urlDecode(parts[2]),
    };
  } catch {
    return null;
  }
}

// --- sessions -------------------------------------------------------------------------------

const SESSION = Symbol("pushgate.session");

function sessionState(session) {
  let st = session[SESSION];
  if (!st) {
    st = { open: 0, providerStreams: 0, goawayLast: 0, dead: false, token: null, tokenSince: 0 };
    session[SESSION] = st;
  }
  return st;
}

// --- responses ------------------------------------------------------------------------------

function count(status, reason) {
  stats.by_status[status] = (stats.by_status[status] || 0) + 1;
  if (reason) stats.by_reason[reason] = (stats.by_reason[reason] || 0) + 1;
}

function sendNow(stream, status, headers, body) {
  if (stream.destroyed || stream.closed || stream.session?.[SESSION]?.dead) return false;
  try {
    if (body === undefined || body === null) {
      stream.respond({ ":status": status, ...headers }, { endStream: true });
    } else {
      stream.respond({ ":status": status, "content-type": "application/json", ...headers });
      stream.end(body);
    }
    return true;
  } catch {
    return false;
  }
}

// Answers after the configured latency; onSent runs only if the answer left the server, so a
// request whose connection died first is never recorded as delivered.
function respondLater(stream, delayMs, status, headers, body, reason, onSent) {
  const fire = () => {
    if (sendNow(stream, status, headers, body)) {
      count(status, reason);
      if (onSent) onSent();
    }
  };
  if (delayMs > 0) setTimeout(fire, delayMs);
  else fire();
}

function sendJson(stream, status, value) {
  sendNow(stream, status, {}, JSON.stringify(value));
}

// The id under which a device shows a notification: one with the same collapse id as one already
// shown replaces it (APNs apns-collapse-id; FCM android.notification.tag, drawn by the system for
// a notification message). null: it is shown beside the others.
function collapseIdOf(platform, headers, payload) {
  if (platform === "ios") return headers["apns-collapse-id"] ?? null;
  const message = payload || {};
  return message.notification ? message.android?.notification?.tag ?? null : null;
}

// Counts what the device's screen would show: a notification whose collapse id the token already
// shows replaces that one instead of adding a second.
function showOnScreen(token, collapseId) {
  if (collapseId === null) return false;
  let shown = onScreen.get(token);
  if (!shown) {
    shown = new Set();
    onScreen.set(token, shown);
  }
  if (shown.has(collapseId)) {
    stats.collapsed_on_screen += 1;
    return true;
  }
  shown.add(collapseId);
  return false;
}

// Keeps what the device would get. payload is the raw APNs body (parsed when listed, to keep
// parsing off the hot path) or the FCM message object.
function record(token, platform, environment, headers, payload) {
  if (!config.record) return;
  if (notifications.length >= config.max_recorded) {
    stats.dropped_records += 1;
    return;
  }
  const collapse_id = collapseIdOf(platform, headers, payload);
  const replaced = showOnScreen(token, collapse_id);
  if (!config.record_payloads) {
    notifications.push({ token, platform, environment, headers: {}, payload: null, received_at: "", collapse_id, replaced });
    return;
  }
  notifications.push({
    token, platform, environment, headers: publicHeaders(headers), payload, received_at: new Date().toISOString(),
    collapse_id, replaced,
  });
}

// Keeps a request the provider would refuse for its shape, with what was wrong and what was sent.
function recordViolation(token, platform, headers, payload, status, reason, field, description) {
  stats.contract_violations += 1;
  if (violations.length >= config.max_recorded) return;
  violations.push({
    token, platform, status, reason, field, description, headers: publicHeaders(headers), payload,
    received_at: new Date().toISOString(),
  });
}

function publicHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === "authorization" || (name.startsWith(":") && name !== ":path")) continue;
    out[name] = value;
  }
  return out;
}

// --- faults ---------------------------------------------------------------------------------

function pickFault(token) {
  for (const prefix of FAULT_PREFIXES) {
    if (!token.startsWith(prefix)) continue;
    const once = ONCE_FAULTS[prefix];
    if (once === undefined) return prefix;
    if (faultedOnce.has(token)) return FAULT_PASSED;
    faultedOnce.add(token);
    return once;
  }
  const rates = config.fault_rates;
  for (const kind in rates) {
    if (Math.random() < rates[kind]) return kind;
  }
  return null;
}

function resetConnection(stream) {
  const session = stream.session;
  const st = sessionState(session);
  st.dead = true;
  stats.resets += 1;
  // Abrupt close of the TCP connection: no GOAWAY and no answer to any stream in flight on it.
  const raw = session[RAW_SOCKET];
  if (raw) raw.destroy();
  else session.destroy();
}

// Returns true when the stream must not be processed: it arrived after this connection's GOAWAY.
function admitProviderStream(stream) {
  const st = sessionState(stream.session);
  if (st.goawayLast && stream.id > st.goawayLast) {
    stats.refused_streams += 1;
    stream.close(NGHTTP2_REFUSED_STREAM);
    return false;
  }
  st.providerStreams += 1;
  if (config.goaway_after_streams > 0 && st.providerStreams === config.goaway_after_streams) {
    const session = stream.session;
    st.goawayLast = stream.id;
    stats.goaways += 1;
    session.goaway(NGHTTP2_NO_ERROR, stream.id, Buffer.from(JSON.stringify({ reason: "Shutdown" })));
    // Graceful: close() waits for the streams at or below last_stream_id to be answered.
    stream.once("close", () => {
      if (!session.destroyed) session.close();
    });
  }
  return true;
}

// --- APNs -----------------------------------------------------------------------------------

function apnsError(status, reason, extra) {
  return { status, reason, body: JSON.stringify({ reason, ...extra }) };
}

function inspectApnsJwt(token) {
  let info = jwtCache.get(token);
  if (info) return info;
  info = verifyApnsJwt(token);
  if (jwtCache.size > 10000) jwtCache.clear();
  jwtCache.set(token, info);
  return info;
}

function verifyApnsJwt(token) {
  const jwt = parseJwt(token);
  if (!jwt) return { error: "InvalidProviderToken" };
  const { header, claims } = jwt;
  if (header.alg !== "ES256" || typeof header.kid !== "string" || !APPLE_ID_SHAPE.test(header.kid)) {
    return { error: "InvalidProviderToken" };
  }
  if (typeof claims.iss !== "string" || !APPLE_ID_SHAPE.test(claims.iss) || !Number.isInteger(claims.iat)) {
    return { error: "InvalidProviderToken" };
  }
  if (jwt.signature.length !== 64) return { error: "InvalidProviderToken" };
  const key = keys.apns.get(`${claims.iss}:${header.kid}`);
  if (key) {
    const ok = crypto.verify("sha256", jwt.signingInput, { key, dsaEncoding: "ieee-p1363" }, jwt.signature);
    if (!ok) return { error: "InvalidProviderToken" };
  } else if (config.strict) {
    return { error: "InvalidProviderToken" };
  }
  return { iat: claims.iat, teamId: claims.iss, keyId: header.kid };
}

function checkApnsAuth(stream, headers, nowS) {
  const authorization = headers.authorization;
  if (!authorization) {
    const socket = stream.session.socket;
    const cert = typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate() : null;
    if (cert && Object.keys(cert).length > 0) {
      if (config.strict && !socket.authorized) return apnsError(403, "BadCertificate");
      return null;
    }
    return apnsError(403, "MissingProviderToken");
  }
  if (!authorization.startsWith("bearer ")) return apnsError(403, "InvalidProviderToken");
  const token = authorization.slice(7);
  const info = inspectApnsJwt(token);
  if (info.error) return apnsError(403, info.error);
  if (info.iat > nowS + 60) return apnsError(403, "InvalidProviderToken");
  if (nowS - info.iat > config.max_token_age_s) return apnsError(403, "ExpiredProviderToken");
  const st = sessionState(stream.session);
  if (st.token !== token) {
    // Apple: a new token more often than once every 20 minutes on one connection is an error.
    if (st.token !== null && nowS - st.tokenSince < config.token_rotation_s) {
      return apnsError(429, "TooManyProviderTokenUpdates");
    }
    st.token = token;
    st.tokenSince = nowS;
    stats.token_updates += 1;
  }
  return null;
}

function apnsFault(kind, nowMs) {
  switch (kind) {
    case "bad": return apnsError(400, "BadDeviceToken");
    case "gone": return apnsError(410, "Unregistered", { timestamp: config.unregistered_timestamp_ms ?? nowMs - 3600000 });
    case "throttle": return { ...apnsError(429, "TooManyRequests"), headers: { "retry-after": String(config.retry_after_s) } };
    case "error": return apnsError(500, "InternalServerError");
    case "unavailable": return { ...apnsError(503, "ServiceUnavailable"), headers: { "retry-after": String(config.retry_after_s) } };
    case "mismatch": return apnsError(400, "DeviceTokenNotForTopic");
    case "thirdparty": return apnsError(403, "Forbidden");
    default: return null;
  }
}

// checkTokenFormat is false for fault-prefixed tokens, which are not hex by design.
function validateApnsRequest(headers, rawHeaderNames, token, body, checkTokenFormat) {
  if (token === "") return apnsError(400, "MissingDeviceToken");
  const broken = checkApnsRequest(headers, rawHeaderNames, body);
  if (broken) {
    recordViolation(token, "ios", headers, body, broken.status, broken.reason, null, broken.description);
    return apnsError(broken.status, broken.reason);
  }
  if (checkTokenFormat && !/^[0-9a-fA-F]+$/.test(token)) return apnsError(400, "BadDeviceToken");
  return null;
}

function handleApns(stream, headers, rawHeaderNames, body, environment, token) {
  stats.apns_requests += 1;
  if (!admitProviderStream(stream)) return;
  if (headers[":method"] !== "POST") {
    const e = apnsError(405, "MethodNotAllowed");
    return respondLater(stream, config.latency_ms, e.status, {}, e.body, e.reason);
  }
  const nowMs = Date.now();
  const apnsId = headers["apns-id"] || crypto.randomUUID();
  const replyHeaders = { "apns-id": apnsId };
  if (environment === "sandbox") replyHeaders["apns-unique-id"] = crypto.randomUUID();
  let delay = config.latency_ms;
  let failure = checkApnsAuth(stream, headers, Math.floor(nowMs / 1000));
  if (!failure) {
    const fault = pickFault(token);
    if (fault === "reset" || (fault === "resetonce" && !resetOnceSeen.has(token))) {
      if (fault === "resetonce") resetOnceSeen.add(token);
      return resetConnection(stream);
    }
    if (fault === "slow") delay += config.slow_ms;
    failure = apnsFault(fault, nowMs) || validateApnsRequest(headers, rawHeaderNames, token, body, fault === null);
  }
  if (failure) {
    return respondLater(stream, delay, failure.status, { ...replyHeaders, ...(failure.headers || {}) }, failure.body, failure.reason);
  }
  respondLater(stream, delay, 200, replyHeaders, null, null, () => {
    record(token, "ios", environment, headers, body);
  });
}

// --- OAuth2 token endpoint ------------------------------------------------------------------

function oauthError(stream, description) {
  count(400, "invalid_grant");
  sendJson(stream, 400, { error: "invalid_grant", error_description: description });
}

function handleToken(stream, headers, body) {
  stats.token_requests += 1;
  if (headers[":method"] !== "POST") return sendJson(stream, 405, { error: "invalid_request" });
  const form = new URLSearchParams(body.toString("utf8"));
  if (form.get("grant_type") !== JWT_BEARER_GRANT) {
    count(400, "unsupported_grant_type");
    return sendJson(stream, 400, { error: "unsupported_grant_type", error_description: "Invalid grant_type." });
  }
  const jwt = parseJwt(form.get("assertion") || "");
  if (!jwt) return oauthError(stream, "Invalid JWT: could not be parsed.");
  const { header, claims } = jwt;
  const nowS = Math.floor(Date.now() / 1000);
  if (header.alg !== "RS256") return oauthError(stream, "Invalid JWT: alg must be RS256.");
  if (typeof claims.iss !== "string" || !claims.iss.includes("@")) return oauthError(stream, "Invalid JWT: iss must be the service account email.");
  const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
  if (!scopes.some((s) => FCM_SCOPES.includes(s))) return oauthError(stream, "Invalid JWT: scope does not include firebase.messaging.");
  if (typeof claims.aud !== "string" || !claims.aud.endsWith("/token")) return oauthError(stream, "Invalid JWT: aud must be the token URI.");
  if (!Number.isInteger(claims.iat) || !Number.isInteger(claims.exp)) return oauthError(stream, "Invalid JWT: iat and exp must be integers.");
  if (claims.iat > nowS + 60) return oauthError(stream, "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.");
  if (claims.exp <= nowS || claims.exp - claims.iat > 3600) return oauthError(stream, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
  const key = keys.fcm.get(claims.iss);
  if (key) {
    if (key.keyId && header.kid !== key.keyId) return oauthError(stream, "Invalid JWT Signature.");
    const ok = crypto.verify("sha256", jwt.signingInput, key.publicKey, jwt.signature);
    if (!ok) return oauthError(stream, "Invalid JWT Signature.");
  } else if (config.strict) {
    return oauthError(stream, "Invalid JWT Signature.");
  }
  const accessToken = `ya29.sim-${crypto.randomBytes(24).toString("hex")}`;
  accessTokens.set(accessToken, { email: claims.iss, expiresAt: nowS + config.oauth_expires_in });
  stats.oauth_tokens_issued += 1;
  count(200, null);
  sendJson(stream, 200, { access_token: accessToken, expires_in: config.oauth_expires_in, token_type: "Bearer" });
}

// --- FCM HTTP v1 ----------------------------------------------------------------------------

const FCM_STATUS_NAMES = {
  400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
};

function fcmError(status, message, errorCode, extraDetails, headers) {
  const details = [];
  if (errorCode) details.push({ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode });
  if (extraDetails) details.push(...extraDetails);
  const error = { code: status, message, status: FCM_STATUS_NAMES[status] || "UNKNOWN" };
  if (details.length) error.details = details;
  return { status, reason: errorCode || error.status, body: JSON.stringify({ error }), headers: headers || {} };
}

function badRequest(field, description) {
  return [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field, description }] }];
}

function fcmFault(kind) {
  const retryAfter = { "retry-after": String(config.retry_after_s) };
  switch (kind) {
    case "bad": return fcmError(400, "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT", badRequest("message.token", "Invalid registration token"));
    case "gone": return fcmError(404, "Requested entity was not found.", "UNREGISTERED");
    case "throttle": return fcmError(429, "Quota exceeded for quota metric 'Send requests'.", "QUOTA_EXCEEDED", [{ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ subject: "project", description: "Device message rate exceeded." }] }], retryAfter);
    case "error": return fcmError(500, "Internal error encountered.", "INTERNAL");
    case "unavailable": return fcmError(503, "The service is currently unavailable.", "UNAVAILABLE", null, retryAfter);
    case "mismatch": return fcmError(403, "SenderId mismatch", "SENDER_ID_MISMATCH");
    case "thirdparty": return fcmError(401, "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR");
    default: return null;
  }
}

// Google's answer to a request its discovery document refuses: the JSON front end's message (no
// FcmError) or, for what the backend checks, INVALID_ARGUMENT with an FcmError; both name the field.
function validateFcmRequest(payload, bodyLength, headers) {
  const broken = checkFcmRequest(FCM_CONTRACT, payload, bodyLength);
  if (!broken) return null;
  const message = payload && typeof payload === "object" ? payload.message : undefined;
  const token = message && typeof message.token === "string" ? message.token : "";
  recordViolation(token, "android", headers, payload, 400, "INVALID_ARGUMENT", broken.field, broken.description);
  const errorCode = broken.parse ? null : "INVALID_ARGUMENT";
  return fcmError(400, broken.description, errorCode, badRequest(broken.field, broken.description));
}

function handleFcm(stream, headers, body, projectId) {
  stats.fcm_requests += 1;
  if (!admitProviderStream(stream)) return;
  const nowS = Math.floor(Date.now() / 1000);
  const authorization = headers.authorization || "";
  const grant = authorization.startsWith("Bearer ") ? accessTokens.get(authorization.slice(7)) : undefined;
  let delay = config.latency_ms;
  let failure = null;
  let payload = null;
  if (!grant || grant.expiresAt <= nowS) {
    failure = fcmError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.", null);
  } else {
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      failure = fcmError(400, "Invalid JSON payload received.", "INVALID_ARGUMENT");
    }
  }
  const token = payload && payload.message && typeof payload.message.token === "string" ? payload.message.token : "";
  if (!failure) {
    const fault = token ? pickFault(token) : null;
    if (fault === "reset" || (fault === "resetonce" && !resetOnceSeen.has(token))) {
      if (fault === "resetonce") resetOnceSeen.add(token);
      return resetConnection(stream);
    }
    if (fault === "slow") delay += config.slow_ms;
    failure = fcmFault(fault) || validateFcmRequest(payload, body.length, headers);
    if (!failure && token && !FCM_TOKEN_SHAPE.test(token)) failure = fcmFault("bad");
  }
  if (failure) return respondLater(stream, delay, failure.status, failure.headers || {}, failure.body, failure.reason);
  const validateOnly = isValidateOnly(payload);
  messageCounter += 1;
  const name = validateOnly ? `projects/${projectId}/messages/fake_message_id` : `projects/${projectId}/messages/0:${Date.now()}%${messageCounter.toString(16)}`;
  respondLater(stream, delay, 200, {}, JSON.stringify({ name }), null, () => {
    if (!validateOnly) record(token, "android", "production", headers, payload.message);
    else if (config.record && validated.length < config.max_recorded) {
      validated.push({ token, platform: "android", environment: "production", headers: publicHeaders(headers), payload: payload.message, received_at: new Date().toISOString() });
    }
  });
}

// --- admin API ------------------------------------------------------------------------------

function renderNotification(entry) {
  let payload = entry.payload;
  if (Buffer.isBuffer(payload)) {
    try {
      payload = JSON.parse(payload.toString("utf8"));
    } catch {
      payload = payload.toString("utf8");
    }
  }
  return {
    token: entry.token, platform: entry.platform, environment: entry.environment, headers: entry.headers, payload,
    received_at: entry.received_at, collapse_id: entry.collapse_id, replaced: entry.replaced,
  };
}

function handleAdmin(stream, headers, body, url) {
  stats.admin_requests += 1;
  const method = headers[":method"];
  let input = {};
  if (body.length) {
    try {
      input = JSON.parse(body.toString("utf8"));
    } catch {
      return sendJson(stream, 400, { error: "body must be JSON" });
    }
  }
  switch (`${method} ${url.pathname}`) {
    case "GET /sim/notifications": {
      const token = url.searchParams.get("token");
      const platform = url.searchParams.get("platform");
      const selected = notifications.filter((n) => (!token || n.token === token) && (!platform || n.platform === platform));
      return sendJson(stream, 200, selected.map(renderNotification));
    }
    case "GET /sim/validated": {
      // What FCM validated without delivering (validate_only): no device ever sees these.
      const token = url.searchParams.get("token");
      return sendJson(stream, 200, validated.filter((n) => !token || n.token === token));
    }
    case "GET /sim/violations": {
      const token = url.searchParams.get("token");
      const platform = url.searchParams.get("platform");
      const selected = violations.filter((v) => (!token || v.token === token) && (!platform || v.platform === platform));
      return sendJson(stream, 200, selected.map((v) => ({ ...v, payload: renderNotification(v).payload })));
    }
    case "GET /sim/tokens": {
      // How many notifications each token received (a load run checks for lost and duplicated ones).
      const counts = {};
      for (const n of notifications) counts[n.token] = (counts[n.token] || 0) + 1;
      return sendJson(stream, 200, counts);
    }
    case "GET /sim/screen": {
      // How many notifications each token's screen shows: those with a collapse id the token
      // already showed replaced it and count once (a load run checks for duplicates on screen).
      const counts = {};
      for (const n of notifications) if (!n.replaced) counts[n.token] = (counts[n.token] || 0) + 1;
      return sendJson(stream, 200, counts);
    }
    case "GET /sim/stats":
      return sendJson(stream, 200, { ...stats, recorded: notifications.length, streams_in_flight: streamsInFlight });
    case "GET /sim/config":
      return sendJson(stream, 200, config);
    case "POST /sim/config": {
      for (const [name, value] of Object.entries(input)) {
        if (!(name in config)) return sendJson(stream, 400, { error: `unknown setting ${name}` });
        config[name] = value;
      }
      clearCaches();
      return sendJson(stream, 200, config);
    }
    case "POST /sim/reset":
      config = defaultConfig();
      notifications = [];
      validated = [];
      violations = [];
      onScreen = new Map();
      stats = freshStats();
      stats.open_connections = openSessions.size;
      keys.apns.clear();
      keys.fcm.clear();
      accessTokens.clear();
      resetOnceSeen.clear();
      faultedOnce.clear();
      clearCaches();
      return sendJson(stream, 200, { reset: true });
    case "POST /sim/keys": {
      let publicKey;
      try {
        publicKey = crypto.createPublicKey(input.public_key_pem);
      } catch {
        return sendJson(stream, 400, { error: "public_key_pem is not a PEM public key" });
      }
      if (input.kind === "apns") {
        if (!APPLE_ID_SHAPE.test(input.team_id || "") || !APPLE_ID_SHAPE.test(input.key_id || "")) {
          return sendJson(stream, 400, { error: "team_id and key_id must be 10 upper-case letters or digits" });
        }
        keys.apns.set(`${input.team_id}:${input.key_id}`, publicKey);
      } else if (input.kind === "fcm") {
        if (typeof input.client_email !== "string") return sendJson(stream, 400, { error: "client_email is required" });
        keys.fcm.set(input.client_email, { publicKey, keyId: input.key_id || null });
      } else {
        return sendJson(stream, 400, { error: "kind must be apns or fcm" });
      }
      clearCaches();
      return sendJson(stream, 201, { registered: true });
    }
    default:
      return sendJson(stream, 404, { error: "not found" });
  }
}

// --- server ---------------------------------------------------------------------------------

const APNS_PATH = /^(\/sandbox)?\/3\/device\/(.*)$/;
const FCM_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;

function route(stream, headers, rawHeaders, body) {
  stats.requests += 1;
  const path = headers[":path"] || "/";
  const apns = APNS_PATH.exec(path);
  if (apns) {
    const rawHeaderNames = rawHeaders.filter((_, i) => i % 2 === 0);
    return handleApns(stream, headers, rawHeaderNames, body, apns[1] ? "sandbox" : "production", decodeURIComponent(apns[2]));
  }
  const fcm = FCM_PATH.exec(path);
  if (fcm) {
    if (headers[":method"] !== "POST") return sendJson(stream, 405, { error: { code: 405, status: "METHOD_NOT_ALLOWED" } });
    return handleFcm(stream, headers, body, fcm[1]);
  }
  if (path === "/token") return handleToken(stream, headers, body);
  if (path.startsWith("/sim/")) return handleAdmin(stream, headers, body, new URL(path, "https://sim"));
  if (path.startsWith("/3/")) {
    const e = apnsError(404, "BadPath");
    return respondLater(stream, 0, e.status, {}, e.body, e.reason);
  }
  return sendJson(stream, 404, { error: "not found" });
}

const openSessions = new Set();
// The session exposes only a guarded proxy of its socket; the raw TLS socket is kept to cut the
// connection without the GOAWAY that session.destroy() would send.
const RAW_SOCKET = Symbol("pushgate.rawSocket");
let newestSession = null;

const server = http2.createSecureServer({
  key: fs.readFileSync(startup.key_path),
  cert: fs.readFileSync(startup.cert_path),
  ca: startup.ca_path ? [fs.readFileSync(startup.ca_path)] : undefined,
  requestCert: true,
  rejectUnauthorized: false,
  allowHTTP1: false,
  maxSessionMemory: 256,
  settings: { maxConcurrentStreams: 1000, initialWindowSize: 1 << 20 },
});

server.on("session", (session) => {
  stats.connections += 1;
  newestSession = session;
  openSessions.add(session);
  stats.open_connections = openSessions.size;
  sessionState(session);
  session.on("connect", () => session.setLocalWindowSize(1 << 24));
  session.on("error", () => {});
  session.on("close", () => {
    openSessions.delete(session);
    stats.open_connections = openSessions.size;
  });
});

server.on("stream", (stream, headers, flags, rawHeaders) => {
  const st = sessionState(stream.session);
  st.open += 1;
  streamsInFlight += 1;
  if (st.open > stats.max_concurrent_streams_per_connection) stats.max_concurrent_streams_per_connection = st.open;
  if (streamsInFlight > stats.max_concurrent_streams) stats.max_concurrent_streams = streamsInFlight;
  stream.on("close", () => {
    st.open -= 1;
    streamsInFlight -= 1;
  });
  stream.on("error", () => {});
  const chunks = [];
  stream.on("data", (chunk) => chunks.push(chunk));
  stream.on("end", () => route(stream, headers, rawHeaders || [], chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
});

// Node's own secureConnection listener (registered first) creates and announces the session
// synchronously, so the newest session belongs to this socket.
server.on("secureConnection", (socket) => {
  if (newestSession && !newestSession[RAW_SOCKET]) newestSession[RAW_SOCKET] = socket;
});
server.on("sessionError", () => {});
server.on("tlsClientError", () => {});

server.listen(Number(startup.port || 0), startup.host || "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ event: "ready", port: server.address().port })}\n`);
});

// A bug in one handler must not take the simulator (and every test using it) down.
process.on("uncaughtException", (error) => {
  process.stderr.write(`simulator error: ${error && error.stack ? error.stack : error}\n`);
});

const shutdown = () => process.exit(0);
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.resume();
