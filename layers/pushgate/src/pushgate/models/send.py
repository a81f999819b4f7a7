"""Sends: one message through one app to a list of directory users, the delivery jobs it becomes,
and the ledger of what became of every (send, user, device).

A send is fanned out into delivery jobs that already carry each device's token and the rendered
notification, so the delivery worker reads no device or directory item. Every job ends as one
ledger item holding the outcomes of all its devices (never one item per notification).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from pushgate.models.delivery_timing import CapRule, DeliveryPolicy
from pushgate.models.device import DevicePlatform
from pushgate.models.directory import EntityType, PersonAttributes
from pushgate.models.frozen import LogSafe
from pushgate.models.message_template import MessageContent
from pushgate.models.push import PushMessage

#: Most recipients one send request may name.
MAX_RECIPIENTS: Final = 10_000
#: First byte of a legacy (64-character) tracking id: its layout version.
LEGACY_TRACKING_ID_VERSION: Final = 1
#: Random bytes of a legacy tracking id.
LEGACY_TRACKING_ID_SECRET_BYTES: Final = 12
_LEGACY_TRACKING_ID_BYTES: Final = 1 + 16 + 16 + 3 + LEGACY_TRACKING_ID_SECRET_BYTES
#: Length of a legacy tracking id as it travels (base64url of 48 bytes, no padding).
LEGACY_TRACKING_ID_LENGTH: Final = _LEGACY_TRACKING_ID_BYTES * 4 // 3
#: Hex digits of a tracking key: the first half of a tracking id, shared by the devices of one job.
TRACKING_KEY_LENGTH: Final = 16
_GUID_SHAPE: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class Outcome(StrEnum):
    """Final outcome of one (send, user, device), or of a recipient that had no device to try."""

    SENT = "Sent"
    NOT_SENT = "NotSent"


class NotSentReason(StrEnum):
    """Why something was not sent, for reasons Pushgate decides itself.

    Provider rejections keep the provider's own reason (``Unregistered``, ``BadDeviceToken``,
    ``UNREGISTERED``...), so the ledger's reasons are these values or a provider code.
    """

    NO_VALID_DEVICE = "NoValidDevice"
    MESSAGE_EXPIRED = "MessageExpired"
    MESSAGE_DEACTIVATED = "MessageDeactivated"
    UNKNOWN_RECIPIENT = "UnknownRecipient"
    NO_PUSH_CONSENT = "NoPushConsent"
    PAYLOAD_TOO_LARGE = "PayloadTooLarge"
    DELIVERY_UNCERTAIN = "DeliveryUncertain"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    PLATFORM_NOT_CONFIGURED = "PlatformNotConfigured"
    APP_DELETED = "AppDeleted"
    CANCELED = "Canceled"
    CAPPED_FREQUENCY = "CappedFrequency"
    EXPIRED_IN_QUIET_HOURS = "ExpiredInQuietHours"
    #: The on-click URL rendered for this recipient leaves the scheme, host or port its template names.
    URL_ORIGIN_CHANGED = "UrlOriginChanged"


#: The reason a ``Sent`` entry carries when quiet hours held the notification back until they ended.
DEFERRED_QUIET_HOURS: Final = "DeferredQuietHours"


class Audience(StrEnum):
    """Who a send goes to when it names no recipients (a broadcast)."""

    #: Every ``Active`` device of the app, read in bulk from the app's device index.
    ALL_ACTIVE_DEVICES = "AllActiveDevices"


class SendContext(BaseModel):
    """What names a send wherever it is recorded: the send, its tracked notifications, their interactions.

    Attributes:
        org_id: Owner org.
        send_id: Id of the send.
        app_id: The app whose devices and credentials are used.
        message_id: The message.
        message_version: The version rendered (the current one when the send was accepted).
        journey_id: The journey that asked for it, if any.
    """

    model_config = ConfigDict(frozen=True)

    org_id: str
    send_id: str
    app_id: str
    message_id: str
    message_version: int
    journey_id: str | None = None

    def context_fields(self) -> dict[str, Any]:
        """The context's fields alone, to build another record of the same send from."""
        return {name: getattr(self, name) for name in SendContext.model_fields}


