"""A recipient's ``Active`` devices with their copy of the person, for a per-recipient send.

The device items carry their person's consent, zone, locale and whole record (see
``pushgate.adapters.dynamodb.device_audience``), so the read a send makes for its
recipients' devices also tells it what it would otherwise read the person for, a personal
message's placeholders included.
"""

from __future__ import annotations

from collections.abc import Sequence

from pushgate.adapters.dynamodb.device_audience import PERSON_RECORD, STAMP_ATTRIBUTES, audience_member
from pushgate.adapters.dynamodb.keys import (
    APP_DEVICE_SHARDS,
    GSI2_PARTITION_KEY,
    GSI4_NAME,
    GSI4_SORT_KEY,
    SORT_KEY,
    app_device_partition,
    device_partition,
)
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import DevicePlatform, DeviceStatus
from pushgate.models.send import AudienceMember

#: What a send reads of a device item (a registration's history and index keys stay behind).
_MEMBER_ATTRIBUTES = ("type", "status", "user_id", "platform", "token", "token_sha256", *STAMP_ATTRIBUTES)
#: The same with the person's whole record, for a message that reads it.
_MEMBER_WITH_RECORD = (*_MEMBER_ATTRIBUTES, PERSON_RECORD)


class DynamoRecipientDevices:
    """The DynamoDB adapter of ``RecipientDevices``."""

    #: A range of users is read from each shard of the app's device index by user (``GSI4``).
    range_parts = APP_DEVICE_SHARDS

    def __init__(self, table: MainTable, *, consistent: bool = False) -> None:
        """Binds the reader to the main table (``consistent``: strongly consistent reads, twice the units)."""
        self._table = table
        self._consistent = consistent

    def active_devices(
        self, org_id: str, app_id: str, user_ids: Sequence[str], *, with_record: bool = False
    ) -> dict[str, list[AudienceMember]]:
        """The users' ``Active`` devices of the app, from their device partitions read together."""
        partitions = {user_id: device_partition(org_id, app_id, user_id) for user_id in user_ids}
        attributes = _MEMBER_WITH_RECORD if with_record else _MEMBER_ATTRIBUTES
        items = self._table.query_partitions(
            list(partitions.values()), attributes=attributes, consistent=self._consistent
        )
        return {
            user_id: [
                audience_member(item, DevicePlatform(str(item["platform"])), str(item["token_sha256"]))
                for item in items[partition]
                if item.get("type") == "Device" and item.get("status") == DeviceStatus.ACTIVE.value
            ]
            for user_id, partition in partitions.items()
        }

    def active_devices_between(
        self, org_id: str, app_id: str, first_user_id: str, last_user_id: str, *, part: int
    ) -> list[AudienceMember] | None:
        """The app's ``Active`` devices of the users from ``first_user_id`` to ``last_user_id`` in one
        shard of ``GSI4`` (one ``Query``, more past 1 MB); ``None`` while the index cannot be read."""
        items = self._table.query_index_range(
            GSI4_NAME,
            (GSI2_PARTITION_KEY, app_device_partition(org_id, app_id, part)),
            (GSI4_SORT_KEY, first_user_id, last_user_id),
            equals={"status": DeviceStatus.ACTIVE.value},
        )
        if items is None:
            return None
        members = []
        for item in items:
            # An index entry carries the table's keys: the sort key is ``<platform>#<sha256(token)>``.
            platform, token_sha256 = str(item[SORT_KEY]).split("#", 1)
            members.append(audience_member(item, DevicePlatform(platform), token_sha256))
        return members
