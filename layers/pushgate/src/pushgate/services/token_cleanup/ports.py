"""Ports of the token cleanup; the adapter lives in ``pushgate.adapters.dynamodb.token_cleanup``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pushgate.models.device import Device, DeviceStatus
from pushgate.models.token_lifecycle import TokenPolicy


@dataclass(frozen=True)
class DueDevice:
    """A device the index says is due, with what the compare-and-set writes check.

    Attributes:
        device: The device as the index returned it.
        key: Its primary key (partition key, sort key).
        seen: ``status``, ``last_registered_at`` and ``status_changed_at`` exactly as stored.
        position: Its index key (``pk``, ``sk``, ``gsi1pk``, ``gsi1sk``), to resume a page after it.
    """

    device: Device
    key: tuple[str, str]
    seen: dict[str, str]
    position: dict[str, str]


@dataclass(frozen=True)
class DueQuery:
    """Which devices a page of the cleanup reads.

    Attributes:
        status: The devices' status.
        shard: The index shard of that status.
        as_of: Devices whose next step is due at or before this instant.
        only: Attribute filters (``org_id``, ``app_id``): only devices with these values.
    """

    status: DeviceStatus
    shard: int
    as_of: datetime
    only: Mapping[str, str] | None = None


class CleanupStore(Protocol):
    """What the cleanup reads and writes (``DynamoTokenCleanupStore``)."""

    shards: int

    def due_page(
        self, query: DueQuery, *, start_key: dict[str, str] | None, limit: int
    ) -> tuple[list[DueDevice], dict[str, str] | None]:
        """One page of the devices ``query`` selects, from ``start_key``, and the key to resume after it."""

    def mark_stale(self, due: DueDevice, *, at: datetime, policy: TokenPolicy) -> bool:
        """``Active`` → ``Stale`` if unchanged since read."""

    def reindex(self, due: DueDevice, policy: TokenPolicy) -> bool:
        """Moves the device's index entry to its current due time if unchanged since read."""

    def purge(self, due: DueDevice) -> bool:
        """Deletes the device and its token ownership if unchanged since read."""

    def acquire_lease(self, owner: str, *, now: datetime, hold: timedelta) -> dict[str, Any] | None:
        """The state item when the lease was taken, ``None`` when another run holds it."""

    def save_cursor(self, owner: str, cursor: str) -> bool:
        """Stores progress; ``False`` when the lease was lost."""

    def release(self, owner: str, *, cursor: str | None, last_run: str | None) -> bool:
        """Gives the lease back."""


class PolicySource(Protocol):
    """Where apps' token policies come from."""

    def policy_for(self, org_id: str, app_id: str) -> TokenPolicy:
        """The app's policy (the defaults when none was set)."""


class TokenPolicyStore(Protocol):
    """Where operators' token policies are kept (``DynamoTokenPolicyRepository``)."""

    def get(self, org_id: str, app_id: str) -> TokenPolicy | None:
        """The app's policy, or ``None`` for the defaults."""

    def put(self, org_id: str, app_id: str, policy: TokenPolicy) -> None:
        """Stores the app's policy."""
