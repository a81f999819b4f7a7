"""Bodies of the interaction routes: CI-J's events API (public) and insights (operator)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, PlainValidator, StringConstraints
from pydantic_core import PydanticCustomError

from pushgate.api.bodies import CaseInsensitiveBody
from pushgate.csv_output import csv_text
from pushgate.models.interaction import Interaction
from pushgate.models.send import NotSentReason
from pushgate.services.interactions.insights import InsightReport, Metrics
from pushgate.services.interactions.interactions import STATUS_PROBLEM

#: A tracking id or device token as sent (the service decides whether it is one of ours).
EventText = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
#: A device token as sent; blank or absent means "not sent" (Microsoft's Android sample sends none).
OptionalDeviceToken = Annotated[str, StringConstraints(max_length=4096)] | None


def _status_value(value: object) -> int | str:
    # One problem for any other JSON type (a union of strict types would report one per member).
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise PydanticCustomError("push_notification_status", STATUS_PROBLEM)


#: ``PushNotificationStatus`` as sent: a JSON integer or string (the service reads which status).
StatusValue = Annotated[int | str, PlainValidator(_status_value, json_schema_input_type=int | str)]
#: Extra fields are ignored, as CI-J's samples send what their SDKs happen to add.
_EVENT_CONFIG = ConfigDict(extra="ignore", hide_input_in_errors=True)


class EventBody(CaseInsensitiveBody):
    """``POST .../pushdatareceiver/events`` (v2)."""

    model_config = _EVENT_CONFIG

    TrackingId: EventText
    #: Checked against the notification's device when present.
    DeviceToken: OptionalDeviceToken = None
    PushNotificationStatus: StatusValue


class LegacyEventBody(CaseInsensitiveBody):
    """``POST .../pushchannel/event/trackings/{trackingId}`` (v1; the tracking id is in the path)."""

    model_config = _EVENT_CONFIG

    DeviceToken: OptionalDeviceToken = None
    PushNotificationStatus: StatusValue


class MetricsView(BaseModel):
    """Counts and rates of a period or a day."""

    Inflow: int
    Sent: int
    NotSent: int
    NotSentReasons: dict[str, int]
    Deferred: int
    Canceled: int
    CappedFrequency: int
    Opened: int
    UniqueOpens: int
    Clicks: int
    UniqueClicks: int
    BotClicks: int
    OpenRate: float | None
    ClickThroughRate: float | None
    ClickToOpenRate: float | None

    @classmethod
    def from_metrics(cls, metrics: Metrics) -> MetricsView:
        """The view of computed metrics."""
        counts = metrics.counts
        return cls(
            Inflow=counts.inflow,
            Sent=counts.sent,
            NotSent=counts.not_sent,
            NotSentReasons=dict(counts.not_sent_reasons),
            Deferred=counts.deferred,
            Canceled=counts.not_sent_reasons.get(NotSentReason.CANCELED.value, 0),
            CappedFrequency=counts.not_sent_reasons.get(NotSentReason.CAPPED_FREQUENCY.value, 0),
            Opened=counts.opened,
            UniqueOpens=counts.unique_opens,
            Clicks=counts.clicks,
            UniqueClicks=counts.unique_clicks,
            BotClicks=counts.bot_clicks,
            OpenRate=metrics.open_rate,
            ClickThroughRate=metrics.click_through_rate,
            ClickToOpenRate=metrics.click_to_open_rate,
        )


class DayView(MetricsView):
    """One day of a report."""

    Day: date


class InsightResponse(BaseModel):
    """``GET /admin/v1/orgs/{orgId}/insights/{messages|journeys|apps}/{id}``."""

    Dimension: str
    Id: str
    From: date
    To: date
    Overall: MetricsView
    Days: list[DayView]

    @classmethod
    def from_report(cls, report: InsightReport) -> InsightResponse:
        """The view of a report."""
        return cls(
            Dimension=report.dimension.value,
            Id=report.dimension_id,
            From=report.first_day,
            To=report.last_day,
            Overall=MetricsView.from_metrics(report.overall),
            Days=[
                DayView(Day=date.fromisoformat(m.counts.day), **MetricsView.from_metrics(m).model_dump())
                for m in report.days
            ],
        )


#: Export columns, in order (CI-J's attribute names where it has one).
EXPORT_COLUMNS: tuple[str, ...] = (
    "InteractionId",
    "InteractionType",
    "Timestamp",
    "Source",
    "OrganizationId",
    "SendId",
    "MobileAppId",
    "MessageId",
    "MessageTemplateVersion",
    "CustomerJourneyId",
    "ProfileId",
    "ProfileType",
    "Platform",
    "DeviceId",
    "TrackingId",
    "Reason",
    "TargetUrl",
    "UserAgent",
    "IpAddress",
)


def export_row(interaction: Interaction) -> dict[str, str | int | None]:
    """One exported record, by column."""
    values: tuple[str | int | None, ...] = (
        interaction.interaction_id,
        interaction.type.value,
        interaction.at.isoformat().replace("+00:00", "Z"),
        interaction.source.value,
        interaction.org_id,
        interaction.send_id,
        interaction.app_id,
        interaction.message_id,
        interaction.message_version,
        interaction.journey_id,
        interaction.profile_id,
        interaction.profile_type,
        interaction.platform,
        interaction.device_id,
        interaction.tracking_id,
        interaction.reason,
        interaction.target_url,
        interaction.user_agent,
        interaction.ip_address,
    )
    return dict(zip(EXPORT_COLUMNS, values, strict=True))


#: An export page's formats: NDJSON (one record per line) or CSV with a header row.
ExportFormat = Literal["ndjson", "csv"]


def render_export(rows: Sequence[dict[str, str | int | None]], output: ExportFormat) -> tuple[str, str]:
    """An export page as its body and ``Content-Type``.

    Args:
        rows: The page's records (:func:`export_row`).
        output: ``ndjson`` (compact JSON, one record per line, the values as stored) or ``csv``
            (header row, CRLF lines, cells that would start a spreadsheet formula prefixed with
            ``'``: :func:`pushgate.csv_output.csv_text`).

    Returns:
        The body and its content type.
    """
    if output == "csv":
        return csv_text(EXPORT_COLUMNS, rows), "text/csv; charset=utf-8"
    return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows), "application/x-ndjson"
