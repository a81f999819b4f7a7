// Everything the console remembers lives in sessionStorage: it ends with the tab, and no secret is
// ever written to storage that outlives the tab, nor to a cookie.
const KEY = "pushgate.console";

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "{}");
  } catch {
    return {};
  }
}

function save(state) {
  sessionStorage.setItem(KEY, JSON.stringify(state));
}

export function get(name, fallback = null) {
  return load()[name] ?? fallback;
}

export function set(name, value) {
  const state = load();
  if (value === null || value === undefined) delete state[name];
  else state[name] = value;
  save(state);
}

export function clear() {
  sessionStorage.removeItem(KEY);
}

export function currentOrg() {
  return get("org");
}

export function useOrg(org) {
  set("org", { OrgId: org.OrgId, Name: org.Name });
}
