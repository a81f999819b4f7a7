import * as api from "../api.js";
import { announce, field, formatDate, guarded, h, table } from "../dom.js";
import * as session from "../session.js";

export async function orgsPage({ rerender }) {
  const name = h("input", { type: "text", name: "org-name", required: true, maxlength: 256 });
  const createSlot = h("div");
  const create = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "create-org",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(createSlot, async () => {
          const org = await api.post("/admin/v1/orgs", { Name: name.value });
          session.useOrg(org);
          announce(`Org ${org.Name} created`);
          window.location.hash = "#/apps";
        });
      },
    },
    h("h2", { id: "create-org" }, "Create an org"),
    field("Org name", name),
    createSlot,
    h("button", { type: "submit" }, "Create org"),
  );

  const orgId = h("input", { type: "text", name: "org-id", required: true, class: "mono" });
  const openSlot = h("div");
  const open = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "open-org",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(openSlot, async () => {
          const org = await api.get(api.orgPath(orgId.value.trim()));
          session.useOrg(org);
          announce(`Now working in ${org.Name}`);
          rerender();
        });
      },
    },
    h("h2", { id: "open-org" }, "Open an org"),
    field("Org id", orgId, "The OrgId of an existing org (the CLI's --org)."),
    openSlot,
    h("button", { type: "submit", class: "secondary" }, "Open org"),
  );

  const current = session.currentOrg();
  const listSlot = h("div");
  const listBody = h("div", { "aria-live": "polite" });
  const rows = [];
  let next = null;
  const row = (org) =>
    h(
      "tr",
      {},
      h("td", {}, org.Name, current?.OrgId === org.OrgId ? " (current)" : ""),
      h("td", { class: "mono" }, org.OrgId),
      h("td", {}, formatDate(org.CreatedAt)),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => { session.useOrg(org); rerender(); } }, `Use ${org.Name}`)),
    );
  // Every org of the deployment, a page at a time (the API's order).
  async function loadOrgs() {
    const page = await api.get("/admin/v1/orgs", { MaxResults: 50, NextToken: next || undefined });
    next = page.NextToken;
    rows.push(...page.Orgs.map(row));
    listBody.replaceChildren(
      table(["Name", "Org id", "Created", ""], rows, "Orgs"),
      next ? h("button", { type: "button", class: "secondary", onclick: () => guarded(listSlot, loadOrgs) }, "More orgs") : "",
    );
  }
  await guarded(listSlot, loadOrgs);
  let currentCard = null;
  if (current) {
    const org = await api.get(api.orgPath(current.OrgId));
    currentCard = h(
      "section",
      { class: "card", "aria-labelledby": "current-org" },
      h("h2", { id: "current-org" }, `Current org: ${org.Name}`),
      h("p", {}, "Id ", h("code", {}, org.OrgId), `, created ${formatDate(org.CreatedAt)}.`),
      h("p", {}, h("a", { href: "#/apps" }, "Set up its apps →")),
    );
  }
  return h(
    "div",
    {},
    h("h1", {}, "Orgs"),
    currentCard,
    h("section", { class: "card", "aria-labelledby": "all-orgs" }, h("h2", { id: "all-orgs" }, "All orgs"), listBody, listSlot),
    h("div", { class: "grid" }, create, open),
  );
}
