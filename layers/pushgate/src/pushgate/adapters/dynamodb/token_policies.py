"""Apps' token policies, and the index attributes (``GSI1``, ``GSI2``) of device items.

Device writers (registration, verdicts, the cleanup) all build a device's index attributes here,
so the index always says the same thing about a device whoever wrote it last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pushgate.adapters.dynamodb.keys import (
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    GSI2_PARTITION_KEY,
    GSI2_SORT_KEY,
    app_device_partition,
    app_device_shard,
    app_device_sort_key,
    device_state_partition,
    device_state_shard,
    device_state_sort_key,
    token_policy_key,
)
from pushgate.adapters.dynamodb.table import TableAdapter, model_from_item
from pushgate.models.device import Device
from pushgate.models.token_lifecycle import DEFAULT_TOKEN_POLICY, TokenPolicy, due_at, index_time

#: How long a function keeps an app's policy before reading it again: a changed window reaches
#: registrations within this time, and a registration burst costs one read per app per period.
POLICY_CACHE_SECONDS = 300.0


class TokenPolicies(Protocol):
    """Where device writers find an app's token policy."""

    def policy_for(self, org_id: str, app_id: str) -> TokenPolicy:
        """The app's policy (the defaults when none was set)."""


def device_index_attributes(device: Device, policy: TokenPolicy) -> dict[str, str]:
    """The index entries of a device: ``gsi1pk``/``gsi1sk`` (its status and shard, and when its next
    step is due) and ``gsi2pk``/``gsi2sk`` (its place among the app's devices, for broadcasts)."""
    return {
        GSI2_PARTITION_KEY: app_device_partition(device.org_id, device.app_id, app_device_shard(device.token_sha256)),
        GSI2_SORT_KEY: app_device_sort_key(device.platform.value, device.token_sha256, device.user_id),
        GSI1_PARTITION_KEY: device_state_partition(device.status.value, device_state_shard(device.token_sha256)),
        GSI1_SORT_KEY: device_state_sort_key(
            index_time(due_at(device, policy)), device.platform.value, device.token_sha256
        ),
    }


def _policy_item(policy: TokenPolicy) -> dict[str, Any]:
    return {"type": "TokenPolicy", **policy.model_dump(mode="json")}


class DynamoTokenPolicyRepository(TableAdapter):
    """The adapter of ``TokenPolicyStore``: token policies (``ORG#<orgId>`` / ``TOKENPOLICY#<appId>``)."""

    def get(self, org_id: str, app_id: str) -> TokenPolicy | None:
        item = self._table.get(token_policy_key(org_id, app_id))
        return None if item is None else model_from_item(TokenPolicy, item)

    def put(self, org_id: str, app_id: str, policy: TokenPolicy) -> None:
        self._table.put(token_policy_key(org_id, app_id), _policy_item(policy))

    def policy_for(self, org_id: str, app_id: str) -> TokenPolicy:
        """The app's policy, or the defaults."""
        return self.get(org_id, app_id) or DEFAULT_TOKEN_POLICY


class CachedTokenPolicies:
    """``TokenPolicies`` that reads each app's policy at most once per ``POLICY_CACHE_SECONDS``."""

    def __init__(
        self,
        policies: TokenPolicies,
        *,
        ttl_s: float = POLICY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wraps the repository."""
        self._policies = policies
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, TokenPolicy]] = {}

    def policy_for(self, org_id: str, app_id: str) -> TokenPolicy:
        """The app's policy, from the cache while it is fresh."""
        now = self._clock()
        cached = self._cache.get((org_id, app_id))
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        policy = self._policies.policy_for(org_id, app_id)
        self._cache[(org_id, app_id)] = (now, policy)
        return policy


def parse_stored_time(value: object) -> datetime | None:
    """A time as a device item stores it (any ISO 8601 spelling), or ``None`` when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
