import * as api from "../api.js";
import { placeholders, tagFor } from "../attributes.js";
import { announce, badge, errorBox, field, formatDate, guarded, h, platformName, select, table } from "../dom.js";
import * as session from "../session.js";
import { androidShade, iosLockScreen } from "../preview.js";

const IDENTITY = ["MessageId", "OrgId", "Status", "Version", "CreatedAt", "UpdatedAt", "StatusChangedAt"];
const PREVIEW_DELAY_MS = 200;

function statusBadge(status) {
  return badge(status, { Active: "ok", Draft: "warn", Inactive: "muted" }[status] || "muted");
}

export async function messagesPage({ org }) {
  const messages = await api.all(api.orgPath(org.OrgId, "pushmessages"), "PushMessages");
  const rows = messages.map((m) =>
    h("tr", {}, h("td", {}, h("a", { href: `#/messages/${encodeURIComponent(m.MessageId)}` }, m.Name)), h("td", {}, statusBadge(m.Status)), h("td", { class: "num" }, m.Version), h("td", {}, m.Title), h("td", {}, formatDate(m.UpdatedAt))),
  );
  return h(
    "div",
    {},
    h("h1", {}, "Messages"),
    h("p", {}, h("a", { href: "#/messages/new", class: "button-link" }, "New message")),
    table(["Name", "Status", { label: "Version", num: true }, "Title", "Updated"], rows, "Push messages"),
  );
}

function localizationRow(values, onChange, onRemove) {
  const locale = h("input", { type: "text", name: "loc-locale", value: values.locale || "", placeholder: "pt-BR", required: true });
  const title = h("input", { type: "text", name: "loc-title", value: values.Title || "" });
  const subtitle = h("input", { type: "text", name: "loc-subtitle", value: values.Subtitle || "" });
  const body = h("textarea", { name: "loc-body" }, values.Body || "");
  for (const input of [locale, title, subtitle, body]) input.addEventListener("input", onChange);
  const element = h(
    "fieldset",
    {},
    h("legend", {}, "Localization"),
    field("Localization locale", locale),
    field("Localized title", title),
    field("Localized subtitle", subtitle),
    field("Localized body", body),
    h("button", { type: "button", class: "danger", onclick: () => onRemove(element) }, "Remove localization"),
  );
  return { element, read: () => [locale.value.trim(), { Title: title.value, ...(subtitle.value ? { Subtitle: subtitle.value } : {}), Body: body.value }], inputs: [title, subtitle, body] };
}

