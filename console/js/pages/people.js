import * as api from "../api.js";
import { announce, badge, checkbox, field, formatDate, guarded, h, platformName, select, table } from "../dom.js";

const KINDS = [["contacts", "Contacts"], ["leads", "Leads"], ["profiles", "Customer profiles"]];
const ID_FIELD = { contacts: "contactid", leads: "leadid", profiles: "profileid" };

function odataString(value) {
  return `'${value.replace(/'/g, "''")}'`;
}

// Email matches case-insensitively; a phone number matches mobilephone or telephone1 in any format.
export function searchFilter(text) {
  const value = text.trim();
  if (value.includes("@")) return `emailaddress1 eq ${odataString(value)}`;
  return `mobilephone eq ${odataString(value)} or telephone1 eq ${odataString(value)}`;
}

export function personHref(kind, id) {
  return `#/people/${kind}/${encodeURIComponent(id)}`;
}

function personRow(kind, person) {
  const name = person.fullname || [person.firstname, person.lastname].filter(Boolean).join(" ");
  return h(
    "tr",
    {},
    h("td", { class: "mono" }, h("a", { href: personHref(kind, person[ID_FIELD[kind]]) }, person[ID_FIELD[kind]])),
    h("td", {}, name || "—"),
    h("td", {}, person.emailaddress1 || "—"),
    h("td", {}, person.mobilephone || person.telephone1 || "—"),
    h("td", {}, person.locale || "—"),
    h("td", {}, person.pushconsent ? "yes" : "no"),
    h("td", {}, person.trackingconsent ? "yes" : "no"),
  );
}

const HEADERS = ["Id", "Name", "Email", "Phone", "Locale", "Push consent", "Tracking consent"];

export async function peoplePage({ org }) {
  const kind = select(KINDS, { name: "people-kind" });
  const query = h("input", { type: "search", name: "people-search", required: true, placeholder: "ana@example.com or +44 20 7946 0958" });
  const results = h("div", { "aria-live": "polite" });
  const searchSlot = h("div");
  const search = h(
    "form",
    {
      class: "card",
      role: "search",
      "aria-labelledby": "find-people",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(searchSlot, async () => {
          const found = await api.get(api.orgPath(org.OrgId, kind.value), { $filter: searchFilter(query.value), $top: 100 });
          results.replaceChildren(h("p", {}, `${found.value.length} found`), table(HEADERS, found.value.map((p) => personRow(kind.value, p)), "Search results"));
          announce(`${found.value.length} found`);
        });
      },
    },
    h("h2", { id: "find-people" }, "Find people"),
    h("div", { class: "grid" }, field("Record type", kind), field("Email or phone", query, "Emails match in any case; phones in any international format.")),
    searchSlot,
    h("button", { type: "submit" }, "Search"),
  );

  const inputs = {
    id: h("input", { type: "text", name: "person-id" }),
    firstname: h("input", { type: "text", name: "person-firstname" }),
    lastname: h("input", { type: "text", name: "person-lastname" }),
    emailaddress1: h("input", { type: "email", name: "person-email" }),
    mobilephone: h("input", { type: "text", name: "person-phone" }),
    locale: h("input", { type: "text", name: "person-locale", placeholder: "en-GB" }),
  };
  const push = checkbox("Push consent", { name: "person-pushconsent", checked: true });
  const tracking = checkbox("Tracking consent", { name: "person-trackingconsent", checked: true });
  const addKind = select(KINDS, { name: "person-kind" });
  const addSlot = h("div");
  const add = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "add-person",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(addSlot, async () => {
          const body = { pushconsent: push.input.checked, trackingconsent: tracking.input.checked };
          for (const [name, input] of Object.entries(inputs)) if (name !== "id" && input.value.trim()) body[name] = input.value.trim();
          if (inputs.id.value.trim()) body[ID_FIELD[addKind.value]] = inputs.id.value.trim();
          const created = await api.post(api.orgPath(org.OrgId, addKind.value), body);
          const id = created[ID_FIELD[addKind.value]];
          addSlot.replaceChildren(h("div", { class: "notice" }, "Saved ", h("a", { href: personHref(addKind.value, id) }, h("code", {}, id))));
          announce("Person saved");
        });
      },
    },
    h("h2", { id: "add-person" }, "Add a person"),
    h(
      "div",
      { class: "grid" },
      field("Record type", addKind),
      field("Id (optional)", inputs.id, "A new UUID when empty."),
      field("First name", inputs.firstname),
      field("Last name", inputs.lastname),
      field("Email", inputs.emailaddress1),
      field("Mobile phone", inputs.mobilephone),
      field("Locale", inputs.locale),
    ),
    push.element,
    tracking.element,
    addSlot,
    h("button", { type: "submit" }, "Save person"),
  );
  return h("div", {}, h("h1", {}, "People"), search, results, add);
}

