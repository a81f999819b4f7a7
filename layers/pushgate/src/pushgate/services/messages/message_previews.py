"""Preview and test send of a push message.

A preview renders the current version for one recipient (from the directory by ``UserId``, or
explicit sample ``Contact`` data, or both: sample attributes win) and returns exactly what would
go to APNs (payload and headers) and FCM (the HTTP v1 body), with byte sizes and warnings. A
test send renders the same way and sends through the app's real provider credentials with an
empty ``trackingId``; it works in every status (drafts included) and reports each device's verdict.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from pushgate.errors import ConflictError, FieldProblem, InvalidRequestError, NotFoundError
from pushgate.ids import parse_uuid
from pushgate.locales import canonical_locale
from pushgate.models.message_status import MessageStatus
from pushgate.models.message_template import MessageTemplate
from pushgate.models.mobile_app import MobileApp
from pushgate.models.payloads import APNS_MAX_PAYLOAD_BYTES, FCM_MAX_MESSAGE_BYTES, apns_topic
from pushgate.models.push import DeliveryOutcome, Platform
from pushgate.providers.ports import PushSender
from pushgate.services.apps.orgs import get_org
from pushgate.services.messages.message_rendering import (
    FCM_TOKEN_ALLOWANCE_BYTES,
    PREVIEW_TRACKING_ID,
    BuiltPayloads,
    CompiledMessage,
    Recipient,
    RenderedMessage,
    apns_headers,
)
from pushgate.services.messages.ports import AppFinder, DeviceFinder, DeviceTarget, RecipientDirectory
from pushgate.services.messages.push_messages import MessageStores, find_message, validate_content

#: Most devices one test send reaches.
MAX_TEST_SEND_DEVICES: Final = 20
_APNS_TOKEN: Final = re.compile(r"^[0-9A-Fa-f]{1,64}$")
_PLATFORMS: Final = {"ios": Platform.APNS, "apns": Platform.APNS, "android": Platform.FCM, "fcm": Platform.FCM}
PLATFORM_NAMES: Final = {Platform.APNS: "Ios", Platform.FCM: "Android"}
#: The id an unsaved message carries in its preview (it is in no payload).
UNSAVED_MESSAGE_ID: Final = "00000000-0000-0000-0000-000000000000"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PreviewRequest:
    """Whom to preview for.

    Attributes:
        user_id: A directory id (contact, lead or profile).
        contact: Sample attributes for ``{{contact.*}}`` (win over the directory's; its
            ``customattributes`` win one by one).
        trigger: Trigger data for ``{{trigger.*}}``.
        locale: The recipient's locale (wins over the directory's).
        app_id: An app, to show its ``apns-topic``.
    """

    user_id: str | None = None
    contact: Mapping[str, Any] | None = None
    trigger: Mapping[str, Any] | None = None
    locale: str | None = None
    app_id: str | None = None


@dataclass(frozen=True)
class Preview:
    """What a send to this recipient would hand to the providers.

    Attributes:
        message: The message (its current version was rendered).
        rendered: The rendered texts.
        payloads: The encoded APNs and FCM payloads.
        apns_headers: The APNs headers (``apns-id`` is per device and left out).
        warnings: Things to look at; not errors.
        saved: False for content previewed before it is saved (its id and version are placeholders).
    """

    message: MessageTemplate
    rendered: RenderedMessage
    payloads: BuiltPayloads
    apns_headers: dict[str, str | None]
    warnings: list[FieldProblem]
    saved: bool = True


@dataclass(frozen=True)
class TestSendRequest:
    """A test send: to an app's devices of a user, or to one device token.

    Attributes:
        app_id: The app whose credentials send.
        user_id: Send to this user's devices (needs the device store).
        device_token: Send to this token...
        platform: ...on this platform (``Ios``/``Android``, also ``apns``/``fcm``).
        contact: Sample attributes.
        trigger: Trigger data.
        locale: Locale.
    """

    __test__ = False  # not a pytest test class

    app_id: str
    user_id: str | None = None
    device_token: str | None = None
    platform: str | None = None
    contact: Mapping[str, Any] | None = None
    trigger: Mapping[str, Any] | None = None
    locale: str | None = None


@dataclass(frozen=True)
class TestSendResult:
    """The verdict of one device.

    Attributes:
        target: The device.
        outcome: What the provider said.
    """

    __test__ = False  # not a pytest test class

    target: DeviceTarget
    outcome: DeliveryOutcome


@dataclass(frozen=True)
class TestSend:
    """A finished test send.

    Attributes:
        message: The message.
        send_id: Id of this test send (with the token it makes the ``apns-id``).
        rendered: The rendered texts.
        results: One per device.
    """

    __test__ = False  # not a pytest test class

    message: MessageTemplate
    send_id: str
    rendered: RenderedMessage
    results: list[TestSendResult]


def _recipient(
    org_id: str,
    request: PreviewRequest | TestSendRequest,
    *,
    directory: RecipientDirectory,
    warnings: list[FieldProblem],
) -> Recipient:
    """Whom a preview or test send renders for: the directory's person, the sample contact over it."""
    user_id, contact, trigger, locale = request.user_id, request.contact, request.trigger, request.locale
    person = None
    if user_id:
        person = directory.find_person(org_id, user_id)
        if person is None:
            fallback = "the sample Contact data" if contact else "placeholder defaults"
            warnings.append(FieldProblem("UserId", f"not found in the directory; rendered with {fallback}"))
    if locale is not None and canonical_locale(locale) is None:
        raise InvalidRequestError.for_field("Locale", "is not a locale tag such as en, pt-BR or zh-Hant-TW")
    attributes = _with_sample(person.attributes if person else {}, contact or {})
    chosen_locale = locale or (person.locale if person else None)
    return Recipient(attributes=attributes, locale=chosen_locale, trigger=dict(trigger or {}))