export async function messageEditorPage({ org, params: [messageId], rerender }) {
  const isNew = messageId === "new";
  const base = api.orgPath(org.OrgId, "pushmessages");
  const saved = isNew ? null : await api.get(`${base}/${api.enc(messageId)}`);
  const apps = await api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps");
  // Content fields the editor does not show (Data, Ios, Android, TTL...) are kept and previewed as saved.
  const kept = {};
  for (const [key, value] of Object.entries(saved || {})) if (!IDENTITY.includes(key) && value !== null) kept[key] = value;

  const name = h("input", { type: "text", name: "message-name", required: true, maxlength: 256, value: saved?.Name || "" });
  const title = h("input", { type: "text", name: "message-title", value: saved?.Title || "" });
  const subtitle = h("input", { type: "text", name: "message-subtitle", value: saved?.Subtitle || "" });
  const body = h("textarea", { name: "message-body" }, saved?.Body || "");
  const imageUrl = h("input", { type: "url", name: "message-image", value: saved?.ImageUrl || "", placeholder: "https://cdn.example.com/banner.png" });
  const onClick = select([["OpenApp", "Open the app"], ["OpenUrl", "Open a URL"]], { name: "message-onclick" });
  onClick.value = saved?.OnClick?.Behavior || "OpenApp";
  const url = h("input", { type: "text", name: "message-url", value: saved?.OnClick?.Url || "", placeholder: "https://example.com/offer or myapp://offer" });
  const urlField = field("On-click URL", url, "https or an app scheme; the rest may be personalized.");
  urlField.hidden = onClick.value !== "OpenUrl";

  // The personalization picker inserts at the caret of the text field last focused.
  let target = title;
  const texts = [title, subtitle, body, url];
  const trackFocus = (input) => input.addEventListener("focus", () => { target = input; });
  texts.forEach(trackFocus);
  const placeholder = select(placeholders().map((p) => [p, p]), { name: "picker-attribute" });
  const customName = h("input", { type: "text", name: "picker-name", placeholder: "orderNumber" });
  const customField = field("Name", customName, "Replaces <name>.");
  customField.hidden = true;
  placeholder.addEventListener("change", () => { customField.hidden = !placeholder.value.includes("<name>"); });
  const fallback = h("input", { type: "text", name: "picker-default", placeholder: "there" });
  const insert = h("button", {
    type: "button",
    class: "secondary",
    onclick: () => {
      const path = placeholder.value.replace("<name>", customName.value.trim() || "name");
      const tag = tagFor(path, fallback.value);
      const start = target.selectionStart ?? target.value.length;
      const end = target.selectionEnd ?? start;
      target.value = target.value.slice(0, start) + tag + target.value.slice(end);
      target.focus();
      target.setSelectionRange(start + tag.length, start + tag.length);
      schedulePreview();
      announce(`Inserted ${tag}`);
    },
  }, "Insert placeholder");
  const picker = h("fieldset", {}, h("legend", {}, "Personalization"), field("Attribute to insert", placeholder, "Inserted where the cursor was in the title, subtitle, body or URL."), customField, field("Default when missing", fallback), insert);

  const localizations = [];
  const localizationList = h("div");
  function addLocalization(values = {}) {
    const row = localizationRow(values, schedulePreview, (element) => {
      localizations.splice(localizations.findIndex((r) => r.element === element), 1);
      element.remove();
      schedulePreview();
    });
    row.inputs.forEach(trackFocus);
    localizations.push(row);
    localizationList.append(row.element);
  }
  for (const [locale, values] of Object.entries(saved?.Localizations || {})) addLocalization({ locale, ...values });

  // Whom the preview renders for.
  // Kept for the tab, so that saving (which reloads the page) keeps whom the operator previews for.
  const sample = session.get("previewSample", { Contact: JSON.stringify({ firstname: "Ana" }), Locale: "" });
  const sampleContact = h("textarea", { name: "sample-contact", class: "mono" }, sample.Contact);
  const sampleLocale = h("input", { type: "text", name: "sample-locale", placeholder: "en (default texts)", value: sample.Locale });
  const keepSample = () => session.set("previewSample", { Contact: sampleContact.value, Locale: sampleLocale.value });
  sampleContact.addEventListener("input", keepSample);
  sampleLocale.addEventListener("input", keepSample);
  const previewApp = select([["", "(no app)"], ...apps.map((a) => [a.MobileAppId, a.Name])], { name: "preview-app" });
  if (apps.length) previewApp.value = apps[0].MobileAppId;

  function content() {
    const document = { ...kept, Name: name.value, Title: title.value, Body: body.value, OnClick: onClick.value === "OpenUrl" ? { Behavior: "OpenUrl", Url: url.value } : { Behavior: "OpenApp" } };
    if (subtitle.value) document.Subtitle = subtitle.value;
    else delete document.Subtitle;
    if (imageUrl.value.trim()) document.ImageUrl = imageUrl.value.trim();
    else delete document.ImageUrl;
    if (localizations.length) document.Localizations = Object.fromEntries(localizations.map((row) => row.read()));
    else delete document.Localizations;
    return document;
  }

  const previewProblems = h("div", { class: "preview-meta" });
  const previewWarnings = h("div", { class: "preview-meta" });
  const previewArea = h("div", { class: "previews", "aria-live": "polite", "aria-busy": "false" });
  const appName = () => apps.find((a) => a.MobileAppId === previewApp.value)?.Name || "Your app";
  previewArea.append(iosLockScreen(null, appName()), androidShade(null, appName()), previewWarnings, previewProblems);
  let previewSequence = 0;
  let previewTimer = null;
  async function refreshPreview() {
    previewSequence += 1;
    const mine = previewSequence;
    if (!title.value.trim() && !body.value.trim()) {
      previewProblems.replaceChildren(h("p", { class: "muted" }, "Type a title and a body to see them on both devices."));
      previewArea.dataset.state = "empty";
      return;
    }
    let contact;
    try {
      contact = sampleContact.value.trim() ? JSON.parse(sampleContact.value) : undefined;
    } catch {
      previewProblems.replaceChildren(errorBox({ message: "The sample contact is not JSON", details: [{ Field: "Contact", Problem: "is not valid JSON" }] }));
      previewArea.dataset.state = "error";
      return;
    }
    const message = content();
    if (!message.Name.trim()) delete message.Name; // an unsaved message may have no name yet
    previewArea.setAttribute("aria-busy", "true");
    try {
      const preview = await api.post(`${base}/preview`, { Message: message, Contact: contact, Locale: sampleLocale.value.trim() || undefined, MobileAppId: previewApp.value || undefined });
      if (mine !== previewSequence) return;
      const warnings = preview.Warnings.filter((w) => w.Field !== "MobileAppId" || previewApp.value);
      previewArea.replaceChildren(iosLockScreen(preview, appName()), androidShade(preview, appName()), previewWarnings, previewProblems);
      previewWarnings.replaceChildren(warnings.length ? h("ul", { class: "warnings", "aria-label": "Preview warnings" }, warnings.map((w) => h("li", {}, h("code", {}, w.Field), ` ${w.Warning}`))) : "");
      previewProblems.replaceChildren();
      previewArea.dataset.state = "fresh";
    } catch (error) {
      if (mine !== previewSequence) return;
      // The last good rendering stays; the problem (field and character) shows under it.
      previewProblems.replaceChildren(errorBox(error));
      previewArea.dataset.state = "error";
    } finally {
      if (mine === previewSequence) previewArea.setAttribute("aria-busy", "false");
    }
  }
  function schedulePreview() {
    window.clearTimeout(previewTimer);
    previewArea.dataset.state = "pending";
    previewTimer = window.setTimeout(refreshPreview, PREVIEW_DELAY_MS);
  }
  for (const input of [name, title, subtitle, body, imageUrl, url, sampleContact, sampleLocale]) input.addEventListener("input", schedulePreview);
  for (const control of [onClick, previewApp]) control.addEventListener("change", schedulePreview);
  onClick.addEventListener("change", () => { urlField.hidden = onClick.value !== "OpenUrl"; });

  const saveSlot = h("div");
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "content-heading",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(saveSlot, async () => {
          if (isNew) {
            const created = await api.post(base, content());
            announce("Message saved as a draft");
            window.location.hash = `#/messages/${encodeURIComponent(created.MessageId)}`;
            return;
          }
          const change = content();
          // A merge-patch: fields emptied in the editor are removed.
          for (const key of ["Subtitle", "ImageUrl", "Localizations"]) if (!(key in change)) change[key] = null;
          await api.patch(`${base}/${api.enc(messageId)}`, change);
          announce("Saved as a new version");
          rerender();
        });
      },
    },
    h("h2", { id: "content-heading" }, "Content"),
    field("Message name", name, "For operators; never sent."),
    field("Title", title),
    field("Subtitle", subtitle, "iOS shows it under the title."),
    field("Body", body),
    field("Image URL", imageUrl),
    field("On click", onClick),
    urlField,
    picker,
    h("h3", {}, "Localizations"),
    localizationList,
    h("button", { type: "button", class: "secondary", onclick: () => { addLocalization(); schedulePreview(); } }, "Add localization"),
    h("fieldset", {}, h("legend", {}, "Preview for"), field("Sample contact attributes (JSON)", sampleContact), field("Preview locale", sampleLocale, "Picks the matching localization, as a recipient's locale would."), field("App", previewApp, "Its iOS bundle id is the apns-topic.")),
    saveSlot,
    h("div", { class: "actions" }, h("button", { type: "submit" }, isNew ? "Save draft" : "Save new version")),
  );

  const lifecycle = isNew ? null : lifecycleCard(base, saved, rerender);
  const testSend = isNew ? null : testSendCard(base, saved, apps, () => ({ Contact: (() => { try { return JSON.parse(sampleContact.value || "null") || undefined; } catch { return undefined; } })(), Locale: sampleLocale.value.trim() || undefined }));
  refreshPreview();
  return h(
    "div",
    {},
    h("h1", {}, isNew ? "New message" : saved.Name),
    saved ? h("p", {}, statusBadge(saved.Status), ` version ${saved.Version}, updated ${formatDate(saved.UpdatedAt)}`) : null,
    h("div", { class: "editor" }, form, h("section", { "aria-label": "Device previews" }, previewArea)),
    lifecycle,
    testSend,
  );
}

