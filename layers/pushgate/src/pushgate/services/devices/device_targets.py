"""The device store as messages see it: the Active devices of a user for an app."""

from __future__ import annotations

from pushgate.models.device import DevicePlatform, DeviceStatus
from pushgate.models.push import Platform
from pushgate.services.devices.ports import DeviceRepository
from pushgate.services.messages.ports import DeviceTarget

PROVIDER_OF: dict[DevicePlatform, Platform] = {DevicePlatform.IOS: Platform.APNS, DevicePlatform.ANDROID: Platform.FCM}


class RegisteredDevices:
    """Finds a user's devices (the adapter of ``DeviceFinder``): one Query per (app, user)."""

    def __init__(self, devices: DeviceRepository) -> None:
        """Wraps the device repository."""
        self._devices = devices

    def devices_of(self, org_id: str, app_id: str, user_id: str) -> list[DeviceTarget]:
        """Every Active device of the user for the app; Invalid, Stale and Purged ones receive nothing."""
        return [
            DeviceTarget(platform=PROVIDER_OF[device.platform], token=device.token)
            for device in self._devices.list_for_user(org_id, app_id, user_id)
            if device.status is DeviceStatus.ACTIVE
        ]
