import * as api from "../api.js";
import { announce, badge, checkbox, field, formatDate, guarded, h, platformName, readFileBase64, readFileText, select, table } from "../dom.js";

function statusBadge(check) {
  if (!check) return badge("not configured", "muted");
  const kind = { Valid: "ok", Invalid: "bad" }[check.Status] || "warn";
  return badge(check.Status, kind);
}

function credentialCells(app) {
  return ["Ios", "Android"].map((platform) => h("td", {}, app[platform] ? statusBadge(app.CredentialValidation[platform]) : badge("—", "muted")));
}

// The credential part of a create or edit form: .p8 or .p12 upload for iOS, service-account JSON for Android.
function credentialFields({ editing = false } = {}) {
  const iosMode = select([["", editing ? "Keep the current iOS credentials" : "No iOS app"], ["Token", "Token (.p8 auth key)"], ["Certificate", "Certificate (.p12)"]], { name: "ios-auth-mode" });
  const appMode = select([["Sandbox", "Sandbox"], ["Production", "Production"]], { name: "ios-app-mode" });
  const p8 = h("input", { type: "file", name: "ios-p8", accept: ".p8" });
  const keyId = h("input", { type: "text", name: "ios-key-id", maxlength: 10 });
  const teamId = h("input", { type: "text", name: "ios-team-id", maxlength: 10 });
  const bundleId = h("input", { type: "text", name: "ios-bundle-id" });
  const p12 = h("input", { type: "file", name: "ios-p12", accept: ".p12,.pfx" });
  const password = h("input", { type: "password", name: "ios-p12-password", autocomplete: "off" });
  const serviceAccount = h("input", { type: "file", name: "android-service-account", accept: ".json,application/json" });
  const tokenPart = h("div", { hidden: true }, field("Auth key (.p8)", p8, "Key ID defaults to the AuthKey_<KeyID>.p8 file name."), field("Key ID", keyId), field("Team ID", teamId), field("Bundle ID", bundleId));
  const certificatePart = h("div", { hidden: true }, field("Certificate (.p12)", p12), field("Certificate password", password));
  const commonPart = h("div", { hidden: true }, field("APNs environment", appMode));
  p8.addEventListener("change", () => {
    const found = p8.files[0]?.name.match(/^AuthKey_([A-Z0-9]{10})\.p8$/);
    if (found && !keyId.value) keyId.value = found[1];
  });
  iosMode.addEventListener("change", () => {
    tokenPart.hidden = iosMode.value !== "Token";
    certificatePart.hidden = iosMode.value !== "Certificate";
    commonPart.hidden = !iosMode.value;
  });
  const element = h(
    "div",
    {},
    h("fieldset", {}, h("legend", {}, "iOS (APNs)"), field("iOS credentials", iosMode), commonPart, tokenPart, certificatePart),
    h("fieldset", {}, h("legend", {}, "Android (FCM HTTP v1)"), field("Service account JSON", serviceAccount, "The Firebase service-account key file (not google-services.json).")),
  );
  async function values() {
    const body = {};
    // A chosen iOS mode without its file is a mistake to name, never a platform silently dropped.
    if (iosMode.value === "Token" && !p8.files[0]) {
      throw new api.ApiError(0, "MissingFile", "choose the .p8 auth key file", [{ Field: "Ios.SigningKey", Problem: "token mode needs the .p8 auth key file (AuthKey_<KeyID>.p8)" }]);
    }
    if (iosMode.value === "Certificate" && !p12.files[0]) {
      throw new api.ApiError(0, "MissingFile", "choose the .p12 certificate file", [{ Field: "Ios.Certificate", Problem: "certificate mode needs the .p12 file" }]);
    }
    if (iosMode.value === "Token") {
      body.Ios = { AuthMode: "Token", AppMode: appMode.value, KeyId: keyId.value.trim(), TeamId: teamId.value.trim(), BundleId: bundleId.value.trim(), SigningKey: await readFileText(p8.files[0]) };
    } else if (iosMode.value === "Certificate") {
      body.Ios = { AuthMode: "Certificate", AppMode: appMode.value, Certificate: await readFileBase64(p12.files[0]), CertificatePassword: password.value };
    }
    if (serviceAccount.files[0]) {
      const text = await readFileText(serviceAccount.files[0]);
      try {
        body.Android = { ServiceAccountJson: JSON.parse(text) };
      } catch {
        throw new api.ApiError(0, "InvalidFile", "the service-account file is not JSON", [{ Field: "Android.ServiceAccountJson", Problem: "is not valid JSON" }]);
      }
    }
    return body;
  }
  return { element, values };
}

