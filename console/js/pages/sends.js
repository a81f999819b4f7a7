import * as api from "../api.js";
import { announce, badge, field, formatDate, guarded, h, platformName, select, table } from "../dom.js";
import { searchFilter } from "./people.js";

const POLL_MS = 1000;

export function parseRecipients(text) {
  const seen = new Set();
  for (const line of text.split(/[\n,]/)) {
    const value = line.trim();
    if (value && !value.startsWith("#")) seen.add(value);
  }
  return [...seen];
}

const REJECTED_REASONS = new Set(["UnknownRecipient", "NoPushConsent"]);
const KINDS = ["contacts", "leads", "profiles"];
const ID_FIELD = { contacts: "contactid", leads: "leadid", profiles: "profileid" };

// An email (has @) or a phone number (digits with + ( ) - . and spaces); anything else is a user id.
export function recipientKind(value) {
  if (value.includes("@")) return "email";
  if (/^\+?[\d\s().-]{6,}$/.test(value) && /\d{6,}/.test(value.replace(/\D/g, ""))) return "phone";
  return "id";
}

// Finds the one person an email or phone names, through the directory lookup the mapping resolves with.
async function resolveRecipient(org, value) {
  const found = [];
  for (const kind of KINDS) {
    const page = await api.get(api.orgPath(org.OrgId, kind), { $filter: searchFilter(value), $top: 2 });
    found.push(...page.value.map((person) => person[ID_FIELD[kind]]));
  }
  return [...new Set(found)];
}

async function resolveRecipients(org, lines) {
  const ids = [];
  const problems = [];
  for (const line of lines) {
    if (recipientKind(line) === "id") {
      ids.push(line);
      continue;
    }
    const found = await resolveRecipient(org, line);
    if (found.length === 1) ids.push(found[0]);
    else problems.push({ Field: `Recipients: ${line}`, Problem: found.length ? `matches ${found.length} people (${found.join(", ")}); give the user id` : "matches no contact, lead or profile" });
  }
  if (problems.length) throw new api.ApiError(0, "UnresolvedRecipients", "some recipients were not found", problems);
  return [...new Set(ids)];
}

function statusKind(status) {
  return { Completed: "ok", Canceled: "muted", Scheduled: "warn" }[status] || "warn";
}

function whenText(send) {
  if (send.SendAtLocalTime) return `${send.SendAtLocalTime} in each recipient's time zone`;
  if (send.SendAt) return formatDate(send.SendAt);
  return "at once";
}

// The org's send history from the API (newest first), with filters and "More".
function historyCard(org, apps, messages) {
  const names = Object.fromEntries(messages.map((m) => [m.MessageId, m.Name]));
  const appNames = Object.fromEntries(apps.map((a) => [a.MobileAppId, a.Name]));
  const byApp = select([["", "Every app"], ...apps.map((a) => [a.MobileAppId, a.Name])], { name: "history-app" });
  const byMessage = select([["", "Every message"], ...messages.map((m) => [m.MessageId, m.Name])], { name: "history-message" });
  const body = h("div", { "aria-live": "polite" });
  const slot = h("div");
  const rows = [];
  let next = null;
  async function load(reset) {
    if (reset) { rows.length = 0; next = null; }
    const page = await api.get(api.orgPath(org.OrgId, "sends"), { MobileAppId: byApp.value, MessageId: byMessage.value, MaxResults: 25, NextToken: next || undefined });
    next = page.NextToken;
    rows.push(...page.Sends.map((s) => {
      const t = s.Totals || {};
      return h(
        "tr",
        {},
        h("td", {}, h("a", { href: `#/sends/${encodeURIComponent(s.SendId)}` }, formatDate(s.CreatedAt))),
        h("td", {}, s.MessageName || names[s.MessageId] || s.MessageId),
        h("td", {}, appNames[s.MobileAppId] || s.MobileAppId),
        h("td", {}, s.Audience === "AllActiveDevices" ? "Broadcast" : "Recipients"),
        h("td", {}, badge(s.Status, statusKind(s.Status))),
        h("td", {}, s.SendAt ? formatDate(s.SendAt) : "—"),
        h("td", { class: "num" }, t.Sent ?? "—"),
        h("td", { class: "num" }, t.NotSent ?? "—"),
      );
    }));
    body.replaceChildren(
      table(["Created", "Message", "App", "To", "Status", "Send at", { label: "Sent", num: true }, { label: "Not sent", num: true }], rows, "Send history"),
      next ? h("button", { type: "button", class: "secondary", onclick: () => guarded(slot, () => load(false)) }, "More sends") : "",
    );
  }
  for (const control of [byApp, byMessage]) control.addEventListener("change", () => guarded(slot, () => load(true)));
  const card = h("section", { class: "card", "aria-labelledby": "history" }, h("h2", { id: "history" }, "Send history"), h("div", { class: "grid" }, field("Filter by app", byApp), field("Filter by message", byMessage)), body, slot);
  return { card, ready: guarded(slot, () => load(true)) };
}

