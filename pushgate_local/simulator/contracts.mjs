// Provider contracts the simulator holds every request to, taken from the providers' own definitions:
//
// * FCM HTTP v1: Google's discovery document of the API (contracts/fcm.v1.json, vendored from the
//   google-api-python-client wheel; see contracts/README.md). Every field name, type, enum, duration
//   and map value is checked as Google's JSON front end parses it, and the answer is the one Google
//   gives: 400 INVALID_ARGUMENT with a google.rpc.BadRequest field violation.
// * APNs: the `aps` and `aps.alert` keys of Apple's "Generating a remote notification" and the header
//   rules of "Sending notification requests to APNs" (shared/reference/providers.md §1.2-1.3).
//
// Only Node built-ins; pure functions, so tests can call them without a server.

import fs from "node:fs";

// --- FCM ------------------------------------------------------------------------------------

const FCM_DOCUMENT = new URL("./contracts/fcm.v1.json", import.meta.url);
const FCM_TYPE_PREFIX = "type.googleapis.com/google.firebase.fcm.v1.";
// google.protobuf.Duration in JSON: seconds with up to 9 fractional digits and an "s", within ±10,000 years.
const DURATION_SHAPE = /^-?(\d+)(\.\d{1,9})?s$/;
const MAX_DURATION_S = 315576000000;
// google.protobuf.Timestamp in JSON: RFC 3339.
const TIMESTAMP_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
// The names FCM keeps for itself in `data` (the discovery document's Message.data description).
const RESERVED_DATA_KEYS = new Set(["from", "message_type"]);
const RESERVED_DATA_PREFIXES = ["google.", "gcm.notification."];
const FCM_MAX_TTL_S = 2419200;
const FCM_MAX_MESSAGE = 4096;

const snakeCase = (name) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

// Loads the discovery document and indexes, per schema, both names a field answers to: the proto
// name (snake_case) and its lowerCamelCase json_name, as Google's parser accepts either.
export function loadFcmContract(path = FCM_DOCUMENT) {
  const document = JSON.parse(fs.readFileSync(path, "utf8"));
  const names = {};
  for (const [schemaName, schema] of Object.entries(document.schemas)) {
    const index = new Map();
    for (const [camel, property] of Object.entries(schema.properties || {})) {
      const entry = { camel, snake: snakeCase(camel), property };
      index.set(camel, entry);
      index.set(entry.snake, entry);
    }
    names[schemaName] = index;
  }
  return { document, schemas: document.schemas, names, revision: document.revision };
}

function violation(field, description) {
  return { field, description };
}

const show = (value) => JSON.stringify(value);

function invalidValue(path, typeName, value) {
  return violation(path, `Invalid value at '${path}' (${typeName}), ${show(value)}`);
}

function unknownName(name, path) {
  const where = path ? ` at '${path}'` : "";
  return violation(path, `Invalid JSON payload received. Unknown name ${show(name)}${where}: Cannot find field.`);
}

const child = (path, name) => (path ? `${path}.${name}` : name);

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function checkScalar(property, value, path) {
  const { type, format } = property;
  if (property.enum) {
    // Google's parser takes an enum by name (the discovery document's own descriptions, such as
    // AndroidConfig.priority's "normal" and "high", use lower case) or by number.
    if (typeof value === "string" && property.enum.some((name) => name.toLowerCase() === value.toLowerCase())) return null;
    if (Number.isInteger(value) && value >= 0 && value < property.enum.length) return null;
    return invalidValue(path, "TYPE_ENUM", value);
  }
  if (type === "string") {
    if (typeof value !== "string") return invalidValue(path, format === "google-duration" ? "type.googleapis.com/google.protobuf.Duration" : "TYPE_STRING", value);
    if (format === "google-duration") {
      const match = DURATION_SHAPE.exec(value);
      if (!match || Number(match[1]) > MAX_DURATION_S) return invalidValue(path, "type.googleapis.com/google.protobuf.Duration", value);
    }
    if (format === "google-datetime" && (!TIMESTAMP_SHAPE.test(value) || Number.isNaN(Date.parse(value)))) {
      return invalidValue(path, "type.googleapis.com/google.protobuf.Timestamp", value);
    }
    return null;
  }
  if (type === "boolean") return typeof value === "boolean" ? null : invalidValue(path, "TYPE_BOOL", value);
  if (type === "integer") {
    // proto3 JSON takes 32-bit integers as numbers or as decimal strings.
    const number = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
    if (!Number.isInteger(number) || number < INT32_MIN || number > INT32_MAX) return invalidValue(path, "TYPE_INT32", value);
    return null;
  }
  if (type === "number") {
    if (typeof value === "number") return null;
    if (typeof value === "string" && (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) || ["NaN", "Infinity", "-Infinity"].includes(value))) return null;
    return invalidValue(path, "TYPE_FLOAT", value);
  }
  return null; // "any": google.protobuf.Value takes every JSON value
}

