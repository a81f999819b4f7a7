"""Personalization from stored directory records over HTTP: one attribute path renders the same in a
preview, a test send and a send, for contacts, leads and profiles, as the simulator receives it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, create_app, final_statuses
from tests.e2e.test_sends import ledger, wait_for_completion

pytestmark = pytest.mark.stack

#: The console's personalization picker inserts ``contact.customattributes.<name>``; ``{{contact.<name>}}``
#: and the lead/profile aliases are the same attribute.
TITLE = "{{contact.customattributes.tier}} / {{lead.customattributes.tier}} / {{profile.tier}}"
BODY = "{{#if contact.customattributes.vip}}VIP {{/if}}{{contact.firstname}} has {{contact.customattributes.points}}"


def _message(admin: httpx.Client, org_id: str) -> str:
    created = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages",
        json={
            "Name": "Custom attributes",
            "Title": TITLE,
            "Body": BODY,
            "Data": {"id": "{{contact.contactid}}{{lead.leadid}}{{profile.profileid}}"},
        },
    )
    assert created.status_code == 201, created.text
    message_id = str(created.json()["MessageId"])
    assert admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate").status_code == 200
    return message_id


def _person(admin: httpx.Client, org_id: str, kind: str, tier: str) -> str:
    person_id = str(uuid.uuid4())
    stored = admin.put(
        f"/admin/v1/orgs/{org_id}/{kind}/{person_id}",
        json={"firstname": "Ana", "customattributes": {"tier": tier, "vip": True, "points": 1250}},
    )
    assert stored.status_code == 201, stored.text
    return person_id


def _register(public: httpx.Client, app: RegisteredApp, user_id: str) -> str:
    token = "0" + uuid.uuid4().hex[1:] + uuid.uuid4().hex
    response = public.post(app.v2, json=app.ios(user_id, token), headers={"x-ms-track-registration": "true"})
    assert response.status_code == 202, response.text
    assert final_statuses(public, app, [response.json()["RegistrationRequestId"]]) == [{"Status": "Success"}]
    return token


def _alerts(dev_stack: LocalRuntime, token: str) -> list[dict[str, Any]]:
    # Registration's verification push is a background one: only alerts are what was sent.
    assert dev_stack.simulator is not None
    received = dev_stack.simulator.notifications(token=token)
    return [notification for notification in received if notification["headers"]["apns-push-type"] == "alert"]


def _alert(notification: dict[str, Any]) -> dict[str, Any]:
    alert: dict[str, Any] = notification["payload"]["aps"]["alert"]
    return alert


def test_stored_custom_attributes_render_in_preview_test_send_and_send(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    message_id = _message(admin, org_id)
    url = f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}"
    people = {
        kind: _person(admin, org_id, kind, tier)
        for kind, tier in (("contacts", "gold"), ("leads", "silver"), ("profiles", "bronze"))
    }
    id_attribute = {"contacts": "contactid", "leads": "leadid", "profiles": "profileid"}
    tokens = {kind: _register(public, app, person_id) for kind, person_id in people.items()}

    for kind, person_id in people.items():
        tier = {"contacts": "gold", "leads": "silver", "profiles": "bronze"}[kind]
        expected = {"title": f"{tier} / {tier} / {tier}", "body": "VIP Ana has 1250"}

        preview = admin.post(f"{url}/preview", json={"UserId": person_id})
        assert preview.status_code == 200, preview.text
        rendered = preview.json()["Rendered"]
        assert {"title": rendered["Title"], "body": rendered["Body"]} == expected, kind
        assert preview.json()["Apns"]["Payload"]["data"]["id"] == person_id, id_attribute[kind]

        test_send = admin.post(f"{url}/testsend", json={"MobileAppId": app.app_id, "UserId": person_id})
        assert test_send.status_code == 200, test_send.text
        [received] = _alerts(dev_stack, tokens[kind])
        assert _alert(received) == expected, kind
        assert received["payload"]["data"]["id"] == person_id

    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={
            "MobileAppId": app.app_id,
            "MessageId": message_id,
            "Recipients": [{"UserId": person_id} for person_id in people.values()],
        },
    )
    assert accepted.status_code == 202, accepted.text
    totals = wait_for_completion(admin, org_id, accepted.json()["SendId"])
    assert totals["Sent"] == 3, ledger(admin, org_id, accepted.json()["SendId"])
    for kind, token in tokens.items():
        tier = {"contacts": "gold", "leads": "silver", "profiles": "bronze"}[kind]
        test_sent, sent = _alerts(dev_stack, token)
        assert _alert(sent) == _alert(test_sent) == {"title": f"{tier} / {tier} / {tier}", "body": "VIP Ana has 1250"}
        assert sent["payload"]["data"]["id"] == people[kind]


def test_sample_contact_custom_attributes_win_one_by_one_over_the_stored_ones(admin: httpx.Client, org_id: str) -> None:
    message_id = _message(admin, org_id)
    person_id = _person(admin, org_id, "contacts", "gold")
    preview = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/preview",
        json={"UserId": person_id, "Contact": {"customattributes": {"tier": "platinum"}}},
    )
    assert preview.status_code == 200, preview.text
    # The sample's tier wins; the stored vip flag and points are still there.
    assert preview.json()["Rendered"]["Title"] == "platinum / platinum / platinum"
    assert preview.json()["Rendered"]["Body"] == "VIP Ana has 1250"

    sample_only = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/preview",
        json={"Contact": {"firstname": "Bo", "customattributes": {"tier": "gold", "points": 3}}},
    )
    assert sample_only.status_code == 200, sample_only.text
    assert sample_only.json()["Rendered"]["Title"] == "gold / gold / gold"
    assert sample_only.json()["Rendered"]["Body"] == "Bo has 3"
