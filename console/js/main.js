// The console's shell: configuration, sign-in, and a hash router over the pages.
import * as api from "./api.js";
import { awsCredentials, completeSignIn, discardCredentials, forgetCredentials, signInPage, signOut } from "./auth.js";
import { errorBox, h } from "./dom.js";
import * as session from "./session.js";
import { orgsPage } from "./pages/orgs.js";
import { appsPage, appPage } from "./pages/apps.js";
import { tokensPage } from "./pages/tokens.js";
import { peoplePage, personPage } from "./pages/people.js";
import { deliveryPolicyPage, tokenPolicyPage } from "./pages/policies.js";
import { messagesPage, messageEditorPage } from "./pages/messages.js";
import { sendsPage, sendPage } from "./pages/sends.js";
import { insightsPage } from "./pages/insights.js";

const ROUTES = [
  [/^#\/orgs$/, orgsPage, false],
  [/^#\/apps$/, appsPage, true],
  [/^#\/apps\/([^/]+)$/, appPage, true],
  [/^#\/tokens$/, tokensPage, true],
  [/^#\/tokens\/([^/]+)$/, tokensPage, true],
  [/^#\/people$/, peoplePage, true],
  [/^#\/people\/([^/]+)\/([^/]+)$/, personPage, true],
  [/^#\/delivery$/, deliveryPolicyPage, true],
  [/^#\/delivery\/([^/]+)$/, deliveryPolicyPage, true],
  [/^#\/cleanup$/, tokenPolicyPage, true],
  [/^#\/cleanup\/([^/]+)$/, tokenPolicyPage, true],
  [/^#\/messages$/, messagesPage, true],
  [/^#\/messages\/([^/]+)$/, messageEditorPage, true],
  [/^#\/sends$/, sendsPage, true],
  [/^#\/sends\/([^/]+)$/, sendPage, true],
  [/^#\/insights$/, insightsPage, true],
];

const main = document.getElementById("main");

function showOrg() {
  const org = session.currentOrg();
  document.getElementById("org-indicator").textContent = org ? `Org: ${org.Name} (${org.OrgId})` : "No org chosen";
}

function markNav(hash) {
  for (const link of document.querySelectorAll("nav a")) {
    const current = hash === link.getAttribute("href") || hash.startsWith(`${link.getAttribute("href")}/`);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

let renderCount = 0;
async function render() {
  const hash = window.location.hash || "#/orgs";
  renderCount += 1;
  const mine = renderCount;
  markNav(hash);
  showOrg();
  const found = ROUTES.map(([pattern, page, needsOrg]) => [hash.match(pattern), page, needsOrg]).find(([match]) => match);
  if (!found) {
    window.location.hash = "#/orgs";
    return;
  }
  const [match, page, needsOrg] = found;
  const org = session.currentOrg();
  if (needsOrg && !org) {
    window.location.hash = "#/orgs";
    return;
  }
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    const content = await page({ org, params: match.slice(1).map(decodeURIComponent), rerender: render });
    if (mine !== renderCount) return; // the operator moved on meanwhile
    main.replaceChildren(content);
  } catch (error) {
    if (mine !== renderCount) return;
    main.replaceChildren(h("h1", {}, "Something went wrong"), errorBox(error));
  }
  const heading = main.querySelector("h1");
  if (heading) document.title = `${heading.textContent} · Pushgate console`;
  main.focus({ preventScroll: true });
}

let signedIn = false;

function showSignIn() {
  signedIn = false;
  document.getElementById("nav").hidden = true;
  document.getElementById("sign-out").hidden = true;
  main.replaceChildren(signInPage(start));
  main.querySelector("input, button")?.focus();
}

function start() {
  signedIn = true;
  document.getElementById("nav").hidden = false;
  const out = document.getElementById("sign-out");
  out.hidden = false;
  out.onclick = signOut;
  window.removeEventListener("hashchange", render);
  window.addEventListener("hashchange", render);
  render();
}

async function boot() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) api.configure(await response.json());
  } catch {
    // no config.json: same-origin defaults
  }
  api.signWith(awsCredentials, discardCredentials);
  window.addEventListener("pushgate:unauthorized", () => {
    if (!signedIn) return; // the sign-in form reports a refused key itself
    session.set("credential", null);
    forgetCredentials();
    showSignIn();
  });
  let signedInAlready = false;
  try {
    signedInAlready = await completeSignIn();
  } catch (error) {
    showSignIn();
    main.prepend(errorBox({ message: `Sign-in did not complete: ${error.message}` }));
    return;
  }
  if (signedInAlready) start();
  else showSignIn();
}

boot();
