"""A recipient's ``Active`` devices with their copy of the person, for a per-recipient send.

The device items carry their person's consent, zone and locale (see
``pushgate.adapters.dynamodb.device_audience``), so the one ``Query`` a send makes for a
recipient's devices also tells it what it would otherwise read the person for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pushgate.adapters.dynamodb.device_audience import (
    LOCALE,
    PERSON_REVISION,
    PERSON_TYPE,
    PUSH_CONSENT,
    TIME_ZONE,
    TRACKING_CONSENT,
)
from pushgate.adapters.dynamodb.keys import device_partition
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import DevicePlatform, DeviceStatus
from pushgate.models.send import AudienceMember


def audience_member(item: Mapping[str, Any], platform: DevicePlatform, token_sha256: str) -> AudienceMember:
    """A device item (or its ``GSI3`` projection) as a member of an audience, with its person's copy."""
    return AudienceMember(
        user_id=str(item["user_id"]),
        platform=platform,
        token=str(item["token"]),
        token_sha256=token_sha256,
        # Items written before devices copied their person carry no revision: their people are read instead.
        stamped=PERSON_REVISION in item,
        profile_type=item.get(PERSON_TYPE),
        pushconsent=bool(item.get(PUSH_CONSENT, True)),
        trackingconsent=bool(item.get(TRACKING_CONSENT, False)),
        timezone=item.get(TIME_ZONE),
        locale=item.get(LOCALE),
        revision=int(item[PERSON_REVISION]) if PERSON_REVISION in item else None,
    )


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