def _with_sample(stored: Mapping[str, Any], sample: Mapping[str, Any]) -> dict[str, Any]:
    """The stored record with the sample's attributes over it; custom attributes win one by one."""
    merged = {**stored, **sample}
    stored_custom, sample_custom = stored.get("customattributes"), sample.get("customattributes")
    if isinstance(stored_custom, Mapping) and isinstance(sample_custom, Mapping):
        merged["customattributes"] = {**stored_custom, **sample_custom}
    return merged


def _content_warnings(message: MessageTemplate, now: datetime, *, saved: bool) -> list[FieldProblem]:
    content = message.content
    warnings = []
    if content.image_url:
        warnings.append(
            FieldProblem(
                "ImageUrl",
                "the image is not downloaded, so its aspect ratio is unknown (2:1 is recommended); iOS shows it "
                "only with a Notification Service Extension",
            )
        )
    if content.ios is not None and content.ios.category:
        warnings.append(FieldProblem("Ios.Category", "is saved but not yet written to aps.category"))
    if content.expires_at is not None and content.expires_at <= now:
        warnings.append(FieldProblem("ExpiresAt", "has passed; sends of this message are skipped as expired"))
    if saved and message.status is not MessageStatus.ACTIVE:
        warnings.append(FieldProblem("Status", f"is {message.status.value}; journeys send only Active messages"))
    return warnings


def _find_app(org_id: str, app_id: str, apps: AppFinder) -> MobileApp:
    canonical = parse_uuid(app_id, "MobileAppId")
    app = apps.get(org_id, canonical)
    if app is None:
        raise NotFoundError(
            message=f"MobileAppId: mobile app {canonical} not found in org {org_id}",
            problems=[FieldProblem("MobileAppId", f"mobile app {canonical} not found in org {org_id}")],
        )
    return app


