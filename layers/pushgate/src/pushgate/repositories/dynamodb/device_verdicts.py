"""Provider verdicts applied to stored devices: a dead token becomes ``Invalid`` with its evidence.

APNs says a token is unregistered *since* a timestamp; a device that registered the token again
after that moment has a working token and must stay ``Active``. Device items carry
``last_registered_at`` in more than one ISO 8601 spelling (``Z`` and ``+00:00``, with and without
fractions), which DynamoDB would compare as strings, so the comparison is made here on parsed
times and the write is a compare-and-set: the ``UpdateItem`` applies only if ``last_registered_at``
and ``status`` are still what was read. A registration racing in between makes it a no-op.

The same write moves the device's ``GSI1`` entry to ``DEVSTATE#Invalid#<shard>``, due when the
app's grace period has passed, and appends the transition, with its evidence, to the history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pushgate.models.device import DevicePlatform, DeviceStatus, DeviceTransition, bounded_history
from pushgate.models.token_lifecycle import CleanupReason, index_time
from pushgate.repositories.dynamodb.keys import (
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    device_key,
    device_state_partition,
    device_state_shard,
    device_state_sort_key,
)
from pushgate.repositories.dynamodb.table import MainTable
from pushgate.repositories.dynamodb.token_policies import (
    CachedTokenPolicies,
    DynamoTokenPolicyRepository,
    TokenPolicies,
)


class DynamoDeviceVerdicts:
    """The DynamoDB adapter of ``DeviceVerdicts``."""

    def __init__(self, table: MainTable, *, policies: TokenPolicies | None = None) -> None:
        """Binds the adapter to the main table (policies: where apps' grace periods come from)."""
        self._table = table
        self._policies = policies or CachedTokenPolicies(DynamoTokenPolicyRepository(table))

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
        found = self._table.get_attributes(key, ["status", "last_registered_at", "history"])
        if found is None or found.get("status") != DeviceStatus.ACTIVE.value:
            return False
        seen = str(found.get("last_registered_at", ""))
        try:
            registered = datetime.fromisoformat(seen)
        except ValueError:
            return False
        if registered >= invalid_since:
            return False
        transition = DeviceTransition(
            from_status=DeviceStatus.ACTIVE,
            to_status=DeviceStatus.INVALID,
            at=at,
            reason=CleanupReason.PROVIDER_VERDICT.value,
            code=reason,
            provider_timestamp=invalid_since,
            send_id=send_id,
        )
        history = bounded_history(
            [DeviceTransition.model_validate(entry) for entry in found.get("history") or []], transition
        )
        grace = timedelta(days=self._policies.policy_for(org_id, app_id).invalid_grace_days)
        shard = device_state_shard(token_sha256)
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
                GSI1_SORT_KEY: device_state_sort_key(index_time(at + grace), platform.value, token_sha256),
            },
            condition="#cstatus = :active AND #clast_registered_at = :seen",
            condition_values={":active": DeviceStatus.ACTIVE.value, ":seen": seen},
        )
