"""The web console in a real browser against the dev stack, as an operator uses it.

One org is set up through the pages, in order: sign in, create the org and an app (credentials
uploaded as files), issue a token, write a message watching both device previews follow the typing,
test-send it, send it to a few contacts and read the chart. Devices register over the public API,
as apps would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from pushgate_local.credentials import generate_apns_auth_key, generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime
from pushgate_local.sigv4 import LOCAL_ACCESS_KEY_ID
from tests.e2e.browser.conftest import Screenshots
from tests.e2e.conftest import ADMIN_KEY

pytestmark = pytest.mark.stack


@dataclass
class Tour:
    """What the steps of this module learn and pass on."""

    console_url: str
    org_id: str = ""
    app_id: str = ""
    api_token: str = ""
    message_id: str = ""
    users: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def tour(dev_stack: LocalRuntime) -> Tour:
    return Tour(console_url=f"{dev_stack.api_url}/console/")


def check_page(page: Page) -> None:
    """Every visible control has a label, and no value shows as null or undefined."""
    words = set(re.findall(r"\w+", page.locator("main").inner_text()))
    assert not words & {"null", "undefined", "NaN"}
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("main input, main select, main textarea")]
            .filter((el) => !el.closest("[hidden]"))
            .filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label"))
            .map((el) => el.name || el.outerHTML)"""
    )
    assert unlabelled == []


def register_device(public: httpx.Client, tour: Tour, user_id: str) -> None:
    apns = hashlib.sha256(f"console-{user_id}".encode()).hexdigest().replace("bad", "0ad")
    path = f"/api/v1.0/orgs/{tour.org_id}/pushchannel/apps/{tour.app_id}/devices/{user_id}"
    contracts = ({"ApnsDeviceContract": {"ApnsToken": apns}}, {"FcmDeviceContract": {"FcmToken": f"fcm-{user_id}"}})
    for contract in contracts:
        response = public.post(path, json={**contract, "ApiToken": tour.api_token})
        assert response.status_code == 200, response.text


def test_sign_in_with_the_admin_key_kept_in_session_storage_only(
    page: Page, tour: Tour, screenshot: Screenshots
) -> None:
    page.goto(tour.console_url)
    check_page(page)
    screenshot(page, "sign-in")
    page.get_by_label("Admin key").fill("not-the-key")
    page.keyboard.press("Enter")  # the form submits from the keyboard
    expect(page.get_by_role("alert")).to_contain_text("refused")

    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    stored = page.evaluate("() => [JSON.stringify({...localStorage}), document.cookie, sessionStorage.length]")
    assert stored[0] == "{}" and stored[1] == ""
    assert stored[2] == 1


def test_create_an_org_and_an_app_from_uploaded_credential_files(
    page: Page, tour: Tour, tmp_path: Path, screenshot: Screenshots
) -> None:
    key = generate_apns_auth_key()
    p8 = tmp_path / f"AuthKey_{key.key_id}.p8"
    p8.write_text(key.private_key_pem, encoding="utf-8")
    service_account = tmp_path / "service-account.json"
    service_account.write_text(json.dumps(generate_fcm_service_account("console-project").info), encoding="utf-8")

    page.get_by_label("Org name").fill("Contoso")
    page.get_by_role("button", name="Create org").click()
    expect(page).to_have_url(re.compile(r"#/apps$"))
    expect(page.get_by_text(re.compile(r"Org: Contoso \("))).to_be_visible()
    tour.org_id = page.evaluate("() => JSON.parse(sessionStorage.getItem('pushgate.console')).org.OrgId")

    page.get_by_label("App name").fill("Contoso Shop")
    page.get_by_label("iOS credentials").select_option("Token")
    page.get_by_label("Auth key (.p8)").set_input_files(p8)
    expect(page.get_by_label("Key ID")).to_have_value(key.key_id)  # from Apple's file name
    page.get_by_label("Team ID").fill(key.team_id)
    page.get_by_label("Bundle ID").fill("com.contoso.shop")
    page.get_by_label("Service account JSON").set_input_files(service_account)
    check_page(page)
    screenshot(page, "apps")
    page.get_by_role("button", name="Create app").click()

    expect(page.get_by_role("heading", name="Contoso Shop", level=1)).to_be_visible()
    tour.app_id = page.url.rsplit("/", 1)[-1]
    status = page.get_by_role("table", name="Credential status")
    expect(status.get_by_role("row", name=re.compile("iOS Unchecked"))).to_be_visible()  # saved, not yet checked live
    page.get_by_role("button", name="Check credentials with APNs and FCM").click()
    expect(status.get_by_role("row", name=re.compile("iOS Valid"))).to_be_visible()
    expect(status.get_by_role("row", name=re.compile("Android Valid"))).to_be_visible()
    checklist = page.get_by_role("list", name="Setup checklist")
    expect(checklist.get_by_role("listitem").nth(0)).to_contain_text("Credentials valid — done")
    expect(checklist.get_by_role("listitem").nth(1)).to_contain_text("Access token issued — not yet")
    check_page(page)


