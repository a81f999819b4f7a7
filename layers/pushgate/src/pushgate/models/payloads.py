"""Builds what goes to the device: the APNs JSON payload and the FCM v1 message.

Both carry the same custom keys (``title``, ``body``, ``imageUrl``, ``link``, ``originalLink``,
``trackingId``) so one app-side handler reads either platform; an unset key is ``null`` in the APNs
``data`` object and absent from the FCM ``data`` map (see ``docs/client-integration.md``). Both
limits are checked on the encoded bytes before anything is sent.

The payload is what Pushgate promises an app, not how a provider is called: the provider clients
send it, previews show it and message validation measures it, so it lives with the domain values.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from pushgate.errors import FieldProblem, InvalidRequestError
from pushgate.models.push import NOW_OR_NEVER, PushMessage, PushRequest

if TYPE_CHECKING:
    from pushgate.models.mobile_app import MobileApp

#: Apple: regular notifications may carry at most 4096 bytes.
#: https://developer.apple.com/documentation/usernotifications/generating-a-remote-notification
APNS_MAX_PAYLOAD_BYTES: Final = 4096
#: Apple: apns-collapse-id is at most 64 bytes.
APNS_MAX_COLLAPSE_ID_BYTES: Final = 64
#: Google: a message to a token may carry at most 4096 bytes of keys and values.
#: https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode
FCM_MAX_MESSAGE_BYTES: Final = 4096
#: Google: android.ttl is between 0 and 4 weeks.
FCM_MAX_TTL_S: Final = 2_419_200


class NotificationTooLargeError(InvalidRequestError):
    """The rendered notification exceeds the provider's payload limit."""

    code = "NotificationTooLarge"

    @classmethod
    def for_size(cls, provider: str, size: int, limit: int) -> NotificationTooLargeError:
        """Builds the error for one oversized payload.

        Args:
            provider: ``APNs`` or ``FCM``.
            size: Encoded size in bytes.
            limit: The provider's limit in bytes.

        Returns:
            The error, naming both sizes.
        """
        problem = (
            f"the {provider} payload is {size} bytes; the limit is {limit} bytes (shorten the title, body or data)"
        )
        return cls(message=f"Payload: {problem}", problems=[FieldProblem("Payload", problem)])


#: Namespace of the deterministic apns-id: the same (send, device) always gets the same id, so
#: a redelivered SQS message is recognisable in Apple's delivery log.
APNS_ID_NAMESPACE: Final = uuid.UUID("6f1f3c9e-1d0a-5b7e-9c55-0e2d8b5a7c31")
_APNS_ID_NAMESPACE_BYTES: Final = APNS_ID_NAMESPACE.bytes


def apns_id_for(send_id: str, device_token: str) -> str:
    """Returns the deterministic ``apns-id`` of one (send, device).

    Args:
        send_id: The send's id.
        device_token: The device token.

    Returns:
        A lowercase canonical UUID (version 5): :func:`apns_id_from_sha256` of the token's hash.
    """
    return apns_id_from_sha256(send_id, hashlib.sha256(device_token.encode("utf-8")).hexdigest())


