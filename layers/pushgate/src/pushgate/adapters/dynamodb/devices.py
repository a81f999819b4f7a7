"""Devices, token ownership and registration outcomes in the main table.

A token belongs to one user per app at a time. The ``DEVTOKEN`` item names that user and is written
in the same transaction as the device item, so a move between users is exact: the new owner's
device and the ownership change land together, and the old owner's device is removed with them.

Every device item also carries its ``GSI1`` entry (``DEVSTATE#<status>#<shard>`` /
``<due>#<platform>#<sha256>``, built by ``token_policies.device_index_attributes``): a full put
rewrites it and a refresh moves its due time, so the cleanup's index never lags a registration.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pushgate.adapters.dynamodb.device_audience import (
    audience_member,
    effective_person,
    person_guard,
    person_stamp,
    read_people_with_id,
)
from pushgate.adapters.dynamodb.keys import (
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    GSI2_PARTITION_KEY,
    GSI2_SORT_KEY,
    GSI3_NAME,
    TTL_ATTRIBUTE,
    app_device_partition,
    device_key,
    device_partition,
    device_ref_key,
    device_state_partition,
    device_state_shard,
    device_state_sort_key,
    device_token_owner_key,
    registration_status_key,
)
from pushgate.adapters.dynamodb.table import MainTable, model_from_item
from pushgate.adapters.dynamodb.token_policies import (
    CachedTokenPolicies,
    DynamoTokenPolicyRepository,
    TokenPolicies,
    device_index_attributes,
)
from pushgate.credentials.inputs import AppMode
from pushgate.models.device import (
    Device,
    DevicePlatform,
    DeviceRef,
    DeviceStatus,
    RegistrationOutcome,
    RegistrationStatus,
)
from pushgate.models.directory import Person
from pushgate.models.send import AudienceMember
from pushgate.models.token_lifecycle import index_time, stale_at

#: CI-J does not say how long outcomes are kept; a week covers any sane polling.
REGISTRATION_STATUS_RETENTION = timedelta(days=7)


def _device_item(device: Device, policies: TokenPolicies) -> dict[str, Any]:
    policy = policies.policy_for(device.org_id, device.app_id)
    return {"type": "Device", **device.model_dump(mode="json"), **device_index_attributes(device, policy)}


def stored_device_items(
    device: Device, policies: TokenPolicies, person: Person | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two items a registration stores for ``device``, keys included: its token's ownership and
    the device itself with its copy of ``person`` (``None``: the anonymous defaults)."""
    owner_key = device_token_owner_key(device.org_id, device.app_id, device.platform.value, device.token_sha256)
    owner_item = {
        **owner_key.as_dict(),
        "type": "DeviceTokenOwner",
        "org_id": device.org_id,
        "app_id": device.app_id,
        "platform": device.platform.value,
        "token_sha256": device.token_sha256,
        "user_id": device.user_id,
        "updated_at": device.last_registered_at.isoformat(),
    }
    key = device_key(device.org_id, device.app_id, device.user_id, device.platform.value, device.token_sha256)
    return owner_item, {**key.as_dict(), **_device_item(device, policies), **person_stamp(person)}


def _device_from_item(item: dict[str, Any]) -> Device:
    return model_from_item(Device, item)