def test_a_token_is_shown_once_and_the_checklist_follows_the_first_device(
    page: Page, tour: Tour, public: httpx.Client, screenshot: Screenshots
) -> None:
    page.get_by_role("link", name=re.compile("Access tokens \\(0\\)")).click()
    page.get_by_label("Token label").fill("ios-prod")
    page.get_by_role("button", name="Issue token").click()

    secret = page.get_by_label("The new access token")
    expect(secret).to_be_focused()
    tour.api_token = secret.inner_text().strip()
    assert len(tour.api_token) > 20
    screenshot(page, "tokens")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("table", name="Live tokens")).to_contain_text("ios-prod")
    assert tour.api_token not in page.content()  # shown once, never listed

    register_device(public, tour, "first-device")
    page.goto(f"{tour.console_url}#/apps/{tour.app_id}")
    checklist = page.get_by_role("list", name="Setup checklist")
    expect(checklist.get_by_role("listitem").nth(1)).to_contain_text("Access token issued — done")
    expect(checklist.get_by_role("listitem").nth(2)).to_contain_text("First device registered — done")
    expect(checklist.get_by_role("listitem").nth(3)).to_contain_text("First open received — not yet")


def test_the_previews_follow_the_typing_then_the_message_is_saved_and_test_sent(
    page: Page, tour: Tour, admin: httpx.Client, public: httpx.Client, screenshot: Screenshots
) -> None:
    for index in range(3):
        user = f"shopper-{index}"
        person = {"firstname": f"Ana{index}", "emailaddress1": f"ana{index}@contoso.example", "pushconsent": True}
        response = admin.put(f"/admin/v1/orgs/{tour.org_id}/contacts/{user}", json={**person, "trackingconsent": True})
        assert response.status_code in {200, 201}, response.text
        register_device(public, tour, user)
        tour.users.append(user)

    page.get_by_role("link", name="Messages").click()
    page.get_by_role("link", name="New message").click()
    ios_title, android_title = page.get_by_test_id("ios-title"), page.get_by_test_id("android-title")
    page.get_by_label("Message name").fill("Order shipped")
    page.get_by_label("Title", exact=True).fill("Your order")
    page.get_by_label("Body", exact=True).fill("It left our warehouse today.")
    expect(ios_title).to_have_text("Your order")
    expect(android_title).to_have_text("Your order")
    expect(page.get_by_test_id("ios-body")).to_have_text("It left our warehouse today.")
    apns_bytes = page.get_by_test_id("apns-bytes").inner_text()

    # Typing more changes both previews and the byte counts; the picker inserts at the cursor.
    title = page.get_by_label("Title", exact=True)
    title.press("End")
    title.press_sequentially(" is on its way, ")
    page.get_by_label("Attribute to insert").select_option("contact.firstname")
    page.get_by_label("Default when missing").fill("friend")
    page.get_by_role("button", name="Insert placeholder").click()
    expect(title).to_have_value('Your order is on its way, {{contact.firstname | default: "friend"}}')
    expect(ios_title).to_have_text("Your order is on its way, Ana")  # the sample contact
    expect(android_title).to_have_text("Your order is on its way, Ana")
    expect(page.get_by_test_id("apns-bytes")).not_to_have_text(apns_bytes)
    expect(page.get_by_test_id("fcm-bytes")).to_contain_text(re.compile(r"FCM message: \d+ of 4096 bytes"))

    page.get_by_label("Subtitle", exact=True).fill("Tracking inside")
    expect(page.get_by_test_id("ios-subtitle")).to_have_text("Tracking inside")
    page.get_by_role("button", name="Add localization").click()
    page.get_by_label("Localization locale").fill("pt-BR")
    page.get_by_label("Localized title").fill("Seu pedido, {{contact.firstname}}")
    page.get_by_label("Localized body").fill("Saiu hoje do armazém.")
    page.get_by_label("Preview locale").fill("pt-BR")
    expect(ios_title).to_have_text("Seu pedido, Ana")
    expect(page.get_by_test_id("android-body")).to_have_text("Saiu hoje do armazém.")
    check_page(page)
    screenshot(page, "message-editor")

    page.get_by_label("Localized body").fill("{{#if contact.firstname}}unclosed")
    expect(page.get_by_role("alert")).to_contain_text("Message.Localizations.pt-BR.Body")
    expect(ios_title).to_have_text("Seu pedido, Ana")  # the last good rendering stays
    page.get_by_label("Localized body").fill("Saiu hoje do armazém.")
    page.get_by_label("Preview locale").fill("")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="Order shipped", level=1)).to_be_visible()
    tour.message_id = page.url.rsplit("/", 1)[-1]
    saved = admin.get(f"/admin/v1/orgs/{tour.org_id}/pushmessages/{tour.message_id}").json()
    assert saved["Title"] == 'Your order is on its way, {{contact.firstname | default: "friend"}}'
    assert saved["Localizations"]["pt-BR"]["Title"] == "Seu pedido, {{contact.firstname}}"

    page.get_by_label("User id").fill("shopper-1")
    page.get_by_role("button", name="Send test").click()
    results = page.get_by_role("table", name="Test send results")
    expect(results.get_by_role("row", name=re.compile("iOS .* delivered"))).to_be_visible()
    expect(results.get_by_role("row", name=re.compile("Android .* delivered"))).to_be_visible()
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("version 1").first).to_be_visible()
    expect(page.get_by_role("button", name="Deactivate")).to_be_visible()


