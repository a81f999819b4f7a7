import * as api from "../api.js";
import { announce, badge, field, formatDate, guarded, h, select, table } from "../dom.js";
import * as session from "../session.js";

const POLL_MS = 1000;

export function parseRecipients(text) {
  const seen = new Set();
  for (const line of text.split(/[\n,]/)) {
    const value = line.trim();
    if (value && !value.startsWith("#")) seen.add(value);
  }
  return [...seen];
}

export async function sendsPage({ org }) {
  const apps = await api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps");
  const messages = (await api.all(api.orgPath(org.OrgId, "pushmessages"), "PushMessages")).filter((m) => m.Status === "Active");
  const app = select(apps.map((a) => [a.MobileAppId, a.Name]), { name: "send-app" });
  const message = select(messages.map((m) => [m.MessageId, `${m.Name} (v${m.Version})`]), { name: "send-message" });
  const recipients = h("textarea", { name: "send-recipients", rows: 6, class: "mono", required: true, placeholder: "one user id per line" });
  const journey = h("input", { type: "text", name: "send-journey" });
  const slot = h("div");
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "new-send",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(slot, async () => {
          const users = parseRecipients(recipients.value);
          const body = { MobileAppId: app.value, MessageId: message.value, Recipients: users.map((UserId) => ({ UserId })), IdempotencyKey: crypto.randomUUID() };
          if (journey.value.trim()) body.JourneyId = journey.value.trim();
          const created = await api.post(api.orgPath(org.OrgId, "sends"), body);
          session.remember("sends", { SendId: created.SendId, MessageId: message.value, MessageName: message.selectedOptions[0]?.textContent, At: new Date().toISOString(), Accepted: created.Accepted, Rejected: created.Rejected }, "SendId");
          announce(`Send accepted for ${created.Accepted} recipient(s)`);
          window.location.hash = `#/sends/${encodeURIComponent(created.SendId)}`;
        });
      },
    },
    h("h2", { id: "new-send" }, "New send"),
    !apps.length || !messages.length ? h("p", {}, "A send needs an app and an Active message.") : null,
    h("div", { class: "grid" }, field("App", app), field("Message (Active only)", message)),
    field("Recipients", recipients, "Directory user ids, one per line (at most 10,000; duplicates are dropped)."),
    field("Journey id (optional)", journey),
    slot,
    h("button", { type: "submit", disabled: !apps.length || !messages.length }, "Send"),
  );
  const sendId = h("input", { type: "text", name: "open-send", class: "mono", required: true });
  const open = h("form", { class: "card", "aria-labelledby": "open-send", onsubmit: (e) => { e.preventDefault(); window.location.hash = `#/sends/${encodeURIComponent(sendId.value.trim())}`; } }, h("h2", { id: "open-send" }, "Open a send"), field("Send id", sendId), h("button", { type: "submit", class: "secondary" }, "Open send"));
  const known = session.get("sends", []).map((s) => h("tr", {}, h("td", {}, h("a", { href: `#/sends/${encodeURIComponent(s.SendId)}` }, s.SendId)), h("td", {}, s.MessageName || s.MessageId), h("td", { class: "num" }, s.Accepted), h("td", {}, formatDate(s.At))));
  return h("div", {}, h("h1", {}, "Sends"), form, open, h("h2", {}, "Sends made in this tab"), table(["Send", "Message", { label: "Accepted", num: true }, "At"], known, "Sends made in this tab"));
}