export async function sendsPage({ org }) {
  const apps = await api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps");
  const allMessages = await api.all(api.orgPath(org.OrgId, "pushmessages"), "PushMessages");
  const messages = allMessages.filter((m) => m.Status === "Active");
  const app = select(apps.map((a) => [a.MobileAppId, a.Name]), { name: "send-app" });
  const message = select(messages.map((m) => [m.MessageId, `${m.Name} (v${m.Version})`]), { name: "send-message" });
  const audience = select([["Recipients", "Named recipients"], ["AllActiveDevices", "Every active device of the app (broadcast)"]], { name: "send-audience" });
  const recipients = h("textarea", { name: "send-recipients", rows: 6, class: "mono", placeholder: "one per line: a user id, an email or a phone number" });
  const recipientsField = field("Recipients", recipients, "One per line: a directory user id, an email or a phone number (looked up in contacts, leads and profiles). At most 10,000; duplicates are dropped.");
  const when = select([["now", "Now"], ["SendAt", "At a moment (UTC)"], ["SendAtLocalTime", "At a time of day in each recipient's time zone"]], { name: "send-when" });
  const sendAt = h("input", { type: "datetime-local", name: "send-at", step: 60 });
  const localTime = h("input", { type: "text", name: "send-at-local", placeholder: "09:00 or 2026-12-24T09:00" });
  const sendAtField = field("Send at (UTC)", sendAt, "Up to 30 days ahead.");
  const localField = field("Local time", localTime, "The next 09:00 for each recipient, or a date and time.");
  const whenField = field("When", when);
  const journey = h("input", { type: "text", name: "send-journey" });
  function showParts() {
    const broadcast = audience.value === "AllActiveDevices";
    recipientsField.hidden = broadcast;
    // A broadcast goes out at once (the API refuses a schedule with it).
    whenField.hidden = broadcast;
    sendAtField.hidden = broadcast || when.value !== "SendAt";
    localField.hidden = broadcast || when.value !== "SendAtLocalTime";
  }
  audience.addEventListener("change", showParts);
  when.addEventListener("change", showParts);
  showParts();
  const slot = h("div");
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "new-send",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(slot, async () => {
          const body = { MobileAppId: app.value, MessageId: message.value, IdempotencyKey: crypto.randomUUID() };
          if (audience.value === "AllActiveDevices") {
            if (!window.confirm("Send to every active device of the app?")) return;
            body.Audience = "AllActiveDevices";
          } else {
            const lines = parseRecipients(recipients.value);
            if (!lines.length) throw new api.ApiError(0, "Required", "name at least one recipient", [{ Field: "Recipients", Problem: "is empty: give a user id, an email or a phone number per line" }]);
            body.Recipients = (await resolveRecipients(org, lines)).map((UserId) => ({ UserId }));
            if (when.value === "SendAt") {
              if (!sendAt.value) throw new api.ApiError(0, "Required", "choose when", [{ Field: "SendAt", Problem: "is empty: choose a date and time (UTC)" }]);
              body.SendAt = `${sendAt.value.length === 16 ? `${sendAt.value}:00` : sendAt.value}Z`;
            } else if (when.value === "SendAtLocalTime") {
              body.SendAtLocalTime = localTime.value.trim();
            }
          }
          if (journey.value.trim()) body.JourneyId = journey.value.trim();
          const created = await api.post(api.orgPath(org.OrgId, "sends"), body);
          announce(`Send accepted for ${created.Accepted} recipient(s)`);
          window.location.hash = `#/sends/${encodeURIComponent(created.SendId)}`;
        });
      },
    },
    h("h2", { id: "new-send" }, "New send"),
    !apps.length || !messages.length ? h("p", {}, "A send needs an app and an Active message.") : null,
    h("div", { class: "grid" }, field("App", app), field("Message (Active only)", message), field("Audience", audience)),
    recipientsField,
    h("div", { class: "grid" }, whenField, sendAtField, localField),
    field("Journey id (optional)", journey),
    slot,
    h("button", { type: "submit", disabled: !apps.length || !messages.length }, "Send"),
  );
  const history = historyCard(org, apps, allMessages);
  await history.ready;
  return h("div", {}, h("h1", {}, "Sends"), form, history.card);
}

