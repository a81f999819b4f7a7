import * as api from "../api.js";
import { announce, badge, errorBox, field, formatDate, guarded, h, platformName, select, table } from "../dom.js";
import { personHref, searchFilter } from "./people.js";

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
        h("td", {}, { AllActiveDevices: "Broadcast", Segment: "Segment" }[s.Audience] || "Recipients"),
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

// Whom a new send goes to: named recipients, a saved segment, an ad-hoc filter, or the broadcast.
const AUDIENCES = [
  ["Recipients", "Named recipients"],
  ["Segment", "A saved segment"],
  ["Filter", "People matching a filter"],
  ["AllActiveDevices", "Every active device of the app (broadcast)"],
];
const FILTER_KINDS = [["contacts", "Contacts"], ["leads", "Leads"], ["profiles", "Customer profiles"]];
// Typing pauses this long before the filter is counted, so each keystroke is not a directory read.
const PREVIEW_DELAY_MS = 500;

async function savedSegments(org) {
  const found = [];
  let next;
  do {
    const page = await api.get(api.orgPath(org.OrgId, "segments"), { MaxResults: 100, NextToken: next });
    found.push(...page.Segments);
    next = page.NextToken;
  } while (next);
  return found.sort((a, b) => a.Name.localeCompare(b.Name));
}

function personName(person) {
  return [person.FirstName, person.LastName].filter(Boolean).join(" ") || "—";
}

// What POST .../audiences/preview answered: who a send to this audience reaches now.
function previewView(found) {
  const devices = found.Devices;
  const noDevice = Math.max(0, found.Matched - found.NoConsent - found.People);
  return h(
    "div",
    {},
    h("p", {}, h("strong", {}, `${found.People} ${found.People === 1 ? "person" : "people"} on ${devices.Total} device(s)`), ` now (${devices.Ios} iOS, ${devices.Android} Android). ${found.Matched} matched: ${found.NoConsent} without push consent, ${noDevice} without an active device of the app.`),
    table(
      [{ label: "People", num: true }, { label: "Devices", num: true }, { label: "iOS", num: true }, { label: "Android", num: true }, { label: "Matched", num: true }, { label: "No push consent", num: true }],
      [h("tr", {}, [found.People, devices.Total, devices.Ios, devices.Android, found.Matched, found.NoConsent].map((v) => h("td", { class: "num" }, v)))],
      "Audience preview",
    ),
    found.Sample.length
      ? table(["Sample (up to ten)", "Name", "Email", "Record type"], found.Sample.map((p) => h("tr", {}, h("td", { class: "mono" }, h("a", { href: personHref(p.Kind, p.PersonId) }, p.PersonId)), h("td", {}, personName(p)), h("td", {}, p.Email || "—"), h("td", {}, p.Kind))), "Audience sample")
      : null,
  );
}

