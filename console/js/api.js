// The one place the console talks HTTP: the operator API, authenticated with the session's credential.
import * as session from "./session.js";

let config = { ApiUrl: "", ApiPrefix: "/console-api", SignIn: "AdminKey" };

export function configure(settings) {
  config = { ...config, ...settings };
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
  const headers = { Authorization: `Bearer ${credential() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`${config.ApiUrl}${config.ApiPrefix}${path}${search === "?" ? "" : search}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
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
  const text = await response.text();
  return text ? JSON.parse(text) : null;
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
