"""Bodies of the send routes (``/admin/v1/orgs/{orgId}/sends``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, model_validator

from pushgate.api.schemas.common import REQUEST_CONFIG, Identifier
from pushgate.api.schemas.segments import AudienceBody, FilterAudience, SegmentAudience
from pushgate.models.send import MAX_RECIPIENTS, LedgerEntry, SendRecord
from pushgate.text import SINGLE_LINE
from pushgate.validation import field_error

#: Printable ASCII without spaces, as the keys journeys and schedulers make.
IdempotencyKeyText = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]


class SendRecipientBody(BaseModel):
    """One recipient: a directory id and optional trigger data for ``{{trigger.*}}``."""

    model_config = REQUEST_CONFIG

    UserId: Identifier
    TriggerData: dict[str, Any] | None = None


class CreateSendRequest(BaseModel):
    """``POST .../sends``."""

    model_config = REQUEST_CONFIG

    MobileAppId: Identifier
    MessageId: Identifier
    Recipients: Annotated[list[SendRecipientBody], Field(min_length=1, max_length=MAX_RECIPIENTS)] | None = None
    #: Instead of named recipients: ``AllActiveDevices`` (every Active device of the app), a
    #: ``{"Filter", "Kind"}`` over the directory, or a saved segment's ``{"SegmentId"}``.
    Audience: AudienceBody | None = None
    JourneyId: Identifier | None = None
    IdempotencyKey: IdempotencyKeyText | None = None
    #: Deliver at this UTC instant (up to 30 days ahead).
    SendAt: datetime | None = None
    #: Deliver at this wall-clock time in each recipient's zone: ``09:00`` (next occurrence) or ``2026-12-24T09:00``.
    SendAtLocalTime: Annotated[str, StringConstraints(min_length=1, max_length=32), SINGLE_LINE] | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> CreateSendRequest:
        # A send names its recipients or an audience, never both; a broadcast goes out at once (only
        # named recipients and segments are scheduled, person by person).
        if self.Audience is not None and self.Recipients is not None:
            raise field_error(
                "CreateSendRequest",
                "Audience",
                "send_audience_and_recipients",
                "cannot be combined with Recipients; give one of them",
            )
        if self.Audience is None and self.Recipients is None:
            raise field_error(
                "CreateSendRequest",
                "Recipients",
                "send_without_audience",
                "is required unless Audience names a broadcast audience",
            )
        if self.Audience is not None and not isinstance(self.Audience, FilterAudience | SegmentAudience):
            for field, value in (("SendAt", self.SendAt), ("SendAtLocalTime", self.SendAtLocalTime)):
                if value is not None:
                    raise field_error(
                        "CreateSendRequest",
                        field,
                        "scheduled_broadcast",
                        "cannot be combined with Audience: a broadcast goes out at once",
                    )
        return self


class RejectedRecipient(BaseModel):
    """A recipient refused at once."""

    UserId: str
    Reason: str


class CreateSendResponse(BaseModel):
    """The 202 answer: the send id and what was taken on."""

    SendId: str
    Accepted: int
    Rejected: list[RejectedRecipient]


class ScheduledHour(BaseModel):
    """Held notifications of one UTC hour: scheduled, or deferred by quiet hours."""

    Hour: str
    Recipients: int
    Devices: int
    Released: int
    State: str


def _scheduled_hours(send: SendRecord) -> list[ScheduledHour]:
    hours = []
    for hour in sorted(send.scheduled):
        devices, released = send.scheduled[hour], send.released.get(hour, 0)
        if released >= devices:
            state = "Released"
        elif send.canceled_at is not None:
            state = "Canceled"
        else:
            state = "Pending"
        hours.append(
            ScheduledHour(
                Hour=hour,
                Recipients=send.scheduled_recipients.get(hour, 0),
                Devices=devices,
                Released=released,
                State=state,
            )
        )
    return hours


def _status(send: SendRecord) -> str:
    if send.completed:
        return "Canceled" if send.canceled_at is not None else "Completed"
    if send.canceled_at is not None:
        return "Canceling"
    held = sum(send.scheduled.values()) - sum(send.released.values())
    # An audience shard or segment page not yet read may still add devices due now, so the send is
    # not "Scheduled" (only held work left) before every one is counted.
    if send.audience_read and held > 0 and send.sent + send.not_sent + held >= send.expected:
        return "Scheduled"
    return "InProgress"


class SendSegmentView(BaseModel):
    """The segment a send went to: its filter and kind (and the saved segment, if it named one)."""

    Filter: str
    Kind: str
    SegmentId: str | None = None


def _audience(send: SendRecord) -> str | SendSegmentView | None:
    if send.audience_filter is not None and send.audience_kind is not None:
        return SendSegmentView(
            Filter=send.audience_filter, Kind=send.audience_kind.entity_set, SegmentId=send.segment_id
        )
    return send.audience.value if send.audience else None


def _history_audience(send: SendRecord) -> str:
    if send.audience_filter is not None:
        return "Segment"
    return send.audience.value if send.audience else "Recipients"


# A body lists its model's bases' fields first, the last base's first of all: the views below are
# put together from bases in the order their fields are shown, so that no field list is written twice.


class SendCounts(BaseModel):
    """The counts of a send that ``GET .../sends/{sendId}`` and the history's ``Totals`` both show."""

    RecipientsAccepted: int
    RecipientsRejected: int
    DevicesTargeted: int
    Expected: int
    Sent: int
    NotSent: int
    Pending: int
    Parked: int


