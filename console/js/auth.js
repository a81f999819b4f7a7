// Sign-in. Locally: the admin key from .pushgate/local.json. In AWS: the Cognito managed login
// (authorization code with PKCE); the ID token is kept in sessionStorage for the tab's life only.
import * as api from "./api.js";
import * as session from "./session.js";
import { errorBox, field, h } from "./dom.js";

function base64Url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function redirectUri() {
  return `${window.location.origin}${window.location.pathname}`;
}

async function startCognito(settings) {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64Url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  session.set("pkce", { verifier, state });
  const query = new URLSearchParams({
    response_type: "code",
    client_id: settings.CognitoClientId,
    redirect_uri: redirectUri(),
    scope: "openid email",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  window.location.assign(`${settings.CognitoDomain}/oauth2/authorize?${query}`);
}

// Finishes the Cognito redirect (?code=...&state=...) when there is one; true when signed in.
export async function completeSignIn() {
  const settings = api.settings();
  if (settings.SignIn !== "Cognito") return Boolean(api.credential());
  const params = new URLSearchParams(window.location.search);
  const pkce = session.get("pkce");
  if (params.get("code") && pkce && params.get("state") === pkce.state) {
    const response = await fetch(`${settings.CognitoDomain}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: settings.CognitoClientId,
        code: params.get("code"),
        redirect_uri: redirectUri(),
        code_verifier: pkce.verifier,
      }),
    });
    session.set("pkce", null);
    window.history.replaceState(null, "", redirectUri() + window.location.hash);
    if (response.ok) session.set("credential", (await response.json()).id_token);
  }
  return Boolean(api.credential());
}

export function signOut() {
  const settings = api.settings();
  session.clear();
  if (settings.SignIn === "Cognito") {
    const query = new URLSearchParams({ client_id: settings.CognitoClientId, logout_uri: redirectUri() });
    window.location.assign(`${settings.CognitoDomain}/logout?${query}`);
  } else {
    window.location.hash = "#/orgs";
    window.location.reload();
  }
}

export function signInPage(onSignedIn) {
  const settings = api.settings();
  if (settings.SignIn === "Cognito") {
    return h(
      "section",
      { class: "card sign-in", "aria-labelledby": "sign-in-title" },
      h("h1", { id: "sign-in-title" }, "Sign in"),
      h("p", {}, "Operators sign in with the stack's Cognito user pool."),
      h("button", { type: "button", onclick: () => startCognito(settings) }, "Sign in with Cognito"),
    );
  }
  const key = h("input", { type: "password", name: "admin-key", autocomplete: "off", required: true });
  const slot = h("div");
  const form = h(
    "form",
    {
      class: "card sign-in",
      "aria-labelledby": "sign-in-title",
      onsubmit: async (event) => {
        event.preventDefault();
        session.set("credential", key.value.trim());
        try {
          // The smallest page of the orgs list: 401 to a wrong key, 200 to a right one (no 404 in the log).
          await api.get("/admin/v1/orgs", { MaxResults: 1 });
        } catch (error) {
          if (error.status === 401 || error.status === 0) {
            session.set("credential", null);
            slot.replaceChildren(errorBox(error.status === 401 ? { message: "That admin key was refused." } : error));
            return;
          }
        }
        onSignedIn();
      },
    },
    h("h1", { id: "sign-in-title" }, "Sign in"),
    h("p", {}, "Locally, sign in with the admin key of the running stack (", h("code", {}, "admin_key"), " in ", h("code", {}, ".pushgate/local.json"), "). It is kept for this tab only."),
    field("Admin key", key),
    slot,
    h("button", { type: "submit" }, "Sign in"),
  );
  return form;
}