// Attributes the edit form shows; the rest (custom attributes, audit fields) are listed as they are.
const EDITABLE = [
  ["firstname", "First name", "text"],
  ["lastname", "Last name", "text"],
  ["emailaddress1", "Email", "email"],
  ["mobilephone", "Mobile phone", "text"],
  ["telephone1", "Business phone", "text"],
  ["address1_city", "City", "text"],
  ["locale", "Locale", "text"],
  ["timezone", "Time zone", "text"],
];

function shown(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:/.test(value)) return formatDate(value);
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// A section read from its own route; a failure shows in that section only.
function loadedSection(title, id, load) {
  const body = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  const section = h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), body);
  const ready = guarded(body, async () => body.replaceChildren(await load()));
  return { section, ready };
}

function devicesTable(devices) {
  const apps = [...new Set(devices.map((d) => d.AppName || d.MobileAppId))];
  if (!devices.length) return h("p", { class: "muted" }, "No device registered.");
  return h(
    "div",
    {},
    apps.map((appName) =>
      h(
        "div",
        {},
        h("h3", {}, appName),
        table(
          ["Platform", "Status", "Token", "Registered", "Last registered", "Last outcome"],
          devices.filter((d) => (d.AppName || d.MobileAppId) === appName).map((d) => h("tr", {}, h("td", {}, platformName(d.Platform)), h("td", {}, badge(d.Status, d.Status === "Active" ? "ok" : "bad")), h("td", { class: "mono" }, `…${d.TokenSuffix}`), h("td", {}, formatDate(d.RegisteredAt)), h("td", {}, formatDate(d.LastRegisteredAt)), h("td", {}, lastOutcome(d.LastOutcome)))),
          `Devices in ${appName}`,
        ),
      ),
    ),
  );
}

// The newest status change of a device (why it went Invalid or Stale, and which send saw it).
function lastOutcome(last) {
  if (!last) return "—";
  return [`${last.Status}: ${last.Reason}`, last.Code ? ` (${last.Code})` : "", `, ${formatDate(last.At)}`];
}

function linksTable(links, appNames) {
  return table(
    ["App", "App user id", "Linked"],
    links.map((l) => h("tr", {}, h("td", {}, appNames[l.MobileAppId] || l.MobileAppId), h("td", { class: "mono" }, l.AppUserId), h("td", {}, formatDate(l.CreatedAt)))),
    "App-user links",
  );
}

function notificationsTable(entries) {
  return table(
    ["At", "Send", "Outcome", "Reason", "Platform"],
    entries.map((n) => h("tr", {}, h("td", {}, formatDate(n.At)), h("td", {}, n.SendId ? h("a", { href: `#/sends/${encodeURIComponent(n.SendId)}` }, n.MessageName || n.SendId) : "—"), h("td", {}, badge(n.Outcome, n.Outcome === "Sent" ? "ok" : "bad")), h("td", {}, n.Reason || "—"), h("td", {}, n.Platform ? platformName(n.Platform) : "—"))),
    "Recent notifications",
  );
}

