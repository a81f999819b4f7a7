// A small element builder: h("button", {type: "button", onclick}, "Save").
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let uniqueCounter = 0;
export function uniqueId(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

// A labelled control: every input gets a <label for> (and its hint is announced with it).
export function field(label, control, hint) {
  control.id ||= uniqueId("f");
  const parts = [h("label", { for: control.id }, label), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("span", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, parts);
}

export function checkbox(label, attributes = {}) {
  const input = h("input", { type: "checkbox", id: uniqueId("c"), ...attributes });
  return { input, element: h("div", { class: "field inline" }, input, h("label", { for: input.id }, label)) };
}

export function select(options, attributes = {}) {
  return h(
    "select",
    attributes,
    options.map(([value, text]) => h("option", { value }, text)),
  );
}

// A table in its own scroll box, so that a wide one (the ledger at 820 px) scrolls inside its card.
export function table(headers, rows, caption) {
  return h("div", { class: "table-scroll" }, bareTable(headers, rows, caption));
}

function bareTable(headers, rows, caption) {
  return h(
    "table",
    {},
    caption ? h("caption", { class: "visually-hidden" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col", class: header.num ? "num" : null }, header.label ?? header)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "Nothing yet."))),
  );
}

export function badge(text, kind) {
  return h("span", { class: `badge ${kind}` }, text);
}

export function announce(text) {
  const status = document.getElementById("status");
  status.textContent = "";
  window.setTimeout(() => { status.textContent = text; }, 30);
}

// One error, said once: the API's message repeats its field problems, so with details only they show.
export function errorBox(error) {
  const details = error?.details || [];
  const headline = details.length ? (error?.code || "Refused") : [error?.code ? `${error.code}: ` : "", error?.message || String(error)];
  return h(
    "div",
    { class: "error", role: "alert" },
    h("strong", {}, headline),
    details.length ? h("ul", {}, details.map((d) => h("li", {}, h("code", {}, d.Field || "request"), ` ${d.Problem}`))) : null,
  );
}

// Platforms as people write them (the API says Ios and Android).
export function platformName(platform) {
  return { Ios: "iOS", ios: "iOS", Android: "Android", android: "Android" }[platform] || platform || "—";
}

export function formatDate(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)} %`;
}

// Runs an async action for a form, showing its error (or nothing) in the given slot.
export async function guarded(slot, action) {
  slot.replaceChildren();
  try {
    return await action();
  } catch (error) {
    slot.replaceChildren(errorBox(error));
    return undefined;
  }
}

export function readFileText(file) {
  return file.text();
}

export async function readFileBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
