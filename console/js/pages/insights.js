import * as api from "../api.js";
import { SERIES, dailyChart } from "../chart.js";
import { announce, field, guarded, h, percent, select, table } from "../dom.js";

function isoDay(offsetDays) {
  return new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
}

async function exportRecords(org, dimension, id, format) {
  const parts = [];
  let next;
  do {
    const response = await api.request("GET", api.orgPath(org.OrgId, "insights", dimension, id, "interactions"), { query: { Format: format, Limit: 1000, NextToken: next }, raw: true });
    let text = await response.text();
    // Each CSV page repeats the header row; keep the first.
    if (format === "csv" && parts.length) text = text.slice(text.indexOf("\n") + 1);
    parts.push(text);
    next = response.headers.get("x-next-token");
  } while (next);
  const blob = new Blob(parts, { type: format === "csv" ? "text/csv" : "application/x-ndjson" });
  const link = h("a", { href: URL.createObjectURL(blob), download: `${dimension}-${id}.${format}` }, `Download ${dimension}-${id}.${format}`);
  return link;
}

export async function insightsPage({ org }) {
  const messages = await api.all(api.orgPath(org.OrgId, "pushmessages"), "PushMessages");
  const apps = await api.all(api.orgPath(org.OrgId, "mobileapps"), "MobileApps");
  const dimension = select([["messages", "Message"], ["apps", "App"], ["journeys", "Journey"]], { name: "insights-dimension" });
  const messageId = select(messages.map((m) => [m.MessageId, m.Name]), { name: "insights-message" });
  const appId = select(apps.map((a) => [a.MobileAppId, a.Name]), { name: "insights-app" });
  const journeyId = h("input", { type: "text", name: "insights-journey" });
  const pickers = { messages: field("Message", messageId), apps: field("App", appId), journeys: field("Journey id", journeyId) };
  // Text, not type="date": a date picker shows the browser's locale (MM/DD/YYYY in en-US) under a
  // "UTC day" label, while the API and the CLI speak ISO days.
  const utcDay = (name, value) => h("input", { type: "text", name, value, required: true, pattern: "\\d{4}-\\d{2}-\\d{2}", placeholder: "YYYY-MM-DD", inputmode: "numeric", autocomplete: "off", size: 10 });
  const from = utcDay("insights-from", isoDay(-13));
  const to = utcDay("insights-to", isoDay(0));
  const result = h("div", { "aria-live": "polite" });
  const slot = h("div");
  const chosenId = () => ({ messages: messageId.value, apps: appId.value, journeys: journeyId.value.trim() })[dimension.value];
  function showPicker() {
    for (const [key, element] of Object.entries(pickers)) element.hidden = key !== dimension.value;
  }
  dimension.addEventListener("change", showPicker);
  showPicker();
  async function load() {
    const id = chosenId();
    if (!id) return;
    const insights = await api.get(api.orgPath(org.OrgId, "insights", dimension.value, id), { From: from.value, To: to.value });
    const overall = insights.Overall;
    const exportSlot = h("div");
    const exportButton = (format) => h("button", { type: "button", class: "secondary", onclick: () => guarded(exportSlot, async () => { const link = await exportRecords(org, dimension.value, id, format); exportSlot.replaceChildren(link); link.click(); announce("Export ready"); }) }, `Export ${format.toUpperCase()}`);
    result.replaceChildren(
      h(
        "section",
        { class: "card", "aria-labelledby": "overall" },
        h("h2", { id: "overall" }, `Overall, ${insights.From} to ${insights.To}`),
        table(
          [{ label: "Sent", num: true }, { label: "Not sent", num: true }, { label: "Opens", num: true }, { label: "Unique opens", num: true }, { label: "Clicks", num: true }, { label: "Unique clicks", num: true }, { label: "Open rate", num: true }, { label: "Click-through rate", num: true }, { label: "Click-to-open rate", num: true }],
          [h("tr", { "data-testid": "insights-overall" }, [overall.Sent, overall.NotSent, overall.Opened, overall.UniqueOpens, overall.Clicks, overall.UniqueClicks].map((v) => h("td", { class: "num" }, v)), [overall.OpenRate, overall.ClickThroughRate, overall.ClickToOpenRate].map((r) => h("td", { class: "num" }, percent(r))))],
          "Overall totals and rates",
        ),
      ),
      h(
        "section",
        { class: "card chart", "aria-labelledby": "per-day" },
        h("h2", { id: "per-day" }, "Per day"),
        h("div", { class: "legend", "aria-hidden": "true" }, SERIES.map(([key, , label]) => h("span", { class: `swatch-${key}` }, label))),
        dailyChart(insights.Days, `Sent, unique opens and unique clicks per day, ${insights.From} to ${insights.To}`),
        h("details", {}, h("summary", {}, "The numbers per day"), table(["Day", { label: "Sent", num: true }, { label: "Unique opens", num: true }, { label: "Unique clicks", num: true }, { label: "Open rate", num: true }], insights.Days.map((d) => h("tr", {}, h("td", {}, d.Day), h("td", { class: "num" }, d.Sent), h("td", { class: "num" }, d.UniqueOpens), h("td", { class: "num" }, d.UniqueClicks), h("td", { class: "num" }, percent(d.OpenRate)))), "Per day")),
      ),
      dimension.value === "apps" ? "" : h("section", { class: "card", "aria-labelledby": "export" }, h("h2", { id: "export" }, "Export interactions"), h("div", { class: "actions" }, exportButton("ndjson"), exportButton("csv")), exportSlot),
    );
    announce("Insights loaded");
  }
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "insights-of", onsubmit: (event) => { event.preventDefault(); guarded(slot, load); } },
    h("h2", { id: "insights-of" }, "Show insights"),
    h("div", { class: "grid" }, field("Of", dimension), pickers.messages, pickers.apps, pickers.journeys, field("From (UTC day)", from, "YYYY-MM-DD"), field("To (UTC day)", to, "YYYY-MM-DD")),
    slot,
    h("button", { type: "submit" }, "Show"),
  );
  if (messages.length) guarded(slot, load);
  return h("div", {}, h("h1", {}, "Insights"), form, result);
}