function totals(send) {
  const share = ["Completed", "Canceled"].includes(send.Status) ? 1 : send.Expected ? (send.Expected - send.Pending - send.Parked) / send.Expected : 0;
  // Devices and recipients are counted apart: a rejected recipient has no device.
  const rejected = send.RecipientsRejected ? `; ${send.RecipientsRejected} recipient(s) rejected` : "";
  return h(
    "div",
    {},
    h("p", {}, "Status ", badge(send.Status, statusKind(send.Status)), ` — ${send.DevicesTargeted} device(s) for ${send.RecipientsAccepted} recipient(s): ${send.Sent} sent, ${send.Pending} pending${rejected}; ${send.NotSent} notification(s) not sent`),
    h("progress", { max: 1, value: share, "aria-label": "Send progress" }),
    table(
      [{ label: "Recipients accepted", num: true }, { label: "Rejected", num: true }, { label: "Devices", num: true }, { label: "Sent", num: true }, { label: "Not sent", num: true }, { label: "Pending", num: true }, { label: "Parked", num: true }],
      [h("tr", {}, [send.RecipientsAccepted, send.RecipientsRejected, send.DevicesTargeted, send.Sent, send.NotSent, send.Pending, send.Parked].map((v) => h("td", { class: "num" }, v)))],
      "Send totals",
    ),
    Object.keys(send.NotSentReasons).length ? h("p", {}, "Not sent: ", Object.entries(send.NotSentReasons).map(([reason, count]) => `${reason} ${count}`).join(", ")) : null,
    send.Scheduled?.length
      ? table(["Hour (UTC)", { label: "Recipients", num: true }, { label: "Devices", num: true }, { label: "Released", num: true }, "State"], send.Scheduled.map((s) => h("tr", {}, h("td", {}, formatDate(s.Hour)), h("td", { class: "num" }, s.Recipients), h("td", { class: "num" }, s.Devices), h("td", { class: "num" }, s.Released), h("td", {}, s.State))), "Scheduled hours")
      : null,
  );
}

function cancellable(send) {
  return !send.CanceledAt && (send.Scheduled || []).some((hour) => hour.State === "Pending");
}

// The ledger's recipient-level refusals: who was rejected when the send was made (any tab, any time).
async function rejectedRecipients(path) {
  const found = [];
  let next;
  do {
    const page = await api.get(`${path}/recipients`, { Outcome: "NotSent", Limit: 1000, NextToken: next });
    found.push(...page.Recipients.filter((r) => REJECTED_REASONS.has(r.Reason) && !r.Platform));
    next = page.NextToken;
  } while (next);
  return found;
}

