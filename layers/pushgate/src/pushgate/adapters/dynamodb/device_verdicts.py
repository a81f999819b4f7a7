"""Provider verdicts applied to stored devices: a dead token becomes ``Invalid`` with its evidence.

APNs says a token is unregistered *since* a timestamp; a device that registered the token again
after that moment has a working token and must stay ``Active``. That rule, and the transition with
its evidence, are ``verdict_applies`` and ``invalidated_history`` in
:mod:`pushgate.models.token_lifecycle` (device items carry ``last_registered_at`` in more than one
ISO 8601 spelling, which DynamoDB would compare as strings, so it compares parsed times). The write
is a compare-and-set: the ``UpdateItem`` applies only if ``last_registered_at`` and ``status`` are
still what was read. A registration racing in between makes it a no-op.

The same write moves the device's ``GSI1`` entry to ``DEVSTATE#Invalid#<shard>``, due when the
app's grace period has passed, and appends the transition, with its evidence, to the history.
"""

from __future__ import annotations

from datetime import datetime

from pushgate.adapters.dynamodb.keys import (
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    device_ref_key,
    device_state_partition,
    device_state_shard,
    device_state_sort_key,
)
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.adapters.dynamodb.token_policies import (
    CachedTokenPolicies,
    DynamoTokenPolicyRepository,
    TokenPolicies,
)
from pushgate.models.device import DeviceRef, DeviceStatus, DeviceTransition
from pushgate.models.token_lifecycle import index_time, invalid_purge_at, invalidated_history, verdict_applies


class DynamoDeviceVerdicts:
    """The DynamoDB adapter of ``DeviceVerdicts``."""

    def __init__(self, table: MainTable, *, policies: TokenPolicies | None = None) -> None:
        """Binds the adapter to the main table (policies: where apps' grace periods come from)."""
        self._table = table
        self._policies = policies or CachedTokenPolicies(DynamoTokenPolicyRepository(table))

    def mark_invalid(
        self, device: DeviceRef, *, reason: str, invalid_since: datetime, send_id: str, at: datetime
    ) -> bool:
        """Marks the device ``Invalid`` with the provider's reason, timestamp and the send that saw it.

        Returns:
            Whether it was marked: ``False`` when the device is gone, no longer ``Active``, or was
            registered again at or after ``invalid_since``.
        """
        key = device_ref_key(device)
        found = self._table.get_attributes(key, ["status", "last_registered_at", "history"])
        if found is None:
            return False
        seen = str(found.get("last_registered_at", ""))
        if not verdict_applies(found.get("status"), seen, invalid_since):
            return False
        history = invalidated_history(
            [DeviceTransition.model_validate(entry) for entry in found.get("history") or []],
            code=reason,
            invalid_since=invalid_since,
            send_id=send_id,
            at=at,
        )
        purge_at = invalid_purge_at(at, self._policies.policy_for(device.org_id, device.app_id))
        shard = device_state_shard(device.token_sha256)
        return self._table.update_if(
            key,
            {
                "status": DeviceStatus.INVALID.value,
                "status_changed_at": at.isoformat(),
                "invalid_since": invalid_since.isoformat(),
                "invalid_reason": reason,
                "invalid_send_id": send_id,
                "history": [entry.model_dump(mode="json") for entry in history],
                GSI1_PARTITION_KEY: device_state_partition(DeviceStatus.INVALID.value, shard),
                GSI1_SORT_KEY: device_state_sort_key(index_time(purge_at), device.platform.value, device.token_sha256),
            },
            condition="#cstatus = :active AND #clast_registered_at = :seen",
            condition_values={":active": DeviceStatus.ACTIVE.value, ":seen": seen},
        )
