import * as api from "../api.js";
import { announce, field, formatDate, guarded, h, select, table } from "../dom.js";

export async function tokensPage({ org, params: [chosen], rerender }) {
  const apps = await api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps");
  if (!apps.length) return h("div", {}, h("h1", {}, "Access tokens"), h("p", {}, "Create an app first: ", h("a", { href: "#/apps" }, "Apps"), "."));
  const appId = chosen || apps[0].MobileAppId;
  const picker = select(apps.map((a) => [a.MobileAppId, a.Name]), { name: "token-app" });
  picker.value = appId;
  picker.addEventListener("change", () => { window.location.hash = `#/tokens/${encodeURIComponent(picker.value)}`; });
  const base = api.orgPath(org.OrgId, "mobileapps", appId, "tokens");
  const listSlot = h("div");
  const list = h("div");
  const row = (token) =>
    h(
      "tr",
      {},
      h("td", {}, token.Label || h("span", { class: "muted" }, "(no label)")),
      h("td", { class: "mono" }, token.TokenId),
      h("td", {}, formatDate(token.CreatedAt)),
      h("td", {}, formatDate(token.LastUsedAt)),
      h("td", {}, h("button", {
        type: "button",
        class: "danger",
        onclick: () => guarded(listSlot, async () => {
          await api.del(`${base}/${api.enc(token.TokenId)}`);
          announce("Token revoked");
          rerender();
        }),
      }, `Revoke ${token.Label || token.TokenId}`)),
    );
  // The live list is read again after each issue, so a new token shows at once (never its secret).
  async function showTokens() {
    const { Tokens: tokens } = await api.get(base);
    list.replaceChildren(table(["Label", "Token id", "Created", "Last used", ""], tokens.map(row), "Live tokens"));
  }
  await showTokens();
  const label = h("input", { type: "text", name: "token-label", maxlength: 128 });
  const issuedSlot = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "issue-token",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(issuedSlot, async () => {
          const issued = await api.post(base, { Label: label.value });
          await showTokens();
          const secret = h("div", { class: "secret", tabindex: "0", "aria-label": "The new access token" }, issued.ApiToken);
          issuedSlot.replaceChildren(
            h(
              "div",
              { class: "notice" },
              h("p", {}, h("strong", {}, "Copy this token now: it is shown once and never again."), " Apps send it as ", h("code", {}, "ApiToken"), "."),
              secret,
              h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => navigator.clipboard?.writeText(issued.ApiToken).then(() => announce("Copied")) }, "Copy token"), h("button", { type: "button", class: "secondary", onclick: rerender }, "Done")),
            ),
          );
          announce("Token issued; shown once");
          secret.focus();
        });
      },
    },
    h("h2", { id: "issue-token" }, "Issue a token"),
    field("Token label", label, "For example ios-prod; the label is all that lists show."),
    h("button", { type: "submit" }, "Issue token"),
  );
  return h(
    "div",
    {},
    h("h1", {}, "Access tokens"),
    field("App", picker),
    form,
    issuedSlot,
    h("h2", {}, "Live tokens"),
    listSlot,
    list,
  );
}
