"""Sends end to end: the API fans out, the dev server polls DeliveryQueue into deliver_push, the
simulator receives; the ledger, the device store and the simulator must tell the same story."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import boto3
import httpx
import pytest

from pushgate.adapters.dynamodb.table import MainTable
from pushgate.credentials.inputs import AppMode
from pushgate.models.device import Device, DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate_local.runtime import LocalRuntime
from pushgate_local.seeding import write_population
from tests.conftest import recent_insight_days
from tests.e2e.registration_support import RegisteredApp, Table, create_app

pytestmark = pytest.mark.stack

#: Long enough for a few hundred devices plus four 1-second retries on a loaded 2-core machine.
COMPLETION_DEADLINE_S = 180.0
SEEDED_AT = datetime.now(UTC) - timedelta(days=2)
#: The issue's acceptance size: 2,000 recipients with 1 to 3 devices each (about 4,000 devices).
RECIPIENTS = 2_000


@dataclass(frozen=True)
class Population:
    """Who was seeded: users, their devices by kind, and who consented to tracking."""

    users: list[str]
    devices: dict[str, list[tuple[DevicePlatform, str]]]
    tracked: set[str]

    def tokens(self, kind: str) -> list[str]:
        return [token for devices in self.devices.values() for _, token in devices if _kind(token) == kind]


def _kind(token: str) -> str:
    for prefix in ("gone", "bad", "throttle"):
        if token.startswith(prefix):
            return prefix
    return "valid"


def _table(dev_stack: LocalRuntime) -> MainTable:
    client = boto3.client(
        "dynamodb",
        endpoint_url=dev_stack.dynamodb_url,
        region_name=dev_stack.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # DynamoDB Local accepts any credentials
    )
    return MainTable(client, dev_stack.resources.table_names["MainTable"])


def _token(platform: DevicePlatform, kind: str, salt: str, serial: int) -> str:
    # Salted with the app id: the simulator keeps every test's notifications.
    if platform is DevicePlatform.IOS:
        body = hashlib.sha256(f"{salt}-{serial}".encode()).hexdigest()
        if kind == "valid" and body.startswith("bad"):
            body = f"0{body[1:]}"  # the simulator answers BadDeviceToken to hex tokens that start with "bad"
        return body if kind == "valid" else f"{kind}{body[len(kind) :]}"
    prefix = "" if kind == "valid" else f"{kind}-"
    return f"{prefix}fcm-{salt[:8]}-{serial:06d}"


def stored_device(
    app: RegisteredApp, user_id: str, platform: DevicePlatform, token: str, at: datetime = SEEDED_AT
) -> Device:
    """An Active device as registration stores it, to write straight into the table (tokens with a
    fault prefix are not hex, so no registration route would take them)."""
    return Device(
        org_id=app.org_id,
        app_id=app.app_id,
        user_id=user_id,
        platform=platform,
        token=token,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        app_mode=AppMode.SANDBOX if platform is DevicePlatform.IOS else None,
        registered_at=at,
        last_registered_at=at,
        status_changed_at=at,
    )


def seed(dev_stack: LocalRuntime, app: RegisteredApp, count: int) -> Population:
    """Directory people with 1 to 3 devices each; every 50th device gone, every 100th bad or throttled."""
    table = _table(dev_stack)
    population = Population(users=[], devices={}, tracked=set())
    writes: list[tuple[Person, list[Device]]] = []
    serial = 0
    for index in range(count):
        user_id = f"e2e-{app.app_id[:8]}-{index:05d}"
        tracked = index % 2 == 0
        person = Person(
            org_id=app.org_id,
            entity_type=EntityType.CONTACT if index % 3 else EntityType.LEAD,
            person_id=user_id,
            attributes=PersonAttributes(firstname=f"Ana{index}", trackingconsent=tracked),
            created_at=SEEDED_AT,
            modified_at=SEEDED_AT,
        )
        population.users.append(user_id)
        if tracked:
            population.tracked.add(user_id)
        population.devices[user_id] = []
        owned: list[Device] = []
        for _ in range(1 + index % 3):
            serial += 1
            kind = (
                "gone"
                if serial % 50 == 7
                else "bad"
                if serial % 100 == 13
                else "throttle"
                if serial % 100 == 31
                else "valid"
            )
            platform = DevicePlatform.IOS if serial % 2 else DevicePlatform.ANDROID
            token = _token(platform, kind, app.app_id, serial)
            owned.append(stored_device(app, user_id, platform, token))
            population.devices[user_id].append((platform, token))
        writes.append((person, owned))

    # Thousands of people: their stored items in batches (the send, not the registration, is the subject).
    write_population(table, writes)
    return population


#: The message most send tests send: personal (the contact's first name) and with trigger data.
ORDER_SHIPPED: Final = {
    "Name": "Order shipped",
    "Title": 'Hi {{contact.firstname | default: "there"}}',
    "Body": "Order {{trigger.order}} is on its way",
    "OnClick": {"Behavior": "OpenUrl", "Url": "https://contoso.com/orders/{{trigger.order}}"},
}


def create_active_message(admin: httpx.Client, org_id: str, message: Mapping[str, Any] = ORDER_SHIPPED) -> str:
    """Creates ``message`` in the org and activates it; returns its id."""
    created = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages", json=dict(message))
    assert created.status_code == 201, created.text
    message_id = str(created.json()["MessageId"])
    activated = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate")
    assert activated.status_code == 200, activated.text
    return message_id


def wait_for_completion(admin: httpx.Client, org_id: str, send_id: str) -> dict[str, Any]:
    end = time.monotonic() + COMPLETION_DEADLINE_S
    while True:
        response = admin.get(f"/admin/v1/orgs/{org_id}/sends/{send_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["Status"] == "Completed":
            return body
        if time.monotonic() > end:
            raise AssertionError(f"send not completed in time: {body}")
        time.sleep(0.5)


def ledger(admin: httpx.Client, org_id: str, send_id: str, outcome: str | None = None) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(1000):
        params = {"Limit": "97", **({"Outcome": outcome} if outcome else {}), **({"NextToken": token} if token else {})}
        page = admin.get(f"/admin/v1/orgs/{org_id}/sends/{send_id}/recipients", params=params)
        assert page.status_code == 200, page.text
        entries.extend(page.json()["Recipients"])
        token = page.json()["NextToken"]
        if token is None:
            return entries
    raise AssertionError("the ledger never ended")


@pytest.fixture
def goaway_and_fast_retries(dev_stack: LocalRuntime) -> Iterator[None]:
    assert dev_stack.simulator is not None
    before = dev_stack.simulator.configure()
    dev_stack.simulator.configure(goaway_after_streams=60, retry_after_s=1)
    yield
    dev_stack.simulator.configure(
        goaway_after_streams=before["goaway_after_streams"], retry_after_s=before["retry_after_s"]
    )


def test_a_send_reaches_every_valid_device_exactly_once_and_the_ledger_agrees(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str, goaway_and_fast_retries: None
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    population = seed(dev_stack, app, RECIPIENTS)
    message_id = create_active_message(admin, org_id)
    recipients = [{"UserId": user, "TriggerData": {"order": f"SO-{n}"}} for n, user in enumerate(population.users)]
    recipients.append({"UserId": "nobody-in-the-directory"})

    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": recipients, "JourneyId": "welcome"},
    )
    assert accepted.status_code == 202, accepted.text
    answer = accepted.json()
    assert answer["Accepted"] == RECIPIENTS
    assert answer["Rejected"] == [{"UserId": "nobody-in-the-directory", "Reason": "UnknownRecipient"}]
    send_id = answer["SendId"]

    totals = wait_for_completion(admin, org_id, send_id)
    valid, gone, bad, throttled = (population.tokens(kind) for kind in ("valid", "gone", "bad", "throttle"))
    assert gone and bad and throttled
    assert totals["DevicesTargeted"] == len(valid) + len(gone) + len(bad) + len(throttled)
    assert totals["Sent"] == len(valid)
    assert totals["NotSent"] == len(gone) + len(bad) + len(throttled) + 1
    assert totals["NotSentReasons"]["RetriesExhausted"] == len(throttled)
    assert totals["NotSentReasons"]["UnknownRecipient"] == 1

    # The simulator received every valid device exactly once, and nothing else of ours.
    ours = set(valid) | set(gone) | set(bad) | set(throttled)
    received = Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in ours)
    assert set(received) == set(valid)
    assert set(received.values()) == {1}
    assert dev_stack.simulator.stats()["goaways"] > 0

    # Personalised, with a tracked link only for users who consented.
    user_of = {token: user for user, devices in population.devices.items() for _, token in devices}
    for notification in dev_stack.simulator.notifications():
        token = notification["token"]
        if token not in received:
            continue
        text = json.dumps(notification["payload"])
        index = int(user_of[token].rsplit("-", 1)[1])
        assert f"Hi Ana{index}" in text
        assert f"https://contoso.com/orders/SO-{index}" in text
        assert ("/l/" in text) is (user_of[token] in population.tracked)

    # Gone tokens are invalid in the device store, with evidence; valid ones stay active.
    devices = Table(dev_stack)
    for user, owned in population.devices.items():
        for item in devices.devices(app, user):
            kind = _kind(str(item["token"]))
            if kind == "gone":
                assert item["status"] == "Invalid"
                assert item["invalid_send_id"] == send_id
                assert item["invalid_reason"] in {"Unregistered", "UNREGISTERED"}
            elif kind == "valid":
                assert item["status"] == "Active"
        assert owned

    # The ledger lists every outcome; filtering and paging agree with the totals.
    everything = ledger(admin, org_id, send_id)
    assert len(everything) == totals["Expected"]
    sent = ledger(admin, org_id, send_id, "Sent")
    assert len(sent) == len(valid)
    assert len({entry["TrackingId"] for entry in sent}) == len(valid)
    assert len(ledger(admin, org_id, send_id, "NotSent")) == totals["NotSent"]

    # Insight counters of the day (both days, when the send crossed midnight UTC) agree with the ledger.
    days = set(recent_insight_days().values())
    counters = [Table(dev_stack).item(f"INSIGHT#{org_id}#JOURNEY#welcome", f"DAY#{day}") for day in days]
    assert sum(int(counter["sent"]) for counter in counters if counter is not None) == len(valid)


def test_repeating_an_idempotency_key_answers_the_first_send_and_sends_nothing_more(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    population = seed(dev_stack, app, 3)
    message_id = create_active_message(admin, org_id)
    body = {
        "MobileAppId": app.app_id,
        "MessageId": message_id,
        "Recipients": [{"UserId": user} for user in population.users],
        "IdempotencyKey": "journey-step-42",
    }
    first = admin.post(f"/admin/v1/orgs/{org_id}/sends", json=body)
    assert first.status_code == 202, first.text
    wait_for_completion(admin, org_id, first.json()["SendId"])
    again = admin.post(f"/admin/v1/orgs/{org_id}/sends", json=body)
    assert again.status_code == 202, again.text
    assert again.json() == first.json()
    other = admin.post(f"/admin/v1/orgs/{org_id}/sends", json={**body, "Recipients": body["Recipients"][:1]})
    assert other.status_code == 409
    assert other.json()["Error"]["Details"][0]["Field"] == "IdempotencyKey"
    valid = set(population.tokens("valid"))
    received = Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in valid)
    assert set(received.values()) == {1}


def test_bad_sends_name_the_field_and_enqueue_nothing(admin: httpx.Client, org_id: str) -> None:
    app = create_app(admin, org_id)
    message_id = create_active_message(admin, org_id)
    url = f"/admin/v1/orgs/{org_id}/sends"
    good = {"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": [{"UserId": "someone"}]}

    def field_of(body: dict[str, Any], status: int) -> str:
        response = admin.post(url, json=body)
        assert response.status_code == status, response.text
        return str(response.json()["Error"]["Details"][0]["Field"])

    assert field_of({**good, "MessageId": "9d3b1c1e-0000-4000-8000-000000000001"}, 404) == "MessageId"
    assert field_of({**good, "MobileAppId": "9d3b1c1e-0000-4000-8000-000000000001"}, 404) == "MobileAppId"
    assert field_of({**good, "MessageId": "not-a-uuid"}, 400) == "MessageId"
    assert field_of({**good, "Recipients": [{"UserId": "a#b"}]}, 400) == "Recipients[0].UserId"
    assert field_of({**good, "Recipients": [{"UserId": "x"}, {"UserId": "x"}]}, 400) == "Recipients[1].UserId"
    assert field_of({**good, "Recipients": [{"UserId": f"u{n}"} for n in range(10_001)]}, 400).startswith("Recipients")
    assert field_of({**good, "Recipients": []}, 400).startswith("Recipients")
    deactivated = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/deactivate")
    assert deactivated.status_code == 200, deactivated.text
    assert field_of(good, 409) == "MessageId"