export async function personPage({ org, params: [kind, personId], rerender }) {
  if (!ID_FIELD[kind]) throw new api.ApiError(404, "NotFound", `no record type ${kind}; the directory has contacts, leads and profiles`);
  const path = api.orgPath(org.OrgId, kind, personId);
  const person = await api.get(path);
  const name = person.fullname || [person.firstname, person.lastname].filter(Boolean).join(" ") || personId;
  const attributes = Object.entries(person).filter(([key]) => !key.startsWith("@"));
  const inputs = Object.fromEntries(EDITABLE.map(([key, , type]) => [key, h("input", { type, name: `edit-${key}`, value: person[key] ?? "" })]));
  const push = checkbox("Push consent", { name: "edit-pushconsent", checked: Boolean(person.pushconsent) });
  const tracking = checkbox("Tracking consent", { name: "edit-trackingconsent", checked: Boolean(person.trackingconsent) });
  const editSlot = h("div");
  const edit = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "edit-person",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(editSlot, async () => {
          // A merge-patch: a cleared field is removed, an unchanged one is left out.
          const change = {};
          for (const [key, input] of Object.entries(inputs)) {
            const value = input.value.trim();
            if (value !== (person[key] ?? "")) change[key] = value || null;
          }
          if (push.input.checked !== Boolean(person.pushconsent)) change.pushconsent = push.input.checked;
          if (tracking.input.checked !== Boolean(person.trackingconsent)) change.trackingconsent = tracking.input.checked;
          await api.patch(path, change);
          announce("Person saved");
          rerender();
        });
      },
    },
    h("h2", { id: "edit-person" }, "Edit"),
    h("div", { class: "grid" }, EDITABLE.map(([key, label]) => field(label, inputs[key], key === "timezone" ? "IANA name, e.g. Europe/Lisbon; quiet hours and local-time sends use it." : undefined))),
    push.element,
    tracking.element,
    editSlot,
    h("button", { type: "submit" }, "Save person"),
  );
  const deleteSlot = h("div", { "aria-live": "polite" });
  const erase = h(
    "section",
    { class: "card", "aria-labelledby": "erase-person" },
    h("h2", { id: "erase-person" }, "Delete (erasure)"),
    h("p", {}, "Deletes the person with their devices, links and interaction history; it cannot be undone."),
    h("button", {
      type: "button",
      class: "danger",
      onclick: () => {
        if (!window.confirm(`Erase ${name} and everything kept about them?`)) return;
        guarded(deleteSlot, async () => {
          const report = await api.del(path);
          main().replaceChildren(
            h("h1", {}, "Person erased"),
            h("div", { class: "notice", role: "status" }, `${name} (${personId}) was erased.`),
            table(["Removed", { label: "Count", num: true }], Object.entries(report?.Removed || {}).map(([what, count]) => h("tr", {}, h("td", {}, what), h("td", { class: "num" }, count))), "What was removed"),
            h("p", {}, h("a", { href: "#/people" }, "← People")),
          );
          announce(`${name} erased`);
        });
      },
    }, `Delete ${name}`),
    deleteSlot,
  );
  const devices = loadedSection("Devices", "person-devices", async () => devicesTable((await api.get(`${path}/devices`)).Devices));
  const links = loadedSection("App-user links", "person-links", async () => {
    const [found, apps] = await Promise.all([api.get(`${path}/links`), api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps")]);
    return linksTable(found.Links, Object.fromEntries(apps.map((a) => [a.MobileAppId, a.Name])));
  });
  const notifications = loadedSection("Recent notifications", "person-notifications", async () => {
    const found = await api.get(`${path}/notifications`);
    return h("div", {}, notificationsTable(found.Notifications), h("p", { class: "muted" }, `From the org's ${found.SendsSearched} most recent send(s)${found.SendsSkipped ? `; ${found.SendsSkipped} too large to search` : ""}.`));
  });
  await Promise.all([devices.ready, links.ready, notifications.ready]);
  return h(
    "div",
    {},
    h("h1", {}, name),
    h("p", { class: "muted" }, `${kind.replace(/s$/, "")} `, h("code", {}, personId), `; time zone ${person.timezone || "not set (the app's default applies)"}; push consent `, push.input.checked ? "yes" : "no", ", tracking consent ", tracking.input.checked ? "yes" : "no", "."),
    h("section", { class: "card", "aria-labelledby": "person-attributes" }, h("h2", { id: "person-attributes" }, "Attributes"), table(["Attribute", "Value"], attributes.map(([key, value]) => h("tr", {}, h("td", { class: "mono" }, key), h("td", {}, shown(value)))), "Attributes")),
    devices.section,
    links.section,
    notifications.section,
    edit,
    erase,
  );
}

function main() {
  return document.getElementById("main");
}
