"""The Sends page's segment audiences in a real browser against the dev stack.

People (with and without push consent, with and without devices) and a saved segment are made over
the operator and device APIs; the operator then picks the segment on the Sends page, reads the
preview count the page shows, sends, and the simulator must have received exactly the devices of
the matching people who consented. An ad-hoc filter the API refuses shows the API's 400 beside it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from pushgate_local.runtime import LocalRuntime
from tests.e2e.browser.conftest import Screenshots
from tests.e2e.conftest import ADMIN_KEY
from tests.e2e.registration_support import RegisteredApp, create_app

pytestmark = pytest.mark.stack

BERLIN_GOLD = "address1_city eq 'Berlin' and customattributes/tier eq 'gold'"
# Person id → (first name, city, tier, push consent, platforms of their devices).
PEOPLE: dict[str, tuple[str, str, str, bool, tuple[str, ...]]] = {
    "seg-ana": ("Ana", "Berlin", "gold", True, ("ios", "android")),
    "seg-bo": ("Bo", "Berlin", "gold", True, ("android",)),
    "seg-cy": ("Cy", "Berlin", "gold", False, ("ios",)),  # withdrew push consent
    "seg-fay": ("Fay", "Berlin", "gold", True, ()),  # no device
    "seg-dan": ("Dan", "Berlin", "silver", True, ("ios",)),  # another tier
    "seg-eve": ("Eve", "Paris", "gold", True, ("android",)),  # another city
}
REACHED = {"seg-ana", "seg-bo"}


@dataclass
class Setup:
    """What the module's org holds."""

    console_url: str
    app: RegisteredApp
    segment_id: str
    tokens: dict[str, list[str]] = field(default_factory=dict)

    @property
    def org(self) -> str:
        return f"/admin/v1/orgs/{self.app.org_id}"

    def tokens_of(self, people: set[str]) -> set[str]:
        return {token for person_id in people for token in self.tokens[person_id]}


def device_token(platform: str, salt: str) -> str:
    if platform == "android":
        return f"fcm-{salt}"
    # The simulator refuses hex APNs tokens that start with "bad".
    return hashlib.sha256(salt.encode()).hexdigest().replace("bad", "0ad")


@pytest.fixture(scope="module")
def setup(dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client) -> Setup:
    org = admin.post("/admin/v1/orgs", json={"Name": "Northwind"})
    assert org.status_code == 201, org.text
    app = create_app(admin, org.json()["OrgId"])
    message = {"Name": "Gold weekend", "Title": "Hi {{contact.firstname}}", "Body": "Gold members first."}
    created = admin.post(f"/admin/v1/orgs/{app.org_id}/pushmessages", json=message)
    assert created.status_code == 201, created.text
    message_id = created.json()["MessageId"]
    assert admin.post(f"/admin/v1/orgs/{app.org_id}/pushmessages/{message_id}/activate").status_code == 200
    segment = admin.post(
        f"/admin/v1/orgs/{app.org_id}/segments", json={"Name": "Berlin gold", "Filter": BERLIN_GOLD, "Kind": "contacts"}
    )
    assert segment.status_code == 201, segment.text
    found = Setup(f"{dev_stack.api_url}/console/", app, segment.json()["SegmentId"])
    run = uuid.uuid4().hex[:12]
    for person_id, (name, city, tier, consent, platforms) in PEOPLE.items():
        person = {
            "firstname": name,
            "address1_city": city,
            "pushconsent": consent,
            "customattributes": {"tier": tier},
        }
        response = admin.put(f"/admin/v1/orgs/{app.org_id}/contacts/{person_id}", json=person)
        assert response.status_code == 201, response.text
        found.tokens[person_id] = []
        for platform in platforms:
            token = device_token(platform, f"{run}-{person_id}-{platform}")
            contract = (
                {"ApnsDeviceContract": {"ApnsToken": token}}
                if platform == "ios"
                else {"FcmDeviceContract": {"FcmToken": token}}
            )
            registered = public.post(app.v1(person_id), json={**contract, "ApiToken": app.api_token})
            assert registered.status_code == 200, registered.text
            found.tokens[person_id].append(token)
    return found


@pytest.fixture(scope="module")
def signed_in(page: Page, setup: Setup) -> Page:
    page.goto(setup.console_url)
    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    page.get_by_label("Org id").fill(setup.app.org_id)
    page.get_by_role("button", name="Open org").click()
    expect(page.get_by_role("heading", name="Current org: Northwind")).to_be_visible()
    return page


