"""A notification as the delivery use case hands it to a provider client, and the outcome it gets back.

Plain values with no provider code: the domain models (sends, templates, delivery progress), the
use cases and the provider clients all import them from here.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import Final

#: The ``expires_at`` of a notification with a time to live of 0, in Apple's own encoding
#: (``apns-expiration: 0``; FCM ``android.ttl: "0s"``): "now or never". The provider makes one
#: delivery attempt and stores nothing; Pushgate hands it over when it is due and never later (a
#: retry, or a job parked on failed credentials, records it ``MessageExpired``).
NOW_OR_NEVER: Final = 0


def has_expired(expires_at: int | None, moment: float) -> bool:
    """Whether a notification with this ``expires_at`` is past its expiry at ``moment`` (epoch seconds).

    Only a positive expiry passes; ``None`` (the provider's own storage limit) and
    :data:`NOW_OR_NEVER` (no date to pass: it goes when it is due) never do.
    """
    return expires_at is not None and expires_at != NOW_OR_NEVER and expires_at <= moment


class Platform(enum.StrEnum):
    """Push provider of a device token."""

    APNS = "apns"
    FCM = "fcm"


class Verdict(enum.StrEnum):
    """What the delivery worker does with a (send, device) after one attempt.

    Attributes:
        DELIVERED: The provider accepted the notification.
        TOKEN_INVALID: The device token is dead; mark it invalid (mind ``invalid_since``).
        RETRY: Try again after ``retry_after`` seconds.
        CONFIGURATION_ERROR: The app's credentials or settings are wrong, not the token; mark the
            app's credential status and stop sending with it.
        PAYLOAD_ERROR: This notification can never be accepted as built; do not retry it unchanged.
    """

    DELIVERED = "delivered"
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - a verdict name, not a secret
    RETRY = "retry"
    CONFIGURATION_ERROR = "configuration_error"
    PAYLOAD_ERROR = "payload_error"


class InterruptionLevel(enum.StrEnum):
    """iOS ``aps.interruption-level`` values."""

    PASSIVE = "passive"
    ACTIVE = "active"
    TIME_SENSITIVE = "time-sensitive"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class PushMessage:
    """The rendered, personalized content of one notification (platform-neutral).

    Attributes:
        title: Alert title.
        body: Alert body.
        subtitle: iOS subtitle.
        image_url: Image shown by the notification (iOS needs a service extension: ``mutable-content``).
        link: The URL the app opens: the tracked redirect with tracking consent, the plain URL
            without it; empty when the notification opens the app.
        original_link: The link as authored (never tracked); empty when there is none.
        tracking_id: Id reported back on open; empty for test sends.
        sound: Sound name (``"default"`` for the system sound).
        badge: iOS badge count (0 clears it).
        thread_id: iOS thread identifier (grouping).
        interruption_level: iOS interruption level.
        android_notification: Also send an FCM ``notification`` block (title, body, image) so the
            system draws it when the app is in the background, besides the data keys.
        android_channel_id: Android notification channel for the ``notification`` block.
        extra_data: Custom data keys, added next to the standard keys.
    """

    title: str = ""
    body: str = ""
    subtitle: str = ""
    image_url: str = ""
    link: str = ""
    original_link: str = ""
    tracking_id: str = ""
    sound: str | None = None
    badge: int | None = None
    thread_id: str | None = None
    interruption_level: InterruptionLevel | None = None
    android_notification: bool = False
    android_channel_id: str | None = None
    extra_data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PushRequest:
    """One notification to one device.

    Attributes:
        device_token: The APNs (hex) or FCM registration token.
        send_id: Id of the send this notification belongs to; with the token it makes the
            deterministic ``apns-id``.
        message: The content.
        expires_at: Absolute expiry, UNIX epoch seconds; ``None`` lets the provider keep it as long
            as it likes (APNs: 30 days, FCM: 4 weeks); :data:`NOW_OR_NEVER` (0): one attempt, not
            stored (``apns-expiration: 0``, ``android.ttl: "0s"``).
        collapse_id: Collapse identifier (APNs ``apns-collapse-id`` ≤ 64 bytes, FCM ``collapse_key``).
        notification_tag: FCM ``android.notification.tag`` of a notification message: a later
            notification with the same tag replaces this one on screen (ignored for data messages).
        high_priority: Deliver immediately (APNs 10 / FCM HIGH) rather than power-aware (5 / NORMAL).
        silent: Background push with no alert (APNs ``content-available``, FCM data-only NORMAL).
        dry_run: Check the token with a push that carries nothing for an app (``message`` and
            the options are not sent): FCM validates a message naming only the token
            (``validate_only``, never delivered); APNs has no dry run, so the APNs client sends
            the background push ``{"aps":{"content-available":1}}`` alone.
    """

    device_token: str
    send_id: str
    message: PushMessage = field(default_factory=PushMessage)
    expires_at: int | None = None
    collapse_id: str | None = None
    high_priority: bool = True
    silent: bool = False
    dry_run: bool = False
    notification_tag: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """The result of one :class:`PushRequest`.

    Attributes:
        verdict: What to do next.
        platform: The provider that answered.
        status: HTTP status from the provider; ``None`` when no answer arrived (connection error,
            timeout) or the request was refused locally.
        reason: APNs ``reason`` / FCM ``errorCode`` (or a local code such as ``PayloadTooLarge``,
            ``Timeout``, ``ConnectionError``); ``None`` on success.
        retry_after: Seconds to wait before retrying (``Retry-After`` when the provider sent one).
        invalid_since: When the provider says the token stopped being valid (APNs 410 ``timestamp``).
        provider_message_id: ``apns-id`` or the FCM message ``name``.
        detail: Human-readable explanation for logs; never contains secrets.
        rule: Key of the verdict-table entry that decided, for audit and metrics.
    """

    verdict: Verdict
    platform: Platform
    status: int | None = None
    reason: str | None = None
    retry_after: float | None = None
    invalid_since: datetime.datetime | None = None
    provider_message_id: str | None = None
    detail: str | None = None
    rule: str | None = None
