"""The console's daily-work pages and its first-hour defects, in a real browser against the dev stack.

An org with an app, three people with devices and an Active OpenUrl message is set up over the
operator and device APIs (as earlier tests drove those through the pages); each test then meets one
defect or page the way an operator does: through the console, checking what the API then holds.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from pushgate_local.credentials import generate_apns_auth_key
from pushgate_local.runtime import LocalRuntime
from tests.e2e.browser.conftest import TIMEOUT_MS, VIEWPORT, Screenshots
from tests.e2e.conftest import ADMIN_KEY
from tests.e2e.registration_support import RegisteredApp, create_app

pytestmark = pytest.mark.stack

PEOPLE = {
    "ops-0": {"firstname": "Carla", "emailaddress1": "carla@fabrikam.example", "mobilephone": "+351912000000"},
    "ops-1": {"firstname": "Duarte", "emailaddress1": "duarte@fabrikam.example", "mobilephone": "+351912000001"},
    "ops-2": {"firstname": "Eva", "emailaddress1": "eva@fabrikam.example", "mobilephone": "+351912000002"},
}


@dataclass
class Setup:
    """What the module's org holds."""

    console_url: str
    app: RegisteredApp
    message_id: str
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def org(self) -> str:
        return f"/admin/v1/orgs/{self.app.org_id}"


def apns_token(user_id: str) -> str:
    return hashlib.sha256(f"ops-{user_id}".encode()).hexdigest().replace("bad", "0ad")


@pytest.fixture(scope="module")
def setup(dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client) -> Setup:
    org = admin.post("/admin/v1/orgs", json={"Name": "Fabrikam"})
    assert org.status_code == 201, org.text
    app = create_app(admin, org.json()["OrgId"])
    message = {
        "Name": "Spring sale",
        "Title": "Hello {{contact.firstname}}",
        "Body": "The sale starts today.",
        "OnClick": {"Behavior": "OpenUrl", "Url": "https://fabrikam.example/sale"},
    }
    created = admin.post(f"/admin/v1/orgs/{app.org_id}/pushmessages", json=message)
    assert created.status_code == 201, created.text
    message_id = created.json()["MessageId"]
    assert admin.post(f"/admin/v1/orgs/{app.org_id}/pushmessages/{message_id}/activate").status_code == 200
    found = Setup(console_url=f"{dev_stack.api_url}/console/", app=app, message_id=message_id)
    for user_id, person in PEOPLE.items():
        body = {**person, "pushconsent": True, "trackingconsent": True, "timezone": "Europe/Lisbon"}
        response = admin.put(f"/admin/v1/orgs/{app.org_id}/contacts/{user_id}", json=body)
        assert response.status_code in {200, 201}, response.text
        found.tokens[user_id] = apns_token(user_id)
        device = {"ApnsDeviceContract": {"ApnsToken": found.tokens[user_id]}, "ApiToken": app.api_token}
        registered = public.post(app.v1(user_id), json=device)
        assert registered.status_code == 200, registered.text
    return found


def open_sends(page: Page) -> None:
    page.get_by_role("link", name="Sends").click()
    page.get_by_label("App", exact=True).select_option(label="Devices app")


def sign_in(page: Page, setup: Setup) -> None:
    page.goto(setup.console_url)
    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    page.get_by_label("Org id").fill(setup.app.org_id)
    page.get_by_role("button", name="Open org").click()
    expect(page.get_by_role("heading", name="Current org: Fabrikam")).to_be_visible()


@pytest.fixture(scope="module")
def signed_in(page: Page, setup: Setup) -> Page:
    sign_in(page, setup)
    return page


def test_signing_in_asks_for_nothing_the_server_does_not_have(browser: Browser, setup: Setup) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    logged: list[str] = []
    page.on("console", lambda m: logged.append(m.text) if m.type == "error" else None)
    sign_in(page, setup)
    page.wait_for_load_state("networkidle")
    assert failed == []  # no key probe answered 404, and the favicon exists
    assert logged == []
    context.close()