def apns_id_from_sha256(send_id: str, token_sha256: str) -> str:
    """Returns the ``apns-id`` of one (send, device) from the token's SHA-256 (hex digits).

    Made of the hash rather than the token itself so that a job's outcomes, which keep only the
    hash, derive the id again instead of storing it (``adapters/dynamodb/ledger_codec``).

    Args:
        send_id: The send's id.
        token_sha256: The device token's SHA-256 (the device's ``token_sha256``).

    Returns:
        A lowercase canonical UUID (version 5).
    """
    # uuid.uuid5 computed directly: the same bytes, a third of the cost on the hot path.
    digest = bytearray(
        hashlib.sha1(_APNS_ID_NAMESPACE_BYTES + f"{send_id}\n{token_sha256}".encode(), usedforsecurity=False).digest()[
            :16
        ]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    hex_digits = digest.hex()
    return f"{hex_digits[:8]}-{hex_digits[8:12]}-{hex_digits[12:16]}-{hex_digits[16:20]}-{hex_digits[20:]}"


#: The whole APNs verification push (a dry run): a background push with nothing an app acts on.
#: Microsoft's Objective-C sample reads any ``data`` block it is handed in
#: ``didReceiveRemoteNotification:fetchCompletionHandler:`` and reports an open for a ``null`` link,
#: so the token check carries no ``data`` at all.
APNS_VERIFICATION_PAYLOAD: Final = {"aps": {"content-available": 1}}


#: Standard keys that are left unset when the message has no such content (never sent as ``""``).
OPTIONAL_DATA_KEYS: Final = ("title", "imageUrl", "link", "originalLink")


def custom_data(message: PushMessage) -> dict[str, str | None]:
    """Returns the custom keys both platforms carry, with ``None`` for the unset optional ones.

    Microsoft's sample apps test presence, not emptiness: the Objective-C sample reports an open only
    when ``link`` is JSON ``null`` and the Android sample opens any ``link`` that is not absent. So an
    unset ``title``, ``imageUrl``, ``link`` or ``originalLink`` is ``None`` here; APNs sends it as
    ``null`` and FCM leaves it out (:func:`fcm_data`). ``trackingId`` is always a string: empty for
    test sends, as CI-J documents.

    Args:
        message: The notification content.

    Returns:
        ``title``, ``body``, ``imageUrl``, ``link``, ``originalLink``, ``trackingId`` and any extra keys.
    """
    data: dict[str, str | None] = {
        "title": message.title or None,
        "body": message.body,
        "imageUrl": message.image_url or None,
        "link": message.link or None,
        "originalLink": message.original_link or None,
        "trackingId": message.tracking_id,
    }
    data.update(message.extra_data)
    return data


def fcm_data(message: PushMessage) -> dict[str, str]:
    """The FCM ``data`` map: the custom keys without the unset ones (FCM data values are strings)."""
    return {key: value for key, value in custom_data(message).items() if value is not None}


def build_apns_payload(message: PushMessage, *, silent: bool = False) -> dict[str, Any]:
    """Builds the APNs JSON payload.

    Args:
        message: The notification content.
        silent: Build a background push (``content-available: 1``, no alert, badge or sound).

    Returns:
        ``{"aps": {...}, "data": {...}}``.
    """
    aps: dict[str, Any] = {}
    if silent:
        aps["content-available"] = 1
    else:
        alert = {
            key: value
            for key, value in (("title", message.title), ("subtitle", message.subtitle), ("body", message.body))
            if value
        }
        aps["alert"] = alert
        if message.image_url:
            # The Notification Service Extension downloads the image only when this is set.
            aps["mutable-content"] = 1
        if message.sound:
            aps["sound"] = message.sound
        if message.badge is not None:
            aps["badge"] = message.badge
        if message.thread_id:
            aps["thread-id"] = message.thread_id
        if message.interruption_level is not None:
            aps["interruption-level"] = message.interruption_level.value
    return {"aps": aps, "data": custom_data(message)}


def compact_json(document: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as APNs payloads and FCM request bodies are sent."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _within_limit(encoded: bytes, size: int, *, provider: str, limit: int) -> bytes:
    """``encoded``, when ``size`` (what the provider counts of it) is within the provider's ``limit``.

    Raises:
        NotificationTooLargeError: ``size`` exceeds ``limit``; the error names the provider and both sizes.
    """
    if size > limit:
        raise NotificationTooLargeError.for_size(provider, size, limit)
    return encoded


def encode_apns_payload(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a :func:`build_apns_payload` payload.

    Raises:
        NotificationTooLargeError: The encoded payload exceeds 4096 bytes.
    """
    body = compact_json(payload)
    return _within_limit(body, len(body), provider="APNs", limit=APNS_MAX_PAYLOAD_BYTES)


def build_fcm_verification(device_token: str) -> dict[str, Any]:
    """The FCM verification request (a dry run): ``validate_only``, and a message naming the token alone.

    Google checks it and delivers nothing; were it ever delivered, an empty data map is what
    Microsoft's Android sample drops as "Empty Notification Received" (any ``title`` or ``body``,
    even ``""``, would make it draw a notification whose tap reports an open).
    """
    return {"message": {"token": device_token}, "validate_only": True}


def build_fcm_message(request: PushRequest, *, now: float) -> dict[str, Any]:
    """Builds the FCM HTTP v1 request body for one device.

    Args:
        request: The notification and its delivery options.
        now: Current epoch seconds, to turn ``expires_at`` into ``android.ttl``.

    Returns:
        ``{"message": {...}}``; a dry run is :func:`build_fcm_verification`'s body.
    """
    if request.dry_run:
        return build_fcm_verification(request.device_token)
    message_content = request.message
    android: dict[str, Any] = {"priority": "HIGH" if request.high_priority and not request.silent else "NORMAL"}
    if request.expires_at == NOW_OR_NEVER:
        android["ttl"] = "0s"  # Google: deliver now or drop it, never stored
    elif request.expires_at is not None:
        android["ttl"] = f"{min(max(0, request.expires_at - int(now)), FCM_MAX_TTL_S)}s"
    if request.collapse_id:
        android["collapse_key"] = request.collapse_id
    message: dict[str, Any] = {"token": request.device_token, "data": fcm_data(message_content)}
    if message_content.android_notification and not request.silent:
        notification = {"title": message_content.title, "body": message_content.body}
        if message_content.image_url:
            notification["image"] = message_content.image_url
        message["notification"] = notification
        android_notification = {
            key: value
            for key, value in (
                ("channel_id", message_content.android_channel_id),
                ("sound", message_content.sound),
                ("tag", request.notification_tag),
            )
            if value
        }
        if android_notification:
            android["notification"] = android_notification
    message["android"] = android
    return {"message": message}


def _fcm_message_size(encoded: bytes, *, validate_only: bool) -> int:
    # The wrapper ({"message":...,"validate_only":true}) is not part of the message Google measures.
    return len(encoded) - len(b'{"message":}') - (len(b',"validate_only":true') if validate_only else 0)


def encode_fcm_message(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a :func:`build_fcm_message` request body.

    Raises:
        NotificationTooLargeError: The encoded message exceeds 4096 bytes.
    """
    encoded = compact_json(body)
    size = _fcm_message_size(encoded, validate_only="validate_only" in body)
    return _within_limit(encoded, size, provider="FCM", limit=FCM_MAX_MESSAGE_BYTES)


def apns_topic(app: MobileApp | None) -> str | None:
    """The ``apns-topic`` the app's notifications carry (its bundle id), when it has iOS."""
    if app is None or app.ios is None:
        return None
    return app.ios.metadata.bundle_id


def json_string(value: str) -> bytes:
    """``value`` as a JSON string, the bytes ``json.dumps(value, ensure_ascii=False)`` gives."""
    # Printable ASCII without a quote or backslash needs no escape (every real token is such).
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return b'"' + value.encode() + b'"'
    return json.dumps(value, ensure_ascii=False).encode()


#: How every FCM body starts: the message's first key is the token (see :func:`build_fcm_message`).
_FCM_TOKEN_PREFIX: Final = b'{"message":{"token":'


class FcmBodyEncoder:
    """Encodes FCM request bodies for a batch: one JSON encoding per distinct message and options.

    A batch sends one message to many devices, and only the token differs between their bodies:
    the rest is encoded once and each token is spliced in. The bytes and the size check are those
    of :func:`encode_fcm_message` of :func:`build_fcm_message`.

    Args:
        now: Current epoch seconds (``android.ttl`` from ``expires_at``), fixed for the batch.
    """

    __slots__ = ("_message", "_now", "_options", "_tail")

    def __init__(self, *, now: float) -> None:
        self._now = now
        self._message: PushMessage | None = None
        self._options: tuple[object, ...] = ()
        self._tail = b""

    def encode(self, request: PushRequest) -> bytes:
        """Returns the body for ``request``.

        Raises:
            NotificationTooLargeError: The encoded message exceeds 4096 bytes.
        """
        options = (
            request.expires_at,
            request.collapse_id,
            request.high_priority,
            request.silent,
            request.dry_run,
            request.notification_tag,
        )
        if request.message is not self._message or options != self._options:
            template = compact_json(build_fcm_message(replace(request, device_token=""), now=self._now))
            self._tail = template[len(_FCM_TOKEN_PREFIX) + len(b'""') :]
            self._message, self._options = request.message, options
        body = _FCM_TOKEN_PREFIX + json_string(request.device_token) + self._tail
        size = _fcm_message_size(body, validate_only=request.dry_run)
        return _within_limit(body, size, provider="FCM", limit=FCM_MAX_MESSAGE_BYTES)