class SendRecord(SendContext):
    """A send as accepted by the API, with the totals the delivery worker adds to.

    Attributes (besides the :class:`SendContext`):
        created_at: When it was accepted.
        recipients_accepted: Recipients taken on (their outcomes are in the ledger).
        recipients_rejected: Recipients refused at once (also in the ledger, as ``NotSent``).
        devices_targeted: Devices put into delivery jobs.
        recipient_outcomes: Ledger entries written at fan-out without a device (no device,
            expired message, refused recipients).
        jobs_total: Delivery jobs enqueued at fan-out.
        sent: Devices the provider accepted.
        not_sent: Ledger entries that ended ``NotSent`` (devices and recipients).
        not_sent_reasons: ``not_sent`` by reason.
        jobs_done: Jobs whose outcomes are recorded (retry and resumed jobs included).
        parked: Devices parked because the app's credentials failed (they wait for a resume).
        send_at: The requested ``SendAt``, if any.
        send_at_local_time: The requested ``SendAtLocalTime``, if any.
        scheduled: Devices held back at fan-out (scheduled, or deferred by quiet hours) by the UTC
            hour they are due (``2026-12-24T08:00:00Z``).
        scheduled_recipients: Recipients held back, by the same hours.
        released: Held devices handed to the delivery queue, by hour.
        deferred: Recipients whose notification quiet hours deferred.
        canceled_at: When the send was canceled, if it was.
        audience: The broadcast audience, when the send named no recipients.
        audience_shards_pending: Shards of a broadcast's audience not yet read to the end; the
            send cannot be complete before they are (a segment send has one: its chain of pages).
        segment_pages: A segment send's pages, known once its last page is counted (0 before).
        segment_pages_counted: The segment send's pages counted so far: pages are read in
            parallel, so the last one can be counted before an earlier one is.
        audience_filter: A segment send's filter over the directory.
        audience_kind: The kind of people it selects (``contact``, ``lead``, ``profile``).
        segment_id: The saved segment it named, if any.
    """

    created_at: datetime
    recipients_accepted: int
    recipients_rejected: int
    devices_targeted: int
    recipient_outcomes: int
    jobs_total: int
    sent: int = 0
    not_sent: int = 0
    not_sent_reasons: dict[str, int] = Field(default_factory=dict)
    jobs_done: int = 0
    parked: int = 0
    send_at: datetime | None = None
    send_at_local_time: str | None = None
    scheduled: dict[str, int] = Field(default_factory=dict)
    scheduled_recipients: dict[str, int] = Field(default_factory=dict)
    released: dict[str, int] = Field(default_factory=dict)
    deferred: int = 0
    canceled_at: datetime | None = None
    audience: Audience | None = None
    audience_shards_pending: int = 0
    segment_pages: int = 0
    segment_pages_counted: int = 0
    audience_filter: str | None = None
    audience_kind: EntityType | None = None
    segment_id: str | None = None

    @property
    def expected(self) -> int:
        """Ledger entries the send ends with: one per targeted device and per device-less recipient."""
        return self.devices_targeted + self.recipient_outcomes

    @property
    def audience_read(self) -> bool:
        """Whether a broadcast's every shard, or a segment's every page, is read and counted."""
        return self.audience_shards_pending <= 0 and self.segment_pages_counted >= self.segment_pages

    @property
    def completed(self) -> bool:
        """Whether every expected outcome is recorded (and, for a broadcast or segment, every device found)."""
        return self.audience_read and self.sent + self.not_sent >= self.expected

    @classmethod
    def accepted(cls, template: DeliveryJob, *, created_at: datetime, **totals: Any) -> SendRecord:
        """The record a send starts with, named as its jobs are (``template``: what they share).

        Its fan-out totals are zero unless ``totals`` gives them: a recipients' send counts its
        fan-out before the record is written, a broadcast's or a segment's pages add theirs later.
        """
        return cls(
            org_id=template.org_id,
            send_id=template.send_id,
            app_id=template.app_id,
            message_id=template.message_id,
            message_version=template.message_version,
            journey_id=template.journey_id,
            created_at=created_at,
            **(dict.fromkeys(_FANOUT_TOTALS, 0) | totals),
        )


