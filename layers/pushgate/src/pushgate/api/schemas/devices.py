"""Bodies and headers of CI-J's device API (v1 ``pushchannel`` and v2 ``pushdeviceregistration``).

Field names and shapes are CI-J's, so an app written against Microsoft's documentation works
unchanged; names match in any letter case, as ASP.NET Core binds them (``CaseInsensitiveBody``).
Unknown fields are ignored (CI-J's samples are not uniform); every problem names the field as
documented, with ``[i].`` in front inside a batch.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pushgate.api.bodies import CaseInsensitiveBody, JsonArray, JsonBody, invalid
from pushgate.errors import FieldProblem, InvalidRequestError
from pushgate.models.device import (
    Device,
    DevicePlatform,
    FailureReason,
    RegistrationOutcome,
    normalize_token,
    token_shape_problem,
)
from pushgate.models.webhook import RESERVED_HEADERS
from pushgate.services.devices.device_registration import (
    MAX_BATCH_ITEMS,
    CleanupItem,
    RegistrationItem,
    RegistrationOptions,
)
from pushgate.services.directory.person_attributes import canonical_client_id
from pushgate.text import text_problem

ModelT = TypeVar("ModelT", bound=BaseModel)
ItemT = TypeVar("ItemT")

#: 100 items of up to 8 KiB each fit; API Gateway's own limit is 10 MB.
MAX_BATCH_BODY_BYTES = 1024 * 1024
MAX_BODY_BYTES = 64 * 1024
#: A device's ``UserId`` follows the directory's id rules, whose ids are at most this long.
MAX_USER_ID_LENGTH = 128
#: ``x-ms-callback-url`` (or ``x-ms-status-callback-url``), in characters.
MAX_CALLBACK_URL_LENGTH = 2048
#: ``x-ms-callback-url-headers`` as sent (the JSON text), in characters: it travels with every
#: registration job of a batch and is replayed on the webhook, so it is kept to a few secrets' size.
MAX_CALLBACK_HEADERS_LENGTH = 4096
MAX_CALLBACK_HEADERS = 20

_LENIENT = ConfigDict(extra="ignore", str_strip_whitespace=True)


class _Body(CaseInsensitiveBody):
    model_config = _LENIENT


class RegisterDeviceBody(_Body):
    """v2 registration of one device (also one element of a batch)."""

    MobileAppId: str = Field(min_length=1, max_length=64)
    UserId: str = Field(min_length=1, max_length=MAX_USER_ID_LENGTH)
    ApiToken: str = Field(min_length=1, max_length=512)
    ApnsDeviceToken: str | None = None
    FcmDeviceToken: str | None = None


class ApnsDeviceContractBody(_Body):
    """v1 iOS token holder."""

    ApnsToken: str


class FcmDeviceContractBody(_Body):
    """v1 Android token holder."""

    FcmToken: str


class LegacyRegisterDeviceBody(_Body):
    """v1 registration: ``{"ApnsDeviceContract": {"ApnsToken"}}`` or ``{"FcmDeviceContract": {"FcmToken"}}``."""

    ApiToken: str = Field(min_length=1, max_length=512)
    ApnsDeviceContract: ApnsDeviceContractBody | None = None
    FcmDeviceContract: FcmDeviceContractBody | None = None


class CleanupBody(_Body):
    """v2 deregistration of one user's devices (or one token)."""

    MobileAppId: str = Field(min_length=1, max_length=64)
    ApiToken: str = Field(min_length=1, max_length=512)
    UserId: str = Field(min_length=1, max_length=MAX_USER_ID_LENGTH)
    DeviceToken: str | None = None


class StatusBody(_Body):
    """v2 registration status query."""

    RegistrationRequestIds: list[str] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)
    MobileAppId: str = Field(min_length=1, max_length=64)
    ApiToken: str = Field(min_length=1, max_length=512)


