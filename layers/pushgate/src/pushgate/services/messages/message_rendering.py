"""Turns one message version into per-recipient notifications: compile once, render per recipient.

:class:`CompiledMessage` compiles every template of a version (default texts, each localization,
the URL, custom data) once; :meth:`CompiledMessage.render` then picks the recipient's locale
variant and fills in their data, and :meth:`CompiledMessage.push_request` builds the provider
request. Payloads are built as dicts by ``pushgate.models.payloads`` and JSON-encoded there, so nothing
a recipient's data contains can change the payload's structure.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from pushgate.errors import FieldProblem
from pushgate.locales import pick_variant
from pushgate.models.message_template import AndroidPriority, MessageContent, OnClickBehavior, literal_origin
from pushgate.models.payloads import (
    APNS_MAX_PAYLOAD_BYTES,
    NotificationTooLargeError,
    build_apns_payload,
    build_fcm_message,
    encode_apns_payload,
    encode_fcm_message,
)
from pushgate.models.push import NOW_OR_NEVER, Platform, PushMessage, PushRequest
from pushgate.models.send import NotSentReason
from pushgate.templating import (
    RECIPIENT_SOURCE,
    SOURCES,
    TRIGGER_SOURCE,
    CompiledTemplate,
    RenderLimitError,
    TemplateData,
    compile_template,
)

#: Largest rendered text field: nothing longer can fit a 4096-byte payload.
MAX_RENDERED_FIELD_CHARS: Final = APNS_MAX_PAYLOAD_BYTES
#: The tracking id previews show: the all-zero GUID apps already skip when reporting, and as
#: long as a real one, so preview sizes are exact.
PREVIEW_TRACKING_ID: Final = "00000000-0000-0000-0000-000000000000"
#: Stands in for the device token in an FCM preview.
PREVIEW_DEVICE_TOKEN: Final = "<device-token>"  # noqa: S105 - a placeholder device token, not a secret
#: A real FCM registration token is about this long; previews warn when it might not fit.
FCM_TOKEN_ALLOWANCE_BYTES: Final = 200


def _url_component(value: str) -> str:
    # A value inserted into a URL cannot add parameters, fragments or path segments.
    return urllib.parse.quote(value, safe="")


@dataclass(frozen=True)
class Recipient:
    """Whom a message is rendered for.

    Attributes:
        attributes: The directory record (``{{contact.*}}``), custom attributes under ``customattributes``.
        locale: Their locale (picks the localized variant).
        trigger: Data passed with the send (``{{trigger.*}}``).
    """

    attributes: Mapping[str, Any] = field(default_factory=dict)
    locale: str | None = None
    trigger: Mapping[str, Any] = field(default_factory=dict)

    @property
    def template_data(self) -> TemplateData:
        """The render data of the template engine."""
        return {RECIPIENT_SOURCE: personalization_attributes(self.attributes), TRIGGER_SOURCE: self.trigger}


def personalization_attributes(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """What ``{{contact.*}}`` reads from a directory record, or from sample data of the same shape.

    Every attribute by its name; custom attributes both under ``customattributes.<name>`` (the
    record's shape, and the path the console's personalization picker inserts) and as
    ``<name>`` alone unless a directory attribute has that name. Stored records, sample contacts,
    previews and sends all go through here, so one path renders the same everywhere.
    """
    custom = record.get("customattributes")
    if not isinstance(custom, Mapping) or not custom:
        return record
    return {**custom, **record}


@dataclass(frozen=True)
class RenderedMessage:
    """A message rendered for one recipient.

    Attributes:
        locale: The localized variant used, or ``None`` for the default texts.
        title: Title.
        subtitle: Subtitle (empty when none).
        body: Body.
        url: The on-click URL (empty for OpenApp).
        data: Custom data keys.
        sources: Field path each text came from (``Title`` or ``Localizations.pt-BR.Title``).
        missing: Placeholders that had no value (their default or nothing was written).
        url_problem: Why ``url`` must not be sent (its scheme, host or port differ from the ones the
            template writes literally), or ``None``.
    """

    locale: str | None
    title: str
    subtitle: str
    body: str
    url: str
    data: dict[str, str]
    sources: dict[str, str]
    missing: tuple[str, ...]
    url_problem: str | None = None


@dataclass(frozen=True)
class _Texts:
    title: CompiledTemplate
    subtitle: CompiledTemplate | None
    body: CompiledTemplate
    prefix: str  # "" or "Localizations.<tag>."


@dataclass(frozen=True)
class BuiltPayloads:
    """What would be sent to each provider, encoded.

    Attributes:
        apns_request: The APNs request.
        apns_payload: The APNs JSON payload.
        apns_bytes: Its encoding (what goes on the wire).
        fcm_request: The FCM request.
        fcm_body: The FCM HTTP v1 request body.
        fcm_bytes: Its encoding.
        fcm_message_bytes: Size of the part Google limits (the ``message`` object).
    """

    apns_request: PushRequest
    apns_payload: dict[str, Any]
    apns_bytes: bytes
    fcm_request: PushRequest
    fcm_body: dict[str, Any]
    fcm_bytes: bytes
    fcm_message_bytes: int


class CompiledMessage:
    """One message version, compiled once per send and rendered per recipient."""

    def __init__(self, content: MessageContent) -> None:
        """Compiles every template of the content.

        Args:
            content: A validated version (its templates are known to compile).
        """
        self.content = content
        self._default = _Texts(
            compile_template(content.title),
            compile_template(content.subtitle) if content.subtitle else None,
            compile_template(content.body),
            "",
        )
        self._variants = {
            tag: _Texts(
                compile_template(text.title),
                compile_template(text.subtitle) if text.subtitle else None,
                compile_template(text.body),
                f"Localizations.{tag}.",
            )
            for tag, text in (content.localizations or {}).items()
        }
        on_click = content.on_click
        self._url = (
            compile_template(on_click.url, escape=_url_component)
            if on_click.behavior is OnClickBehavior.OPEN_URL and on_click.url
            else None
        )
        self._origin = literal_origin(on_click.url) if self._url is not None and on_click.url else None
        self._data = {key: compile_template(value) for key, value in (content.data or {}).items()}

    @property
    def is_personal(self) -> bool:
        """Whether recipients may see different texts: it has localizations, or a template reads the
        recipient's directory record (``{{contact.*}}``, ``{{lead.*}}``, ``{{profile.*}}``).

        A message that is not personal renders the same for everyone without a trigger, so a
        broadcast renders it once instead of reading each person.
        """
        return bool(self._variants) or self.reads_directory

    @property
    def reads_directory(self) -> bool:
        """Whether a template reads the recipient's directory record (``{{contact.*}}``,
        ``{{lead.*}}``, ``{{profile.*}}``): only then does a send need more of the person than the
        copy on their devices (consent, zone, locale)."""
        texts = [self._default, *self._variants.values()]
        templates = [t for x in texts for t in (x.title, x.subtitle, x.body)] + [self._url, *self._data.values()]
        return any(
            SOURCES.get(path.split(".", 1)[0]) == RECIPIENT_SOURCE
            for template in templates
            if template is not None
            for path in template.placeholders
        )

    def render(self, recipient: Recipient) -> RenderedMessage:
        """Renders the texts for one recipient.

        Args:
            recipient: Their data, locale and trigger data.

        Returns:
            The rendered texts.

        Raises:
            NotificationTooLargeError: A field renders to more than fits a notification (names the field).
        """
        variant = pick_variant(self._variants, recipient.locale)
        texts = self._variants[variant] if variant is not None else self._default
        data = recipient.template_data
        sources: dict[str, str] = {}
        missing: list[str] = []

        def run(template: CompiledTemplate | None, field_path: str, name: str) -> str:
            if template is None:
                return ""
            sources[name] = field_path
            missing.extend(path for path in template.missing(data) if path not in missing)
            try:
                return template.render(data, max_chars=MAX_RENDERED_FIELD_CHARS)
            except RenderLimitError as error:
                raise _too_large(field_path, f"{error}; a notification carries at most 4096 bytes") from None

        url = run(self._url, "OnClick.Url", "Url")
        return RenderedMessage(
            locale=variant,
            title=run(texts.title, f"{texts.prefix}Title", "Title"),
            subtitle=run(texts.subtitle, f"{texts.prefix}Subtitle", "Subtitle"),
            body=run(texts.body, f"{texts.prefix}Body", "Body"),
            url=url,
            data={key: run(template, f"Data.{key}", f"Data.{key}") for key, template in self._data.items()},
            sources=sources,
            missing=tuple(missing),
            url_problem=self._url_problem(url),
        )

    def _url_problem(self, url: str) -> str | None:
        # Checked on the rendered text whatever the template looks like: it is what a tap (and the
        # tracked /l/ redirect) would open, and a message saved before the save-time rule may
        # still have a placeholder next to its host.
        if self._origin is None:
            return None
        parts = urllib.parse.urlsplit(url)
        if (parts.scheme.lower(), parts.netloc.lower()) == self._origin:
            return None
        scheme, authority = self._origin
        return (
            f"renders to another scheme, host or port than the template's literal {scheme}://{authority}; "
            f"the notification is not sent ({NotSentReason.URL_ORIGIN_CHANGED.value})"
        )

    def push_message(self, rendered: RenderedMessage, *, tracking_id: str) -> PushMessage:
        """The provider-neutral notification.

        ``link`` carries the plain URL too; a send's delivery worker swaps in the tracked redirect
        for recipients with tracking consent (test sends and previews keep the plain URL).

        Args:
            rendered: From :meth:`render`.
            tracking_id: The send's tracking id (empty for test sends).

        Returns:
            The notification content.
        """
        ios = self.content.ios
        android = self.content.android
        return PushMessage(
            title=rendered.title,
            body=rendered.body,
            subtitle=rendered.subtitle,
            image_url=self.content.image_url or "",
            link=rendered.url,
            original_link=rendered.url,
            tracking_id=tracking_id,
            sound=ios.sound if ios else None,
            badge=ios.badge if ios else None,
            thread_id=ios.thread_id if ios else None,
            interruption_level=ios.interruption_level if ios else None,
            android_notification=android.notification if android else False,
            android_channel_id=android.channel_id if android else None,
            extra_data=tuple(rendered.data.items()),
        )

    def expires_at(self, now: datetime) -> int | None:
        """The absolute expiry of a notification sent at ``now`` (epoch seconds), if any.

        A time to live of 0 is ``NOW_OR_NEVER``, not ``now``: the providers' "deliver now, do not
        store", which no clock passes.
        """
        if self.content.expires_at is not None:
            return int(self.content.expires_at.timestamp())
        if self.content.time_to_live_seconds == 0:
            return NOW_OR_NEVER
        if self.content.time_to_live_seconds is not None:
            return int(now.timestamp()) + self.content.time_to_live_seconds
        return None

    def push_request(
        self,
        rendered: RenderedMessage,
        *,
        platform: Platform,
        device_token: str,
        send_id: str,
        tracking_id: str,
        now: datetime,
    ) -> PushRequest:
        """The request for one device.

        APNs always goes at priority 10 (alerts); FCM follows ``Android.Priority``.
        """
        android = self.content.android
        high_priority = platform is Platform.APNS or android is None or android.priority is AndroidPriority.HIGH
        return PushRequest(
            device_token=device_token,
            send_id=send_id,
            message=self.push_message(rendered, tracking_id=tracking_id),
            expires_at=self.expires_at(now),
            collapse_id=self.content.collapse_id,
            high_priority=high_priority,
        )

    def build_payloads(
        self,
        rendered: RenderedMessage,
        *,
        tracking_id: str,
        now: datetime,
        apns_token: str = "",
        fcm_token: str = PREVIEW_DEVICE_TOKEN,
        send_id: str = "preview",
    ) -> BuiltPayloads:
        """Builds and encodes both providers' payloads exactly as the clients will.

        Raises:
            NotificationTooLargeError: A payload exceeds 4096 bytes; the problem names the
                rendered field that contributes most.
        """
        apns_request = self.push_request(
            rendered, platform=Platform.APNS, device_token=apns_token, send_id=send_id, tracking_id=tracking_id, now=now
        )
        fcm_request = self.push_request(
            rendered, platform=Platform.FCM, device_token=fcm_token, send_id=send_id, tracking_id=tracking_id, now=now
        )
        apns_payload = build_apns_payload(apns_request.message)
        fcm_body = build_fcm_message(fcm_request, now=now.timestamp())
        try:
            apns_bytes = encode_apns_payload(apns_payload)
            fcm_bytes = encode_fcm_message(fcm_body)
        except NotificationTooLargeError as error:
            raise _too_large(
                _largest_field(rendered), error.problems[0].problem if error.problems else str(error)
            ) from None
        # Google limits the message object, not the {"message": ...} wrapper around it.
        message_bytes = len(fcm_bytes) - len(b'{"message":}')
        return BuiltPayloads(apns_request, apns_payload, apns_bytes, fcm_request, fcm_body, fcm_bytes, message_bytes)


def apns_headers(request: PushRequest, topic: str | None) -> dict[str, str | None]:
    """The APNs headers the client sends for a request (``apns-id`` is per device and left out).

    Args:
        request: The APNs request.
        topic: The app's bundle id (``None`` when not known).

    Returns:
        Header name → value, in the order the client sends them.
    """
    headers: dict[str, str | None] = {
        "apns-push-type": "background" if request.silent else "alert",
        "apns-topic": topic,
        "apns-priority": "10" if request.high_priority and not request.silent else "5",
    }
    if request.expires_at is not None:
        headers["apns-expiration"] = str(request.expires_at)
    if request.collapse_id:
        headers["apns-collapse-id"] = request.collapse_id
    return headers


def _largest_field(rendered: RenderedMessage) -> str:
    sizes = {
        rendered.sources.get("Title", "Title"): len(rendered.title.encode()),
        rendered.sources.get("Subtitle", "Subtitle"): len(rendered.subtitle.encode()),
        rendered.sources.get("Body", "Body"): len(rendered.body.encode()),
        "OnClick.Url": 2 * len(rendered.url.encode()),  # written twice: link and originalLink
        **{f"Data.{key}": len(value.encode()) for key, value in rendered.data.items()},
    }
    return max(sizes, key=lambda name: sizes[name])


def _too_large(field_path: str, problem: str) -> NotificationTooLargeError:
    return NotificationTooLargeError(message=f"{field_path}: {problem}", problems=[FieldProblem(field_path, problem)])
