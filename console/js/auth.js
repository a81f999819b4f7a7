// Sign-in. Locally: the admin key from .pushgate/local.json. In AWS: the Cognito managed login
// (authorization code with PKCE), then the identity pool trades the ID token for temporary AWS
// credentials with which api.js signs each call (SigV4), renewed before they expire. The ID and
// refresh tokens are kept in sessionStorage for the tab's life only; the AWS credentials in memory.
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
    if (response.ok) {
      const tokens = await response.json();
      session.set("credential", tokens.id_token);
      session.set("refresh", tokens.refresh_token);
    }
  }
  return Boolean(api.credential()) && Boolean(await awsCredentials());
}

// Credentials are renewed this long before they expire (and an ID token before it is used for them).
const RENEW_EARLY_MS = 5 * 60 * 1000;
let aws = null;
let identityId = null;
let renewing = null;

function expiresAtMs(jwt) {
  try {
    const claims = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return claims.exp * 1000;
  } catch {
    return 0;
  }
}

async function identityPool(settings, action, payload) {
  // Cognito's identity API takes unsigned JSON calls for these two actions (the ID token proves who asks).
  const response = await fetch(`https://cognito-identity.${settings.Region}.amazonaws.com/`, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSCognitoIdentityService.${action}` },
    body: JSON.stringify(payload),
  });
  const decoded = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(decoded.message || decoded.__type || `the identity pool answered ${response.status}`);
  return decoded;
}

// A usable ID token: the stored one, or one from the refresh token; null once both have expired.
async function idToken(settings) {
  const stored = api.credential();
  if (stored && expiresAtMs(stored) - Date.now() > RENEW_EARLY_MS) return stored;
  const refresh = session.get("refresh");
  if (!refresh) return null;
  const response = await fetch(`${settings.CognitoDomain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: settings.CognitoClientId, refresh_token: refresh }),
  });
  if (!response.ok) return null;
  const renewed = (await response.json()).id_token;
  session.set("credential", renewed);
  return renewed;
}

async function exchange(settings) {
  const token = await idToken(settings);
  if (!token) return null;
  const logins = { [`cognito-idp.${settings.Region}.amazonaws.com/${settings.UserPoolId}`]: token };
  if (!identityId) identityId = (await identityPool(settings, "GetId", { IdentityPoolId: settings.IdentityPoolId, Logins: logins })).IdentityId;
  const { Credentials: issued } = await identityPool(settings, "GetCredentialsForIdentity", { IdentityId: identityId, Logins: logins });
  // Expiration is in epoch seconds (the JSON protocol's timestamps).
  return { AccessKeyId: issued.AccessKeyId, SecretKey: issued.SecretKey, SessionToken: issued.SessionToken, ExpiresAtMs: issued.Expiration * 1000 };
}

// The signed-in user's AWS credentials, renewed when they are about to expire; null when signed out.
// Calls made together share one renewal.
export async function awsCredentials() {
  const settings = api.settings();
  if (settings.SignIn !== "Cognito" || !api.credential()) return null;
  if (aws && aws.ExpiresAtMs - Date.now() > RENEW_EARLY_MS) return aws;
  renewing = renewing || exchange(settings).finally(() => (renewing = null));
  aws = await renewing;
  return aws;
}

// Drops the credentials (not the identity): the next call gets fresh ones from the identity pool.
export function discardCredentials() {
  aws = null;
}

export function forgetCredentials() {
  aws = null;
  identityId = null;
}

export function signOut() {
  const settings = api.settings();
  session.clear();
  forgetCredentials();
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
