"""Provider verdicts applied to stored devices: a dead token becomes ``Invalid`` with its evidence.

APNs says a token is unregistered *since* a timestamp; a device that registered the token again
after that moment has a working token and must stay ``Active``. Device items carry
``last_registered_at`` in more than one ISO 8601 spelling (``Z`` and ``+00:00``, with and without
fractions), which DynamoDB would compare as strings, so the comparison is made here on parsed
times and the write is a compare-and-set: the ``UpdateItem`` applies only if ``last_registered_at``
and ``status`` are still what was read. A registration racing in between makes it a no-op.
"""

from __future__ import annotations

from datetime import datetime

from pushgate.models.device import DevicePlatform, DeviceStatus
from pushgate.repositories.dynamodb.keys import device_key
from pushgate.repositories.dynamodb.table import MainTable


class DynamoDeviceVerdicts:
    """The DynamoDB adapter of ``DeviceVerdicts``."""

    def __init__(self, table: MainTable) -> None:
        """Binds the adapter to the main table."""
        self._table = table

    def mark_invalid(
        self,
        org_id: str,
        app_id: str,
        user_id: str,
        platform: DevicePlatform,
        token_sha256: str,
        *,
        reason: str,
        invalid_since: datetime,
        send_id: str,
        at: datetime,
    ) -> bool:
        """Marks the device ``Invalid`` with the provider's reason, timestamp and the send that saw it.

        Returns:
            Whether it was marked: ``False`` when the device is gone, no longer ``Active``, or was
            registered again at or after ``invalid_since``.
        """
        key = device_key(org_id, app_id, user_id, platform.value, token_sha256)
        found = self._table.get_attributes(key, ["status", "last_registered_at"])
        if found is None or found.get("status") != DeviceStatus.ACTIVE.value:
            return False
        seen = str(found.get("last_registered_at", ""))
        try:
            registered = datetime.fromisoformat(seen)
        except ValueError:
            return False
        if registered >= invalid_since:
            return False
        return self._table.update_if(
            key,
            {
                "status": DeviceStatus.INVALID.value,
                "status_changed_at": at.isoformat(),
                "invalid_since": invalid_since.isoformat(),
                "invalid_reason": reason,
                "invalid_send_id": send_id,
            },
            condition="#cstatus = :active AND #clast_registered_at = :seen",
            condition_values={":active": DeviceStatus.ACTIVE.value, ":seen": seen},
        )
