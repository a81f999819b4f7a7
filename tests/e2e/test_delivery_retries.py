"""Retries end to end: each platform's devices come back when their own provider said, not with the slowest.

A send of 51 Android and 3 iOS devices in one delivery job, through the dev server and the
simulator: FCM answers every Android device's first request 503 ``UNAVAILABLE`` with
``Retry-After: 1``, APNs answers every iOS device's first request 500 ``InternalServerError``
(Apple: retry after 15 minutes). The Android devices must be delivered within seconds while the iOS
ones wait their 15 minutes.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.models.device import DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, create_app
from tests.e2e.test_sends import _table, create_active_message, ledger, stored_device

pytestmark = pytest.mark.stack

SEEDED_AT = datetime.now(UTC) - timedelta(days=1)
#: Far below the 900 s a mixed retry job used to be held, far above a 1 s retry on a loaded machine.
ANDROID_DEADLINE_S = 90.0


def seed_people(dev_stack: LocalRuntime, app: RegisteredApp, tokens: list[tuple[DevicePlatform, str]]) -> list[str]:
    """One directory contact per device, written straight into DynamoDB; returns their ids in order."""
    table = _table(dev_stack)
    people, devices = DynamoPersonRepository(table), DynamoDeviceRepository(table)
    users = []
    for index, (platform, token) in enumerate(tokens):
        user_id = f"retry-{app.app_id[:8]}-{index:03d}"
        people.save(
            Person(
                org_id=app.org_id,
                entity_type=EntityType.CONTACT,
                person_id=user_id,
                attributes=PersonAttributes(firstname=f"Ana{index}"),
                created_at=SEEDED_AT,
                modified_at=SEEDED_AT,
            ),
            previous=None,
        )
        devices.save(stored_device(app, user_id, platform, token), expected_owner=None)
        users.append(user_id)
    return users


def test_a_retry_job_does_not_wait_for_another_platforms_delay(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str, one_second_retry_after: None
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    android = [f"unavailableonce-fcm-{app.app_id[:8]}-{n:03d}" for n in range(51)]
    ios = ["erroronce" + hashlib.sha256(f"{app.app_id}-{n}".encode()).hexdigest()[9:] for n in range(3)]
    devices = [(DevicePlatform.ANDROID, token) for token in android] + [(DevicePlatform.IOS, token) for token in ios]
    users = seed_people(dev_stack, app, devices)
    message_id = create_active_message(admin, org_id)

    # Given a send whose one delivery job holds 51 Android and 3 iOS devices
    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": [{"UserId": u} for u in users]},
    )
    assert accepted.status_code == 202, accepted.text
    send_id = accepted.json()["SendId"]

    # When FCM asks for a retry after 1 s and APNs answers 500 to every first request, then the
    # Android devices are delivered within seconds, each once, while the iOS devices wait
    deadline = time.monotonic() + ANDROID_DEADLINE_S
    while True:
        status = admin.get(f"/admin/v1/orgs/{org_id}/sends/{send_id}").json()
        if status["Sent"] >= len(android) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["Sent"] == len(android), status
    assert status["Pending"] == len(ios), status
    received = Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in set(android + ios))
    assert received == dict.fromkeys(android, 1)
    entries = ledger(admin, org_id, send_id)
    assert {entry["Platform"] for entry in entries} == {"android"}
    assert {entry["Outcome"] for entry in entries} == {"Sent"}
    assert {entry["Attempts"] for entry in entries} == {2}
