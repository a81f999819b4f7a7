// Per-app policies: delivery (time zone, quiet hours, caps) and tokens (staleness, grace, cleanup).
import * as api from "../api.js";
import { announce, checkbox, field, formatDate, guarded, h, select, table } from "../dom.js";

// The app picker both pages share: the chosen app lives in the address (#/delivery/<appId>).
async function pickApp(org, chosen, route) {
  const apps = await api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps");
  if (!apps.length) return { apps };
  const appId = apps.some((a) => a.MobileAppId === chosen) ? chosen : apps[0].MobileAppId;
  const picker = select(apps.map((a) => [a.MobileAppId, a.Name]), { name: `${route}-app` });
  picker.value = appId;
  picker.addEventListener("change", () => { window.location.hash = `#/${route}/${encodeURIComponent(picker.value)}`; });
  return { apps, appId, picker, app: apps.find((a) => a.MobileAppId === appId) };
}

function noApps(title) {
  return h("div", {}, h("h1", {}, title), h("p", {}, "Create an app first: ", h("a", { href: "#/apps" }, "Apps"), "."));
}

function number(name, value, min, max) {
  // No min/max: the API checks the range and names the field, as it does for every other mistake.
  return h("input", { type: "number", name, step: 1, value, inputmode: "numeric", "data-range": `${min}-${max}` });
}

function capRow(values, onRemove) {
  const name = h("input", { type: "text", name: "cap-category", value: values.name || "", maxlength: 64 });
  const max = number("cap-max", values.MaxNotifications ?? 1, 1, 1000);
  const period = number("cap-period", values.PeriodHours ?? 24, 1, 720);
  const element = h(
    "fieldset",
    { class: "inline-fields" },
    h("legend", {}, "Category cap"),
    field("Category", name),
    field("At most", max),
    field("Per hours", period),
    h("button", { type: "button", class: "danger", onclick: () => onRemove(element) }, "Remove category cap"),
  );
  return { element, read: () => [name.value.trim(), { MaxNotifications: Number(max.value), PeriodHours: Number(period.value) }] };
}

export async function deliveryPolicyPage({ org, params: [chosen], rerender }) {
  const { app, appId, picker } = await pickApp(org, chosen, "delivery");
  if (!app) return noApps("Delivery policy");
  const path = api.orgPath(org.OrgId, "mobileapps", appId, "delivery-policy");
  const policy = await api.get(path);
  const zone = h("input", { type: "text", name: "policy-zone", value: policy.DefaultTimeZone, list: "time-zones", autocomplete: "off" });
  const zones = h("datalist", { id: "time-zones" }, (Intl.supportedValuesOf?.("timeZone") || []).map((z) => h("option", { value: z })));
  const quiet = checkbox("Hold notifications during quiet hours", { name: "policy-quiet", checked: Boolean(policy.QuietHours) });
  const quietStart = h("input", { type: "time", name: "policy-quiet-start", value: policy.QuietHours?.Start || "21:00" });
  const quietEnd = h("input", { type: "time", name: "policy-quiet-end", value: policy.QuietHours?.End || "08:00" });
  const quietPart = h("div", { class: "grid", hidden: !policy.QuietHours }, field("Quiet from", quietStart), field("Quiet until", quietEnd, "In each recipient's time zone; 21:00 to 08:00 crosses midnight."));
  quiet.input.addEventListener("change", () => { quietPart.hidden = !quiet.input.checked; });
  const cap = checkbox("Cap notifications per person", { name: "policy-cap", checked: Boolean(policy.FrequencyCap) });
  const capMax = number("policy-cap-max", policy.FrequencyCap?.MaxNotifications ?? 3, 1, 1000);
  const capPeriod = number("policy-cap-period", policy.FrequencyCap?.PeriodHours ?? 24, 1, 720);
  const capPart = h("div", { class: "grid", hidden: !policy.FrequencyCap }, field("At most (notifications)", capMax), field("In any (hours)", capPeriod, "A rolling window, from 1 to 720 hours."));
  cap.input.addEventListener("change", () => { capPart.hidden = !cap.input.checked; });
  const caps = [];
  const capList = h("div");
  function addCap(values = {}) {
    const row = capRow(values, (element) => { caps.splice(caps.findIndex((r) => r.element === element), 1); element.remove(); });
    caps.push(row);
    capList.append(row.element);
  }
  for (const [name, values] of Object.entries(policy.CategoryCaps || {})) addCap({ name, ...values });
  const slot = h("div");
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "delivery-form",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(slot, async () => {
          const body = { DefaultTimeZone: zone.value.trim() };
          if (quiet.input.checked) body.QuietHours = { Start: quietStart.value, End: quietEnd.value };
          if (cap.input.checked) body.FrequencyCap = { MaxNotifications: Number(capMax.value), PeriodHours: Number(capPeriod.value) };
          if (caps.length) body.CategoryCaps = Object.fromEntries(caps.map((row) => row.read()));
          await api.put(path, body);
          announce("Delivery policy saved");
          rerender();
        });
      },
    },
    h("h2", { id: "delivery-form" }, "Policy"),
    field("Default time zone", zone, "IANA name (Europe/Lisbon), Windows id or Dataverse timezonecode; for recipients whose zone is unknown."),
    zones,
    quiet.element,
    quietPart,
    cap.element,
    capPart,
    h("h3", {}, "Caps per message category"),
    capList,
    h("button", { type: "button", class: "secondary", onclick: () => addCap() }, "Add category cap"),
    slot,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save delivery policy")),
  );
  const summary = [
    `Default time zone ${policy.DefaultTimeZone} (${policy.DefaultTimeZoneResolved})`,
    policy.QuietHours ? `quiet ${policy.QuietHours.Start} to ${policy.QuietHours.End}` : "no quiet hours",
    policy.FrequencyCap ? `at most ${policy.FrequencyCap.MaxNotifications} per ${policy.FrequencyCap.PeriodHours} h` : "no cap",
  ].join("; ");
  return h(
    "div",
    {},
    h("h1", {}, "Delivery policy"),
    field("App", picker),
    h("p", { "data-testid": "delivery-summary" }, summary, policy.IsDefault ? " — the defaults (never saved)." : `. Saved ${formatDate(policy.UpdatedAt)}.`),
    form,
  );
}

