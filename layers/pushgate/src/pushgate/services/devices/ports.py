"""Ports of the device-registration use cases; adapters live in ``pushgate.adapters.dynamodb.devices``
``pushgate.adapters.registration_queue`` and ``pushgate.adapters.webhooks``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from pushgate.credentials.inputs import AppMode
from pushgate.models.device import Device, DevicePlatform, DeviceRef, RegistrationJob, RegistrationStatus
from pushgate.models.webhook import WebhookResult


class DeviceRepository(Protocol):
    """Stores devices and which user of an app holds each token."""

    def get(self, org_id: str, app_id: str, user_id: str, platform: DevicePlatform, token_sha256: str) -> Device | None:
        """One device of a user, or ``None``."""

    def get_many(self, keys: Sequence[tuple[str, str, str, DevicePlatform, str]]) -> list[Device]:
        """The devices that exist among (org, app, user, platform, token hash) keys (one batched read)."""

    def owner_of(self, org_id: str, app_id: str, platform: DevicePlatform, token_sha256: str) -> str | None:
        """The user of an app who currently holds a token, or ``None``."""

    def list_for_user(self, org_id: str, app_id: str, user_id: str) -> list[Device]:
        """Every device of a user for an app (one ``Query``)."""

    def save(self, device: Device, *, expected_owner: str | None) -> None:
        """Stores a device and makes its user the token's owner, all or nothing.

        When ``expected_owner`` is another user, that user's device item for the token is removed
        in the same transaction (the token moves).

        Raises:
            ConflictError: The owner changed since it was read; nothing was written.
        """

    def refresh(self, device: DeviceRef, *, at: datetime, request_id: str, app_mode: AppMode | None) -> bool:
        """Moves ``last_registered_at`` of an ``Active`` device (and notes the app's APNs environment);
        returns whether it was one."""

    def remove(self, org_id: str, app_id: str, user_id: str, platform: DevicePlatform, token_sha256: str) -> bool:
        """Deletes a user's device and releases the token; returns whether the device existed."""


class RegistrationStatusRepository(Protocol):
    """Stores outcomes of tracked registrations (expiring after a week)."""

    def put(self, status: RegistrationStatus) -> None:
        """Stores (or overwrites) the outcome of a request."""

    def get_many(self, org_id: str, app_id: str, request_ids: Sequence[str]) -> dict[str, RegistrationStatus]:
        """The stored outcomes among ``request_ids`` (unknown and expired ids are absent)."""

    def record_webhook(self, org_id: str, app_id: str, request_id: str, *, result: str, at: datetime) -> None:
        """Notes on a stored outcome what became of its webhook call (for operators)."""


class RegistrationQueue(Protocol):
    """Hands accepted registrations to the verification worker."""

    def send(self, jobs: Sequence[RegistrationJob]) -> None:
        """Enqueues jobs.

        Raises:
            DependencyError: Some could not be enqueued.
        """


class WebhookSender(Protocol):
    """What the worker needs of ``WebhookCaller``."""

    def call(self, url: str, headers: Mapping[str, str], body: Mapping[str, str]) -> WebhookResult:
        """POSTs once; never raises for the receiver's behaviour."""