def preview(admin: httpx.Client, setup: Setup, audience: object) -> httpx.Response:
    return admin.post(f"{setup.org}/audiences/preview", json={"MobileAppId": setup.app.app_id, "Audience": audience})


def shown_counts(page: Page) -> list[int]:
    """The preview table's row as the page shows it: people, devices, iOS, Android, matched, no consent."""
    row = page.get_by_role("table", name="Audience preview").get_by_role("row").nth(1)
    return [int(cell) for cell in row.get_by_role("cell").all_inner_texts()]


def test_a_saved_segment_is_previewed_then_sent_to_exactly_its_consenting_devices(
    signed_in: Page, setup: Setup, admin: httpx.Client, dev_stack: LocalRuntime, screenshot: Screenshots
) -> None:
    assert dev_stack.simulator is not None
    page = signed_in
    page.get_by_role("link", name="Sends").click()
    page.get_by_label("Audience").select_option(label="A saved segment")
    expect(page.get_by_label("Recipients")).to_be_hidden()
    page.get_by_label("Saved segment", exact=True).select_option(label="Berlin gold (contacts)")
    expect(page.get_by_test_id("segment-filter")).to_have_text(f"contacts: {BERLIN_GOLD}")

    # What the page shows is what the API answers, and what was made: Ana (iOS and Android) and Bo
    # (Android); Cy withdrew consent, Fay has no device, Dan and Eve do not match.
    expect(page.get_by_role("table", name="Audience preview")).to_be_visible()
    api = preview(admin, setup, {"SegmentId": setup.segment_id}).json()
    expected = [2, 3, 1, 2, 4, 1]
    assert [
        api["People"],
        api["Devices"]["Total"],
        api["Devices"]["Ios"],
        api["Devices"]["Android"],
        api["Matched"],
        api["NoConsent"],
    ] == expected
    assert shown_counts(page) == expected
    expect(page.get_by_test_id("audience-preview")).to_contain_text("2 people on 3 device(s)")
    sample = page.get_by_role("table", name="Audience sample")
    expect(sample.get_by_role("row")).to_have_count(3)
    for person_id in REACHED:
        expect(sample.get_by_role("link", name=person_id)).to_be_visible()
    screenshot(page, "send-segment")

    prompts: list[str] = []

    def accept(dialog: Dialog) -> None:
        prompts.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", name="Send of Gold weekend", level=1)).to_be_visible()
    assert prompts == ["Send to everyone the segment matches (2 people on 3 device(s) when counted)?"]
    expect(page.get_by_text("the saved segment Berlin gold, the contacts matching")).to_be_visible()
    expect(page.get_by_test_id("send-filter")).to_have_text(BERLIN_GOLD)
    expect(page.get_by_text("Status Completed")).to_be_visible()

    send_id = page.url.rsplit("/", 1)[-1]
    send = admin.get(f"{setup.org}/sends/{send_id}").json()
    assert send["Audience"] == {"Filter": BERLIN_GOLD, "Kind": "contacts", "SegmentId": setup.segment_id}
    assert (send["DevicesTargeted"], send["Sent"]) == (3, 3)
    assert send["NotSentReasons"].get("NoPushConsent") == 1  # Cy is in the ledger, not on a device
    columns = ("RecipientsAccepted", "RecipientsRejected", "DevicesTargeted", "Sent", "NotSent", "Pending", "Parked")
    totals = page.get_by_role("table", name="Send totals").get_by_role("row").nth(1)
    expect(totals.get_by_role("cell")).to_have_text([str(send[column]) for column in columns])
    everyone = setup.tokens_of(set(PEOPLE))
    received = Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in everyone)
    assert received == dict.fromkeys(setup.tokens_of(REACHED), 1)
    for person_id in REACHED:
        for token in setup.tokens[person_id]:
            [note] = dev_stack.simulator.notifications(token=token)
            assert f"Hi {PEOPLE[person_id][0]}" in str(note["payload"])

    # The history calls it a segment send, in the API's list and in the page's "To" column.
    [entry] = [s for s in admin.get(f"{setup.org}/sends").json()["Sends"] if s["SendId"] == send_id]
    assert entry["Audience"] == "Segment"
    page.get_by_role("link", name="Sends").click()
    newest = page.get_by_role("table", name="Send history").get_by_role("row").nth(1)
    expect(newest.get_by_role("cell").nth(3)).to_have_text("Segment")


