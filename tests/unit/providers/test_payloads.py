"""What goes to the device: APNs payload, FCM message, size limits, deterministic apns-id."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from pushgate.models.payloads import (
    APNS_ID_NAMESPACE,
    FcmBodyEncoder,
    NotificationTooLargeError,
    apns_id_for,
    apns_id_from_sha256,
    build_apns_payload,
    build_fcm_message,
    encode_apns_payload,
    encode_fcm_message,
)
from pushgate.models.push import NOW_OR_NEVER, InterruptionLevel, PushMessage, PushRequest, has_expired

FULL = PushMessage(
    title="Sale",
    subtitle="Today only",
    body="Everything -20%",
    image_url="https://cdn.example/sale.png",
    link="https://pg.example/l/abc",
    original_link="https://shop.example/sale",
    tracking_id="trk-1",
    sound="default",
    badge=3,
    thread_id="promos",
    interruption_level=InterruptionLevel.TIME_SENSITIVE,
    extra_data=(("campaign", "spring"),),
)
STANDARD_KEYS = {"title", "body", "imageUrl", "link", "originalLink", "trackingId"}


def test_apns_payload_has_alert_options_and_custom_data() -> None:
    payload = build_apns_payload(FULL)
    assert payload["aps"] == {
        "alert": {"title": "Sale", "subtitle": "Today only", "body": "Everything -20%"},
        "mutable-content": 1,
        "sound": "default",
        "badge": 3,
        "thread-id": "promos",
        "interruption-level": "time-sensitive",
    }
    assert payload["data"] == {
        "title": "Sale",
        "body": "Everything -20%",
        "imageUrl": "https://cdn.example/sale.png",
        "link": "https://pg.example/l/abc",
        "originalLink": "https://shop.example/sale",
        "trackingId": "trk-1",
        "campaign": "spring",
    }


def test_apns_payload_omits_unset_options() -> None:
    payload = build_apns_payload(PushMessage(title="Hi", body="there"))
    assert payload["aps"] == {"alert": {"title": "Hi", "body": "there"}}
    assert set(payload["data"]) == STANDARD_KEYS
    assert payload["data"]["trackingId"] == ""


def test_unset_keys_are_null_for_apns_and_absent_for_fcm_never_empty_strings() -> None:
    # The Objective-C sample reports an open only when link is NSNull (JSON null); the Android
    # sample opens any link that is not absent.
    bare = PushMessage(body="there")
    data = build_apns_payload(bare)["data"]
    assert {key: data[key] for key in ("title", "imageUrl", "link", "originalLink")} == dict.fromkeys(
        ("title", "imageUrl", "link", "originalLink")
    )
    assert b'"link":null' in encode_apns_payload(build_apns_payload(bare))
    fcm_data = build_fcm_message(PushRequest(device_token="t", send_id="s", message=bare), now=0)["message"]["data"]
    assert fcm_data == {"body": "there", "trackingId": ""}


def test_silent_apns_payload_is_a_background_push() -> None:
    payload = build_apns_payload(FULL, silent=True)
    assert payload["aps"] == {"content-available": 1}


def test_apns_payload_limit_is_checked_before_sending() -> None:
    fits = encode_apns_payload(build_apns_payload(PushMessage(body="x" * 1900)))
    assert len(fits) <= 4096
    with pytest.raises(NotificationTooLargeError) as raised:
        encode_apns_payload(build_apns_payload(PushMessage(body="é" * 1100)))
    assert "4096" in raised.value.message
    assert raised.value.problems[0].field == "Payload"


def test_apns_payload_is_compact_utf8() -> None:
    body = encode_apns_payload(build_apns_payload(PushMessage(title="Grüße")))
    assert "Grüße".encode() in body
    assert b": " not in body


def test_fcm_message_carries_the_same_keys_as_strings() -> None:
    request = PushRequest(device_token="fcm-token", send_id="send-1", message=FULL)
    body = build_fcm_message(request, now=1_700_000_000)
    message = body["message"]
    assert message["token"] == "fcm-token"
    assert message["data"] == build_apns_payload(FULL)["data"]
    assert all(isinstance(value, str) for value in message["data"].values())
    assert message["android"] == {"priority": "HIGH"}
    assert "notification" not in message
    assert "validate_only" not in body


def test_fcm_options_map_expiry_collapse_priority_and_notification() -> None:
    message_content = PushMessage(
        title="T", body="B", image_url="https://i", android_notification=True, android_channel_id="news", sound="ding"
    )
    request = PushRequest(
        device_token="tok",
        send_id="s",
        message=message_content,
        expires_at=1_700_003_600,
        collapse_id="score",
        high_priority=False,
    )
    message = build_fcm_message(request, now=1_700_000_000)["message"]
    assert message["notification"] == {"title": "T", "body": "B", "image": "https://i"}
    assert message["android"] == {
        "priority": "NORMAL",
        "ttl": "3600s",
        "collapse_key": "score",
        "notification": {"channel_id": "news", "sound": "ding"},
    }


def test_an_fcm_notification_tag_goes_to_the_android_notification_of_notification_messages_only() -> None:
    shown = PushMessage(title="T", body="B", android_notification=True)
    tagged = build_fcm_message(PushRequest(device_token="t", send_id="s", message=shown, notification_tag="n-1"), now=0)
    assert tagged["message"]["android"]["notification"] == {"tag": "n-1"}
    assert "collapse_key" not in tagged["message"]["android"]
    data_only = PushRequest(device_token="t", send_id="s", message=PushMessage(body="B"), notification_tag="n-1")
    assert "notification" not in build_fcm_message(data_only, now=0)["message"]["android"]


@pytest.mark.parametrize(("expires_at", "ttl"), [(1_699_999_000, "0s"), (1_700_000_000 + 10**8, "2419200s")])
def test_fcm_ttl_is_clamped_to_what_google_accepts(expires_at: int, ttl: str) -> None:
    request = PushRequest(device_token="tok", send_id="s", expires_at=expires_at)
    assert build_fcm_message(request, now=1_700_000_000)["message"]["android"]["ttl"] == ttl


def test_fcm_ttl_of_a_now_or_never_notification_is_0s_at_any_time() -> None:
    request = PushRequest(device_token="tok", send_id="s", expires_at=NOW_OR_NEVER)
    assert build_fcm_message(request, now=1_700_000_000)["message"]["android"]["ttl"] == "0s"
    assert FcmBodyEncoder(now=5).encode(request) == encode_fcm_message(build_fcm_message(request, now=5))


@pytest.mark.parametrize(
    ("expires_at", "moment", "expired"),
    [(None, 10**10, False), (NOW_OR_NEVER, 10**10, False), (100, 99.5, False), (100, 100, True), (100, 101, True)],
)
def test_only_a_positive_expiry_passes(expires_at: int | None, moment: float, expired: bool) -> None:
    assert has_expired(expires_at, moment) is expired


def test_fcm_silent_drops_the_notification_block() -> None:
    request = PushRequest(device_token="tok", send_id="s", message=PushMessage(android_notification=True), silent=True)
    body = build_fcm_message(request, now=0)
    assert "notification" not in body["message"]
    assert "validate_only" not in body
    assert body["message"]["android"]["priority"] == "NORMAL"


def test_an_fcm_dry_run_validates_a_message_naming_the_token_alone() -> None:
    # Whatever the request carries: a data map with any title or body makes the Android sample draw it.
    request = PushRequest(
        device_token="tok", send_id="s", message=FULL, dry_run=True, expires_at=1_000_600, collapse_id="c"
    )
    assert build_fcm_message(request, now=1_000_000) == {"message": {"token": "tok"}, "validate_only": True}


def test_fcm_message_limit_counts_the_message_only() -> None:
    request = PushRequest(device_token="t", send_id="s", message=PushMessage(body="x" * 1900, title="y" * 1900))
    body = build_fcm_message(request, now=0)
    encoded = encode_fcm_message(body)
    assert json.loads(encoded) == body
    too_big = PushRequest(device_token="t", send_id="s", message=PushMessage(body="x" * 4100))
    with pytest.raises(NotificationTooLargeError, match="FCM"):
        encode_fcm_message(build_fcm_message(too_big, now=0))


def test_apns_id_is_a_deterministic_uuid5_per_send_and_device() -> None:
    first = apns_id_for("send-1", "ab" * 32)
    assert first == apns_id_for("send-1", "ab" * 32)
    assert first != apns_id_for("send-2", "ab" * 32)
    assert first != apns_id_for("send-1", "cd" * 32)
    parsed = uuid.UUID(first)
    assert parsed.version == 5 and str(parsed) == first
    # Of the send id and the token's SHA-256, so that outcomes keeping only the hash can derive it.
    token_sha256 = hashlib.sha256(("ab" * 32).encode()).hexdigest()
    assert first == str(uuid.uuid5(APNS_ID_NAMESPACE, f"send-1\n{token_sha256}"))
    assert first == apns_id_from_sha256("send-1", token_sha256)


def test_fcm_bodies_of_a_batch_are_the_bytes_of_one_encoding_each() -> None:
    other = PushMessage(title="Ünïcode \u2028", body='quote " and \\ backslash', android_notification=True)
    requests = [
        PushRequest(device_token="tok-1", send_id="s", message=FULL),
        PushRequest(device_token="tok:2_-", send_id="s", message=FULL),
        PushRequest(device_token='odd "token"\\\n', send_id="s", message=FULL),
        PushRequest(device_token="tök-3", send_id="s", message=FULL, expires_at=1_000_600, collapse_id="c"),
        PushRequest(device_token="tok-4", send_id="s", message=other, silent=True),
        PushRequest(device_token="tok-5", send_id="s", message=other, dry_run=True),
        PushRequest(device_token="tok-6", send_id="s", message=other, high_priority=False),
        PushRequest(device_token="tok-7", send_id="s", message=FULL),
        PushRequest(device_token="tok-8", send_id="s", message=other, notification_tag="t-8"),
        PushRequest(device_token="tok-9", send_id="s", message=other, notification_tag="t-9"),
    ]
    encoder = FcmBodyEncoder(now=1_000_000)

    for request in requests:
        assert encoder.encode(request) == encode_fcm_message(build_fcm_message(request, now=1_000_000))


def test_fcm_body_limit_counts_the_token_of_each_request() -> None:
    message = PushMessage(body="x" * 3900)
    encoder = FcmBodyEncoder(now=0)
    fits = PushRequest(device_token="t", send_id="s", message=message)
    assert encoder.encode(fits) == encode_fcm_message(build_fcm_message(fits, now=0))

    with pytest.raises(NotificationTooLargeError, match="FCM"):
        encoder.encode(PushRequest(device_token="t" * 200, send_id="s", message=message))
