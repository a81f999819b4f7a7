"""The app's devices read as a range of users from the index in user order (``GSI4``, DynamoDB Local):
every ``Active`` device of every user between the two ids and nothing else; on a table the index is
not on yet (a stack update still building it), no answer, so the caller reads person by person."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bench.common import create_main_table
from pushgate.adapters.dynamodb.device_audience import audience_member
from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.keys import GSI4_NAME, device_partition
from pushgate.adapters.dynamodb.recipient_devices import DynamoRecipientDevices
from pushgate.adapters.dynamodb.table import MainTable, _index_unreadable
from pushgate.models.device import Device, DevicePlatform, DeviceStatus
from pushgate.models.send import AudienceMember
from tests.integration.stored_devices import registered_device


def _device(org_id: str, app_id: str, user_id: str, number: int, status: DeviceStatus) -> Device:
    platform = DevicePlatform.IOS if number % 2 else DevicePlatform.ANDROID
    return registered_device(org_id, app_id, user_id, f"{user_id}-{number}", platform=platform, status=status)


def _read_range(
    reader: DynamoRecipientDevices, org_id: str, app_id: str, first: str, last: str
) -> list[AudienceMember]:
    found: list[AudienceMember] = []
    for part in range(reader.range_parts):
        members = reader.active_devices_between(org_id, app_id, first, last, part=part)
        assert members is not None
        found += members
    return found


def table_without_user_order_index(client: Any) -> MainTable:
    """A main table as the template made it before ``GSI4`` (the rest of its keys and indexes)."""
    name = f"before-gsi4-{uuid.uuid4().hex[:8]}"
    create_main_table(client, name, without_index=GSI4_NAME)
    client.get_waiter("table_exists").wait(TableName=name)
    return MainTable(client, name)


def test_a_range_of_users_is_every_active_device_between_them_and_nothing_else(table: MainTable) -> None:
    org_id, app_id, other_app = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    devices = DynamoDeviceRepository(table)
    # User ids of the shapes a directory holds (GUIDs, plain text, emails, CJK): the range is by
    # their UTF-8 bytes, which Python's order of code points agrees with.
    users = sorted(
        [str(uuid.UUID(int=n * 7919)) for n in range(30)]
        + [f"user-{n}" for n in range(20)]
        + [f"ユーザー-{n}@example.com" for n in range(10)]
    )
    for n, user_id in enumerate(users):
        for k in range(n % 3):
            devices.save(_device(org_id, app_id, user_id, k, DeviceStatus.ACTIVE), expected_owner=None)
        if n % 5 == 0:
            devices.save(_device(org_id, app_id, user_id, 9, DeviceStatus.INVALID), expected_owner=None)
            devices.save(_device(org_id, other_app, user_id, 8, DeviceStatus.ACTIVE), expected_owner=None)
    reader = DynamoRecipientDevices(table)
    first, last = users[7], users[44]

    found = _read_range(reader, org_id, app_id, first, last)

    expected: list[AudienceMember] = []
    for user_id in users[7:45]:
        items = table.query_partition(device_partition(org_id, app_id, user_id), consistent=False)
        expected += [
            audience_member(item, DevicePlatform(item["platform"]), item["token_sha256"])
            for item in items
            if item["status"] == DeviceStatus.ACTIVE.value
        ]
    key = lambda member: (member.user_id, member.token)  # noqa: E731
    assert expected and sorted(found, key=key) == sorted(expected, key=key)
    # The copy of the whole record stays out of the index (a segment renders from the directory's page).
    assert all(member.record is None for member in found)


def test_a_table_without_the_index_gives_no_range(client: Any) -> None:
    older = table_without_user_order_index(client)
    org_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
    DynamoDeviceRepository(older).save(_device(org_id, app_id, "u1", 1, DeviceStatus.ACTIVE), expected_owner=None)
    reader = DynamoRecipientDevices(older)

    assert reader.active_devices_between(org_id, app_id, "u0", "u9", part=0) is None
    # The per-person read still answers on it.
    assert [m.user_id for m in reader.active_devices(org_id, app_id, ["u1"])["u1"]] == ["u1"]


@pytest.mark.parametrize("code", ["ValidationException", "ResourceNotFoundException"])
def test_only_an_index_being_built_or_missing_counts_as_unreadable(code: str) -> None:
    def refusal(message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "Query")

    assert _index_unreadable(refusal("Cannot read from backfilling global secondary index: GSI4"), "GSI4")
    assert _index_unreadable(refusal("The table does not have the specified index: GSI4"), "GSI4")
    assert not _index_unreadable(refusal("One or more parameter values were invalid"), "GSI4")
    assert not _index_unreadable(
        ClientError({"Error": {"Code": "ThrottlingException", "Message": "backfilling"}}, "Query"), "GSI4"
    )