def preview_message(
    org_id: str,
    message_id: str,
    request: PreviewRequest,
    *,
    stores: MessageStores,
    directory: RecipientDirectory,
    now: Callable[[], datetime] = _now,
) -> Preview:
    """Renders the current version for one recipient and builds both providers' payloads.

    Raises:
        NotificationTooLargeError: A payload exceeds 4096 bytes (names the field that contributes most).
        InvalidRequestError: Bad ids or locale.
        NotFoundError: No such org, message or app.
    """
    message = find_message(org_id, message_id, stores=stores)
    return _preview(message, request, stores=stores, directory=directory, now=now, saved=True)


#: The name an unsaved message previews under when the editor has none yet (names are never sent).
UNSAVED_MESSAGE_NAME: Final = "Unsaved message"


def preview_content(
    org_id: str,
    document: Mapping[str, Any],
    request: PreviewRequest,
    *,
    stores: MessageStores,
    directory: RecipientDirectory,
    now: Callable[[], datetime] = _now,
) -> Preview:
    """Renders content that is not saved (an editor's current fields) exactly as a saved message would be.

    The document is validated as a create would validate it (a missing ``Name`` excepted) and nothing
    is written, so an editor can preview at every keystroke without making versions.

    Raises:
        InvalidRequestError: Content problems, by field (under ``Message.``), bad ids or locale.
        NotificationTooLargeError: A payload exceeds 4096 bytes.
        NotFoundError: No such org or app.
    """
    org = get_org(org_id, orgs=stores.orgs)
    try:
        content = validate_content({"Name": UNSAVED_MESSAGE_NAME, **document})
    except InvalidRequestError as error:
        problems = [FieldProblem(f"Message.{p.field}", p.problem) for p in error.problems]
        raise InvalidRequestError(
            message="; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems
        ) from None
    at = now()
    unsaved = MessageTemplate(
        org_id=org.org_id,
        message_id=UNSAVED_MESSAGE_ID,
        status=MessageStatus.DRAFT,
        version=0,
        revision=0,
        content=content,
        created_at=at,
        updated_at=at,
        status_changed_at=at,
    )
    return _preview(unsaved, request, stores=stores, directory=directory, now=now, saved=False)


def _preview(
    message: MessageTemplate,
    request: PreviewRequest,
    *,
    stores: MessageStores,
    directory: RecipientDirectory,
    now: Callable[[], datetime],
    saved: bool,
) -> Preview:
    app = _find_app(message.org_id, request.app_id, stores.apps) if request.app_id else None
    sent_at = now()
    warnings: list[FieldProblem] = []
    recipient = _recipient(message.org_id, request, directory=directory, warnings=warnings)
    compiled = CompiledMessage(message.content)
    rendered = compiled.render(recipient)
    payloads = compiled.build_payloads(rendered, tracking_id=PREVIEW_TRACKING_ID, now=sent_at)
    topic = apns_topic(app)
    if topic is None:
        warnings.append(FieldProblem("MobileAppId", "send the id of an app with iOS to see its apns-topic"))
    warnings.extend(
        FieldProblem(path, "has no value for this recipient; its default (or nothing) was used")
        for path in rendered.missing
    )
    if rendered.url_problem is not None:
        warnings.append(FieldProblem("OnClick.Url", rendered.url_problem))
    if payloads.fcm_message_bytes > FCM_MAX_MESSAGE_BYTES - FCM_TOKEN_ALLOWANCE_BYTES:
        warnings.append(
            FieldProblem("Payload", "the FCM message is close to 4096 bytes; a real device token may push it over")
        )
    if len(payloads.apns_bytes) > APNS_MAX_PAYLOAD_BYTES - 100:
        warnings.append(FieldProblem("Payload", "the APNs payload is within 100 bytes of the 4096-byte limit"))
    warnings.extend(_content_warnings(message, sent_at, saved=saved))
    return Preview(message, rendered, payloads, apns_headers(payloads.apns_request, topic), warnings, saved)


