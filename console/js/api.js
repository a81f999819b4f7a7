// The one place the console talks HTTP: the operator API, the same routes the CLI calls. Locally
// each call carries the admin key; in AWS it is signed with SigV4 using the temporary credentials
// the Cognito identity pool gave the signed-in user (see auth.js).
import * as session from "./session.js";
import { sign } from "./sigv4.js";

let config = { ApiUrl: "", SignIn: "AdminKey" };
let awsCredentials = async () => null;

export function configure(settings) {
  config = { ...config, ...settings };
}

// Where signed calls get their credentials ({AccessKeyId, SecretKey, SessionToken}, or null when
// the user is signed out): a function, so that they are renewed before they expire.
export function signWith(source) {
  awsCredentials = source;
}

export function settings() {
  return config;
}

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

export function credential() {
  return session.get("credential");
}

export function enc(value) {
  return encodeURIComponent(value);
}

export function orgPath(orgId, ...parts) {
  return ["/admin/v1/orgs", enc(orgId), ...parts.map(enc)].join("/");
}

export async function request(method, path, { body, query, raw } = {}) {
  const search = query
    ? "?" + Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&")
    : "";
  let url = new URL(`${config.ApiUrl}${path}${search === "?" ? "" : search}`, window.location.href).href;
  let headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const text = body === undefined ? undefined : JSON.stringify(body);
  let response;
  try {
    if (config.SignIn === "Cognito") {
      const credentials = await awsCredentials();
      if (!credentials) {
        window.dispatchEvent(new CustomEvent("pushgate:unauthorized"));
        throw new ApiError(401, "Unauthorized", "the sign-in has ended: sign in again");
      }
      ({ url, headers } = await sign({ method, url, headers, body: text, credentials, region: config.Region }));
    } else {
      headers.Authorization = `Bearer ${credential() || ""}`;
    }
    response = await fetch(url, { method, headers, body: text });
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, "Unreachable", `cannot reach the API: ${error.message}`);
  }
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("pushgate:unauthorized"));
  }
  if (!response.ok) {
    let decoded = null;
    try {
      decoded = await response.json();
    } catch {
      decoded = null;
    }
    const error = decoded?.Error;
    throw new ApiError(response.status, error?.Code || `HTTP ${response.status}`, error?.Message || decoded?.message || response.statusText, error?.Details);
  }
  if (raw) return response;
  const answer = await response.text();
  return answer ? JSON.parse(answer) : null;
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, body) => request("POST", path, { body: body ?? {} });
export const patch = (path, body) => request("PATCH", path, { body });
export const put = (path, body) => request("PUT", path, { body });
export const del = (path) => request("DELETE", path);

// Every page of a list route that answers {<key>: [...], NextToken}.
export async function all(path, key, limit = 100) {
  const items = [];
  let next;
  do {
    const page = await get(path, { Limit: limit, NextToken: next });
    items.push(...(page[key] || []));
    next = page.NextToken;
  } while (next);
  return items;
}