def test_people_are_found_by_email_or_phone(page: Page, tour: Tour, screenshot: Screenshots) -> None:
    page.get_by_role("link", name="People").click()
    page.get_by_label("Email or phone").fill("ANA2@contoso.example")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("table", name="Search results")
    expect(results.get_by_role("row")).to_have_count(2)  # the header and shopper-2
    expect(results).to_contain_text("shopper-2")
    check_page(page)
    screenshot(page, "people")


def test_a_send_to_a_few_contacts_shows_progress_ledger_and_the_chart(
    page: Page, tour: Tour, admin: httpx.Client, public: httpx.Client, screenshot: Screenshots
) -> None:
    page.get_by_role("link", name="Sends").click()
    page.get_by_label("Recipients").fill("\n".join([*tour.users, "nobody-here"]))
    check_page(page)
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_role("heading", name="Send", level=1)).to_be_visible()
    expect(page.get_by_text("Status Completed")).to_be_visible()
    totals = page.get_by_role("table", name="Send totals")
    # accepted, rejected, devices, sent, not sent (the unknown recipient), pending, parked
    expect(totals.get_by_role("row").nth(1)).to_have_text(re.compile(r"^3\s*1\s*6\s*6\s*1\s*0\s*0$"))
    ledger = page.get_by_role("table", name="Send ledger")
    expect(ledger.get_by_role("row", name=re.compile("shopper-0 Sent"))).to_have_count(2)
    expect(page.get_by_role("table", name="Rejected recipients")).to_contain_text("UnknownRecipient")
    check_page(page)
    screenshot(page, "send")

    # Two of the devices report an open, one of them a click too, as the apps would.
    send_id = page.url.rsplit("/", 1)[-1]
    ledger_entries = admin.get(f"/admin/v1/orgs/{tour.org_id}/sends/{send_id}/recipients?Outcome=Sent").json()
    tracking_ids = [entry["TrackingId"] for entry in ledger_entries["Recipients"]][:2]
    for tracking_id, status in zip(tracking_ids, ["Opened", "Clicked"], strict=True):
        report = {"TrackingId": tracking_id, "PushNotificationStatus": status}
        response = public.post(f"/api/v1.0/orgs/{tour.org_id}/pushdatareceiver/events", json=report)
        assert response.status_code == 202, response.text

    page.get_by_role("link", name="Insights").click()
    overall = page.get_by_test_id("insights-overall")
    # sent, not sent, opens, unique opens, clicks, unique clicks, then the three rates
    expect(overall).to_have_text(re.compile(r"^6\s*1\s*2\s*2\s*1\s*1\s*33\.3 %\s*16\.7 %\s*50\.0 %$"))
    chart = page.get_by_test_id("insights-chart")
    expect(chart).to_be_visible()
    sent_values = chart.locator("rect[data-series=Sent]").evaluate_all("(bars) => bars.map((b) => +b.dataset.value)")
    opens = chart.locator("rect[data-series=UniqueOpens]").evaluate_all("(bars) => bars.map((b) => +b.dataset.value)")
    assert sum(sent_values) == 6 and max(sent_values) == 6  # every delivery today
    assert sum(opens) == 2 and max(opens) == 2
    page.get_by_role("button", name="Export CSV").click()
    expect(page.get_by_role("link", name=re.compile(r"Download messages-.*\.csv"))).to_be_visible()
    check_page(page)
    screenshot(page, "insights")

    page.goto(f"{tour.console_url}#/apps/{tour.app_id}")
    checklist = page.get_by_role("list", name="Setup checklist")
    expect(checklist.get_by_role("listitem").nth(3)).to_contain_text("First open received — done")
    screenshot(page, "app")