class DynamoDeviceRepository:
    """The DynamoDB adapter of ``DeviceRepository``."""

    def __init__(
        self, table: MainTable, *, policies: TokenPolicies | None = None, consistent_lists: bool = True
    ) -> None:
        """Binds the repository to the main table.

        Args:
            table: The main table.
            policies: Where apps' stale windows come from.
            consistent_lists: Whether ``list_for_user`` reads strongly consistently; a send's fan-out
                reads eventually consistently, at half the read units.
        """
        self._table = table
        self._policies = policies or CachedTokenPolicies(DynamoTokenPolicyRepository(table))
        self._consistent_lists = consistent_lists

    def get(self, org_id: str, app_id: str, user_id: str, platform: DevicePlatform, token_sha256: str) -> Device | None:
        """One device of a user, or ``None``."""
        return self._table.get_as(device_key(org_id, app_id, user_id, platform.value, token_sha256), _device_from_item)

    def get_many(self, keys: Sequence[tuple[str, str, str, DevicePlatform, str]]) -> list[Device]:
        """The devices that exist among the keys: one strongly consistent ``BatchGetItem`` per 100 keys
        (absent keys cost nothing)."""
        items = self._table.batch_get(
            [device_key(org, app, user, platform.value, sha) for org, app, user, platform, sha in keys]
        )
        return [_device_from_item(item) for item in items]

    def owner_of(self, org_id: str, app_id: str, platform: DevicePlatform, token_sha256: str) -> str | None:
        """The user of an app who currently holds a token, or ``None``."""
        item = self._table.get(device_token_owner_key(org_id, app_id, platform.value, token_sha256))
        return str(item["user_id"]) if item is not None else None

    def list_for_user(self, org_id: str, app_id: str, user_id: str) -> list[Device]:
        """Every device of a user for an app: one ``Query`` on the user's device partition."""
        partition = device_partition(org_id, app_id, user_id)
        items = self._table.query_partition(partition, consistent=self._consistent_lists)
        return [_device_from_item(item) for item in items]

    def audience_page(
        self, org_id: str, app_id: str, shard: int, *, limit: int, start_key: Mapping[str, Any] | None
    ) -> tuple[list[AudienceMember], dict[str, Any] | None]:
        """One page of one shard of the app's ``Active`` devices (a ``Query`` on ``GSI3``, which projects
        each device's copy of its person).

        Returns:
            The devices, and where the next page starts (``None`` after the shard's last page).
        """
        items, next_key = self._table.query_index_page(
            GSI3_NAME,
            GSI2_PARTITION_KEY,
            app_device_partition(org_id, app_id, shard),
            limit=limit,
            start_key=start_key,
            equals={"status": DeviceStatus.ACTIVE.value},
        )
        members = []
        for item in items:
            platform, token_sha256, _ = str(item[GSI2_SORT_KEY]).split("#", 2)
            members.append(audience_member(item, DevicePlatform(platform), token_sha256))
        return members, next_key

    def save(self, device: Device, *, expected_owner: str | None) -> None:
        """Writes the device and its ownership in one transaction (see ``DeviceRepository.save``)."""
        # The device copies its person as read now; the guard makes the transaction fail (and the
        # registration retry) if the person changed, appeared or went meanwhile.
        people = read_people_with_id(self._table, device.org_id, device.user_id)
        owner_item, device_item = stored_device_items(device, self._policies, effective_person(people))
        owner_put: dict[str, Any] = {"Item": owner_item}
        if expected_owner is None:
            owner_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            owner_put["ConditionExpression"] = "user_id = :expected"
            owner_put["ExpressionAttributeValues"] = {":expected": expected_owner}
        actions: list[dict[str, dict[str, Any]]] = [
            {"Put": owner_put},
            {"Put": {"Item": device_item}},
            *person_guard(device.org_id, device.user_id, people),
        ]
        if expected_owner is not None and expected_owner != device.user_id:
            previous = device_key(
                device.org_id, device.app_id, expected_owner, device.platform.value, device.token_sha256
            )
            actions.append({"Delete": {"Key": previous.as_dict()}})
        self._table.transact_write(actions)

    def refresh(self, device: DeviceRef, *, at: datetime, request_id: str, app_mode: AppMode | None) -> bool:
        """Moves ``last_registered_at`` of an ``Active`` device, and its stale due time (one ``UpdateItem``).

        Registration calls it at most once a day per device (``is_fresh_registration``): the update
        rewrites the item and moves its ``GSI1`` entry, about 6 write units.
        """
        due = device_state_sort_key(
            index_time(stale_at(at, self._policies.policy_for(device.org_id, device.app_id))),
            device.platform.value,
            device.token_sha256,
        )
        return self._table.update_if(
            device_ref_key(device),
            {
                "last_registered_at": at.isoformat(),
                "last_request_id": request_id,
                # An app switched between APNs environments sends its tokens to the new one.
                **({"app_mode": app_mode.value} if app_mode is not None else {}),
                GSI1_PARTITION_KEY: device_state_partition(
                    DeviceStatus.ACTIVE.value, device_state_shard(device.token_sha256)
                ),
                GSI1_SORT_KEY: due,
            },
            condition="attribute_exists(#pk) AND #cstatus = :active",
            condition_values={":active": DeviceStatus.ACTIVE.value},
        )

    def remove(self, org_id: str, app_id: str, user_id: str, platform: DevicePlatform, token_sha256: str) -> bool:
        """Deletes the device, then releases the token if this user still holds it."""
        existed = self._table.delete(device_key(org_id, app_id, user_id, platform.value, token_sha256))
        # Released after the device is gone: a registration racing in between finds the token still
        # owned by this user, moves it, and its own transaction wins; the conditional delete then
        # leaves the new owner's item alone.
        self._table.delete_if(
            device_token_owner_key(org_id, app_id, platform.value, token_sha256),
            condition="#cuser_id = :user",
            condition_values={":user": user_id},
        )
        return existed


