"""Bodies of the directory, app-user link and user-resolve routes.

People use Dataverse-style lowercase attribute names (``emailaddress1``) and are validated by the
service (``pushgate.services.directory.person_attributes``), so their bodies arrive here as plain JSON objects.
Pushgate's own envelopes (imports, links, resolve) use PascalCase like the rest of the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, Strict, StrictStr, StringConstraints

from pushgate.api.bodies import CaseInsensitiveBody
from pushgate.api.schemas.sends import EntryOutcomeView
from pushgate.models.directory import AppUserLink
from pushgate.services.directory.directory import ImportResult
from pushgate.services.directory.person_page import PersonDevice, PersonNotification
from pushgate.services.directory.user_mapping import ErasureReport
from pushgate.text import SINGLE_LINE

#: An import of 1,000 people with custom attributes can exceed the default 256 KiB body limit;
#: 5 MiB stays under Lambda's 6 MB synchronous payload limit.
MAX_IMPORT_BODY_BYTES = 5 * 1024 * 1024

IdText = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1, max_length=128), SINGLE_LINE]


class JsonObject(RootModel[dict[str, Any]]):
    """A JSON object body whose fields the service checks itself."""


class ImportRequest(BaseModel):
    """``POST .../{contacts|leads|profiles}/import``: ``{"Items": [person, ...]}`` (at most 1,000)."""

    model_config = ConfigDict(extra="forbid")

    Items: list[Any]


class ImportItemError(BaseModel):
    """Why one import item was not written."""

    Code: str
    Message: str
    Details: list[dict[str, str]]


class ImportItemResult(BaseModel):
    """The outcome of one import item."""

    Index: int
    Id: str | None
    Status: str
    Error: ImportItemError | None = None

    @classmethod
    def from_result(cls, result: ImportResult) -> ImportItemResult:
        """Maps the service result to the body."""
        error = None
        if result.error is not None:
            error = ImportItemError(
                Code=result.error.code,
                Message=result.error.message,
                Details=[{"Field": p.field, "Problem": p.problem} for p in result.error.problems],
            )
        status = result.outcome.value if result.outcome is not None else "Failed"
        return cls(Index=result.index, Id=result.person_id, Status=status, Error=error)


class ImportResponse(BaseModel):
    """Per-item results and counts per status."""

    Results: list[ImportItemResult]
    Counts: dict[str, int]

    @classmethod
    def from_results(cls, results: list[ImportResult]) -> ImportResponse:
        """Builds the body from the service results."""
        items = [ImportItemResult.from_result(r) for r in results]
        counts = dict.fromkeys(("Created", "Updated", "Unchanged", "Failed"), 0)
        for item in items:
            counts[item.Status] += 1
        return cls(Results=items, Counts=counts)


class ErasureResponse(BaseModel):
    """What erasing a person removed, per kind."""

    EntityType: str
    EntityId: str
    Removed: dict[str, int]

    @classmethod
    def from_report(cls, report: ErasureReport) -> ErasureResponse:
        """Maps the service report to the body."""
        return cls(EntityType=report.entity_type.value, EntityId=report.person_id, Removed=report.removed)


class AppUserLinkRequest(BaseModel):
    """``PUT .../mobileapps/{appId}/users/{appUserId}``."""

    model_config = ConfigDict(extra="forbid")

    EntityType: StrictStr = Field(max_length=32)
    EntityId: IdText


class AppUserLinkResponse(BaseModel):
    """A link from an app's user id to a directory record."""

    MobileAppId: str
    AppUserId: str
    EntityType: str
    EntityId: str
    CreatedAt: datetime
    ModifiedAt: datetime

    @classmethod
    def from_link(cls, link: AppUserLink) -> AppUserLinkResponse:
        """Maps the domain value to the body."""
        return cls(
            MobileAppId=link.app_id,
            AppUserId=link.app_user_id,
            EntityType=link.entity_type.value,
            EntityId=link.entity_id,
            CreatedAt=link.created_at,
            ModifiedAt=link.modified_at,
        )