function lifecycleCard(base, saved, rerender) {
  const slot = h("div");
  const path = `${base}/${api.enc(saved.MessageId)}`;
  const transition = (action, label) => h("button", {
    type: "button",
    class: action === "activate" ? null : "secondary",
    onclick: () => guarded(slot, async () => { await api.post(`${path}/${action}`); announce(label); rerender(); }),
  }, action === "activate" ? "Activate" : "Deactivate");
  return h(
    "section",
    { class: "card", "aria-labelledby": "lifecycle" },
    h("h2", { id: "lifecycle" }, "Status"),
    h("p", {}, "Only Active messages go out in sends. Currently ", statusBadge(saved.Status), "."),
    h("div", { class: "actions" }, saved.Status === "Active" ? transition("deactivate", "Deactivated") : transition("activate", "Activated")),
    slot,
  );
}

function testSendCard(base, saved, apps, sample) {
  const app = select(apps.map((a) => [a.MobileAppId, a.Name]), { name: "testsend-app" });
  const mode = select([["UserId", "A user's devices"], ["DeviceToken", "One device token"]], { name: "testsend-mode" });
  const userId = h("input", { type: "text", name: "testsend-user" });
  const token = h("input", { type: "text", name: "testsend-token", class: "mono" });
  const platform = select([["Ios", "iOS"], ["Android", "Android"]], { name: "testsend-platform" });
  const userPart = field("User id", userId, "Every Active device of this user for the app.");
  const tokenPart = h("div", { hidden: true }, field("Device token", token), field("Platform", platform));
  mode.addEventListener("change", () => { userPart.hidden = mode.value !== "UserId"; tokenPart.hidden = mode.value === "UserId"; });
  const slot = h("div", { "aria-live": "polite" });
  return h(
    "form",
    {
      class: "card",
      "aria-labelledby": "testsend",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(slot, async () => {
          // A user's test renders for that user (their attributes and locale); a bare token, for the sample contact.
          const body = { MobileAppId: app.value };
          if (mode.value === "UserId") body.UserId = userId.value.trim();
          else Object.assign(body, { DeviceToken: token.value.trim(), Platform: platform.value, ...sample() });
          const sent = await api.post(`${base}/${api.enc(saved.MessageId)}/testsend`, body);
          slot.replaceChildren(
            h("p", {}, `Test send ${sent.TestSendId}: ${sent.Results.length} device(s).`),
            table(["Platform", "Device token", "Verdict", "Status", "Reason"], sent.Results.map((r) => h("tr", {}, h("td", {}, platformName(r.Platform)), h("td", { class: "mono" }, r.DeviceToken), h("td", {}, badge(r.Verdict, r.Verdict === "delivered" ? "ok" : "bad")), h("td", {}, r.Status ?? "—"), h("td", {}, r.Reason || "—"))), "Test send results"),
          );
          announce(`Test send: ${sent.Results.map((r) => r.Verdict).join(", ")}`);
        });
      },
    },
    h("h2", { id: "testsend" }, "Test send"),
    h("p", { class: "muted" }, "Sends the saved version now, in any status, with an empty trackingId."),
    apps.length ? null : h("p", {}, "Create an app first."),
    h("div", { class: "grid" }, field("App", app), field("Send to", mode)),
    userPart,
    tokenPart,
    h("button", { type: "submit", disabled: !apps.length }, "Send test"),
    slot,
  );
}
