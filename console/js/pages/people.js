import * as api from "../api.js";
import { announce, checkbox, field, guarded, h, select, table } from "../dom.js";

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

function personRow(kind, person) {
  const name = person.fullname || [person.firstname, person.lastname].filter(Boolean).join(" ");
  return h(
    "tr",
    {},
    h("td", { class: "mono" }, person[ID_FIELD[kind]]),
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
          addSlot.replaceChildren(h("div", { class: "notice" }, "Saved ", h("code", {}, created[ID_FIELD[addKind.value]])));
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
