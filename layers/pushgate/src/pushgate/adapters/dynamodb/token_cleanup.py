"""The token cleanup's reads and writes: due devices from ``GSI1``, conditional transitions, the lease.

Each transition is a compare-and-set on what the index returned (``status``,
``last_registered_at``, ``status_changed_at`` as stored), so a registration, a verdict or another
cleanup run that changed the device in the meantime turns the write into a no-op, and the index
lagging the table (it is eventually consistent) can never make the cleanup act on old facts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pushgate.adapters.dynamodb.keys import (
    CLEANUP_STATE_KEY,
    DEVICE_STATE_SHARDS,
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    PARTITION_KEY,
    SORT_KEY,
    ItemKey,
    device_state_partition,
    device_token_owner_key,
)
from pushgate.adapters.dynamodb.table import TableAdapter, model_from_item
from pushgate.adapters.dynamodb.token_policies import device_index_attributes
from pushgate.errors import ConflictError
from pushgate.models.device import Device, DeviceStatus
from pushgate.models.token_lifecycle import TokenPolicy, index_time, marked_stale
from pushgate.services.token_cleanup.ports import DueDevice, DueQuery

_SEEN = ("status", "last_registered_at", "status_changed_at")


def _due_device(item: dict[str, Any]) -> DueDevice:
    device = model_from_item(Device, item)
    names = (PARTITION_KEY, SORT_KEY, GSI1_PARTITION_KEY, GSI1_SORT_KEY)
    return DueDevice(
        device=device,
        key=ItemKey(str(item[PARTITION_KEY]), str(item[SORT_KEY])),
        seen={name: str(item.get(name, "")) for name in _SEEN},
        position={name: str(item[name]) for name in names},
    )


class DynamoTokenCleanupStore(TableAdapter):
    """The DynamoDB adapter of the cleanup's ``CleanupStore`` port."""

    shards = DEVICE_STATE_SHARDS

    # ------------------------------------------------------------------ devices
    def due_page(
        self, query: DueQuery, *, start_key: dict[str, str] | None, limit: int
    ) -> tuple[list[DueDevice], dict[str, str] | None]:
        """Reads the status and shard's index partition below ``as_of`` (``only`` filters on the table side)."""
        # Every sort key of a device due at or before as_of sorts below "<as_of>#\uffff".
        below = f"{index_time(query.as_of)}#\uffff"
        items, last_key = self._table.query_gsi1_below(
            device_state_partition(query.status.value, query.shard),
            below,
            limit=limit,
            start_key=start_key,
            equal_to=query.only,
        )
        return [_due_device(item) for item in items], last_key

    def mark_stale(self, due: DueDevice, *, at: datetime, policy: TokenPolicy) -> bool:
        """``Active`` → ``Stale`` unless the device was registered again since it was read."""
        stale = marked_stale(due.device, at)
        return self._table.update_if(
            ItemKey(*due.key),
            {
                "status": DeviceStatus.STALE.value,
                "status_changed_at": at.isoformat(),
                "history": [entry.model_dump(mode="json") for entry in stale.history],
                **device_index_attributes(stale, policy),
            },
            condition="#cstatus = :status AND #clast_registered_at = :registered",
            condition_values={":status": DeviceStatus.ACTIVE.value, ":registered": due.seen["last_registered_at"]},
        )

    def reindex(self, due: DueDevice, policy: TokenPolicy) -> bool:
        """Moves the device's index entry to the due time its app's current policy gives it."""
        return self._table.update_if(
            ItemKey(*due.key),
            device_index_attributes(due.device, policy),
            condition=("#cstatus = :status AND #clast_registered_at = :registered AND #cstatus_changed_at = :changed"),
            condition_values={
                ":status": due.seen["status"],
                ":registered": due.seen["last_registered_at"],
                ":changed": due.seen["status_changed_at"],
            },
        )

    def purge(self, due: DueDevice) -> bool:
        """Deletes the device and its token-ownership item together, unless either changed since read."""
        device = due.device
        owner_key = device_token_owner_key(device.org_id, device.app_id, device.platform.value, device.token_sha256)
        try:
            self._table.transact_write(
                [
                    {
                        "Delete": {
                            "Key": ItemKey(*due.key).as_dict(),
                            "ConditionExpression": "#s = :status AND #r = :registered AND #c = :changed",
                            "ExpressionAttributeNames": {
                                "#s": "status",
                                "#r": "last_registered_at",
                                "#c": "status_changed_at",
                            },
                            "ExpressionAttributeValues": {
                                ":status": due.seen["status"],
                                ":registered": due.seen["last_registered_at"],
                                ":changed": due.seen["status_changed_at"],
                            },
                        }
                    },
                    {
                        "Delete": {
                            "Key": owner_key.as_dict(),
                            # The owner item names this user, or is already gone: never another user's token.
                            "ConditionExpression": "attribute_not_exists(#pk) OR #u = :user",
                            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#u": "user_id"},
                            "ExpressionAttributeValues": {":user": device.user_id},
                        }
                    },
                ]
            )
        except ConflictError:
            return False
        return True

    # ------------------------------------------------------------------ the run's lease and cursor
    def acquire_lease(self, owner: str, *, now: datetime, hold: timedelta) -> dict[str, Any] | None:
        """Takes the cleanup lease unless another run holds an unexpired one.

        Returns:
            The state item (with any stored ``cursor``), or ``None`` when another run holds the lease.
        """
        acquired = self._table.update_expression(
            CLEANUP_STATE_KEY,
            "SET #owner = :owner, #until = :until",
            names={"#owner": "lease_owner", "#until": "lease_until", "#pk": PARTITION_KEY},
            values={":owner": owner, ":until": index_time(now + hold), ":now": index_time(now)},
            condition="attribute_not_exists(#pk) OR attribute_not_exists(#until) OR #until < :now",
        )
        if not acquired:
            return None
        return self._table.get(CLEANUP_STATE_KEY) or {}

    def save_cursor(self, owner: str, cursor: str) -> bool:
        """Stores the run's progress; ``False`` when the lease is no longer this run's."""
        return self._table.update_expression(
            CLEANUP_STATE_KEY,
            "SET #cursor = :cursor",
            names={"#cursor": "cursor", "#owner": "lease_owner"},
            values={":cursor": cursor, ":owner": owner},
            condition="#owner = :owner",
        )

    def release(self, owner: str, *, cursor: str | None, last_run: str | None) -> bool:
        """Gives the lease back, keeping the cursor of an unfinished run and the summary of a finished one."""
        sets = []
        removes = ["#owner", "#until"]
        values: dict[str, Any] = {":owner": owner}
        names = {"#owner": "lease_owner", "#until": "lease_until", "#cursor": "cursor"}
        if cursor is None:
            removes.append("#cursor")
        else:
            sets.append("#cursor = :cursor")
            values[":cursor"] = cursor
        if last_run is not None:
            sets.append("#last = :last")
            names["#last"] = "last_run"
            values[":last"] = last_run
        update = (f"SET {', '.join(sets)} " if sets else "") + f"REMOVE {', '.join(removes)}"
        return self._table.update_expression(
            CLEANUP_STATE_KEY, update, names=names, values=values, condition="#owner = :owner"
        )