#: The totals a send's fan-out sets on its record (``SendRecord.accepted`` starts them at zero).
_FANOUT_TOTALS: Final = (
    "recipients_accepted",
    "recipients_rejected",
    "devices_targeted",
    "recipient_outcomes",
    "jobs_total",
)


class JobDevice(BaseModel):
    """One device of a delivery job.

    Attributes:
        user_id: The recipient.
        platform: ``ios`` (APNs) or ``android`` (FCM).
        token: The device token.
        token_sha256: Its hash (the device item's sort key carries it).
        tracking_id: The tracking id of this (send, user, device) (see :func:`new_tracking_id`).
        message: Index of the recipient's rendered notification in ``DeliveryJob.messages``.
        tracked: Whether the recipient consented to tracking (the payload gets a tracked ``link``).
        profile_type: The recipient's directory entity type (``contact``, ``lead``, ``profile``).
    """

    model_config = ConfigDict(frozen=True)

    user_id: str
    platform: DevicePlatform
    token: str
    token_sha256: str
    tracking_id: str
    message: int
    tracked: bool = False
    profile_type: str | None = None


class DeliveryJob(LogSafe, BaseModel):
    """A batch of notifications of one send, as it travels through the delivery queue.

    Attributes:
        job_id: Unique within the send; retry and resumed jobs derive theirs from their parent's.
        org_id: Owner org.
        app_id: The app.
        send_id: The send.
        message_id: The message (its status is checked before sending).
        message_version: The version rendered.
        journey_id: The journey, for the insight counters.
        attempt: 0 for the first try; retry jobs count up.
        link_base: Base of tracked links (``<PUBLIC_ENDPOINT>/l/``).
        expires_at: Absolute expiry of the notifications (epoch seconds), if any;
            ``NOW_OR_NEVER`` (0) for a time to live of 0 (see ``pushgate.models.push``).
        collapse_id: APNs collapse id / FCM collapse key, if any.
        android_high_priority: FCM ``android.priority`` HIGH rather than NORMAL.
        messages: Rendered notifications (one per recipient), without tracking id and link.
        devices: The devices to send to.
        due_at: When a held job is due (epoch seconds); ``None`` for a job enqueued at once.
        deferred: Quiet hours deferred these notifications (their ``Sent`` entries say so).
        caps: The frequency caps each recipient is checked against (none for exempt messages).
        resend_uncertain: The app's ``UncertainDelivery`` is ``ResendCollapsed`` and the message has
            no collapse id: every notification carries one of its own, derived from the send and
            the device, and one a crashed worker left uncertain is sent again under it.
    """

    model_config = ConfigDict(frozen=True)

    job_id: str
    org_id: str
    app_id: str
    send_id: str
    message_id: str
    message_version: int
    journey_id: str | None = None
    attempt: int = 0
    link_base: str = ""
    expires_at: int | None = None
    collapse_id: str | None = None
    android_high_priority: bool = True
    messages: list[PushMessage]
    devices: list[JobDevice]
    due_at: int | None = None
    deferred: bool = False
    caps: list[CapRule] = Field(default_factory=list)
    resend_uncertain: bool = False

    def _log_fields(self) -> dict[str, object]:
        return {"send_id": self.send_id, "job_id": self.job_id, "devices": len(self.devices)}


@dataclass(frozen=True)
class AudienceMember:
    """One device of a broadcast's audience, as the app's device index holds it.

    Attributes:
        user_id: The user the device is registered under.
        platform: ``ios`` or ``android``.
        token: The device token.
        token_sha256: Its hash.
        stamped: Whether the device item carries its person's copy (the fields below); items
            written before the copy existed do not, and their people are read instead.
        profile_type: The person's directory entity type; ``None`` for a device without a person.
        pushconsent: The person's push consent (``True`` without a person: the anonymous default).
        trackingconsent: The person's tracking consent.
        timezone: The person's IANA time zone, if set.
        locale: The person's locale, if set.
        revision: The person's revision the copy was taken at (0: no person then); ``None`` unstamped.
        record: The person's whole record as copied, when read from the person's device partition
            (``None`` from the app's index, without a live person, or on items copied before it).
    """

    user_id: str
    platform: DevicePlatform
    token: str
    token_sha256: str
    stamped: bool = False
    profile_type: str | None = None
    pushconsent: bool = True
    trackingconsent: bool = False
    timezone: str | None = None
    locale: str | None = None
    revision: int | None = None
    record: PersonAttributes | None = None