def test_an_ad_hoc_filter_the_api_refuses_shows_its_400_beside_the_field(
    signed_in: Page, setup: Setup, admin: httpx.Client
) -> None:
    page = signed_in
    page.get_by_role("link", name="Sends").click()
    page.get_by_label("Audience").select_option(label="People matching a filter")
    broken = "address1_city eq 'Berlin' and"
    refused = preview(admin, setup, {"Filter": broken, "Kind": "contacts"})
    assert refused.status_code == 400, refused.text
    [detail] = refused.json()["Error"]["Details"]
    assert detail["Field"] == "Audience.Filter" and "syntax error at position 29" in detail["Problem"]

    box = page.get_by_label("OData $filter")
    box.fill(broken)
    expect(box).to_have_attribute("aria-invalid", "true")
    alert = page.locator(f"#{box.get_attribute('id')}-error")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text(f"Audience.Filter {detail['Problem']}")
    expect(page.get_by_role("table", name="Audience preview")).to_have_count(0)

    # Corrected, and over leads (there are none), the count follows the typing and the error goes.
    box.fill("customattributes/tier eq 'gold' and pushconsent eq true")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    expect(alert).to_have_count(0)
    expect(page.get_by_role("table", name="Audience preview")).to_be_visible()
    assert shown_counts(page) == [3, 4, 1, 3, 4, 0]  # Ana, Bo, Eve; Fay has no device
    page.get_by_label("Record type", exact=True).select_option("leads")
    expect(page.get_by_text("0 people on 0 device(s)")).to_be_visible()
    # Sending a refused filter is refused the same way, and nothing is sent.
    box.fill(broken)
    expect(box).to_have_attribute("aria-invalid", "true")
    before = [s["SendId"] for s in admin.get(f"{setup.org}/sends").json()["Sends"]]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send", exact=True).click()
    form_alert = page.get_by_role("form", name="New send").get_by_role("alert").last
    expect(form_alert).to_contain_text(detail["Problem"])
    expect(page).to_have_url(re.compile(r"#/sends$"))
    assert [s["SendId"] for s in admin.get(f"{setup.org}/sends").json()["Sends"]] == before


def test_segments_are_saved_and_deleted_on_the_page_and_offered_at_once(
    signed_in: Page, setup: Setup, admin: httpx.Client
) -> None:
    page = signed_in
    page.get_by_role("link", name="Sends").click()
    listed = page.get_by_role("table", name="Saved segments")
    expect(listed.get_by_role("row", name=re.compile("Berlin gold contacts"))).to_have_count(1)

    # A filter the API refuses is named with its problem, and nothing is saved.
    page.get_by_label("Segment name").fill("Paris gold")
    page.get_by_label("Segment filter").fill("address1_city eq 'Paris' and shoesize gt 42")
    page.get_by_role("button", name="Save segment").click()
    refusal = page.get_by_role("form", name="New segment").get_by_role("alert")
    expect(refusal).to_contain_text("Filter unknown attribute 'shoesize'")
    assert [s["Name"] for s in admin.get(f"{setup.org}/segments").json()["Segments"]] == ["Berlin gold"]

    page.get_by_label("Segment filter").fill("address1_city eq 'Paris' and customattributes/tier eq 'gold'")
    page.get_by_label("Segment description (optional)").fill("Eve")
    page.get_by_role("button", name="Save segment").click()
    expect(listed.get_by_role("row", name=re.compile("Paris gold contacts .* Eve"))).to_have_count(1)
    [saved] = [s for s in admin.get(f"{setup.org}/segments").json()["Segments"] if s["Name"] == "Paris gold"]
    assert (saved["Kind"], saved["Description"]) == ("contacts", "Eve")

    # Offered at once to the new send, previewed like any other (Eve's one Android device).
    page.get_by_label("Audience").select_option(label="A saved segment")
    page.get_by_label("Saved segment", exact=True).select_option(label="Paris gold (contacts)")
    expect(page.get_by_text("1 person on 1 device(s)")).to_be_visible()
    assert shown_counts(page) == [1, 1, 0, 1, 1, 0]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete segment Paris gold").click()
    expect(listed.get_by_role("row", name=re.compile("Paris gold"))).to_have_count(0)
    assert admin.get(f"{setup.org}/segments/{saved['SegmentId']}").status_code == 404
    segment_choice = page.get_by_label("Saved segment", exact=True)
    expect(segment_choice.get_by_role("option")).to_have_text(["Choose a segment", "Berlin gold (contacts)"])
    expect(segment_choice).to_have_value("")
    expect(page.get_by_test_id("audience-preview")).to_be_hidden()
