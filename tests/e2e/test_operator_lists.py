"""The lists daily work needs, over HTTP through the dev server: orgs, the send history (per org,
message and app, newest first, with status and totals) and the person page (devices per app,
app-user links, recent notifications)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.registration_support import RegisteredApp, create_app
from tests.e2e.test_sends import create_active_message, wait_for_completion

pytestmark = pytest.mark.stack


def _fields(response: httpx.Response) -> set[str]:
    return {detail["Field"] for detail in response.json()["Error"]["Details"]}


def _all_pages(admin: httpx.Client, path: str, key: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(1000):
        page = admin.get(path, params={**params, **({"NextToken": token} if token else {})})
        assert page.status_code == 200, page.text
        items.extend(page.json()[key])
        token = page.json()["NextToken"]
        if token is None:
            return items
    raise AssertionError("the listing never ended")


def _contact(admin: httpx.Client, public: httpx.Client, apps: list[RegisteredApp]) -> tuple[str, dict[str, str]]:
    """A contact with one Android device in each app; returns its id and the token per app."""
    contact_id = str(uuid.uuid4())
    saved = admin.put(f"/admin/v1/orgs/{apps[0].org_id}/contacts/{contact_id}", json={"firstname": "Ana"})
    assert saved.status_code == 201, saved.text
    tokens = {}
    for app in apps:
        token = f"fcm-page-{uuid.uuid4().hex}:APA91b{uuid.uuid4().hex}"
        contract = {"FcmDeviceContract": {"FcmToken": token}, "ApiToken": app.api_token}
        registered = public.post(app.v1(contact_id), json=contract)
        assert registered.status_code == 200, registered.text
        tokens[app.app_id] = token
    return contact_id, tokens


def test_orgs_are_listed_oldest_first_a_page_at_a_time(admin: httpx.Client) -> None:
    created = []
    for name in ("Contoso list A", "Contoso list B", "Contoso list C"):
        response = admin.post("/admin/v1/orgs", json={"Name": name})
        assert response.status_code == 201, response.text
        created.append(response.json())

    listed = _all_pages(admin, "/admin/v1/orgs", "Orgs", MaxResults="1")
    ids = [org["OrgId"] for org in listed]
    assert [org for org in listed if org["OrgId"] in {c["OrgId"] for c in created}] == created
    assert len(ids) == len(set(ids))
    assert [org["CreatedAt"] for org in listed] == sorted(org["CreatedAt"] for org in listed)

    first = admin.get("/admin/v1/orgs", params={"MaxResults": "2"})
    assert first.status_code == 200 and len(first.json()["Orgs"]) == 2
    assert admin.get("/admin/v1/orgs", params={"MaxResults": "0"}).status_code == 400
    forged = admin.get("/admin/v1/orgs", params={"NextToken": "eyJwayI6Ik9SRyNYIiwic2siOiJPUkcifQ"})
    assert forged.status_code == 400, forged.text
    assert _fields(forged) == {"NextToken"}


def test_the_send_history_lists_sends_newest_first_per_org_message_and_app(
    admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    first_app, second_app = create_app(admin, org_id), create_app(admin, org_id)
    contact_id, _ = _contact(admin, public, [first_app, second_app])
    shipped, welcome = create_active_message(admin, org_id), create_active_message(admin, org_id)
    renamed = admin.patch(f"/admin/v1/orgs/{org_id}/pushmessages/{welcome}", json={"Name": "Welcome"})
    assert renamed.status_code == 200, renamed.text
    welcome_active = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{welcome}/activate")
    assert welcome_active.status_code in {200, 409}, welcome_active.text
    recipients = [{"UserId": contact_id, "TriggerData": {"order": "A-1"}}]
    plan = [
        {"MobileAppId": first_app.app_id, "MessageId": shipped, "Recipients": recipients},
        {"MobileAppId": first_app.app_id, "MessageId": welcome, "Recipients": recipients},
        {"MobileAppId": second_app.app_id, "MessageId": shipped, "Recipients": recipients},
        {"MobileAppId": first_app.app_id, "MessageId": shipped, "Audience": "AllActiveDevices"},
    ]
    send_ids = []
    for body in plan:
        accepted = admin.post(f"/admin/v1/orgs/{org_id}/sends", json=body)
        assert accepted.status_code == 202, accepted.text
        send_ids.append(accepted.json()["SendId"])
    for send_id in send_ids:
        wait_for_completion(admin, org_id, send_id)
    newest_first = list(reversed(send_ids))
    path = f"/admin/v1/orgs/{org_id}/sends"

    everything = _all_pages(admin, path, "Sends", MaxResults="1")
    assert [s["SendId"] for s in everything] == newest_first
    broadcast, second_app_send, welcome_send, first = everything
    assert broadcast["Audience"] == "AllActiveDevices"
    assert first["Audience"] == "Recipients"
    assert first["Status"] == "Completed"
    assert first["MessageName"] == "Order shipped"
    assert welcome_send["MessageName"] == "Welcome"
    assert first["Totals"] == {
        "RecipientsAccepted": 1,
        "RecipientsRejected": 0,
        "DevicesTargeted": 1,
        "Expected": 1,
        "Sent": 1,
        "NotSent": 0,
        "Pending": 0,
        "Parked": 0,
        "Deferred": 0,
        "NotSentReasons": {},
    }
    # The totals are the ones GET sends/{id} shows.
    detail = admin.get(f"{path}/{first['SendId']}").json()
    assert {name: detail[name] for name in first["Totals"]} == first["Totals"]
    assert set(first) == {
        "SendId",
        "MessageId",
        "MessageName",
        "MobileAppId",
        "JourneyId",
        "CreatedAt",
        "Status",
        "Audience",
        "Totals",
        "SendAt",
    }

    by_message = _all_pages(admin, path, "Sends", MessageId=shipped)
    assert [s["SendId"] for s in by_message] == [broadcast["SendId"], second_app_send["SendId"], first["SendId"]]
    by_app = _all_pages(admin, path, "Sends", MobileAppId=second_app.app_id)
    assert [s["SendId"] for s in by_app] == [second_app_send["SendId"]]
    both = _all_pages(admin, path, "Sends", MobileAppId=first_app.app_id, MessageId=shipped, MaxResults="1")
    assert [s["SendId"] for s in both] == [broadcast["SendId"], first["SendId"]]

    # A token of one listing is refused by another; ids that are not UUIDs name their field.
    page = admin.get(path, params={"MaxResults": "1"}).json()
    other = admin.get(path, params={"MessageId": shipped, "NextToken": page["NextToken"]})
    assert other.status_code == 400 and _fields(other) == {"NextToken"}
    bad = admin.get(path, params={"MessageId": "not-a-uuid"})
    assert bad.status_code == 400 and _fields(bad) == {"MessageId"}
    foreign = admin.get(f"/admin/v1/orgs/{uuid.uuid4()}/sends")
    assert foreign.status_code == 404


def test_the_person_page_shows_devices_per_app_links_and_recent_notifications(
    admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    first_app, second_app = create_app(admin, org_id), create_app(admin, org_id)
    contact_id, tokens = _contact(admin, public, [first_app, second_app])
    linked = admin.put(
        f"/admin/v1/orgs/{org_id}/mobileapps/{first_app.app_id}/users/ana-in-app",
        json={"EntityType": "contact", "EntityId": contact_id},
    )
    assert linked.status_code == 201, linked.text
    message_id = create_active_message(admin, org_id)
    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": first_app.app_id, "MessageId": message_id, "Recipients": [{"UserId": contact_id}]},
    )
    assert accepted.status_code == 202, accepted.text
    send_id = accepted.json()["SendId"]
    wait_for_completion(admin, org_id, send_id)
    person = f"/admin/v1/orgs/{org_id}/contacts/{contact_id}"

    devices = admin.get(f"{person}/devices")
    assert devices.status_code == 200, devices.text
    listed = devices.json()["Devices"]
    assert {d["MobileAppId"] for d in listed} == {first_app.app_id, second_app.app_id}
    for device in listed:
        token = tokens[device["MobileAppId"]]
        assert device["TokenSuffix"] == token[-8:]
        assert device["Platform"] == "android"
        assert device["Status"] == "Active"
        assert device["AppName"] == "Devices app"
        assert device["LastOutcome"]["Reason"] == "Registered"
        assert token not in devices.text  # the whole token stays on the per-app device route

    links = admin.get(f"{person}/links")
    assert links.status_code == 200, links.text
    assert [(link["MobileAppId"], link["AppUserId"]) for link in links.json()["Links"]] == [
        (first_app.app_id, "ana-in-app")
    ]

    notifications = admin.get(f"{person}/notifications")
    assert notifications.status_code == 200, notifications.text
    body = notifications.json()
    assert body["SendsSearched"] >= 1
    assert body["SendsSkipped"] == 0
    (entry,) = [n for n in body["Notifications"] if n["SendId"] == send_id]
    assert entry["Outcome"] == "Sent"
    assert entry["MessageName"] == "Order shipped"
    assert entry["MobileAppId"] == first_app.app_id
    assert entry["Platform"] == "android"

    for suffix in ("devices", "links", "notifications"):
        unknown = admin.get(f"/admin/v1/orgs/{org_id}/contacts/{uuid.uuid4()}/{suffix}")
        assert unknown.status_code == 404, unknown.text
        as_lead = admin.get(f"/admin/v1/orgs/{org_id}/leads/{contact_id}/{suffix}")
        assert as_lead.status_code == 404, as_lead.text