def test_every_page_is_reachable_from_the_keyboard_with_a_visible_focus(
    page: Page, tour: Tour, screenshot: Screenshots
) -> None:
    page.goto(f"{tour.console_url}#/orgs")
    expect(page.get_by_role("heading", name="Orgs", level=1)).to_be_visible()
    # Loaded: the shared stack's orgs, oldest first (Contoso is on the first page only when this
    # module runs before the other stack tests)
    orgs = page.get_by_role("table", name="Orgs", exact=True)
    expect(orgs.get_by_role("button", name=re.compile(r"^Use ")).first).to_be_visible()
    screenshot(page, "orgs")
    skip = page.get_by_role("link", name="Skip to content")
    skip.focus()  # the first stop of the page's tab order
    expect(skip).to_be_visible()
    reached = []
    while len(reached) < 14 and (not reached or reached[-1] != "Insights"):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.textContent.trim()"))
    assert reached[-9:] == [
        "Orgs",
        "Apps",
        "Access tokens",
        "People",
        "Messages",
        "Sends",
        "Delivery policy",
        "Token cleanup",
        "Insights",
    ]
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#/insights$"))
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()


def played_id_token(subject: str, expires_in_s: int) -> str:
    """An ID token's shape (the console reads only its expiry; the played identity pool checks it is passed on)."""

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"sub": subject, "token_use": "id", "exp": int(time.time()) + expires_in_s}
    return f"{part({'alg': 'RS256', 'kid': 'played'})}.{part(claims)}.c2lnbmF0dXJl"


