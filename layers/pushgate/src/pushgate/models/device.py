"""Devices (a user's push tokens for one app) and the asynchronous registrations that store them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from pushgate.credentials.inputs import AppMode
from pushgate.models.frozen import Frozen, LogSafe


class DevicePlatform(StrEnum):
    """Which provider a device token belongs to (the sort-key prefix of a device item)."""

    IOS = "ios"
    ANDROID = "android"


class DeviceStatus(StrEnum):
    """Lifecycle of a stored device (``docs/token-lifecycle.md`` draws the state machine).

    Only ``Active`` devices receive sends. A provider verdict makes a device ``Invalid`` (with
    ``invalid_since``/``invalid_reason``/``invalid_send_id``); the daily cleanup makes a device that
    was not registered again within its app's window ``Stale``, and purges ``Invalid`` and ``Stale``
    devices after their grace period (a purged device is deleted, ``Purged`` names that step).
    Registering the token again makes an ``Invalid`` or ``Stale`` device ``Active``.
    """

    ACTIVE = "Active"
    INVALID = "Invalid"
    STALE = "Stale"
    PURGED = "Purged"


#: How many status transitions a device item keeps (the newest ones): enough to read its story,
#: bounded so a token flapping for years never grows its item towards DynamoDB's 400 KB limit.
DEVICE_HISTORY_LIMIT = 10


class DeviceTransition(Frozen):
    """One status change of a device, with its reason and evidence.

    Attributes:
        from_status: The status before (``None`` for the first registration under this user).
        to_status: The status after.
        at: When Pushgate made the change.
        reason: Why: ``Registered``, ``RegisteredAgain``, ``ProviderVerdict``, ``NotRegisteredWithinWindow``.
        code: The provider's reason code for a verdict (``Unregistered``, ``UNREGISTERED``...).
        provider_timestamp: Since when the provider says the token is invalid (APNs 410 ``timestamp``).
        send_id: The send (or registration dry run) that saw the verdict.
    """

    from_status: DeviceStatus | None = None
    to_status: DeviceStatus
    at: datetime
    reason: str
    code: str | None = None
    provider_timestamp: datetime | None = None
    send_id: str | None = None


def bounded_history(
    history: tuple[DeviceTransition, ...] | list[DeviceTransition], transition: DeviceTransition
) -> tuple[DeviceTransition, ...]:
    """The history with one more transition, keeping the newest ``DEVICE_HISTORY_LIMIT``."""
    return (*tuple(history), transition)[-DEVICE_HISTORY_LIMIT:]


@dataclass(frozen=True, slots=True)
class DeviceRef:
    """Which stored device: the key parts that travel together wherever one device is named.

    Attributes:
        org_id: Owner org.
        app_id: The ``MobileAppId``.
        user_id: The directory id the token is registered under.
        platform: ``ios`` (APNs) or ``android`` (FCM).
        token_sha256: Lower-case hex SHA-256 of the token.
    """

    org_id: str
    app_id: str
    user_id: str
    platform: DevicePlatform
    token_sha256: str


class Device(Frozen):
    """One device token of one user for one app.

    Attributes:
        org_id: Owner org.
        app_id: The ``MobileAppId``.
        user_id: The directory id (contact, lead or profile) the token is registered under.
        platform: ``ios`` (APNs) or ``android`` (FCM).
        token: The device token (APNs tokens in lower-case hex).
        token_sha256: Lower-case hex SHA-256 of ``token`` (the sort key holds it, not the token).
        app_mode: APNs environment the token belongs to (``Sandbox``/``Production``); ``None`` for FCM.
        status: Lifecycle status.
        registered_at: First registration under this user.
        last_registered_at: Latest registration (re-registrations refresh it).
        status_changed_at: When ``status`` last changed.
        invalid_since: When a provider says the token stopped working.
        invalid_reason: The provider's reason for that.
        invalid_send_id: The send that saw the verdict.
        last_request_id: The registration request that last wrote the item (makes redelivered
            queue messages recognisable).
        history: The newest status transitions, oldest first (at most ``DEVICE_HISTORY_LIMIT``).
    """

    org_id: str
    app_id: str
    user_id: str
    platform: DevicePlatform
    token: str
    token_sha256: str
    app_mode: AppMode | None = None
    status: DeviceStatus = DeviceStatus.ACTIVE
    registered_at: datetime
    last_registered_at: datetime
    status_changed_at: datetime
    invalid_since: datetime | None = None
    invalid_reason: str | None = None
    invalid_send_id: str | None = None
    last_request_id: str | None = None
    history: tuple[DeviceTransition, ...] = ()


#: A registration of a token its user already holds within this long is a repeat that writes nothing:
#: apps register at every launch, and the stale sweep's windows are days (at least 7), so its due time
#: moving at most once a day loses nothing.
FRESH_REGISTRATION_WINDOW = timedelta(hours=24)


def is_fresh_registration(existing: Device | None, *, app_mode: AppMode | None, now: datetime) -> bool:
    """Whether registering a token again finds nothing to change: the user holds it (``existing`` is
    the user's device for it), it is ``Active``, it was registered within the last
    ``FRESH_REGISTRATION_WINDOW`` and the app still sends to it in the same APNs environment.

    A device a provider marked ``Invalid`` (or the cleanup ``Stale``) is never fresh: registering
    revives it. A registration time after ``now`` (a clock moved back) is not fresh either.
    """
    if existing is None or existing.status is not DeviceStatus.ACTIVE or existing.app_mode != app_mode:
        return False
    age = now - existing.last_registered_at
    return timedelta(0) <= age < FRESH_REGISTRATION_WINDOW


class RegistrationState(StrEnum):
    """``Status`` of a registration request, as CI-J reports it."""

    PENDING = "Pending"
    SUCCESS = "Success"
    FAILED = "Failed"


class FailureReason(StrEnum):
    """``FailureReason`` of a failed registration, as CI-J names them."""

    DUPLICATE_EXISTS = "DuplicateExists"
    DRY_RUN_SENDING_FAILED = "DryRunSendingFailed"
    DEVICE_TOKEN_TOO_LONG = "DeviceTokenTooLong"  # noqa: S105 - a reason name, not a secret
    FAILED_TO_STORE_DEVICE = "FailedToStoreDevice"
    API_TOKEN_NOT_VALID = "ApiTokenNotValid"  # noqa: S105 - a reason name, not a secret


class RegistrationOutcome(Frozen):
    """How one registration request ended.

    Attributes:
        state: ``Success`` or ``Failed``.
        reason: Why it failed (``None`` on success).
        detail: Words for operators (logs and the status item), never secrets.
    """

    state: RegistrationState
    reason: FailureReason | None = None
    detail: str | None = None

    @classmethod
    def success(cls) -> RegistrationOutcome:
        """The outcome of a stored device."""
        return cls(state=RegistrationState.SUCCESS)

    @classmethod
    def failed(cls, reason: FailureReason, detail: str | None = None) -> RegistrationOutcome:
        """The outcome of a registration that stored nothing new."""
        return cls(state=RegistrationState.FAILED, reason=reason, detail=detail)


class RegistrationJob(LogSafe, Frozen):
    """One accepted registration, as it travels through the registration queue.

    The queue is encrypted (SSE). ``api_token`` travels only when a webhook was asked for: it is the
    HMAC key of the webhook signature and only its hash is stored anywhere. It is never logged.

    Attributes:
        request_id: The ``RegistrationRequestId`` (generated even when tracking is off).
        org_id: Org of the app.
        app_id: The app.
        user_id: The directory id.
        platform: Which provider.
        token: The device token as normalised at the API.
        track: Whether the outcome is stored for the status API (``x-ms-track-registration``).
        callback_url: Webhook URL (``x-ms-callback-url``), if any.
        callback_headers: Extra webhook headers (``x-ms-callback-url-headers``).
        api_token: The ApiToken, only with a ``callback_url``.
        accepted_at: When the API accepted it.
        fresh_repeat: The API found the user holding the token, fresh (``is_fresh_registration``):
            the worker reports ``DuplicateExists`` without reading or writing the device.
    """

    request_id: str
    org_id: str
    app_id: str
    user_id: str
    platform: DevicePlatform
    token: str
    track: bool = False
    callback_url: str | None = None
    callback_headers: dict[str, str] = Field(default_factory=dict)
    api_token: str | None = None
    accepted_at: datetime
    fresh_repeat: bool = False

    def _log_fields(self) -> dict[str, object]:
        return {"request_id": self.request_id, "app_id": self.app_id, "platform": self.platform}


class RegistrationStatus(Frozen):
    """The stored outcome of a tracked registration (kept 7 days).

    Attributes:
        org_id: Org of the app.
        app_id: The app.
        request_id: The ``RegistrationRequestId``.
        outcome: How it ended.
        completed_at: When the worker finished it.
    """

    org_id: str
    app_id: str
    request_id: str
    outcome: RegistrationOutcome
    completed_at: datetime


#: CI-J: APNs tokens are hex and at most 64 characters (longer ones fail with ``DeviceTokenTooLong``).
APNS_TOKEN_MAX_LENGTH = 64
#: FCM registration tokens are opaque; Google documents no length, 4096 bounds what Pushgate stores.
FCM_TOKEN_MAX_LENGTH = 4096
#: Longer than this is not a token at all: a 400, not an accepted registration.
TOKEN_HARD_LIMIT = 8192
_APNS_SHAPE = re.compile(r"^[0-9a-fA-F]+$")
_FCM_SHAPE = re.compile(r"^[A-Za-z0-9_:.\-]+$")


def token_shape_problem(platform: DevicePlatform, token: str) -> str | None:
    """Says what is wrong with the characters of a device token (not its length), or ``None``.

    An APNs token longer than 64 hex digits is well-formed here whatever its parity: its length is
    judged by :func:`token_is_too_long` (``DeviceTokenTooLong``).

    Args:
        platform: Which provider the token is for.
        token: The token as the client sent it (surrounding whitespace already stripped).

    Returns:
        A sentence for the client, or ``None`` when the token is well-formed.
    """
    if not token:
        return "is required"
    if len(token) > TOKEN_HARD_LIMIT:
        return f"is longer than {TOKEN_HARD_LIMIT} characters"
    if platform is DevicePlatform.ANDROID:
        fits = _FCM_SHAPE.match(token) is not None
        return None if fits else "must be an FCM registration token (letters, digits, '_', '-', ':' and '.')"
    if not _APNS_SHAPE.match(token):
        return "must be the APNs device token in hex (0-9, A-F); Firebase tokens are not APNs tokens"
    if len(token) > APNS_TOKEN_MAX_LENGTH:
        # CI-J judges any hex token past 64 digits, odd or even, as DeviceTokenTooLong.
        return None
    return "must have an even number of hex digits (two per byte)" if len(token) % 2 else None


def normalize_token(platform: DevicePlatform, token: str) -> str:
    """The canonical form of a well-formed token: APNs hex in lower case, FCM unchanged."""
    stripped = token.strip()
    return stripped.lower() if platform is DevicePlatform.IOS else stripped


def token_is_too_long(platform: DevicePlatform, token: str) -> bool:
    """Whether a well-formed token breaks the platform's length limit (``DeviceTokenTooLong``)."""
    limit = APNS_TOKEN_MAX_LENGTH if platform is DevicePlatform.IOS else FCM_TOKEN_MAX_LENGTH
    return len(token) > limit