class ResolveRequest(CaseInsensitiveBody):
    """``POST /api/v1.0/orgs/{orgId}/pushusermapping/resolve``: the app, its token, one identifier.

    A public route, so its names match in any letter case as on CI-J's device routes.
    """

    model_config = ConfigDict(extra="forbid")

    MobileAppId: Annotated[StrictStr, StringConstraints(max_length=64)]
    ApiToken: Annotated[StrictStr, StringConstraints(max_length=256)]
    Email: Annotated[StrictStr, StringConstraints(max_length=320)] | None = None
    Phone: Annotated[StrictStr, StringConstraints(max_length=64)] | None = None
    AppUserId: Annotated[StrictStr, StringConstraints(max_length=128)] | None = None


class ResolveResponse(BaseModel):
    """The directory id and entity type; deliberately nothing else about the person."""

    UserId: str
    EntityType: str


# ---------------------------------------------------------------- the person page

#: How much of a device token the person page shows: enough to tell devices apart and to match a
#: token a developer reads from a device log; the whole token stays on the per-app device route.
TOKEN_SUFFIX_CHARS = 8


class DeviceLastOutcome(BaseModel):
    """The newest status change of a device: why, with the provider's code and the send that saw it."""

    Status: str
    Reason: str
    Code: str | None
    At: datetime
    SendId: str | None


class PersonDeviceView(BaseModel):
    """One device of a person, for the person page (the token's last characters only)."""

    MobileAppId: str
    AppName: str
    Platform: str
    Status: str
    TokenSuffix: str
    DeviceTokenSha256: str
    AppMode: str | None
    RegisteredAt: datetime
    LastRegisteredAt: datetime
    StatusChangedAt: datetime
    LastOutcome: DeviceLastOutcome | None

    @classmethod
    def from_device(cls, found: PersonDevice) -> PersonDeviceView:
        """The view of one of the person's devices."""
        device = found.device
        last = device.history[-1] if device.history else None
        return cls(
            MobileAppId=found.app.app_id,
            AppName=found.app.name,
            Platform=device.platform.value,
            Status=device.status.value,
            TokenSuffix=device.token[-TOKEN_SUFFIX_CHARS:],
            DeviceTokenSha256=device.token_sha256,
            AppMode=device.app_mode.value if device.app_mode else None,
            RegisteredAt=device.registered_at,
            LastRegisteredAt=device.last_registered_at,
            StatusChangedAt=device.status_changed_at,
            LastOutcome=None
            if last is None
            else DeviceLastOutcome(
                Status=last.to_status.value, Reason=last.reason, Code=last.code, At=last.at, SendId=last.send_id
            ),
        )


class PersonDevicesResponse(BaseModel):
    """``GET .../{contacts|leads|profiles}/{id}/devices``."""

    Devices: list[PersonDeviceView]


class PersonLinksResponse(BaseModel):
    """``GET .../{contacts|leads|profiles}/{id}/links``."""

    Links: list[AppUserLinkResponse]


class _NotificationSend(BaseModel):
    SendId: str
    MessageId: str
    MessageName: str | None
    MobileAppId: str
    JourneyId: str | None
    SentAt: datetime


class PersonNotificationView(EntryOutcomeView, _NotificationSend):
    """One of the person's ledger entries in a recent send."""

    At: datetime

    @classmethod
    def from_notification(cls, found: PersonNotification) -> PersonNotificationView:
        """The view of one ledger entry with its send."""
        send, entry = found.send, found.entry
        return cls(
            SendId=send.send_id,
            MessageId=send.message_id,
            MessageName=found.message_name,
            MobileAppId=send.app_id,
            JourneyId=send.journey_id,
            SentAt=send.created_at,
            **cls.outcome_of(entry),
            At=entry.at,
        )


class PersonNotificationsResponse(BaseModel):
    """``GET .../{contacts|leads|profiles}/{id}/notifications``: the person's entries in the org's recent sends.

    The ledger has no per-person index: the org's ``RecentSendsLimit`` most recent sends are read,
    except those whose ledger is larger than ``MaxLedgerEntries`` (counted in ``SendsSkipped``).
    """

    Notifications: list[PersonNotificationView]
    SendsSearched: int
    SendsSkipped: int
    RecentSendsLimit: int
    MaxLedgerEntries: int
