"""A recipient's ``Active`` devices with their copy of the person, for a per-recipient send.

The device items carry their person's consent, zone and locale (see
``pushgate.adapters.dynamodb.device_audience``), so the one ``Query`` a send makes for a
recipient's devices also tells it what it would otherwise read the person for.
"""

from __future__ import annotations

from pushgate.adapters.dynamodb.device_audience import audience_member
from pushgate.adapters.dynamodb.keys import device_partition
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import DevicePlatform, DeviceStatus
from pushgate.models.send import AudienceMember


class DynamoRecipientDevices:
    """The DynamoDB adapter of ``RecipientDevices``."""

    def __init__(self, table: MainTable, *, consistent: bool = False) -> None:
        """Binds the reader to the main table (``consistent``: strongly consistent reads, twice the units)."""
        self._table = table
        self._consistent = consistent

    def active_devices(self, org_id: str, app_id: str, user_id: str) -> list[AudienceMember]:
        """The user's ``Active`` devices of the app: one ``Query`` on the user's device partition."""
        items = self._table.query_partition(device_partition(org_id, app_id, user_id), consistent=self._consistent)
        return [
            audience_member(item, DevicePlatform(str(item["platform"])), str(item["token_sha256"]))
            for item in items
            if item.get("type") == "Device" and item.get("status") == DeviceStatus.ACTIVE.value
        ]
