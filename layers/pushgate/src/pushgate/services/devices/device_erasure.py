"""Erasing a person's devices: every token registered under their directory id, in every app of the org."""

from __future__ import annotations

from collections.abc import Mapping

from pushgate.models.directory import EntityType
from pushgate.services.apps.mobile_apps import every_app
from pushgate.services.devices.ports import DeviceRepository
from pushgate.services.ports import MobileAppRepository


class DeviceEraser:
    """Erases the person's devices and releases their tokens (kind ``Devices``).

    Devices are stored per (app, user), so this reads the org's apps and issues one Query per
    app; an org has few apps, a person few devices.
    """

    def __init__(self, *, apps: MobileAppRepository, devices: DeviceRepository) -> None:
        """Binds the eraser to the app and device stores."""
        self._apps = apps
        self._devices = devices

    def erase(self, org_id: str, entity_type: EntityType, person_id: str) -> Mapping[str, int]:
        """Deletes every device registered under the person's id (idempotent)."""
        removed = 0
        for app in every_app(org_id, self._apps):
            for device in self._devices.list_for_user(org_id, app.app_id, person_id):
                if self._devices.remove(org_id, app.app_id, person_id, device.platform, device.token_sha256):
                    removed += 1
        return {"Devices": removed}