function checkMap(contract, property, value, path) {
  if (!isObject(value)) return invalidValue(path, "TYPE_MESSAGE", value);
  const valueSchema = property.additionalProperties;
  if (valueSchema.type === "any") return null; // google.protobuf.Struct: any JSON object
  const entries = Object.entries(value);
  for (let i = 0; i < entries.length; i += 1) {
    // Map entries are addressed by position, as Google reports them: message.data[0].value.
    const entryPath = `${path}[${i}].value`;
    if (entries[i][1] === null) return invalidValue(entryPath, "TYPE_STRING", null);
    const problem = checkValue(contract, valueSchema, entries[i][1], entryPath);
    if (problem) return problem;
  }
  return null;
}

function checkValue(contract, property, value, path) {
  if (value === null) return null; // proto3 JSON: null leaves a field unset
  if (property.$ref) return checkMessage(contract, property.$ref, value, path);
  if (property.type === "array") {
    if (!Array.isArray(value)) return invalidValue(path, "TYPE_LIST", value);
    for (let i = 0; i < value.length; i += 1) {
      const itemPath = `${path}[${i}]`;
      if (value[i] === null) return invalidValue(itemPath, "TYPE_STRING", null);
      const problem = checkValue(contract, property.items, value[i], itemPath);
      if (problem) return problem;
    }
    return null;
  }
  if (property.type === "object") return checkMap(contract, property, value, path);
  return checkScalar(property, value, path);
}

function checkMessage(contract, schemaName, value, path) {
  if (!isObject(value)) return invalidValue(path, `${FCM_TYPE_PREFIX}${schemaName}`, value);
  const index = contract.names[schemaName];
  let seen = null;
  for (const name in value) {
    const entry = index.get(name);
    if (entry === undefined) return unknownName(name, path);
    const fieldPath = child(path, entry.snake);
    // The proto name and the json_name of one field, both given.
    if (entry.camel !== entry.snake && value[entry.camel] !== undefined && value[entry.snake] !== undefined) {
      if (seen === null) seen = new Set();
      if (seen.has(entry.camel)) {
        return violation(fieldPath, `Invalid JSON payload received. Duplicate field ${show(name)} at '${fieldPath}'.`);
      }
      seen.add(entry.camel);
    }
    const problem = checkValue(contract, entry.property, value[name], fieldPath);
    if (problem) return problem;
  }
  return null;
}

// A field given under either of its names (snake_case is given when it differs).
function field(object, camel, snake = camel) {
  if (!isObject(object)) return undefined;
  return object[camel] !== undefined ? object[camel] : object[snake];
}

// The checks FCM's backend makes once the JSON parsed: what the discovery document states in words.
function checkFcmSemantics(message, bodyLength) {
  const targets = ["token", "topic", "condition"].filter((name) => message[name] !== undefined && message[name] !== null);
  if (targets.length !== 1) return violation("message", "Exactly one of token, topic or condition must be set.");
  const data = field(message, "data");
  if (isObject(data)) {
    for (const key of Object.keys(data)) {
      if (RESERVED_DATA_KEYS.has(key) || RESERVED_DATA_PREFIXES.some((prefix) => key.startsWith(prefix))) {
        return violation("message.data", `Invalid data payload key: ${key}`);
      }
    }
  }
  const android = field(message, "android");
  if (android && field(message, "androidV2", "android_v2")) return violation("message", "android and android_v2 are mutually exclusive.");
  const ttl = field(android, "ttl");
  if (typeof ttl === "string") {
    const match = DURATION_SHAPE.exec(ttl);
    if (ttl.startsWith("-") || Number(match[1]) > FCM_MAX_TTL_S || (Number(match[1]) === FCM_MAX_TTL_S && match[2] && Number(match[2]) > 0)) {
      return violation("message.android.ttl", "The ttl must be between 0 and 4 weeks (2419200s).");
    }
  }
  // Only a body over the limit can hold a message over it; measuring the compact encoding is then worth it.
  if (bodyLength > FCM_MAX_MESSAGE && Buffer.byteLength(JSON.stringify(message)) > FCM_MAX_MESSAGE) {
    return violation("message", "Message too big");
  }
  return null;
}

// Checks a parsed FCM request body (a SendMessageRequest) of bodyLength bytes. Returns null, or the
// field violation Google reports: {field, description, parse}, where parse says the JSON front end
// refused it (no FcmError).
export function checkFcmRequest(contract, body, bodyLength = Infinity) {
  const parsed = checkMessage(contract, "SendMessageRequest", body, "");
  if (parsed) return { ...parsed, parse: true };
  const message = field(body, "message");
  if (!isObject(message)) return { ...violation("message", "message is required"), parse: false };
  const semantic = checkFcmSemantics(message, bodyLength);
  return semantic ? { ...semantic, parse: false } : null;
}