// The org's saved segments: listed with their filters, created and deleted here; onChange follows each change.
function segmentsCard(org, segments, onChange) {
  const listArea = h("div", { "aria-live": "polite" });
  const listSlot = h("div");
  function drawList() {
    listArea.replaceChildren(table(
      ["Name", "Record type", "Filter", "Description", "Updated", { label: "Actions" }],
      segments.map((s) => h(
        "tr",
        {},
        h("td", {}, s.Name),
        h("td", {}, s.Kind),
        h("td", { class: "mono" }, s.Filter),
        h("td", {}, s.Description || "—"),
        h("td", {}, formatDate(s.UpdatedAt)),
        h("td", {}, h("button", {
          type: "button",
          class: "danger",
          "aria-label": `Delete segment ${s.Name}`,
          onclick: () => {
            if (!window.confirm(`Delete the segment ${s.Name}? Sends already made keep the filter they read.`)) return;
            guarded(listSlot, async () => {
              await api.del(api.orgPath(org.OrgId, "segments", s.SegmentId));
              segments.splice(segments.indexOf(s), 1);
              drawList();
              onChange();
              announce(`Segment ${s.Name} deleted`);
            });
          },
        }, "Delete")),
      )),
      "Saved segments",
    ));
  }
  drawList();
  const name = h("input", { type: "text", name: "segment-name", required: true, maxlength: 256 });
  const filterText = h("textarea", { name: "segment-filter", rows: 2, class: "mono", spellcheck: "false", required: true });
  const kind = select(FILTER_KINDS, { name: "segment-kind" });
  const description = h("input", { type: "text", name: "segment-description" });
  const createSlot = h("div");
  const form = h(
    "form",
    {
      "aria-labelledby": "new-segment",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(createSlot, async () => {
          const body = { Name: name.value.trim(), Filter: filterText.value.trim(), Kind: kind.value };
          if (description.value.trim()) body.Description = description.value.trim();
          const created = await api.post(api.orgPath(org.OrgId, "segments"), body);
          segments.push(created);
          segments.sort((a, b) => a.Name.localeCompare(b.Name));
          drawList();
          onChange();
          for (const input of [name, filterText, description]) input.value = "";
          announce(`Segment ${created.Name} saved`);
        });
      },
    },
    h("h3", { id: "new-segment" }, "New segment"),
    h("div", { class: "grid" }, field("Segment name", name), field("Segment record type", kind), field("Segment description (optional)", description)),
    field("Segment filter", filterText, "The OData $filter, checked when saved; a send or preview reads it as it is then."),
    createSlot,
    h("button", { type: "submit", class: "secondary" }, "Save segment"),
  );
  return h("section", { class: "card", "aria-labelledby": "segments-heading" }, h("h2", { id: "segments-heading" }, "Saved segments"), listArea, listSlot, form);
}