export async function appsPage({ org }) {
  const apps = await api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps");
  const rows = apps.map((app) =>
    h("tr", {}, h("td", {}, h("a", { href: `#/apps/${encodeURIComponent(app.MobileAppId)}` }, app.Name)), ...credentialCells(app), h("td", {}, formatDate(app.CreatedAt))),
  );
  const name = h("input", { type: "text", name: "app-name", required: true, maxlength: 256 });
  const description = h("textarea", { name: "app-description", maxlength: 2000 });
  // Off unless asked for, as in the CLI: resolving lets an app's token look people up by email or phone.
  const resolve = checkbox("Apps may resolve users by email or phone", { name: "user-resolve" });
  const credentials = credentialFields();
  const slot = h("div");
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "new-app",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(slot, async () => {
          const body = { Name: name.value, Description: description.value, UserResolveEnabled: resolve.input.checked, ...(await credentials.values()) };
          const created = await api.post(api.orgPath(org.OrgId, "mobileapps"), body);
          announce(`App ${created.Name} created`);
          window.location.hash = `#/apps/${encodeURIComponent(created.MobileAppId)}`;
        });
      },
    },
    h("h2", { id: "new-app" }, "New app"),
    field("App name", name),
    field("Description", description),
    resolve.element,
    credentials.element,
    slot,
    h("button", { type: "submit" }, "Create app"),
  );
  return h("div", {}, h("h1", {}, "Apps"), table(["App", "iOS credentials", "Android credentials", "Created"], rows, "Apps of the org"), h("h2", {}, "Add an app"), form);
}

// The setup checklist, from what the operator API already tells: credential checks, the app's
// tokens (a token's LastUsedAt is set when a device route accepted it), and the app's insights.
async function setupChecklist(org, app, tokens) {
  const from = new Date(Date.now() - 365 * 86400000).toISOString().slice(0, 10);
  const insights = await api.get(api.orgPath(org.OrgId, "insights", "apps", app.MobileAppId), { From: from });
  const checks = Object.values(app.CredentialValidation);
  const steps = [
    ["Credentials valid", checks.length > 0 && checks.every((c) => c.Status === "Valid"), checks.map((c) => c.Status).join(", ") || "no platform configured"],
    ["Access token issued", tokens.length > 0, `${tokens.length} live token(s)`],
    ["First device registered", tokens.some((t) => t.LastUsedAt) || insights.Overall.Sent > 0, "a device route accepted one of the app's tokens"],
    ["First open received", insights.Overall.Opened > 0, `${insights.Overall.Opened} open(s) in the last year`],
  ];
  return h(
    "ol",
    { class: "checklist", "aria-label": "Setup checklist" },
    steps.map(([label, done, detail]) =>
      h("li", { class: done ? "done" : "todo" }, h("span", { class: "mark", "aria-hidden": "true" }, done ? "✓" : "○"), h("span", {}, h("strong", {}, label), ` — ${done ? "done" : "not yet"}`, h("span", { class: "muted" }, ` (${detail})`))),
    ),
  );
}

function metadataRows(app) {
  const rows = [];
  for (const platform of ["Ios", "Android"]) {
    if (!app[platform]) continue;
    for (const [key, value] of Object.entries(app[platform])) {
      rows.push(h("tr", {}, h("td", {}, platformName(platform)), h("td", {}, key), h("td", { class: "mono" }, typeof value === "object" ? JSON.stringify(value) : String(value))));
    }
  }
  return rows;
}