def test_the_editor_warns_of_nothing_stale_and_keeps_its_sample_when_saving(signed_in: Page, setup: Setup) -> None:
    page = signed_in
    page.goto(f"{setup.console_url}#/messages/{setup.message_id}")
    expect(page.get_by_test_id("ios-title")).to_have_text("Hello Ana")
    # An Active OpenUrl message: clicks are tracked, so the preview has nothing to warn of.
    expect(page.locator("[aria-busy=false][data-state=fresh]")).to_have_count(1)
    expect(page.get_by_role("list", name="Preview warnings")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("not available yet")

    page.get_by_label("Sample contact attributes (JSON)").fill(json.dumps({"firstname": "Bea"}))
    page.get_by_label("Preview locale").fill("pt-BR")
    expect(page.get_by_test_id("ios-title")).to_have_text("Hello Bea")
    page.get_by_label("Body", exact=True).fill("The sale starts tomorrow.")
    page.get_by_role("button", name="Save new version").click()
    expect(page.get_by_text("version 2").first).to_be_visible()
    expect(page.get_by_label("Sample contact attributes (JSON)")).to_have_value('{"firstname": "Bea"}')
    expect(page.get_by_label("Preview locale")).to_have_value("pt-BR")
    expect(page.get_by_test_id("ios-title")).to_have_text("Hello Bea")
    expect(page.get_by_role("button", name="Deactivate")).to_be_visible()  # a new version stays Active


def test_a_test_send_renders_for_the_chosen_user_not_the_sample_contact(
    signed_in: Page, setup: Setup, dev_stack: LocalRuntime
) -> None:
    assert dev_stack.simulator is not None
    page = signed_in
    page.goto(f"{setup.console_url}#/messages/{setup.message_id}")
    page.get_by_label("Sample contact attributes (JSON)").fill(json.dumps({"firstname": "Bea"}))
    page.get_by_label("User id").fill("ops-1")
    page.get_by_role("button", name="Send test").click()
    results = page.get_by_role("table", name="Test send results")
    expect(results.get_by_role("row", name=re.compile("iOS .* delivered"))).to_be_visible()
    [received] = dev_stack.simulator.notifications(token=setup.tokens["ops-1"])
    assert received["payload"]["aps"]["alert"]["title"] == "Hello Duarte"


def test_choosing_ios_token_mode_without_a_p8_names_the_missing_file_once(signed_in: Page, tmp_path: Path) -> None:
    page = signed_in
    page.get_by_role("link", name="Apps").click()
    resolve = page.get_by_label("Apps may resolve users by email or phone")
    expect(resolve).not_to_be_checked()  # off by default, as in the CLI
    page.get_by_label("App name").fill("No key yet")
    page.get_by_label("iOS credentials").select_option("Token")
    page.get_by_role("button", name="Create app").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Ios.SigningKey")
    expect(alert).not_to_contain_text("at least one platform")
    # One error, said once: every problem appears a single time in the box.
    text = alert.inner_text()
    assert text.count(".p8 auth key file (AuthKey_") == 1

    key = generate_apns_auth_key()
    p8 = tmp_path / f"AuthKey_{key.key_id}.p8"
    p8.write_text(key.private_key_pem, encoding="utf-8")
    page.get_by_label("Auth key (.p8)").set_input_files(p8)
    page.get_by_label("Team ID").fill(key.team_id)
    page.get_by_label("Bundle ID").fill("com.fabrikam.keyed")
    page.get_by_role("button", name="Create app").click()
    expect(page.get_by_role("heading", name="No key yet", level=1)).to_be_visible()
    status = page.get_by_role("table", name="Credential status")
    expect(status.get_by_role("row", name=re.compile(r"^iOS Unchecked"))).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Ios ")


def test_user_resolution_is_editable_on_an_app(signed_in: Page, setup: Setup, admin: httpx.Client) -> None:
    page = signed_in
    page.goto(f"{setup.console_url}#/apps/{setup.app.app_id}")
    resolve = page.get_by_label("Apps may resolve users by email or phone")
    before = admin.get(f"{setup.org}/mobileapps/{setup.app.app_id}").json()["UserResolveEnabled"]
    expect(resolve).to_be_checked(checked=before)
    resolve.set_checked(not before)
    page.get_by_role("button", name="Save app").click()
    expect(page.get_by_label("Apps may resolve users by email or phone")).to_be_checked(checked=not before)
    assert admin.get(f"{setup.org}/mobileapps/{setup.app.app_id}").json()["UserResolveEnabled"] is (not before)


def test_an_issued_token_is_listed_at_once_while_its_secret_shows(signed_in: Page, setup: Setup) -> None:
    page = signed_in
    page.goto(f"{setup.console_url}#/tokens/{setup.app.app_id}")
    page.get_by_label("Token label").fill("android-prod")
    page.get_by_role("button", name="Issue token").click()
    expect(page.get_by_label("The new access token")).to_be_visible()
    live = page.get_by_role("table", name="Live tokens")
    expect(live).to_contain_text("android-prod")
    expect(live).not_to_contain_text("Nothing yet.")


def test_a_send_by_email_and_phone_shows_its_message_name_and_rejections_in_any_tab(
    signed_in: Page, setup: Setup, browser: Browser, screenshot: Screenshots
) -> None:
    page = signed_in
    open_sends(page)
    page.get_by_label("Recipients").fill("CARLA@fabrikam.example\n+351 912 000 001\nops-2\nnobody-here")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", name="Send of Spring sale", level=1)).to_be_visible()
    expect(page.get_by_text("Status Completed")).to_be_visible()
    counts = re.compile(r"3 device\(s\) for 3 recipient\(s\): 3 sent, 0 pending; 1 recipient\(s\) rejected")
    expect(page.get_by_text(counts)).to_be_visible()  # the rejected recipient is no device
    expect(page.get_by_role("link", name="Spring sale")).to_be_visible()  # the name, not the UUID
    ledger = page.get_by_role("table", name="Send ledger")
    for user in PEOPLE:
        expect(ledger.get_by_role("row", name=re.compile(f"{user} Sent"))).to_have_count(1)
    expect(ledger.get_by_role("row", name=re.compile("ops-0 Sent .* iOS"))).to_be_visible()
    send_url = page.url

    # Another tab (a fresh browser context) still names the rejected recipient: it comes from the API.
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    other = context.new_page()
    sign_in(other, setup)
    other.goto(send_url)
    expect(other.get_by_role("table", name="Rejected recipients")).to_contain_text("nobody-here")
    expect(other.get_by_role("table", name="Rejected recipients")).to_contain_text("UnknownRecipient")
    context.close()

    # At 820 px the ledger scrolls inside its card rather than out of it.
    page.set_viewport_size({"width": 820, "height": 1000})
    card = page.get_by_role("table", name="Send ledger").locator("xpath=ancestor::section[1]")
    widths = card.evaluate(
        "(el) => [el.getBoundingClientRect().right, document.querySelector('main').getBoundingClientRect().right]"
    )
    assert widths[0] <= widths[1] + 0.5
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size(VIEWPORT)


def test_an_unknown_email_is_named_before_anything_is_sent(signed_in: Page, setup: Setup, admin: httpx.Client) -> None:
    page = signed_in
    open_sends(page)
    page.get_by_label("Recipients").fill("ops-0\nnobody@fabrikam.example")
    page.get_by_role("button", name="Send", exact=True).click()
    alert = page.get_by_role("form", name="New send").get_by_role("alert")
    expect(alert).to_contain_text("Recipients: nobody@fabrikam.example")
    expect(alert).to_contain_text("matches no contact, lead or profile")
    expect(page).to_have_url(re.compile(r"#/sends$"))


def test_a_scheduled_send_shows_when_and_can_be_canceled(
    signed_in: Page, setup: Setup, admin: httpx.Client, screenshot: Screenshots
) -> None:
    page = signed_in
    open_sends(page)
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    page.get_by_label("Recipients").fill("ops-0\nops-1")
    page.get_by_label("When").select_option("SendAt")
    page.get_by_label("Send at (UTC)").fill(at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Status Scheduled")).to_be_visible()
    expect(page.get_by_test_id("send-when")).to_have_text(f"Delivery: {at.strftime('%Y-%m-%d %H:%M:%S')} UTC")
    hours = page.get_by_role("table", name="Scheduled hours")
    expect(hours.get_by_role("row", name=re.compile("Pending"))).to_have_count(1)
    screenshot(page, "send-scheduled")
    send_id = page.url.rsplit("/", 1)[-1]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel send").click()
    expect(page.get_by_text("Status Canceled")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel send")).to_have_count(0)
    send = admin.get(f"{setup.org}/sends/{send_id}").json()
    assert send["Status"] == "Canceled" and send["SendAt"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
    assert send["NotSentReasons"] == {"Canceled": 2}


def test_a_send_at_a_local_time_is_shown_as_such(signed_in: Page, setup: Setup, admin: httpx.Client) -> None:
    page = signed_in
    open_sends(page)
    page.get_by_label("Recipients").fill("ops-2")
    page.get_by_label("When").select_option("SendAtLocalTime")
    page.get_by_label("Local time").fill("09:00")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_test_id("send-when")).to_have_text("Delivery: 09:00 in each recipient's time zone")
    send_id = page.url.rsplit("/", 1)[-1]
    assert admin.get(f"{setup.org}/sends/{send_id}").json()["SendAtLocalTime"] == "09:00"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel send").click()
    expect(page.get_by_text("Status Canceled")).to_be_visible()


def test_a_broadcast_reaches_every_active_device(signed_in: Page, setup: Setup, dev_stack: LocalRuntime) -> None:
    assert dev_stack.simulator is not None
    page = signed_in
    open_sends(page)
    page.get_by_label("Audience").select_option("AllActiveDevices")
    expect(page.get_by_label("Recipients")).to_be_hidden()
    expect(page.get_by_label("When")).to_be_hidden()  # a broadcast goes out at once
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("to every active device of the app (broadcast)")).to_be_visible()
    expect(page.get_by_text("Status Completed")).to_be_visible()
    totals = page.get_by_role("table", name="Send totals")
    expect(totals.get_by_role("row").nth(1)).to_have_text(re.compile(r"^\d+\s*0\s*3\s*3\s*0\s*0\s*0$"))


def test_the_delivery_policy_page_saves_zone_quiet_hours_and_caps(
    signed_in: Page, setup: Setup, admin: httpx.Client, screenshot: Screenshots
) -> None:
    page = signed_in
    page.goto(f"{setup.console_url}#/delivery/{setup.app.app_id}")
    expect(page.get_by_test_id("delivery-summary")).to_contain_text("the defaults")
    page.get_by_label("Default time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save delivery policy").click()
    expect(page.get_by_role("alert")).to_contain_text("DefaultTimeZone")

    page.get_by_label("Default time zone").fill("Europe/Lisbon")
    page.get_by_label("Hold notifications during quiet hours").check()
    page.get_by_label("Quiet from").fill("21:30")
    page.get_by_label("Quiet until").fill("08:00")
    page.get_by_label("Cap notifications per person").check()
    page.get_by_label("At most (notifications)").fill("3")
    page.get_by_label("In any (hours)").fill("24")
    page.get_by_role("button", name="Add category cap").click()
    page.get_by_label("Category", exact=True).fill("promotions")
    page.get_by_label("At most", exact=True).fill("1")
    page.get_by_label("Per hours").fill("168")
    page.get_by_role("button", name="Save delivery policy").click()
    expect(page.get_by_test_id("delivery-summary")).to_contain_text("quiet 21:30 to 08:00; at most 3 per 24 h")
    saved = admin.get(f"{setup.org}/mobileapps/{setup.app.app_id}/delivery-policy").json()
    assert saved["DefaultTimeZone"] == "Europe/Lisbon"
    assert saved["QuietHours"] == {"Start": "21:30", "End": "08:00"}
    assert saved["FrequencyCap"] == {"MaxNotifications": 3, "PeriodHours": 24}
    assert saved["CategoryCaps"] == {"promotions": {"MaxNotifications": 1, "PeriodHours": 168}}
    expect(page.get_by_label("Category", exact=True)).to_have_value("promotions")  # shown again as saved
    screenshot(page, "delivery-policy")

    page.get_by_label("Hold notifications during quiet hours").uncheck()
    page.get_by_label("Cap notifications per person").uncheck()
    page.get_by_role("button", name="Remove category cap").click()
    page.get_by_role("button", name="Save delivery policy").click()
    expect(page.get_by_test_id("delivery-summary")).to_contain_text("no quiet hours; no cap")
    cleared = admin.get(f"{setup.org}/mobileapps/{setup.app.app_id}/delivery-policy").json()
    assert (cleared["QuietHours"], cleared["FrequencyCap"], cleared["CategoryCaps"]) == (None, None, {})


def test_the_token_policy_saves_and_the_cleanup_preview_reports(
    signed_in: Page, setup: Setup, admin: httpx.Client, screenshot: Screenshots
) -> None:
    page = signed_in
    page.goto(f"{setup.console_url}#/cleanup/{setup.app.app_id}")
    page.get_by_label("Stale after (days)").fill("3")
    page.get_by_role("button", name="Save token policy").click()
    expect(page.get_by_role("alert")).to_contain_text("StaleAfterDays")
    page.get_by_label("Stale after (days)").fill("45")
    page.get_by_label("Invalid grace (days)").fill("2")
    page.get_by_role("button", name="Save token policy").click()
    expect(page.get_by_text(re.compile(r"^Saved \d{4}-"))).to_be_visible()
    saved = admin.get(f"{setup.org}/mobileapps/{setup.app.app_id}/token-policy").json()
    assert (saved["StaleAfterDays"], saved["InvalidGraceDays"], saved["IsDefault"]) == (45, 2, False)

    page.get_by_role("button", name="Preview cleanup").click()
    report = page.get_by_role("table", name="Cleanup preview")
    expect(report).to_be_visible()
    expect(page.get_by_text(re.compile(r"Would change as of .*: 0 purged, 0 marked stale"))).to_be_visible()
    screenshot(page, "token-cleanup")


def test_the_person_page_shows_and_edits_a_contact_and_erases_it(
    signed_in: Page, setup: Setup, admin: httpx.Client, screenshot: Screenshots
) -> None:
    link = {"EntityType": "contact", "EntityId": "ops-2"}
    linked = admin.put(f"{setup.org}/mobileapps/{setup.app.app_id}/users/eva-in-app", json=link)
    assert linked.status_code in {200, 201}, linked.text
    page = signed_in
    page.get_by_role("link", name="People").click()
    page.get_by_label("Email or phone").fill("eva@fabrikam.example")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("table", name="Search results").get_by_role("link", name="ops-2").click()
    expect(page.get_by_role("heading", name="Eva", level=1)).to_be_visible()
    attributes = page.get_by_role("table", name="Attributes")
    expect(attributes.get_by_role("row", name=re.compile(r"emailaddress1 eva@fabrikam\.example"))).to_be_visible()
    expect(page.get_by_text("time zone Europe/Lisbon")).to_be_visible()
    devices = page.get_by_role("table", name="Devices in Devices app")
    expect(devices.get_by_role("row", name=re.compile(f"iOS Active …{setup.tokens['ops-2'][-8:]}"))).to_be_visible()
    expect(page.get_by_role("table", name="App-user links")).to_contain_text("eva-in-app")
    expect(page.get_by_role("table", name="App-user links")).to_contain_text("Devices app")
    notifications = page.get_by_role("table", name="Recent notifications")
    expect(notifications.get_by_role("row", name=re.compile("Spring sale Sent — iOS"))).not_to_have_count(0)

    page.get_by_label("Last name").fill("Lopes")
    page.get_by_label("Tracking consent").uncheck()
    page.get_by_role("button", name="Save person").click()
    expect(page.get_by_role("heading", name="Eva Lopes", level=1)).to_be_visible()
    person = admin.get(f"{setup.org}/contacts/ops-2").json()
    assert (person["lastname"], person["trackingconsent"], person["firstname"]) == ("Lopes", False, "Eva")
    screenshot(page, "person")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Eva Lopes").click()
    expect(page.get_by_role("heading", name="Person erased")).to_be_visible()
    assert admin.get(f"{setup.org}/contacts/ops-2").status_code == 404


def test_the_send_history_lists_every_send_newest_first_by_app_and_message(
    signed_in: Page, setup: Setup, admin: httpx.Client, screenshot: Screenshots
) -> None:
    page = signed_in
    open_sends(page)
    history = page.get_by_role("table", name="Send history")
    rows = history.get_by_role("row")
    expected = admin.get(f"{setup.org}/sends").json()["Sends"]
    expect(rows).to_have_count(len(expected) + 1)
    expect(rows.nth(1)).to_contain_text("Spring sale")
    expect(rows.nth(1)).to_contain_text("Broadcast")  # the newest: the broadcast
    expect(history.get_by_role("row", name=re.compile("Canceled"))).to_have_count(2)
    screenshot(page, "sends")
    page.get_by_label("Filter by app").select_option(label="No key yet")
    expect(history.get_by_role("row")).to_have_count(2)
    expect(history).to_contain_text("Nothing yet.")
    page.get_by_label("Filter by app").select_option(label="Devices app")
    rows.nth(1).get_by_role("link").click()
    expect(page.get_by_text("to every active device of the app (broadcast)")).to_be_visible()
