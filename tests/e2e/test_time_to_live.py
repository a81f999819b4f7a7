"""A time to live of 0 is "now or never" end to end: the send goes out at once with the providers' own
"do not store" values (APNs ``apns-expiration: 0``, FCM ``android.ttl: "0s"``), and a notification
that could only go out later (a provider asking to retry) is recorded expired, never sent late."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.models.device import DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, create_app
from tests.e2e.test_sends import _table, ledger, stored_device, wait_for_completion

pytestmark = pytest.mark.stack


def _person_with_devices(dev_stack: LocalRuntime, app: RegisteredApp, tokens: dict[DevicePlatform, str]) -> str:
    """A contact and its devices, written to the table (fault-prefixed APNs tokens are not hex, so no
    registration route would take them)."""
    table = _table(dev_stack)
    user_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    person = Person(
        org_id=app.org_id,
        entity_type=EntityType.CONTACT,
        person_id=user_id,
        attributes=PersonAttributes(firstname="Ana"),
        created_at=now,
        modified_at=now,
    )
    DynamoPersonRepository(table).save(person, previous=None)
    for platform, token in tokens.items():
        DynamoDeviceRepository(table).save(stored_device(app, user_id, platform, token, now), expected_owner=None)
    return user_id


def _message(admin: httpx.Client, org_id: str, **expiry: Any) -> str:
    created = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages", json={"Name": "Code", "Title": "Your code", "Body": "123456", **expiry}
    )
    assert created.status_code == 201, created.text
    message_id = str(created.json()["MessageId"])
    assert admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate").status_code == 200
    return message_id


def _send(admin: httpx.Client, app: RegisteredApp, message_id: str, users: list[str]) -> dict[str, Any]:
    body = {"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": [{"UserId": u} for u in users]}
    accepted = admin.post(f"/admin/v1/orgs/{app.org_id}/sends", json=body)
    assert accepted.status_code == 202, accepted.text
    return wait_for_completion(admin, app.org_id, accepted.json()["SendId"])


def test_a_time_to_live_of_zero_is_sent_now_with_the_providers_do_not_store_values(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    simulator = dev_stack.simulator
    assert simulator is not None
    app = create_app(admin, org_id)
    seed = hashlib.sha256(app.app_id.encode()).hexdigest()
    ios, android = f"0{seed[1:]}", f"fcm-ttl0-{seed[:12]}"
    # A provider that asks to retry later (APNs 503, FCM 429, both with Retry-After).
    busy_ios, busy_android = f"unavailable{seed[11:]}", f"throttle-fcm-ttl0-{seed[:12]}"
    user = _person_with_devices(dev_stack, app, {DevicePlatform.IOS: ios, DevicePlatform.ANDROID: android})
    busy = _person_with_devices(dev_stack, app, {DevicePlatform.IOS: busy_ios, DevicePlatform.ANDROID: busy_android})

    totals = _send(admin, app, _message(admin, org_id, TimeToLiveSeconds=0), [user, busy])

    assert (totals["Sent"], totals["NotSent"]) == (2, 2), totals
    [apns] = simulator.notifications(token=ios)
    assert apns["headers"]["apns-expiration"] == "0"
    [fcm] = simulator.notifications(token=android)
    assert fcm["payload"]["android"]["ttl"] == "0s"
    # Its moment has passed when a retry would go: recorded expired, tried once, never sent late.
    assert totals["NotSentReasons"] == {"MessageExpired": 2}
    not_sent = ledger(admin, org_id, totals["SendId"], "NotSent")
    assert {(e["UserId"], e["Reason"], e["Attempts"]) for e in not_sent} == {(busy, "MessageExpired", 1)}
    assert simulator.notifications(token=busy_ios) == simulator.notifications(token=busy_android) == []

    # A positive time to live is not touched: it expires only once it has passed.
    later = _send(admin, app, _message(admin, org_id, TimeToLiveSeconds=60), [user])
    assert later["Sent"] == 2
    apns_later = simulator.notifications(token=ios)[-1]
    assert int(apns_later["headers"]["apns-expiration"]) > 0
