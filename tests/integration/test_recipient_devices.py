"""A per-recipient send reads its recipients' devices many people a request (DynamoDB Local): every
``Active`` device of each user of the app and nothing else, in far fewer requests than recipients."""

from __future__ import annotations

import math
import uuid
from typing import Any

from bench import metering
from pushgate.adapters.dynamodb.device_audience import audience_member
from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.keys import device_partition
from pushgate.adapters.dynamodb.recipient_devices import DynamoRecipientDevices
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import Device, DevicePlatform, DeviceStatus
from tests.integration.stored_devices import registered_device

USERS = 120


def _device(org_id: str, app_id: str, user_id: str, number: int, status: DeviceStatus) -> Device:
    platform = DevicePlatform.IOS if number % 2 else DevicePlatform.ANDROID
    return registered_device(org_id, app_id, user_id, f"{user_id}-{number}", platform=platform, status=status)


class _CallCounter:
    """Counts the DynamoDB requests a client sends, by operation."""

    def __init__(self, client: Any) -> None:
        self.calls: dict[str, int] = {}
        client.meta.events.register("after-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] = self.calls.get(model.name, 0) + 1


def test_recipients_devices_are_read_many_people_a_request(table: MainTable, client: Any) -> None:
    org_id, app_id, other_app = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    devices = DynamoDeviceRepository(table)
    # User ids of the shapes a directory holds: plain text, emails, CJK.
    users = [f"user-{n}" if n % 3 else f"ユーザー-{n}@example.com" for n in range(USERS)]
    expected: dict[str, set[str]] = {}
    for n, user_id in enumerate(users):
        active = [_device(org_id, app_id, user_id, k, DeviceStatus.ACTIVE) for k in range(n % 3)]
        for device in active:
            devices.save(device, expected_owner=None)
        expected[user_id] = {device.token for device in active}
        if n % 10 == 0:
            devices.save(_device(org_id, app_id, user_id, 9, DeviceStatus.INVALID), expected_owner=None)
            devices.save(_device(org_id, other_app, user_id, 8, DeviceStatus.ACTIVE), expected_owner=None)
    never_registered = ["nobody-1", "nobody-2"]
    counter = _CallCounter(client)
    # The bench's meter prices the statement as a Query of each partition (DynamoDB Local reports no units).
    meter = metering.Meter(None)
    client.meta.events.register("before-parameter-build.dynamodb.ExecuteStatement", meter.remember_params)
    client.meta.events.register("after-call.dynamodb", meter.after_call)
    found = DynamoRecipientDevices(table).active_devices(org_id, app_id, [*users, *never_registered, users[0]])

    assert set(found) == set(users) | set(never_registered)
    assert {user: {member.token for member in members} for user, members in found.items()} == {
        **expected,
        **{user: set() for user in never_registered},
    }
    stored = sum(len(tokens) for tokens in expected.values()) + math.ceil(USERS / 10)
    # Pages of ten items, as AWS returns a statement over many partitions: far fewer than one per person.
    assert sum(counter.calls.values()) <= math.ceil(stored / 10) + math.ceil(len(found) / 50)
    assert set(counter.calls) == {"ExecuteStatement"}
    assert meter.snapshot()["unmetered_calls"] == 0
    assert meter.snapshot()["dynamodb"][table.table_name]["ExecuteStatement"]["read_units"] == 0.5 * len(found)
    # The same members, person copies included, as one full ``Query`` of each partition makes.
    for user_id in users:
        items = table.query_partition(device_partition(org_id, app_id, user_id), consistent=False)
        assert found[user_id] == [
            audience_member(item, DevicePlatform(item["platform"]), item["token_sha256"])
            for item in items
            if item["status"] == DeviceStatus.ACTIVE.value
        ]
