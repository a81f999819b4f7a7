"""Bodies of the push message routes (``/admin/v1/orgs/{orgId}/pushmessages``).

The authored content itself is :class:`pushgate.models.message_template.MessageContent`
(validated by the service, so a PATCH is checked as the merged whole).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pushgate.api.schemas.common import REQUEST_CONFIG, Identifier
from pushgate.models.message_template import MessageTemplate, MessageVersion
from pushgate.models.payloads import APNS_MAX_PAYLOAD_BYTES, FCM_MAX_MESSAGE_BYTES
from pushgate.services.messages.message_previews import PLATFORM_NAMES, Preview, TestSend

SampleData = dict[str, Any]


class MessageDocument(BaseModel):
    """A create or PATCH body, kept as sent (the service validates the content)."""

    model_config = ConfigDict(extra="allow")

    @property
    def fields(self) -> dict[str, Any]:
        """The top-level fields as sent."""
        return dict(self.model_extra or {})


class PreviewRequestBody(BaseModel):
    """``POST .../preview``: whom to render for (all optional)."""

    model_config = REQUEST_CONFIG

    UserId: Identifier | None = None
    Contact: SampleData | None = None
    TriggerData: SampleData | None = None
    Locale: Annotated[str, StringConstraints(strip_whitespace=True, max_length=35)] | None = None
    MobileAppId: Identifier | None = None


class UnsavedPreviewRequestBody(PreviewRequestBody):
    """``POST .../pushmessages/preview``: content not saved yet (``Message``, as a create takes it) and whom for."""

    Message: dict[str, Any]


class TestSendRequestBody(BaseModel):
    """``POST .../testsend``: ``{"MobileAppId", "UserId"}`` or ``{"MobileAppId", "DeviceToken", "Platform"}``."""

    __test__ = False  # not a pytest test class

    model_config = REQUEST_CONFIG

    MobileAppId: Identifier
    UserId: Identifier | None = None
    DeviceToken: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4096)] | None = None
    Platform: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None
    Contact: SampleData | None = None
    TriggerData: SampleData | None = None
    Locale: Annotated[str, StringConstraints(strip_whitespace=True, max_length=35)] | None = None


class PushMessageResponse(BaseModel):
    """A message: its identity and lifecycle, then its current content (``Name``, ``Title``, ...)."""

    model_config = ConfigDict(extra="allow")

    MessageId: str
    OrgId: str
    Status: str
    Version: int
    CreatedAt: datetime
    UpdatedAt: datetime
    StatusChangedAt: datetime

    @classmethod
    def from_message(cls, message: MessageTemplate) -> PushMessageResponse:
        """Maps the domain entity to the body."""
        return cls(
            MessageId=message.message_id,
            OrgId=message.org_id,
            Status=message.status.value,
            Version=message.version,
            CreatedAt=message.created_at,
            UpdatedAt=message.updated_at,
            StatusChangedAt=message.status_changed_at,
            **message.content.to_api(),
        )


class PushMessageListResponse(BaseModel):
    """A page of messages."""

    PushMessages: list[PushMessageResponse]
    NextToken: str | None = Field(default=None)


class PushMessageVersionResponse(BaseModel):
    """One saved version: its number and time, then its content."""

    model_config = ConfigDict(extra="allow")

    MessageId: str
    Version: int
    CreatedAt: datetime

    @classmethod
    def from_version(cls, version: MessageVersion) -> PushMessageVersionResponse:
        """Maps the domain entity to the body."""
        return cls(
            MessageId=version.message_id,
            Version=version.version,
            CreatedAt=version.created_at,
            **version.content.to_api(),
        )


class PushMessageVersionListResponse(BaseModel):
    """Every version, oldest first."""

    Versions: list[PushMessageVersionResponse]


def preview_body(preview: Preview) -> dict[str, Any]:
    """The preview response: exact payloads, headers, sizes and warnings.

    Args:
        preview: From the service.

    Returns:
        ``{"MessageId", "Version", "Status", "Locale", "Rendered", "Apns", "Fcm", "Warnings"}`` (the
        first three ``null`` for unsaved content).
    """
    rendered = preview.rendered
    payloads = preview.payloads
    return {
        "MessageId": preview.message.message_id if preview.saved else None,
        "Version": preview.message.version if preview.saved else None,
        "Status": preview.message.status.value if preview.saved else None,
        "Locale": rendered.locale,
        "Rendered": {
            "Title": rendered.title,
            "Subtitle": rendered.subtitle,
            "Body": rendered.body,
            "Url": rendered.url,
            "Data": rendered.data,
        },
        "Apns": {
            "Headers": preview.apns_headers,
            "Payload": payloads.apns_payload,
            "PayloadJson": payloads.apns_bytes.decode(),
            "SizeBytes": len(payloads.apns_bytes),
            "LimitBytes": APNS_MAX_PAYLOAD_BYTES,
        },
        "Fcm": {
            "Body": payloads.fcm_body,
            "BodyJson": payloads.fcm_bytes.decode(),
            "MessageSizeBytes": payloads.fcm_message_bytes,
            "LimitBytes": FCM_MAX_MESSAGE_BYTES,
        },
        "Warnings": [{"Field": warning.field, "Warning": warning.problem} for warning in preview.warnings],
    }


def body_of_test_send(sent: TestSend) -> dict[str, Any]:
    """The test-send response: one verdict per device.

    Args:
        sent: From the service.

    Returns:
        ``{"MessageId", "Version", "TestSendId", "TrackingId", "Locale", "Results": [...]}``.
    """
    return {
        "MessageId": sent.message.message_id,
        "Version": sent.message.version,
        "TestSendId": sent.send_id,
        "TrackingId": "",
        "Locale": sent.rendered.locale,
        "Results": [
            {
                "Platform": PLATFORM_NAMES[result.target.platform],
                "DeviceToken": result.target.token,
                "Verdict": result.outcome.verdict.value,
                "Status": result.outcome.status,
                "Reason": result.outcome.reason,
                "ProviderMessageId": result.outcome.provider_message_id,
                "Detail": result.outcome.detail,
            }
            for result in sent.results
        ],
    }
