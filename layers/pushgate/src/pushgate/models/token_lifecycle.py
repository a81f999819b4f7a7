"""Token lifecycle timing: an app's token policy and when a device's next cleanup step is due.

Every device item carries, in ``GSI1``, the moment its next step falls due (see
``docs/token-lifecycle.md``): an ``Active`` device becomes ``Stale`` when its app's window has
passed since it was last registered; ``Invalid`` and ``Stale`` devices are purged when their grace
period has passed since Pushgate marked them. The grace of an ``Invalid`` device counts from when
Pushgate learned the verdict, not from the provider's timestamp: APNs may report a token dead since
long ago, and the grace exists to give the app a chance to register the token again.

Every lifecycle rule is a pure function here (unit-tested without DynamoDB): whether a verdict
applies, the transitions a verdict and the cleanup make, and the due times. The adapters only turn
them into conditional writes, so a registration racing a decision makes the write a no-op.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import Field

from pushgate.models.device import Device, DeviceStatus, DeviceTransition, bounded_history
from pushgate.models.frozen import Frozen

#: FCM's guidance: a token not refreshed for 270 days is expired on Android; the same window suits APNs.
DEFAULT_STALE_AFTER_DAYS = 270
#: Time an app has to register an invalidated token again before it is purged.
DEFAULT_INVALID_GRACE_DAYS = 7
#: Time a stale token is kept (receiving nothing) before it is purged.
DEFAULT_STALE_GRACE_DAYS = 30


class TokenPolicy(Frozen):
    """How long an app's tokens live without being registered again, and the grace before purging.

    Attributes:
        stale_after_days: An ``Active`` device not registered again for this long becomes ``Stale``.
        invalid_grace_days: An ``Invalid`` device is purged this long after it was marked.
        stale_grace_days: A ``Stale`` device is purged this long after it was marked.
        updated_at: When an operator last changed it (``None`` for the defaults).
    """

    stale_after_days: int = Field(default=DEFAULT_STALE_AFTER_DAYS, ge=7, le=3650)
    invalid_grace_days: int = Field(default=DEFAULT_INVALID_GRACE_DAYS, ge=0, le=365)
    stale_grace_days: int = Field(default=DEFAULT_STALE_GRACE_DAYS, ge=0, le=365)
    updated_at: datetime | None = None


DEFAULT_TOKEN_POLICY = TokenPolicy()


class CleanupAction(StrEnum):
    """What the cleanup does to a device whose step is due."""

    MARK_STALE = "MarkStale"
    PURGE = "Purge"


class CleanupReason(StrEnum):
    """Why (besides a provider code, which is the reason of purging an ``Invalid`` device)."""

    NOT_REGISTERED_WITHIN_WINDOW = "NotRegisteredWithinWindow"
    STALE_GRACE_ELAPSED = "StaleGraceElapsed"
    REGISTERED = "Registered"
    REGISTERED_AGAIN = "RegisteredAgain"
    PROVIDER_VERDICT = "ProviderVerdict"


def index_time(moment: datetime) -> str:
    """A UTC time in one fixed-width spelling, so index sort keys compare as times.

    Device attributes are stored in whichever ISO 8601 spelling their writer used (``Z`` or
    ``+00:00``, with or without fractions); the index always uses ``2026-01-02T03:04:05.000000Z``.
    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stale_at(registered_at: datetime, policy: TokenPolicy) -> datetime:
    """When an ``Active`` device last registered at ``registered_at`` becomes due to be marked ``Stale``."""
    return registered_at + timedelta(days=policy.stale_after_days)


def invalid_purge_at(marked_at: datetime, policy: TokenPolicy) -> datetime:
    """When a device Pushgate marked ``Invalid`` at ``marked_at`` becomes due to be purged."""
    return marked_at + timedelta(days=policy.invalid_grace_days)


def verdict_applies(status: str | None, last_registered_at: str, invalid_since: datetime) -> bool:
    """Whether a provider's "token invalid since" verdict makes a stored device ``Invalid``.

    Only an ``Active`` device is marked, and only when it was not registered again at or after the
    moment the provider gives (APNs' 410 ``timestamp``): a token registered since then works.

    Args:
        status: The device's status as stored (``None``: the device is gone).
        last_registered_at: Its ``last_registered_at`` as stored, in any ISO 8601 spelling.
        invalid_since: Since when the provider says the token is invalid.
    """
    if status != DeviceStatus.ACTIVE.value:
        return False
    try:
        registered = datetime.fromisoformat(last_registered_at)
    except ValueError:
        return False
    return registered < invalid_since


def invalidated_history(
    history: tuple[DeviceTransition, ...] | list[DeviceTransition],
    *,
    code: str,
    invalid_since: datetime,
    send_id: str,
    at: datetime,
) -> tuple[DeviceTransition, ...]:
    """The history of a device a provider verdict marks ``Invalid``, the transition carrying its evidence.

    Args:
        history: The device's history so far.
        code: The provider's reason code (``Unregistered``, ``UNREGISTERED``...).
        invalid_since: Since when the provider says the token is invalid.
        send_id: The send (or registration dry run) that saw the verdict.
        at: When Pushgate marks it.
    """
    transition = DeviceTransition(
        from_status=DeviceStatus.ACTIVE,
        to_status=DeviceStatus.INVALID,
        at=at,
        reason=CleanupReason.PROVIDER_VERDICT.value,
        code=code,
        provider_timestamp=invalid_since,
        send_id=send_id,
    )
    return bounded_history(history, transition)


def marked_stale(device: Device, at: datetime) -> Device:
    """The ``Active`` device as the cleanup marks it ``Stale`` at ``at``, the transition in its history."""
    transition = DeviceTransition(
        from_status=DeviceStatus.ACTIVE,
        to_status=DeviceStatus.STALE,
        at=at,
        reason=CleanupReason.NOT_REGISTERED_WITHIN_WINDOW.value,
    )
    return device.model_copy(
        update={
            "status": DeviceStatus.STALE,
            "status_changed_at": at,
            "history": bounded_history(device.history, transition),
        }
    )


def due_at(device: Device, policy: TokenPolicy) -> datetime:
    """When the device's next cleanup step is due under the policy.

    Raises:
        ValueError: The device is ``Purged`` (it has no next step).
    """
    if device.status is DeviceStatus.ACTIVE:
        return stale_at(device.last_registered_at, policy)
    if device.status is DeviceStatus.INVALID:
        return invalid_purge_at(device.status_changed_at, policy)
    if device.status is DeviceStatus.STALE:
        return device.status_changed_at + timedelta(days=policy.stale_grace_days)
    raise ValueError("a purged device has no next step")


def next_step(device: Device, policy: TokenPolicy, as_of: datetime) -> tuple[CleanupAction, str] | None:
    """What the cleanup does to the device as of a moment, and why; ``None`` when nothing is due.

    A device registered again at or after its verdict is never purged, whatever the index said.
    """
    if device.status is DeviceStatus.PURGED or due_at(device, policy) > as_of:
        return None
    if device.status is DeviceStatus.ACTIVE:
        return CleanupAction.MARK_STALE, CleanupReason.NOT_REGISTERED_WITHIN_WINDOW.value
    if device.status is DeviceStatus.STALE:
        return CleanupAction.PURGE, CleanupReason.STALE_GRACE_ELAPSED.value
    if device.invalid_since is not None and device.last_registered_at >= device.invalid_since:
        return None
    return CleanupAction.PURGE, device.invalid_reason or CleanupReason.PROVIDER_VERDICT.value