function cleanupReport(report) {
  return h(
    "div",
    {},
    h("p", {}, `${report.DryRun ? "Would change" : "Changed"} as of ${formatDate(report.AsOf)}: ${report.Purged} purged, ${report.MarkedStale} marked stale, ${report.Skipped} skipped.`),
    table(
      ["App", "Action", "Reason", { label: "Devices", num: true }],
      report.Changes.map((c) => h("tr", {}, h("td", { class: "mono" }, c.AppId), h("td", {}, c.Action), h("td", {}, c.Reason), h("td", { class: "num" }, c.Count))),
      report.DryRun ? "Cleanup preview" : "Cleanup run",
    ),
  );
}

export async function tokenPolicyPage({ org, params: [chosen], rerender }) {
  const { app, appId, picker } = await pickApp(org, chosen, "cleanup");
  if (!app) return noApps("Token cleanup");
  const path = api.orgPath(org.OrgId, "mobileapps", appId, "token-policy");
  const policy = await api.get(path);
  const staleAfter = number("token-stale-after", policy.StaleAfterDays, 7, 3650);
  const invalidGrace = number("token-invalid-grace", policy.InvalidGraceDays, 0, 365);
  const staleGrace = number("token-stale-grace", policy.StaleGraceDays, 0, 365);
  const slot = h("div");
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "token-policy",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(slot, async () => {
          await api.put(path, { StaleAfterDays: Number(staleAfter.value), InvalidGraceDays: Number(invalidGrace.value), StaleGraceDays: Number(staleGrace.value) });
          announce("Token policy saved");
          rerender();
        });
      },
    },
    h("h2", { id: "token-policy" }, "Token policy"),
    h("p", { class: "muted" }, policy.IsDefault ? "The defaults (never saved)." : `Saved ${formatDate(policy.UpdatedAt)}.`),
    h(
      "div",
      { class: "grid" },
      field("Stale after (days)", staleAfter, "A device not registered again for this long is marked Stale (7 to 3650)."),
      field("Invalid grace (days)", invalidGrace, "An Invalid device is purged this long after APNs or FCM refused it."),
      field("Stale grace (days)", staleGrace, "A Stale device is purged this long after it went stale."),
    ),
    slot,
    h("button", { type: "submit" }, "Save token policy"),
  );
  const scope = select([["app", `This app (${app.Name})`], ["org", "Every app of the org"]], { name: "cleanup-scope" });
  const result = h("div", { "aria-live": "polite" });
  const previewSlot = h("div");
  const preview = h(
    "section",
    { class: "card", "aria-labelledby": "cleanup-preview" },
    h("h2", { id: "cleanup-preview" }, "Cleanup preview"),
    h("p", { class: "muted" }, "What the scheduled cleanup would change now, changing nothing."),
    field("Scope", scope),
    h("button", {
      type: "button",
      onclick: () => guarded(previewSlot, async () => {
        const report = await api.post(api.orgPath(org.OrgId, "cleanup", "preview"), scope.value === "app" ? { AppId: appId } : {});
        result.replaceChildren(cleanupReport(report));
        announce(`Cleanup would purge ${report.Purged} and mark ${report.MarkedStale} stale`);
      }),
    }, "Preview cleanup"),
    previewSlot,
    result,
  );
  return h("div", {}, h("h1", {}, "Token cleanup"), field("App", picker), form, preview);
}