class StatusBatchItemBody(_Body):
    """One element of the 2024 status batch (``GET .../devices/status/batch``): no app named."""

    RegistrationRequestId: str = Field(min_length=1, max_length=64)
    ApiToken: str = Field(min_length=1, max_length=512)
    MobileAppId: str | None = Field(default=None, min_length=1, max_length=64)


@dataclass(frozen=True)
class StatusQuery:
    """One registration request asked about, with the token (and app, when named) that may see it."""

    request_id: str
    api_token: str
    app_id: str | None
    field_prefix: str


class RegistrationAccepted(BaseModel):
    """One element of a tracked v2 registration's 202 answer."""

    RegistrationRequestId: str


class RegistrationStatusItem(BaseModel):
    """One element of the status answer; ``FailureReason`` only on failure."""

    Status: str
    FailureReason: str | None = None

    @classmethod
    def from_outcome(cls, outcome: RegistrationOutcome | None) -> RegistrationStatusItem:
        """``Pending`` for ``None`` (unknown, untracked or not yet decided, as in CI-J)."""
        if outcome is None:
            return cls(Status="Pending")
        reason: FailureReason | None = outcome.reason
        return cls(Status=outcome.state.value, FailureReason=reason.value if reason else None)


class DeviceSummary(BaseModel):
    """One stored device, for operators."""

    Platform: str
    Token: str
    AppMode: str | None
    Status: str
    RegisteredAt: datetime
    LastRegisteredAt: datetime
    StatusChangedAt: datetime

    @classmethod
    def from_device(cls, device: Device) -> DeviceSummary:
        """Maps the domain entity to the body."""
        return cls(
            Platform=device.platform.value,
            Token=device.token,
            AppMode=device.app_mode.value if device.app_mode else None,
            Status=device.status.value,
            RegisteredAt=device.registered_at,
            LastRegisteredAt=device.last_registered_at,
            StatusChangedAt=device.status_changed_at,
        )


class DeviceListResponse(BaseModel):
    """``GET /admin/v1/orgs/{orgId}/mobileapps/{appId}/devices/{userId}``."""

    Devices: list[DeviceSummary]


# ---------------------------------------------------------------- parsing


def _raise(problems: list[FieldProblem]) -> None:
    if problems:
        raise invalid(problems)


#: A device-API route's single JSON object (``body: Annotated[StatusBody, DEVICE_BODY]``).
DEVICE_BODY = JsonBody(max_bytes=MAX_BODY_BYTES)


def device_batch(
    model: type[ModelT], convert: Callable[[ModelT, str], ItemT], *, accept_object: bool = False
) -> JsonArray[ModelT, ItemT]:
    """A device-API batch: a JSON array of 1 to 100 ``model`` objects, each converted by ``convert``
    (``items: Annotated[list[RegistrationItem], device_batch(RegisterDeviceBody, registration_item)]``).

    Args:
        model: The model of one element.
        convert: Turns a validated element and its prefix (``[i].``) into the domain item.
        accept_object: Also take a single object as a batch of one (CI-J's cleanup-batch example
            shows one object).
    """
    return JsonArray(
        model, convert, max_items=MAX_BATCH_ITEMS, max_bytes=MAX_BATCH_BODY_BYTES, accept_object=accept_object
    )


def _user_id(value: str, field_path: str, problems: list[FieldProblem]) -> str:
    # The directory's id rules, whether the id came in the v2 body or the v1 path (decoded once by
    # the resolver): a send names its recipients by directory ids, so a device stored under any
    # other text (a zero-width joiner, a bidi override, a fullwidth or look-alike letter) could
    # never be reached. GUIDs are also taken in braces or as URNs, as Dataverse and .NET write them.
    problem = text_problem(value, single_line=True)
    if problem is not None:
        problems.append(FieldProblem(field_path, problem))
        return value
    if (value.startswith("{") and value.endswith("}")) or value.lower().startswith("urn:uuid:"):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass  # not a GUID, so the braces are refused below
    try:
        return canonical_client_id(value, field_path)
    except InvalidRequestError as error:
        problems.extend(error.problems)
        return value