export async function sendsPage({ org }) {
  const apps = await api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps");
  const allMessages = await api.all(api.orgPath(org.OrgId, "pushmessages"), "PushMessages");
  const segments = await savedSegments(org);
  const messages = allMessages.filter((m) => m.Status === "Active");
  const app = select(apps.map((a) => [a.MobileAppId, a.Name]), { name: "send-app" });
  const message = select(messages.map((m) => [m.MessageId, `${m.Name} (v${m.Version})`]), { name: "send-message" });
  const audience = select(AUDIENCES, { name: "send-audience" });
  const recipients = h("textarea", { name: "send-recipients", rows: 6, class: "mono", placeholder: "one per line: a user id, an email or a phone number" });
  const recipientsField = field("Recipients", recipients, "One per line: a directory user id, an email or a phone number (looked up in contacts, leads and profiles). At most 10,000; duplicates are dropped.");
  const segment = select([], { name: "send-segment" });
  function fillSegments() {
    const chosen = segment.value;
    const options = segments.length ? [["", "Choose a segment"], ...segments.map((s) => [s.SegmentId, `${s.Name} (${s.Kind})`])] : [["", "No saved segment yet"]];
    segment.replaceChildren(...options.map(([value, text]) => h("option", { value }, text)));
    segment.value = segments.some((s) => s.SegmentId === chosen) ? chosen : "";
  }
  fillSegments();
  const segmentFilter = h("p", { class: "hint mono", dataset: { testid: "segment-filter" } });
  const segmentField = h("div", {}, field("Saved segment", segment, "Segments are named filters over the directory, kept below (or with pushgate segments create)."), segmentFilter);
  const filter = h("textarea", { name: "send-filter", rows: 3, class: "mono", spellcheck: "false", placeholder: "address1_city eq 'Berlin' and customattributes/tier in ('gold','platinum')" });
  const filterKind = select(FILTER_KINDS, { name: "send-filter-kind" });
  const filterSlot = h("div");
  const filterField = h(
    "div",
    {},
    h("div", { class: "grid" }, field("OData $filter", filter, "Any standard or custom attribute (customattributes/tier) with eq, ne, gt, ge, lt, le, in, contains, startswith, endswith, and, or, not."), field("Record type", filterKind)),
    filterSlot,
  );
  const previewArea = h("div", { "aria-live": "polite", dataset: { testid: "audience-preview" } });
  const previewCard = h("section", { class: "card", "aria-labelledby": "audience-heading" }, h("h3", { id: "audience-heading" }, "Who it reaches now"), previewArea);
  const when = select([["now", "Now"], ["SendAt", "At a moment (UTC)"], ["SendAtLocalTime", "At a time of day in each recipient's time zone"]], { name: "send-when" });
  const sendAt = h("input", { type: "datetime-local", name: "send-at", step: 60 });
  const localTime = h("input", { type: "text", name: "send-at-local", placeholder: "09:00 or 2026-12-24T09:00" });
  const sendAtField = field("Send at (UTC)", sendAt, "Up to 30 days ahead.");
  const localField = field("Local time", localTime, "The next 09:00 for each recipient, or a date and time.");
  const whenField = field("When", when);
  const journey = h("input", { type: "text", name: "send-journey" });

  // The Audience body of a send or preview for the current choice; null for named recipients.
  function chosenAudience() {
    if (audience.value === "AllActiveDevices") return "AllActiveDevices";
    if (audience.value === "Segment") return segment.value ? { SegmentId: segment.value } : null;
    if (audience.value === "Filter") return filter.value.trim() ? { Filter: filter.value.trim(), Kind: filterKind.value } : null;
    return null;
  }

  // The newest preview wins: an answer to an older choice (slow, or typed over) is dropped.
  let previewed = null;
  let previewRound = 0;
  let previewTimer = null;
  async function refreshPreview() {
    window.clearTimeout(previewTimer);
    previewRound += 1;
    const round = previewRound;
    previewed = null;
    filterSlot.replaceChildren();
    filter.removeAttribute("aria-invalid");
    filter.setAttribute("aria-describedby", `${filter.id}-hint`);
    const body = chosenAudience();
    previewCard.hidden = body === null || !app.value;
    if (previewCard.hidden) {
      previewArea.replaceChildren();
      return;
    }
    previewArea.replaceChildren(h("p", { class: "muted" }, "Counting…"));
    try {
      const found = await api.post(api.orgPath(org.OrgId, "audiences", "preview"), { MobileAppId: app.value, Audience: body });
      if (round !== previewRound) return;
      previewed = { body, found };
      previewArea.replaceChildren(previewView(found));
    } catch (error) {
      if (round !== previewRound) return;
      // A refused filter is named beside the field it came from; anything else in the preview.
      if (audience.value === "Filter" && error.status === 400) {
        previewArea.replaceChildren(h("p", { class: "muted" }, "Nothing counted: the filter was refused."));
        const refusal = errorBox(error);
        refusal.id = `${filter.id}-error`;
        filter.setAttribute("aria-invalid", "true");
        filter.setAttribute("aria-describedby", `${filter.id}-hint ${refusal.id}`);
        filterSlot.replaceChildren(refusal);
      } else {
        previewArea.replaceChildren(errorBox(error));
      }
    }
  }
  function previewSoon() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(() => refreshPreview(), PREVIEW_DELAY_MS);
  }

  function showParts() {
    const choice = audience.value;
    recipientsField.hidden = choice !== "Recipients";
    segmentField.hidden = choice !== "Segment";
    filterField.hidden = choice !== "Filter";
    const chosen = segments.find((s) => s.SegmentId === segment.value);
    segmentFilter.replaceChildren(chosen ? `${chosen.Kind}: ${chosen.Filter}` : "");
    // A broadcast goes out at once (the API refuses a schedule with it).
    const broadcast = choice === "AllActiveDevices";
    whenField.hidden = broadcast;
    sendAtField.hidden = broadcast || when.value !== "SendAt";
    localField.hidden = broadcast || when.value !== "SendAtLocalTime";
  }
  audience.addEventListener("change", () => { showParts(); refreshPreview(); });
  segment.addEventListener("change", () => { showParts(); refreshPreview(); });
  app.addEventListener("change", () => refreshPreview());
  filterKind.addEventListener("change", () => refreshPreview());
  filter.addEventListener("input", previewSoon);
  when.addEventListener("change", showParts);
  showParts();
  previewCard.hidden = true;

  function confirmAudience(body) {
    const counted = previewed && JSON.stringify(previewed.body) === JSON.stringify(body) ? previewed.found : null;
    const reach = counted ? ` (${counted.People} people on ${counted.Devices.Total} device(s) when counted)` : "";
    if (body === "AllActiveDevices") return window.confirm(`Send to every active device of the app${reach}?`);
    return window.confirm(`Send to everyone the ${body.SegmentId ? "segment" : "filter"} matches${reach}?`);
  }

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
          if (audience.value === "Recipients") {
            const lines = parseRecipients(recipients.value);
            if (!lines.length) throw new api.ApiError(0, "Required", "name at least one recipient", [{ Field: "Recipients", Problem: "is empty: give a user id, an email or a phone number per line" }]);
            body.Recipients = (await resolveRecipients(org, lines)).map((UserId) => ({ UserId }));
          } else {
            const chosen = chosenAudience();
            if (chosen === null && audience.value === "Segment") throw new api.ApiError(0, "Required", "choose a segment", [{ Field: "Audience.SegmentId", Problem: "is empty: choose a saved segment" }]);
            if (chosen === null) throw new api.ApiError(0, "Required", "give a filter", [{ Field: "Audience.Filter", Problem: "is empty: give an OData $filter over the directory" }]);
            if (!confirmAudience(chosen)) return;
            body.Audience = chosen;
          }
          if (audience.value !== "AllActiveDevices") {
            if (when.value === "SendAt") {
              if (!sendAt.value) throw new api.ApiError(0, "Required", "choose when", [{ Field: "SendAt", Problem: "is empty: choose a date and time (UTC)" }]);
              body.SendAt = `${sendAt.value.length === 16 ? `${sendAt.value}:00` : sendAt.value}Z`;
            } else if (when.value === "SendAtLocalTime") {
              body.SendAtLocalTime = localTime.value.trim();
            }
          }
          if (journey.value.trim()) body.JourneyId = journey.value.trim();
          const created = await api.post(api.orgPath(org.OrgId, "sends"), body);
          announce(body.Recipients ? `Send accepted for ${created.Accepted} recipient(s)` : "Send accepted");
          window.location.hash = `#/sends/${encodeURIComponent(created.SendId)}`;
        });
      },
    },
    h("h2", { id: "new-send" }, "New send"),
    !apps.length || !messages.length ? h("p", {}, "A send needs an app and an Active message.") : null,
    h("div", { class: "grid" }, field("App", app), field("Message (Active only)", message), field("Audience", audience)),
    recipientsField,
    segmentField,
    filterField,
    previewCard,
    h("div", { class: "grid" }, whenField, sendAtField, localField),
    field("Journey id (optional)", journey),
    slot,
    h("button", { type: "submit", disabled: !apps.length || !messages.length }, "Send"),
  );
  // A segment saved or deleted below is offered (or no longer) at once; a deleted choice is dropped.
  const segmentsSection = segmentsCard(org, segments, () => {
    const before = segment.value;
    fillSegments();
    showParts();
    if (audience.value === "Segment" && segment.value !== before) refreshPreview();
  });
  const history = historyCard(org, apps, allMessages);
  await history.ready;
  return h("div", {}, h("h1", {}, "Sends"), form, segmentsSection, history.card);
}

// How a send's page names its audience: a broadcast, a saved segment or a filter (with the filter read).
function audienceText(audience, segmentName) {
  if (audience === "AllActiveDevices") return ", to every active device of the app (broadcast)";
  if (!audience?.Filter) return "";
  const segment = audience.SegmentId ? ["the saved segment ", segmentName ? h("strong", {}, segmentName) : h("code", {}, audience.SegmentId), ", "] : "";
  return [", to ", segment, `the ${audience.Kind} matching `, h("code", { dataset: { testid: "send-filter" } }, audience.Filter)];
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
  const segmentId = send.Audience?.SegmentId;
  const [messageName, rejected, segmentName] = await Promise.all([
    api.get(api.orgPath(org.OrgId, "pushmessages", send.MessageId)).then((m) => m.Name, () => send.MessageId),
    rejectedRecipients(path),
    // The send keeps the filter it read; the segment may since have been renamed or deleted.
    segmentId ? api.get(api.orgPath(org.OrgId, "segments", segmentId)).then((s) => s.Name, () => null) : null,
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
      audienceText(send.Audience, segmentName),
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