def _token_target(device_token: str | None, platform: str | None) -> DeviceTarget:
    if not device_token:
        raise InvalidRequestError.for_field("DeviceToken", "send DeviceToken and Platform, or UserId")
    if not platform:
        raise InvalidRequestError.for_field("Platform", "is required with DeviceToken: Ios or Android")
    resolved = _PLATFORMS.get(platform.strip().lower())
    if resolved is None:
        raise InvalidRequestError.for_field("Platform", "must be Ios or Android")
    token = device_token.strip()
    if resolved is Platform.APNS and not _APNS_TOKEN.match(token):
        raise InvalidRequestError.for_field("DeviceToken", "an APNs device token is hexadecimal, at most 64 characters")
    if resolved is Platform.FCM and (len(token) > 4096 or any(c.isspace() for c in token)):
        raise InvalidRequestError.for_field(
            "DeviceToken", "an FCM registration token has no spaces and is not that long"
        )
    return DeviceTarget(resolved, token)


def send_test_message(
    org_id: str,
    message_id: str,
    request: TestSendRequest,
    *,
    stores: MessageStores,
    directory: RecipientDirectory,
    devices: DeviceFinder,
    sender: PushSender,
    now: Callable[[], datetime] = _now,
    make_send_id: Callable[[], str] = lambda: f"testsend-{uuid.uuid4()}",
) -> TestSend:
    """Sends the current version to a user's devices or to one device token, with an empty tracking id.

    Raises:
        InvalidRequestError: Bad or conflicting targets, bad token, locale, or ids, or an on-click URL
            that renders outside its template's scheme, host and port.
        NotFoundError: No such org, message or app.
        ConflictError: The app lacks the platform, the message has expired, the user has no
            devices, or devices cannot be looked up by UserId yet.
        NotificationTooLargeError: The payload exceeds 4096 bytes (names the field).
    """
    message = find_message(org_id, message_id, stores=stores)
    app = _find_app(message.org_id, request.app_id, stores.apps)
    sent_at = now()
    content = message.content
    if content.expires_at is not None and content.expires_at <= sent_at:
        problem = f"passed at {content.expires_at.isoformat()}; an expired message is not sent"
        raise ConflictError(message=f"ExpiresAt: {problem}", problems=[FieldProblem("ExpiresAt", problem)])
    if request.user_id and (request.device_token or request.platform):
        raise InvalidRequestError.for_field("UserId", "send UserId, or DeviceToken with Platform, not both")
    if request.user_id:
        targets = devices.devices_of(message.org_id, app.app_id, request.user_id)
        if not targets:
            problem = f"user {request.user_id} has no valid device for app {app.app_id}"
            raise ConflictError(message=f"UserId: {problem}", problems=[FieldProblem("UserId", problem)])
        targets = targets[:MAX_TEST_SEND_DEVICES]
    else:
        targets = [_token_target(request.device_token, request.platform)]
    recipient = _recipient(message.org_id, request, directory=directory, warnings=[])
    compiled = CompiledMessage(content)
    rendered = compiled.render(recipient)
    if rendered.url_problem is not None:
        raise InvalidRequestError.for_field("OnClick.Url", rendered.url_problem)
    send_id = make_send_id()
    results: list[TestSendResult] = []
    for platform in (Platform.APNS, Platform.FCM):
        chosen = [target for target in targets if target.platform is platform]
        if not chosen:
            continue
        requests = []
        for target in chosen:
            # Built and size-checked here too, so an oversized message is a 400 naming the field.
            compiled.build_payloads(
                rendered, tracking_id="", now=sent_at, apns_token=target.token, fcm_token=target.token, send_id=send_id
            )
            requests.append(
                compiled.push_request(
                    rendered, platform=platform, device_token=target.token, send_id=send_id, tracking_id="", now=sent_at
                )
            )
        outcomes = sender.send(app, platform, requests)
        results.extend(TestSendResult(target, outcome) for target, outcome in zip(chosen, outcomes, strict=True))
    return TestSend(message, send_id, rendered, results)
