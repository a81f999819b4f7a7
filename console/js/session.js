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

// Orgs and sends this tab has seen (the API has no list of either): newest first, at most 20.
export function remember(listName, entry, idField) {
  const list = get(listName, []).filter((item) => item[idField] !== entry[idField]);
  list.unshift(entry);
  set(listName, list.slice(0, 20));
}

export function currentOrg() {
  return get("org");
}

export function useOrg(org) {
  set("org", { OrgId: org.OrgId, Name: org.Name });
  remember("orgs", { OrgId: org.OrgId, Name: org.Name }, "OrgId");
}