def test_in_aws_the_console_signs_in_with_pkce_gets_identity_pool_credentials_and_signs_its_calls(
    browser: Browser, tour: Tour, dev_stack: LocalRuntime
) -> None:
    # The managed login, the token endpoint and the identity pool are played by the test (the
    # browser's requests to them are intercepted); the dev server checks SigV4 made with the local
    # credentials (the admin key as secret key), which the played identity pool hands out. The ID
    # token from the code is about to expire, so the console renews it (refresh token) before trading
    # it; the first credentials are about to expire too, so it renews them before its next call; the
    # API refuses the second ones with 403, so the console renews them and makes those calls again.
    cognito = "https://auth.example.test"
    region = dev_stack.config.region
    identity_endpoint = f"https://cognito-identity.{region}.amazonaws.com/"
    user_pool = f"{region}_PlayedPool"
    origin = urlsplit(tour.console_url)._replace(path="").geturl()
    cors = {"access-control-allow-origin": origin}
    first_token, renewed_token = played_id_token("operator-1", 60), played_id_token("operator-1", 3600)
    seen: dict[str, list[dict[str, str]]] = {"token": [], "identity": []}
    context = browser.new_context()
    context.set_default_timeout(20_000)
    page = context.new_page()

    def deployed_page(route: Route) -> None:
        response = route.fetch()
        policy = f"default-src 'self'; connect-src 'self' {cognito} {identity_endpoint}"
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    def config(route: Route) -> None:
        route.fulfill(
            json={
                "ApiUrl": "",
                "SignIn": "Cognito",
                "CognitoDomain": cognito,
                "CognitoClientId": "console-client",
                "UserPoolId": user_pool,
                "IdentityPoolId": f"{region}:00000000-0000-4000-8000-00000000cafe",
                "Region": region,
            }
        )

    def authorize(route: Route) -> None:
        seen["authorize"] = [dict(parse_qsl(urlsplit(route.request.url).query))]
        route.fulfill(content_type="text/html", body="<title>Sign in</title><p>The managed login page</p>")

    def token(route: Route) -> None:
        form = dict(parse_qsl(route.request.post_data or ""))
        seen["token"].append(form)
        issued = first_token if form["grant_type"] == "authorization_code" else renewed_token
        tokens = {"id_token": issued, "access_token": "a", "refresh_token": "the-refresh-token", "expires_in": 3600}
        route.fulfill(json=tokens, headers=cors)

    def identity(route: Route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=200, headers={**cors, "access-control-allow-headers": "content-type,x-amz-target"})
            return
        action = route.request.headers["x-amz-target"].removeprefix("AWSCognitoIdentityService.")
        call = json.loads(route.request.post_data or "{}")
        seen["identity"].append({"action": action, **call})
        if action == "GetId":
            answer: dict[str, object] = {"IdentityId": f"{region}:played-identity"}
        else:
            issued = sum(1 for c in seen["identity"] if c["action"] == "GetCredentialsForIdentity")
            # The first credentials expire within the console's renewal margin; the second do not, but
            # the API refuses them (as API Gateway refuses credentials revoked or signed off a wrong
            # clock); the third are good.
            lifetime = 60 if issued == 1 else 3600
            credentials = {
                "AccessKeyId": LOCAL_ACCESS_KEY_ID,
                "SecretKey": "not-the-admin-key" if issued == 2 else ADMIN_KEY,
                "SessionToken": f"played-session-{issued}",
                "Expiration": time.time() + lifetime,
            }
            answer = {"IdentityId": call["IdentityId"], "Credentials": credentials}
        route.fulfill(status=200, content_type="application/x-amz-json-1.1", body=json.dumps(answer), headers=cors)

    page.route(re.compile(re.escape(tour.console_url) + r"(\?.*)?$"), deployed_page)
    page.route("**/console/config.json", config)
    page.route(f"{cognito}/oauth2/authorize?*", authorize)
    page.route(f"{cognito}/oauth2/token", token)
    page.route(identity_endpoint, identity)
    api_calls: list[tuple[str, dict[str, str], int]] = []
    page.on(
        "requestfinished",
        lambda r: api_calls.append((r.url, r.headers, r.response().status)) if "/admin/v1/" in r.url else None,  # type: ignore[union-attr]
    )

    page.goto(tour.console_url)
    page.get_by_role("button", name="Sign in with Cognito").click()
    # The managed login signs the user in and sends the browser back with a code (and the state).
    page.wait_for_url(f"{cognito}/**")
    page.goto(f"{tour.console_url}?code=the-code&state={seen['authorize'][0]['state']}#/orgs")
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    page.get_by_label("Org id").fill(tour.org_id)
    page.get_by_role("button", name="Open org").click()
    expect(page.get_by_role("heading", name="Current org: Contoso")).to_be_visible()

    (asked,) = seen["authorize"]
    assert (asked["response_type"], asked["client_id"], asked["code_challenge_method"]) == (
        "code",
        "console-client",
        "S256",
    )
    code_grant, refresh_grant = seen["token"]
    verifier = code_grant["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert asked["code_challenge"] == challenge  # PKCE: the verifier the token request proves
    assert (code_grant["grant_type"], code_grant["code"]) == ("authorization_code", "the-code")
    assert code_grant["redirect_uri"] == asked["redirect_uri"] == tour.console_url
    assert refresh_grant == {
        "grant_type": "refresh_token",
        "client_id": "console-client",
        "refresh_token": "the-refresh-token",
    }
    # The identity pool: one identity, then credentials three times (the first ones were about to
    # expire, the second were refused), each time for the renewed ID token (the first one was about
    # to expire before it was used).
    logins = {f"cognito-idp.{region}.amazonaws.com/{user_pool}": renewed_token}
    assert [c["action"] for c in seen["identity"]] == [
        "GetId",
        "GetCredentialsForIdentity",
        "GetCredentialsForIdentity",
        "GetCredentialsForIdentity",
    ]
    assert [c["Logins"] for c in seen["identity"]] == [logins, logins, logins, logins]
    assert seen["identity"][0]["IdentityPoolId"] == f"{region}:00000000-0000-4000-8000-00000000cafe"
    assert "code=" not in page.url  # the code leaves the address bar
    # Every API call was signed (none carried a bearer token) and on the operator routes; those signed
    # with the refused credentials got API Gateway's 403 and were signed again with fresh ones.
    statuses = {headers["x-amz-security-token"]: set() for _, headers, _ in api_calls}
    for _, headers, status in api_calls:
        statuses[headers["x-amz-security-token"]].add(status)
    assert statuses == {"played-session-2": {403}, "played-session-3": {200}}
    refused = [url for url, headers, _ in api_calls if headers["x-amz-security-token"] == "played-session-2"]
    accepted = [url for url, headers, _ in api_calls if headers["x-amz-security-token"] == "played-session-3"]
    assert set(refused) <= set(accepted)  # each refused call was made again, and answered
    assert all("/console-api" not in url for url, _, _ in api_calls)
    scope = (
        f"Credential={LOCAL_ACCESS_KEY_ID}/{time.strftime('%Y%m%d', time.gmtime())}/{region}/execute-api/aws4_request"
    )
    for _, headers, _ in api_calls:
        assert headers["authorization"].startswith(
            f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host;x-amz-date;x-amz-security-token"
        )
    # The first credentials (about to expire) were renewed before any call was signed with them.
    assert "played-session-1" not in statuses
    assert page.evaluate("() => JSON.stringify({...localStorage})") == "{}"
    context.close()