def _app_id(value: str, field_path: str, problems: list[FieldProblem]) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        problems.append(FieldProblem(field_path, "must be the mobile app's id (a GUID)"))
        return value


def _device_token(platform: DevicePlatform, value: str, field_path: str, problems: list[FieldProblem]) -> str:
    problem = token_shape_problem(platform, value.strip())
    if problem is not None:
        problems.append(FieldProblem(field_path, problem))
    return normalize_token(platform, value)


def registration_item(body: RegisterDeviceBody, prefix: str = "") -> RegistrationItem:
    """The v2 body as a registration item (exactly one of the two token fields).

    Raises:
        InvalidRequestError: Token fields missing, both present or malformed; ids malformed.
    """
    problems: list[FieldProblem] = []
    tokens = {
        name: value
        for name, value in (("ApnsDeviceToken", body.ApnsDeviceToken), ("FcmDeviceToken", body.FcmDeviceToken))
        if value
    }
    if len(tokens) != 1:
        problem = "send exactly one of ApnsDeviceToken (iOS) and FcmDeviceToken (Android)"
        raise InvalidRequestError.for_field(f"{prefix}ApnsDeviceToken", problem)
    ((token_field, raw_token),) = tokens.items()
    platform = DevicePlatform.IOS if token_field == "ApnsDeviceToken" else DevicePlatform.ANDROID  # noqa: S105
    item = RegistrationItem(
        field_prefix=prefix,
        app_id=_app_id(body.MobileAppId, f"{prefix}MobileAppId", problems),
        user_id=_user_id(body.UserId, f"{prefix}UserId", problems),
        api_token=body.ApiToken,
        platform=platform,
        token=_device_token(platform, raw_token, f"{prefix}{token_field}", problems),
        token_field=token_field,
    )
    _raise(problems)
    return item


def legacy_registration_item(body: LegacyRegisterDeviceBody, app_id: str, user_id: str) -> RegistrationItem:
    """The v1 body and path as a registration item.

    Raises:
        InvalidRequestError: No or both contracts, malformed token or ids.
    """
    problems: list[FieldProblem] = []
    apns, fcm = body.ApnsDeviceContract, body.FcmDeviceContract
    if apns is not None and fcm is None:
        platform, token_field, raw = DevicePlatform.IOS, "ApnsDeviceContract.ApnsToken", apns.ApnsToken
    elif fcm is not None and apns is None:
        platform, token_field, raw = DevicePlatform.ANDROID, "FcmDeviceContract.FcmToken", fcm.FcmToken
    else:
        raise InvalidRequestError.for_field(
            "ApnsDeviceContract", "send exactly one of ApnsDeviceContract (iOS) and FcmDeviceContract (Android)"
        )
    item = RegistrationItem(
        field_prefix="",
        app_id=_app_id(app_id, "path.appId", problems),
        user_id=_user_id(user_id, "path.userId", problems),
        api_token=body.ApiToken,
        platform=platform,
        token=_device_token(platform, raw, token_field, problems),
        token_field=token_field,
    )
    _raise(problems)
    return item


def cleanup_item(body: CleanupBody, prefix: str = "") -> CleanupItem:
    """A cleanup body as an item.

    Raises:
        InvalidRequestError: Malformed ids, or a DeviceToken that is neither an APNs nor an FCM token.
    """
    problems: list[FieldProblem] = []
    token = body.DeviceToken or None
    if token is not None and all(token_shape_problem(p, token) is not None for p in DevicePlatform):
        problems.append(FieldProblem(f"{prefix}DeviceToken", "is neither an APNs (hex) nor an FCM token"))
    item = CleanupItem(
        field_prefix=prefix,
        app_id=_app_id(body.MobileAppId, f"{prefix}MobileAppId", problems),
        user_id=_user_id(body.UserId, f"{prefix}UserId", problems),
        api_token=body.ApiToken,
        device_token=token,
    )
    _raise(problems)
    return item