function totals(send) {
  const share = send.Status === "Completed" ? 1 : send.Expected ? (send.Expected - send.Pending - send.Parked) / send.Expected : 0;
  return h(
    "div",
    {},
    h("p", {}, "Status ", badge(send.Status, send.Status === "Completed" ? "ok" : "warn"), ` — ${send.Sent} sent, ${send.NotSent} not sent, ${send.Pending} pending of ${send.Expected} device(s)`),
    h("progress", { max: 1, value: share, "aria-label": "Send progress" }),
    table(
      [{ label: "Recipients accepted", num: true }, { label: "Rejected", num: true }, { label: "Devices", num: true }, { label: "Sent", num: true }, { label: "Not sent", num: true }, { label: "Pending", num: true }, { label: "Parked", num: true }],
      [h("tr", {}, [send.RecipientsAccepted, send.RecipientsRejected, send.DevicesTargeted, send.Sent, send.NotSent, send.Pending, send.Parked].map((v) => h("td", { class: "num" }, v)))],
      "Send totals",
    ),
    Object.keys(send.NotSentReasons).length ? h("p", {}, "Not sent: ", Object.entries(send.NotSentReasons).map(([reason, count]) => `${reason} ${count}`).join(", ")) : null,
  );
}

export async function sendPage({ org, params: [sendId] }) {
  const path = api.orgPath(org.OrgId, "sends", sendId);
  const send = await api.get(path);
  const remembered = session.get("sends", []).find((s) => s.SendId === sendId);
  const totalsArea = h("section", { class: "card", "aria-labelledby": "progress", "aria-live": "polite" }, h("h2", { id: "progress" }, "Progress"), totals(send));
  const ledgerBody = h("div");
  const ledgerSlot = h("div");
  let next = null;
  const rows = [];
  async function loadLedger(reset) {
    if (reset) { rows.length = 0; next = null; }
    const page = await api.get(`${path}/recipients`, { Limit: 100, NextToken: next || undefined });
    next = page.NextToken;
    rows.push(...page.Recipients.map((r) => h("tr", {}, h("td", {}, r.UserId), h("td", {}, badge(r.Outcome, r.Outcome === "Sent" ? "ok" : "bad")), h("td", {}, r.Reason || "—"), h("td", {}, r.Platform || "—"), h("td", {}, r.Verdict || "—"), h("td", { class: "num" }, r.Attempts), h("td", { class: "mono" }, r.TrackingId || "—"), h("td", {}, formatDate(r.At)))));
    ledgerBody.replaceChildren(
      table(["User", "Outcome", "Reason", "Platform", "Verdict", { label: "Attempts", num: true }, "Tracking id", "At"], rows, "Send ledger"),
      next ? h("button", { type: "button", class: "secondary", onclick: () => guarded(ledgerSlot, () => loadLedger(false)) }, "More") : "",
    );
  }
  await loadLedger(true);
  const container = h(
    "div",
    {},
    h("h1", {}, "Send"),
    h("p", { class: "muted" }, "Send ", h("code", {}, send.SendId), ", message ", h("a", { href: `#/messages/${encodeURIComponent(send.MessageId)}` }, h("code", {}, send.MessageId)), ` v${send.MessageVersion}, created ${formatDate(send.CreatedAt)}`),
    totalsArea,
    remembered?.Rejected?.length ? h("section", { class: "card" }, h("h2", {}, "Rejected recipients"), table(["User", "Reason"], remembered.Rejected.map((r) => h("tr", {}, h("td", {}, r.UserId), h("td", {}, r.Reason))), "Rejected recipients")) : null,
    h("section", { class: "card", "aria-labelledby": "ledger" }, h("h2", { id: "ledger" }, "Ledger"), ledgerBody, ledgerSlot),
  );
  // Follow the send until it completes (stops when the operator leaves the page).
  const hash = window.location.hash;
  async function poll() {
    if (window.location.hash !== hash || !container.isConnected) return;
    const current = await api.get(path);
    totalsArea.replaceChildren(h("h2", { id: "progress" }, "Progress"), totals(current));
    if (current.Status === "Completed") {
      await loadLedger(true);
      announce("Send completed");
      return;
    }
    window.setTimeout(() => poll().catch(() => {}), POLL_MS);
  }
  if (send.Status !== "Completed") window.setTimeout(() => poll().catch(() => {}), POLL_MS);
  return container;
}
