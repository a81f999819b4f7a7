// The one place the console talks HTTP: the operator API, the same routes the CLI calls. Locally
// each call carries the admin key; in AWS it is signed with SigV4 using the temporary credentials
// the Cognito identity pool gave the signed-in user (see auth.js).
import * as session from "./session.js";
import { sign } from "./sigv4.js";

let config = { ApiUrl: "", SignIn: "AdminKey" };
let awsCredentials = async () => null;
let discardCredentials = () => {};

export function configure(settings) {
  config = { ...config, ...settings };
}

// Where signed calls get their credentials ({AccessKeyId, SecretKey, SessionToken}, or null when
// the user is signed out): a function, so that they are renewed before they expire; and how to drop
// them when API Gateway refuses them, so that the next call gets fresh ones.
export function signWith(source, discard) {
  awsCredentials = source;
  discardCredentials = discard || (() => {});
}

// API Gateway's IAM authorizer answers 403 to a signature it refuses ("Signature expired", "The
// security token included in the request is expired", a clock or key that no longer fits), and 403
// to a caller IAM does not allow ("... is not authorized to perform: execute-api:Invoke").
function refusedSignature(status, message) {
  return status === 403 && /signature|security token/i.test(message || "");
}

async function errorOf(response) {
  let decoded = null;
  try {
    decoded = await response.json();
  } catch {
    decoded = null;
  }
  const error = decoded?.Error;
  return new ApiError(response.status, error?.Code || `HTTP ${response.status}`, error?.Message || decoded?.message || decoded?.Message || response.statusText, error?.Details);
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
  const target = new URL(`${config.ApiUrl}${path}${search === "?" ? "" : search}`, window.location.href).href;
  const text = body === undefined ? undefined : JSON.stringify(body);
  // A signed call the authorizer refuses is signed again once with fresh credentials; refused
  // again, the sign-in has ended.
  for (let attempt = 1; ; attempt++) {
    let url = target;
    let headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
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
      const error = await errorOf(response);
      if (config.SignIn === "Cognito" && refusedSignature(error.status, error.message)) {
        discardCredentials();
        if (attempt === 1) continue;
        window.dispatchEvent(new CustomEvent("pushgate:unauthorized"));
      }
      throw error;
    }
    if (raw) return response;
    const answer = await response.text();
    return answer ? JSON.parse(answer) : null;
  }
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