// validate_only / validateOnly: the request is checked and not delivered.
export function isValidateOnly(body) {
  return field(body, "validateOnly", "validate_only") === true;
}

// --- APNs -----------------------------------------------------------------------------------

const APNS_MAX_PAYLOAD = 4096;
const APNS_VOIP_MAX_PAYLOAD = 5120;
const APNS_MAX_COLLAPSE_ID = 64;
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// A bundle id (reverse DNS) with the suffix its push type needs.
const TOPIC_SHAPE = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const TOPIC_SUFFIXES = {
  voip: ".voip", complication: ".complication", fileprovider: ".pushkit.fileprovider",
  liveactivity: ".push-type.liveactivity", location: ".location-query", pushtotalk: ".voip-ptt",
  controls: ".push-type.controls", widgets: ".push-type.widgets",
};
const ANY_SUFFIX = Object.values(TOPIC_SUFFIXES);
export const APNS_PUSH_TYPES = new Set(["alert", "background", "mdm", ...Object.keys(TOPIC_SUFFIXES)]);
// Headers Apple reads; each may appear once (DuplicateHeaders).
const APNS_HEADERS = ["apns-push-type", "apns-id", "apns-expiration", "apns-priority", "apns-topic", "apns-collapse-id", "authorization"];

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
const isString = (value) => typeof value === "string";
const isStringArray = (value) => Array.isArray(value) && value.every(isString);
const isFlag = (value) => value === 0 || value === 1;

// Apple's Table 2: the keys of the `alert` dictionary.
const ALERT_KEYS = {
  title: isString, subtitle: isString, body: isString, "launch-image": isString,
  "title-loc-key": isString, "title-loc-args": isStringArray,
  "subtitle-loc-key": isString, "subtitle-loc-args": isStringArray,
  "loc-key": isString, "loc-args": isStringArray,
};

function isSound(value) {
  if (isString(value)) return true;
  // Critical alerts: {"critical": 1, "name": "...", "volume": 0..1}.
  if (!isObject(value)) return false;
  return Object.entries(value).every(([name, v]) => (name === "critical" && isFlag(v))
    || (name === "name" && isString(v)) || (name === "volume" && isNumber(v) && v >= 0 && v <= 1));
}

// Apple's Table 1: the keys of the `aps` dictionary, with the Live Activity keys.
const APS_KEYS = {
  alert: (v) => isString(v) || isObject(v),
  badge: (v) => Number.isInteger(v) && v >= 0,
  sound: isSound,
  "thread-id": isString,
  category: isString,
  "content-available": isFlag,
  "mutable-content": isFlag,
  "target-content-id": isString,
  "interruption-level": (v) => ["passive", "active", "time-sensitive", "critical"].includes(v),
  "relevance-score": isNumber,
  "filter-criteria": isString,
  "stale-date": Number.isInteger,
  "content-state": isObject,
  timestamp: Number.isInteger,
  event: (v) => ["start", "update", "end"].includes(v),
  "dismissal-date": Number.isInteger,
  "attributes-type": isString,
  attributes: isObject,
};

function apnsViolation(status, reason, description) {
  return { status, reason, description };
}

function checkApnsHeaders(headers, rawHeaderNames) {
  if (rawHeaderNames.length !== new Set(rawHeaderNames).size) {
    const repeated = APNS_HEADERS.find((name) => rawHeaderNames.indexOf(name) !== rawHeaderNames.lastIndexOf(name));
    if (repeated) return apnsViolation(400, "DuplicateHeaders", `${repeated} is repeated`);
  }
  const pushType = headers["apns-push-type"];
  if (pushType !== undefined && !APNS_PUSH_TYPES.has(pushType)) return apnsViolation(400, "InvalidPushType", `apns-push-type ${show(pushType)} is not one of Apple's push types`);
  const topic = headers["apns-topic"];
  if (!topic) return apnsViolation(400, "MissingTopic", "apns-topic is required with token authentication");
  if (pushType !== "mdm") {
    if (!TOPIC_SHAPE.test(topic)) return apnsViolation(400, "BadTopic", `apns-topic ${show(topic)} is not a bundle id`);
    const suffix = TOPIC_SUFFIXES[pushType];
    if (suffix ? !topic.endsWith(suffix) : ANY_SUFFIX.some((s) => topic.endsWith(s))) {
      return apnsViolation(400, "TopicDisallowed", `apns-topic ${show(topic)} does not fit apns-push-type ${pushType || "(none)"}`);
    }
  }
  // Apple: 10 when absent; background pushes must say 5.
  const priority = headers["apns-priority"];
  if (priority !== undefined && !["1", "5", "10"].includes(priority)) return apnsViolation(400, "BadPriority", `apns-priority ${show(priority)} is not 1, 5 or 10`);
  if (pushType === "background" && priority !== "5") return apnsViolation(400, "BadPriority", "background pushes must carry apns-priority: 5");
  const expiration = headers["apns-expiration"];
  if (expiration !== undefined && !/^\d{1,10}$/.test(expiration)) return apnsViolation(400, "BadExpirationDate", `apns-expiration ${show(expiration)} is not UNIX epoch seconds`);
  const apnsId = headers["apns-id"];
  if (apnsId !== undefined && !UUID_SHAPE.test(apnsId)) return apnsViolation(400, "BadMessageId", `apns-id ${show(apnsId)} is not a lower-case canonical UUID`);
  const collapseId = headers["apns-collapse-id"];
  if (collapseId !== undefined && Buffer.byteLength(collapseId) > APNS_MAX_COLLAPSE_ID) return apnsViolation(400, "BadCollapseId", "apns-collapse-id is longer than 64 bytes");
  return null;
}