export async function appPage({ org, params: [appId], rerender }) {
  const base = api.orgPath(org.OrgId, "mobileapps", appId);
  const [app, { Tokens: tokens }, info] = await Promise.all([api.get(base), api.get(`${base}/tokens`), api.get(`${base}/developer-info`)]);
  const validateSlot = h("div");
  const credentialTable = table(
    ["Platform", "Status", "Reason", "Checked"],
    Object.entries(app.CredentialValidation).map(([platform, check]) => h("tr", {}, h("td", {}, platformName(platform)), h("td", {}, statusBadge(check)), h("td", {}, check.Reason || "—"), h("td", {}, formatDate(check.CheckedAt)))),
    "Credential status",
  );
  const validate = h("button", {
    type: "button",
    onclick: () => guarded(validateSlot, async () => {
      await api.post(`${base}/validate`);
      announce("Credentials checked");
      rerender();
    }),
  }, "Check credentials with APNs and FCM");

  const name = h("input", { type: "text", name: "edit-app-name", value: app.Name, required: true });
  const description = h("textarea", { name: "edit-app-description" }, app.Description);
  const resolve = checkbox("Apps may resolve users by email or phone", { name: "edit-user-resolve", checked: app.UserResolveEnabled });
  const credentials = credentialFields({ editing: true });
  const editSlot = h("div");
  const edit = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "edit-app",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(editSlot, async () => {
          await api.patch(base, { Name: name.value, Description: description.value, UserResolveEnabled: resolve.input.checked, ...(await credentials.values()) });
          announce("App saved");
          rerender();
        });
      },
    },
    h("h2", { id: "edit-app" }, "Edit"),
    field("App name", name),
    field("Description", description),
    resolve.element,
    h("p", { class: "hint" }, "Upload new credentials only to replace them; platforms left empty keep theirs."),
    credentials.element,
    editSlot,
    h("button", { type: "submit" }, "Save app"),
  );
  const deleteSlot = h("div");
  return h(
    "div",
    {},
    h("h1", {}, app.Name),
    h("p", { class: "muted" }, "App id ", h("code", {}, app.MobileAppId), app.Description ? ` — ${app.Description}` : ""),
    h("p", {}, h("a", { href: `#/delivery/${encodeURIComponent(appId)}` }, "Delivery policy →"), " · ", h("a", { href: `#/cleanup/${encodeURIComponent(appId)}` }, "Token policy and cleanup →")),
    h("section", { class: "card", "aria-labelledby": "setup" }, h("h2", { id: "setup" }, "Setup checklist"), await setupChecklist(org, app, tokens)),
    h("section", { class: "card", "aria-labelledby": "creds" }, h("h2", { id: "creds" }, "Credential status"), credentialTable, h("div", { class: "actions" }, validate), validateSlot, h("h3", {}, "Configuration (no secrets)"), table(["Platform", "Setting", "Value"], metadataRows(app), "Credential metadata")),
    h("section", { class: "card", "aria-labelledby": "devinfo" }, h("h2", { id: "devinfo" }, "Developer information"), h("p", {}, "Endpoint ", h("code", {}, info.PublicEndpoint), ", organization ", h("code", {}, info.OrganizationId), ", application ", h("code", {}, info.ApplicationId), "."), h("p", {}, h("a", { href: `#/tokens/${encodeURIComponent(appId)}` }, `Access tokens (${tokens.length}) →`))),
    edit,
    h("div", { class: "actions" }, h("button", {
      type: "button",
      class: "danger",
      onclick: () => {
        if (!window.confirm(`Delete ${app.Name} with its tokens and secrets?`)) return;
        guarded(deleteSlot, async () => { await api.del(base); window.location.hash = "#/apps"; });
      },
    }, "Delete app")),
    deleteSlot,
  );
}