def status_request_ids(body: StatusBody) -> list[str]:
    """The request ids, each a GUID.

    Raises:
        InvalidRequestError: An id is not a GUID.
    """
    problems: list[FieldProblem] = []
    ids = []
    for index, value in enumerate(body.RegistrationRequestIds):
        try:
            ids.append(str(uuid.UUID(value.strip())))
        except ValueError:
            problems.append(
                FieldProblem(f"RegistrationRequestIds[{index}]", "must be a RegistrationRequestId (a GUID)")
            )
    _raise(problems)
    return ids


def status_query(body: StatusBatchItemBody, prefix: str) -> StatusQuery:
    """One status-batch element as a query.

    Raises:
        InvalidRequestError: The request id (or the app id, when sent) is not a GUID.
    """
    problems: list[FieldProblem] = []
    request_id = body.RegistrationRequestId.strip()
    try:
        request_id = str(uuid.UUID(request_id))
    except ValueError:
        problems.append(FieldProblem(f"{prefix}RegistrationRequestId", "must be a RegistrationRequestId (a GUID)"))
    app_id = None if body.MobileAppId is None else _app_id(body.MobileAppId, f"{prefix}MobileAppId", problems)
    _raise(problems)
    return StatusQuery(request_id=request_id, api_token=body.ApiToken, app_id=app_id, field_prefix=prefix)


def registration_options(headers: Mapping[str, str]) -> RegistrationOptions:
    """Reads ``x-ms-track-registration``, ``x-ms-callback-url`` (or ``x-ms-status-callback-url``) and
    ``x-ms-callback-url-headers`` (a JSON object of strings).

    The URL is at most :data:`MAX_CALLBACK_URL_LENGTH` characters and the headers' JSON at most
    :data:`MAX_CALLBACK_HEADERS_LENGTH`, whether or not a webhook is asked for.

    Raises:
        InvalidRequestError: A header is malformed or too long (named as the header sent).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    track = lowered.get("x-ms-track-registration", "").strip().lower() == "true"
    url_header = "x-ms-callback-url" if lowered.get("x-ms-callback-url") else "x-ms-status-callback-url"
    url = (lowered.get(url_header) or "").strip() or None
    if url is not None:
        if len(url) > MAX_CALLBACK_URL_LENGTH:
            raise InvalidRequestError.for_field(
                f"header.{url_header}", f"is longer than {MAX_CALLBACK_URL_LENGTH} characters"
            )
        if not url.lower().startswith(("https://", "http://")):
            raise InvalidRequestError.for_field(f"header.{url_header}", "must be an absolute https URL")
    raw_headers = lowered.get("x-ms-callback-url-headers", "").strip()
    if len(raw_headers) > MAX_CALLBACK_HEADERS_LENGTH:
        raise InvalidRequestError.for_field(
            "header.x-ms-callback-url-headers", f"is longer than {MAX_CALLBACK_HEADERS_LENGTH} characters"
        )
    callback_headers: dict[str, str] = {}
    if raw_headers and url is not None:
        callback_headers = _callback_headers(raw_headers)
    return RegistrationOptions(track=track, callback_url=url, callback_headers=callback_headers)


def _callback_headers(raw: str) -> dict[str, str]:
    field_path = "header.x-ms-callback-url-headers"
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise InvalidRequestError.for_field(field_path, "must be a JSON object of strings") from None
    if not isinstance(decoded, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in decoded.items()):
        raise InvalidRequestError.for_field(field_path, "must be a JSON object of strings")
    if len(decoded) > MAX_CALLBACK_HEADERS:
        raise InvalidRequestError.for_field(field_path, f"may name at most {MAX_CALLBACK_HEADERS} headers")
    for name, value in decoded.items():
        if not name or any(c in name for c in " :\r\n\t") or any(c in value for c in "\r\n"):
            raise InvalidRequestError.for_field(field_path, f"holds a malformed header {name[:40]!r}")
        if name.lower() in RESERVED_HEADERS:
            raise InvalidRequestError.for_field(field_path, f"may not set {name}")
    return dict(decoded)