class DynamoRegistrationStatusRepository:
    """The DynamoDB adapter of ``RegistrationStatusRepository``; items expire through the table's TTL."""

    def __init__(self, table: MainTable, *, retention: timedelta = REGISTRATION_STATUS_RETENTION) -> None:
        """Binds the repository to the main table."""
        self._table = table
        self._retention = retention

    def put(self, status: RegistrationStatus) -> None:
        """Stores the outcome with an ``expiration`` a week after completion."""
        outcome = status.outcome
        self._table.put(
            registration_status_key(status.org_id, status.app_id, status.request_id),
            {
                "type": "RegistrationStatus",
                "org_id": status.org_id,
                "app_id": status.app_id,
                "request_id": status.request_id,
                "status": outcome.state.value,
                "failure_reason": outcome.reason.value if outcome.reason else None,
                "detail": outcome.detail,
                "completed_at": status.completed_at.isoformat(),
                TTL_ATTRIBUTE: int((status.completed_at + self._retention).timestamp()),
            },
        )

    def get_many(self, org_id: str, app_id: str, request_ids: Sequence[str]) -> dict[str, RegistrationStatus]:
        """The unexpired outcomes among ``request_ids`` (``BatchGetItem``)."""
        items = self._table.batch_get([registration_status_key(org_id, app_id, rid) for rid in request_ids])
        now = time.time()
        found: dict[str, RegistrationStatus] = {}
        for item in items:
            # TTL deletion lags expiry by up to days; an expired outcome is gone as far as callers know.
            if int(item.get(TTL_ATTRIBUTE, now + 1)) <= now:
                continue
            outcome = RegistrationOutcome(
                state=item["status"], reason=item.get("failure_reason"), detail=item.get("detail")
            )
            found[str(item["request_id"])] = RegistrationStatus(
                org_id=str(item["org_id"]),
                app_id=str(item["app_id"]),
                request_id=str(item["request_id"]),
                outcome=outcome,
                completed_at=datetime.fromisoformat(str(item["completed_at"])),
            )
        return found

    def record_webhook(self, org_id: str, app_id: str, request_id: str, *, result: str, at: datetime) -> None:
        """Adds ``webhook_result`` and ``webhook_at`` to a stored outcome (no-op when it is gone)."""
        self._table.update_if(
            registration_status_key(org_id, app_id, request_id),
            {"webhook_result": result, "webhook_at": at.isoformat()},
            condition="attribute_exists(#pk)",
            condition_values={},
        )