class _SendHead(BaseModel):
    SendId: str
    MobileAppId: str
    MessageId: str
    MessageVersion: int
    JourneyId: str | None
    CreatedAt: datetime
    Status: str


class SendResponse(SendCounts, _SendHead):
    """``GET .../sends/{sendId}``: totals and progress."""

    NotSentReasons: dict[str, int]
    JobsTotal: int
    JobsDone: int
    SendAt: datetime | None = None
    SendAtLocalTime: str | None = None
    Deferred: int = 0
    CanceledAt: datetime | None = None
    Scheduled: list[ScheduledHour] = []
    Audience: str | SendSegmentView | None = None

    @classmethod
    def from_send(cls, send: SendRecord) -> SendResponse:
        """The view of a send record."""
        return cls(
            SendId=send.send_id,
            MobileAppId=send.app_id,
            MessageId=send.message_id,
            MessageVersion=send.message_version,
            JourneyId=send.journey_id,
            CreatedAt=send.created_at,
            Status=_status(send),
            RecipientsAccepted=send.recipients_accepted,
            RecipientsRejected=send.recipients_rejected,
            DevicesTargeted=send.devices_targeted,
            Expected=send.expected,
            Sent=send.sent,
            NotSent=send.not_sent,
            Pending=max(0, send.expected - send.sent - send.not_sent),
            Parked=send.parked,
            NotSentReasons=dict(send.not_sent_reasons),
            JobsTotal=send.jobs_total,
            JobsDone=send.jobs_done,
            SendAt=send.send_at,
            SendAtLocalTime=send.send_at_local_time,
            Deferred=send.deferred,
            CanceledAt=send.canceled_at,
            Scheduled=_scheduled_hours(send),
            Audience=_audience(send),
        )


class SendTotals(SendCounts):
    """A send's counts, as ``GET .../sends/{sendId}`` shows them."""

    Deferred: int
    NotSentReasons: dict[str, int]


class SendHistoryEntry(BaseModel):
    """One send of ``GET .../sends``."""

    SendId: str
    MessageId: str
    MessageName: str | None
    MobileAppId: str
    JourneyId: str | None
    CreatedAt: datetime
    Status: str
    #: ``Recipients`` (named recipients), ``Segment`` (a filter or saved segment; ``GET .../sends/{sendId}``
    #: names which) or the broadcast audience (``AllActiveDevices``).
    Audience: str
    Totals: SendTotals
    SendAt: datetime | None

    @classmethod
    def from_send(cls, send: SendRecord, message_name: str | None) -> SendHistoryEntry:
        """The history view of a send record."""
        full = SendResponse.from_send(send)
        return cls(
            SendId=send.send_id,
            MessageId=send.message_id,
            MessageName=message_name,
            MobileAppId=send.app_id,
            JourneyId=send.journey_id,
            CreatedAt=send.created_at,
            Status=full.Status,
            Audience=_history_audience(send),
            Totals=SendTotals.model_validate(full.model_dump(include=set(SendTotals.model_fields))),
            SendAt=send.send_at,
        )


class SendHistoryResponse(BaseModel):
    """``GET .../sends``: one page of the org's sends, newest first."""

    Sends: list[SendHistoryEntry]
    NextToken: str | None


class EntryOutcomeView(BaseModel):
    """What became of one ledger entry, as the send's ledger and a person's notifications show it."""

    Outcome: str
    Reason: str | None
    Platform: str | None
    DeviceTokenSha256: str | None
    TrackingId: str | None
    Verdict: str | None

    @staticmethod
    def outcome_of(entry: LedgerEntry) -> dict[str, Any]:
        """The fields of this view for ``entry`` (its token's hash, never the token itself)."""
        return {
            "Outcome": entry.outcome.value,
            "Reason": entry.reason,
            "Platform": entry.platform.value if entry.platform else None,
            "DeviceTokenSha256": entry.token_sha256,
            "TrackingId": entry.tracking_id,
            "Verdict": entry.verdict,
        }


class _LedgerRecipient(BaseModel):
    UserId: str


class LedgerEntryView(EntryOutcomeView, _LedgerRecipient):
    """One (send, user, device) outcome."""

    ProviderMessageId: str | None
    Attempts: int
    At: datetime

    @classmethod
    def from_entry(cls, entry: LedgerEntry) -> LedgerEntryView:
        """The view of a ledger entry (never the token itself)."""
        return cls(
            UserId=entry.user_id,
            **cls.outcome_of(entry),
            ProviderMessageId=entry.provider_message_id,
            Attempts=entry.attempts,
            At=entry.at,
        )


class LedgerPageResponse(BaseModel):
    """``GET .../sends/{sendId}/recipients``."""

    Recipients: list[LedgerEntryView]
    NextToken: str | None


class ResumeParkedRequest(BaseModel):
    """``POST .../sends/parked/resume``."""

    model_config = REQUEST_CONFIG

    MobileAppId: Identifier


class ResumeParkedResponse(BaseModel):
    """How many parked devices went back to the delivery queue."""

    Resumed: int