class AudiencePage(LogSafe, BaseModel):
    """One page of a broadcast's audience still to be read, as it travels through the audience queue.

    Attributes:
        template: The delivery job every job of the page copies (send, app, message, the one
            rendered notification in ``messages``); its ``devices`` are empty.
        shard: The shard of the app's device index.
        page: The page's number within the shard (0 for the first).
        start_key: Where the page starts (DynamoDB's ``LastEvaluatedKey`` of the previous page).
        policy: The app's delivery policy when the send was accepted (quiet hours, default zone).
        quiet_exempt: Whether the message ignores quiet hours (``TimeSensitive``).
        personal: Whether the message reads the person or has localizations (rendered per person).
    """

    model_config = ConfigDict(frozen=True)

    template: DeliveryJob
    shard: int
    page: int = 0
    start_key: dict[str, Any] | None = None
    policy: DeliveryPolicy | None = None
    quiet_exempt: bool = False
    personal: bool = False

    def _log_fields(self) -> dict[str, object]:
        return {"send_id": self.template.send_id, "shard": self.shard, "page": self.page}


class SegmentPage(LogSafe, BaseModel):
    """One page of a segment send's people still to be read, as it travels through the audience queue.

    Attributes:
        template: The delivery job every job of the send copies; its ``messages`` and ``devices``
            are empty (each person's notification is rendered when their page is read).
        content: The message content when the send was accepted.
        kind: The kind of people read.
        filter: The filter they are matched against.
        policy: The app's delivery policy when the send was accepted.
        send_at: The send's ``SendAt``, if any.
        send_at_local_time: Its ``SendAtLocalTime``, if any.
        accepted_at: When the send was accepted.
        page: The page's number (0 for the first).
        after_id: The page starts after this person id (``None``: at the first).
    """

    model_config = ConfigDict(frozen=True)

    template: DeliveryJob
    content: MessageContent
    kind: EntityType
    filter: str
    policy: DeliveryPolicy
    send_at: datetime | None = None
    send_at_local_time: str | None = None
    accepted_at: datetime
    page: int = 0
    after_id: str | None = None

    def _log_fields(self) -> dict[str, object]:
        return {"send_id": self.template.send_id, "page": self.page}


def segment_job_id(page: int, number: int) -> str:
    """The id of the ``number``-th job of a segment page (``000012-003``): the same whenever the page is read."""
    return f"{page:06d}-{number:03d}"


def segment_fanout_job_id(page: int) -> str:
    """The ledger item of a segment page's outcomes decided without a device (``000012-fanout``)."""
    return f"{page:06d}-fanout"


class LedgerEntry(BaseModel):
    """What became of one (send, user, device), or of a recipient without a device to try.

    Attributes:
        user_id: The recipient.
        outcome: ``Sent`` or ``NotSent``.
        reason: Why not sent (a :class:`NotSentReason` or the provider's code).
        platform: The device's platform (``None`` for recipient-level entries).
        token_sha256: The device (``None`` for recipient-level entries).
        tracking_id: The tracking id the notification carried.
        verdict: The provider verdict (``delivered``, ``token_invalid``...), when a provider answered.
        provider_message_id: ``apns-id`` or the FCM message name.
        at: When the outcome was decided.
        attempts: How many provider attempts it took (0 when never sent).
        profile_type: The recipient's directory entity type, when known.
        link: The message's URL as rendered for this recipient, kept only for a ``Sent`` entry whose
            notification carried a tracked link: the one place the redirect may send a click.
        untracked_link: The same URL for a ``Sent`` entry whose notification carried it untracked
            (no tracking consent, a broadcast): what a click the app reports opened. The redirect
            never uses it.
    """

    model_config = ConfigDict(frozen=True)

    user_id: str
    outcome: Outcome
    reason: str | None = None
    platform: DevicePlatform | None = None
    token_sha256: str | None = None
    tracking_id: str | None = None
    verdict: str | None = None
    provider_message_id: str | None = None
    at: datetime
    attempts: int = 0
    profile_type: str | None = None
    link: str | None = None
    untracked_link: str | None = None

    @property
    def opened_url(self) -> str | None:
        """The URL a tap on this notification opened (through the redirect or not), if it had one."""
        return self.link or self.untracked_link


