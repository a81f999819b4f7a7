"""Devices as registration stores them, for the integration tests to save straight into the table."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pushgate.models.device import Device, DevicePlatform, DeviceStatus

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