export async function sendPage({ org, params: [sendId], rerender }) {
  const path = api.orgPath(org.OrgId, "sends", sendId);
  const send = await api.get(path);
  const [messageName, rejected] = await Promise.all([
    api.get(api.orgPath(org.OrgId, "pushmessages", send.MessageId)).then((m) => m.Name, () => send.MessageId),
    rejectedRecipients(path),
  ]);
  const totalsArea = h("section", { class: "card", "aria-labelledby": "progress", "aria-live": "polite" }, h("h2", { id: "progress" }, "Progress"), totals(send));
  const ledgerBody = h("div");
  const ledgerSlot = h("div");
  let next = null;
  const rows = [];
  async function loadLedger(reset) {
    if (reset) { rows.length = 0; next = null; }
    const page = await api.get(`${path}/recipients`, { Limit: 100, NextToken: next || undefined });
    next = page.NextToken;
    rows.push(...page.Recipients.map((r) => h("tr", {}, h("td", {}, r.UserId), h("td", {}, badge(r.Outcome, r.Outcome === "Sent" ? "ok" : "bad")), h("td", {}, r.Reason || "—"), h("td", {}, r.Platform ? platformName(r.Platform) : "—"), h("td", {}, r.Verdict || "—"), h("td", { class: "num" }, r.Attempts), h("td", { class: "mono" }, r.TrackingId || "—"), h("td", {}, formatDate(r.At)))));
    ledgerBody.replaceChildren(
      table(["User", "Outcome", "Reason", "Platform", "Verdict", { label: "Attempts", num: true }, "Tracking id", "At"], rows, "Send ledger"),
      next ? h("button", { type: "button", class: "secondary", onclick: () => guarded(ledgerSlot, () => loadLedger(false)) }, "More") : "",
    );
  }
  await loadLedger(true);
  const cancelSlot = h("div");
  const cancel = cancellable(send)
    ? h("div", { class: "actions spaced" }, h("button", {
      type: "button",
      class: "danger",
      onclick: () => {
        if (!window.confirm("Cancel the notifications of this send that are still held?")) return;
        guarded(cancelSlot, async () => {
          await api.post(`${path}/cancel`);
          announce("Send canceled");
          rerender();
        });
      },
    }, "Cancel send"))
    : null;
  const container = h(
    "div",
    {},
    h("h1", {}, `Send of ${messageName}`),
    h(
      "p",
      { class: "muted" },
      "Send ", h("code", {}, send.SendId), ", message ", h("a", { href: `#/messages/${encodeURIComponent(send.MessageId)}` }, messageName), ` v${send.MessageVersion}, created ${formatDate(send.CreatedAt)}`,
      send.Audience === "AllActiveDevices" ? ", to every active device of the app (broadcast)" : "",
    ),
    h("p", { "data-testid": "send-when" }, "Delivery: ", whenText(send), send.CanceledAt ? ` — canceled ${formatDate(send.CanceledAt)}` : ""),
    cancel,
    cancelSlot,
    totalsArea,
    rejected.length ? h("section", { class: "card" }, h("h2", {}, "Rejected recipients"), table(["User", "Reason"], rejected.map((r) => h("tr", {}, h("td", {}, r.UserId), h("td", {}, r.Reason))), "Rejected recipients")) : null,
    h("section", { class: "card", "aria-labelledby": "ledger" }, h("h2", { id: "ledger" }, "Ledger"), ledgerBody, ledgerSlot),
  );
  // Follow the send while it is moving (stops when the operator leaves the page); held hours wait.
  const hash = window.location.hash;
  const moving = (current) => ["InProgress", "Canceling"].includes(current.Status);
  async function poll() {
    if (window.location.hash !== hash || !container.isConnected) return;
    const current = await api.get(path);
    totalsArea.replaceChildren(h("h2", { id: "progress" }, "Progress"), totals(current));
    if (!moving(current)) {
      await loadLedger(true);
      announce(`Send ${current.Status.toLowerCase()}`);
      return;
    }
    window.setTimeout(() => poll().catch(() => {}), POLL_MS);
  }
  if (moving(send)) window.setTimeout(() => poll().catch(() => {}), POLL_MS);
  return container;
}