// Apple has no reason string for a payload whose `aps` breaks the documented keys (APNs delivers it
// and the device ignores what it does not know); InvalidPayload names the simulator's refusal.
function checkAps(aps, pushType) {
  for (const [name, value] of Object.entries(aps)) {
    const valid = APS_KEYS[name];
    if (!valid) return apnsViolation(400, "InvalidPayload", `aps.${name} is not an Apple-defined aps key (custom keys go next to aps)`);
    if (!valid(value)) return apnsViolation(400, "InvalidPayload", `aps.${name} has the wrong type or value: ${show(value)}`);
  }
  if (isObject(aps.alert)) {
    for (const [name, value] of Object.entries(aps.alert)) {
      const valid = ALERT_KEYS[name];
      if (!valid) return apnsViolation(400, "InvalidPayload", `aps.alert.${name} is not an Apple-defined alert key`);
      if (!valid(value)) return apnsViolation(400, "InvalidPayload", `aps.alert.${name} has the wrong type: ${show(value)}`);
    }
  }
  const interacts = ["alert", "badge", "sound"].filter((name) => aps[name] !== undefined);
  if (pushType === "background") {
    // Apple: content-available 1 and no alert, badge or sound; the header must reflect the payload.
    if (aps["content-available"] !== 1) return apnsViolation(400, "InvalidPushType", "a background push needs aps.content-available: 1");
    if (interacts.length) return apnsViolation(400, "InvalidPushType", `a background push carries no alert, badge or sound (has ${interacts.join(", ")})`);
  }
  if (pushType === "alert" && interacts.length === 0) return apnsViolation(400, "InvalidPushType", "an alert push needs aps.alert, badge or sound");
  return null;
}

// The verdicts of recent bodies: a send or a load run repeats one body to many devices, and parsing
// it again for each would make the simulator, not the client, what a benchmark measures.
const BODY_VERDICTS = new Map();
const BODY_VERDICTS_MAX = 1024;
const NO_PROBLEM = Symbol("none");

// Checks one APNs request: headers (lower-case names, as HTTP/2 carries them), the header names in
// the order sent (for repeats), and the raw body. Returns null or {status, reason, description}.
export function checkApnsRequest(headers, rawHeaderNames, body) {
  const headerProblem = checkApnsHeaders(headers, rawHeaderNames);
  if (headerProblem) return headerProblem;
  if (body.length === 0) return apnsViolation(400, "PayloadEmpty", "the body is empty");
  const pushType = headers["apns-push-type"];
  const limit = pushType === "voip" ? APNS_VOIP_MAX_PAYLOAD : APNS_MAX_PAYLOAD;
  if (body.length > limit) return apnsViolation(413, "PayloadTooLarge", `the payload is ${body.length} bytes, over ${limit}`);
  const key = `${pushType}\n${body.toString("latin1")}`;
  let verdict = BODY_VERDICTS.get(key);
  if (verdict === undefined) {
    verdict = checkApnsBody(body, pushType) || NO_PROBLEM;
    if (BODY_VERDICTS.size >= BODY_VERDICTS_MAX) BODY_VERDICTS.clear();
    BODY_VERDICTS.set(key, verdict);
  }
  return verdict === NO_PROBLEM ? null : verdict;
}

function checkApnsBody(body, pushType) {
  let payload;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    return apnsViolation(400, "InvalidPayload", "the body is not JSON");
  }
  if (!isObject(payload) || !isObject(payload.aps)) return apnsViolation(400, "InvalidPayload", "the payload needs an aps dictionary");
  return checkAps(payload.aps, pushType);
}
