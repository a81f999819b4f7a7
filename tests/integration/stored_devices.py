"""Devices as registration stores them, for the integration tests to save straight into the table; the
apps they belong to, and the app's device index read back."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.keys import APP_DEVICE_SHARDS, mobile_app_key
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import Device, DevicePlatform, DeviceStatus
from pushgate.models.send import AudienceMember

REGISTERED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def registered_device(
    org_id: str,
    app_id: str,
    user_id: str,
    seed: str,
    *,
    platform: DevicePlatform = DevicePlatform.IOS,
    status: DeviceStatus = DeviceStatus.ACTIVE,
) -> Device:
    """A device of ``user_id`` whose token is the SHA-256 of ``app_id`` and ``seed`` (64 hex digits)."""
    token = hashlib.sha256(f"{app_id}-{seed}".encode()).hexdigest()
    return Device(
        org_id=org_id,
        app_id=app_id,
        user_id=user_id,
        platform=platform,
        token=token,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        status=status,
        registered_at=REGISTERED_AT,
        last_registered_at=REGISTERED_AT,
        status_changed_at=REGISTERED_AT,
    )


def stored_app(table: MainTable, org_id: str) -> str:
    """A new app of ``org_id``, as much of its item as the device copy's reads need; its id."""
    app_id = str(uuid.uuid4())
    table.put(mobile_app_key(org_id, app_id), {"type": "MobileApp", "org_id": org_id, "app_id": app_id})
    return app_id


def index_members(devices: DynamoDeviceRepository, org_id: str, app_id: str) -> dict[str, AudienceMember]:
    """Every device of the app's index (all shards), by user id."""
    found: dict[str, AudienceMember] = {}
    for shard in range(APP_DEVICE_SHARDS):
        members, _ = devices.audience_page(org_id, app_id, shard, limit=100, start_key=None)
        found.update({member.user_id: member for member in members})
    return found