def fanout_job_id(number: int) -> str:
    """The id of the ``number``-th delivery job of a fan-out (``00000``, ``00001``...)."""
    return f"{number:05d}"


@dataclass(frozen=True)
class TrackingRef:
    """Where a tracking id's notification is recorded.

    Attributes:
        org_id: The org.
        send_id: The send.
        job_id: The fan-out delivery job; the device's ledger entry is in that job's ledger item or
            in one of its retry or resume jobs (``<job_id>.r1``, ``<job_id>.p<random>``).
    """

    org_id: str
    send_id: str
    job_id: str


def new_tracking_key() -> str:
    """A fresh tracking key: 64 random bits, of which 60 are free (the GUID's version nibble is fixed).

    One is drawn per delivery job; the job's devices all get tracking ids that begin with it, and
    one item maps it to the job (see :func:`new_tracking_id`).
    """
    raw = bytearray(secrets.token_bytes(8))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    return raw.hex()


def new_tracking_id(tracking_key: str) -> str:
    """A tracking id: a random version-4 GUID in lower-case canonical form, as CI-J's apps expect.

    Nothing in it is derived from an org, send or device id. Its first half is the job's
    :func:`new_tracking_key`; its second half is 62 fresh random bits per device, so knowing one
    notification's id (or a send's id) does not let anyone report for another recipient. The ledger
    entry stores the whole id and a reported one is compared with it in constant time.

    Args:
        tracking_key: The job's tracking key (16 hex digits with the version nibble ``4``).

    Raises:
        ValueError: ``tracking_key`` is not one :func:`new_tracking_key` makes.
    """
    if len(tracking_key) != TRACKING_KEY_LENGTH or tracking_key[12] != "4":
        raise ValueError("invalid tracking key")
    tail = bytearray(secrets.token_bytes(8))
    tail[0] = (tail[0] & 0x3F) | 0x80  # RFC 9562 variant
    hex_digits = tracking_key + tail.hex()
    return f"{hex_digits[:8]}-{hex_digits[8:12]}-{hex_digits[12:16]}-{hex_digits[16:20]}-{hex_digits[20:]}"


def canonical_tracking_id(value: str) -> str:
    """A reported tracking id as stored: GUIDs in lower case (apps may upper-case them), others unchanged."""
    lowered = value.strip().lower()
    return lowered if _GUID_SHAPE.fullmatch(lowered) else value.strip()


def tracking_key_of(value: str) -> str | None:
    """The tracking key of a GUID tracking id (in canonical form), or ``None`` when it is not one."""
    if not _GUID_SHAPE.fullmatch(value):
        return None
    return value[:8] + value[9:13] + value[14:18]


def parse_legacy_tracking_id(value: str) -> TrackingRef | None:
    """Reads where a legacy tracking id's notification is recorded, or ``None`` when it is not one.

    Legacy ids (64 base64url characters: version ``1``, the org and send UUIDs, the fan-out job
    number, 12 random bytes) were issued before tracking ids became GUIDs; notifications already on
    devices still carry them. Only the layout is checked here; whether the id was ever handed out
    is decided by comparing it with the stored ledger entry (:func:`same_tracking_id`).
    """
    if len(value) != LEGACY_TRACKING_ID_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (ValueError, binascii.Error):
        return None
    if len(raw) != _LEGACY_TRACKING_ID_BYTES or raw[0] != LEGACY_TRACKING_ID_VERSION:
        return None
    if base64.urlsafe_b64encode(raw).decode("ascii") != value:
        return None  # a non-canonical spelling of the bytes is not an id we issued
    return TrackingRef(
        org_id=str(uuid.UUID(bytes=raw[1:17])),
        send_id=str(uuid.UUID(bytes=raw[17:33])),
        job_id=fanout_job_id(int.from_bytes(raw[33:36], "big")),
    )


def same_tracking_id(presented: str, stored: str | None) -> bool:
    """Whether a presented tracking id is the stored one (constant time, so the random part is not leaked)."""
    return stored is not None and hmac.compare_digest(presented.encode(), stored.encode())
