"""The simulator's provider contracts (``pushgate_local/simulator/contracts.mjs``) on good and bad requests.

FCM requests are held to Google's discovery document of the FCM v1 API, APNs requests to Apple's
documented ``aps`` / ``aps.alert`` keys and header rules. The checks are plain functions: one Node
process runs every case of this module, and the product's own payload builders supply the good ones.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pushgate.models.payloads import build_apns_payload, build_fcm_message, encode_apns_payload
from pushgate.models.push import InterruptionLevel, PushMessage, PushRequest
from pushgate_local.simulator import find_node

CONTRACTS = Path(__file__).resolve().parents[3] / "pushgate_local" / "simulator" / "contracts.mjs"
DOCUMENT = CONTRACTS.with_name("contracts") / "fcm.v1.json"
NOW = 1_800_000_000

#: Reads [{"kind": "fcm"|"apns", ...}] on stdin and prints one result per case.
HARNESS = """
import { checkApnsRequest, checkFcmRequest, isValidateOnly, loadFcmContract } from %s;
const contract = loadFcmContract();
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((c) => {
    if (c.kind === "fcm") return { problem: checkFcmRequest(contract, c.body), validateOnly: isValidateOnly(c.body) };
    const names = c.rawNames || Object.keys(c.headers);
    return { problem: checkApnsRequest(c.headers, names, Buffer.from(c.body, "utf8")) };
  });
  process.stdout.write(JSON.stringify({ revision: contract.revision, results }));
});
"""


def run_cases(cases: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    script = HARNESS % json.dumps(CONTRACTS.as_uri())
    finished = subprocess.run(  # noqa: S603 - node running the harness above
        [find_node(), "--input-type=module", "-e", script],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    answer = json.loads(finished.stdout)
    return str(answer["revision"]), list(answer["results"])


def fcm(body: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "fcm", "body": body}


def apns(headers: dict[str, str], body: str | dict[str, Any], raw_names: list[str] | None = None) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return {"kind": "apns", "headers": headers, "body": text, **({"rawNames": raw_names} if raw_names else {})}


ALERT_HEADERS = {
    "apns-push-type": "alert",
    "apns-topic": "com.contoso.app",
    "apns-priority": "10",
    "apns-id": "8f1e0c4e-6a1b-5c2d-9e3f-0a1b2c3d4e5f",
}
BACKGROUND_HEADERS = {**ALERT_HEADERS, "apns-push-type": "background", "apns-priority": "5"}
ALERT = {"aps": {"alert": {"title": "Hi", "body": "There"}}, "data": {"trackingId": "t", "link": None}}

FULL_MESSAGE = PushMessage(
    title="Hi Ana",
    body="Your order shipped",
    subtitle="Order 42",
    image_url="https://contoso.com/box.png",
    link="https://contoso.com/l/abc",
    original_link="https://contoso.com/orders/42",
    tracking_id="2f0d3c2e-9b7a-4c55-8d7e-1f2a3b4c5d6e",
    sound="default",
    badge=3,
    thread_id="orders",
    interruption_level=InterruptionLevel.TIME_SENSITIVE,
    android_notification=True,
    android_channel_id="orders",
    extra_data=(("orderNumber", "42"),),
)


def product_requests() -> list[PushRequest]:
    """Every combination of options the product's builders take, on the full and a bare message."""
    base = PushRequest(device_token="fcm-token", send_id="s", message=FULL_MESSAGE)
    bare = PushMessage(body="Only a body")
    return [
        base,
        replace(base, message=bare),
        replace(base, expires_at=NOW + 3600, collapse_id="orders-42"),
        replace(base, expires_at=NOW),
        replace(base, expires_at=NOW - 10),
        replace(base, expires_at=NOW + 10 * 2_419_200),
        replace(base, high_priority=False),
        replace(base, silent=True),
        replace(base, dry_run=True),
        replace(base, message=replace(FULL_MESSAGE, android_notification=False, title="")),
        replace(base, message=PushMessage(), silent=True),
    ]


# ---------------------------------------------------------------------------------------------- FCM


def test_the_contract_is_googles_discovery_document_of_fcm_v1() -> None:
    document = json.loads(DOCUMENT.read_text())
    assert (document["name"], document["version"]) == ("fcm", "v1")
    assert {"SendMessageRequest", "Message", "AndroidConfig", "AndroidNotification"} <= set(document["schemas"])
    revision, _ = run_cases([])
    assert revision == document["revision"]


def test_every_fcm_body_the_product_builds_conforms() -> None:
    bodies = [build_fcm_message(request, now=NOW) for request in product_requests()]
    _, results = run_cases([fcm(body) for body in bodies])
    assert [result["problem"] for result in results] == [None] * len(bodies)
    assert [result["validateOnly"] for result in results] == [request.dry_run for request in product_requests()]


def test_proto_names_and_json_names_both_validate() -> None:
    camel = {
        "message": {
            "token": "t",
            "data": {"k": "v"},
            "android": {
                "collapseKey": "c",
                "ttl": "3.5s",
                "priority": "high",
                "directBootOk": True,
                "notification": {
                    "channelId": "orders",
                    "notificationCount": "3",
                    "eventTime": "2026-12-06T10:00:00.5Z",
                    "vibrateTimings": ["0.5s", "1s"],
                    "lightSettings": {
                        "color": {"red": 0.5, "alpha": 1},
                        "lightOnDuration": "1s",
                        "lightOffDuration": "2s",
                    },
                    "notificationPriority": "PRIORITY_HIGH",
                    "visibility": 1,
                    "title": None,
                },
            },
            "apns": {"headers": {"apns-priority": "5"}, "payload": {"aps": {"content-available": 1}}},
        },
        "validateOnly": True,
    }
    snake = {
        "message": {"token": "t", "android": {"collapse_key": "c", "notification": {"channel_id": "orders"}}},
        "validate_only": True,
    }
    _, results = run_cases([fcm(camel), fcm(snake)])
    assert results == [{"problem": None, "validateOnly": True}, {"problem": None, "validateOnly": True}]


def _with_android(android: dict[str, Any]) -> dict[str, Any]:
    return {"message": {"token": "t", "android": android}}


#: (request body, the field Google names, part of its description).
FCM_REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"msg": {}}, "", 'Unknown name "msg": Cannot find field.'),
    (_with_android({"colapse_key": "c"}), "message.android", "Unknown name \"colapse_key\" at 'message.android'"),
    (_with_android({"notification": {"channel": "x"}}), "message.android.notification", 'Unknown name "channel"'),
    ({"message": {"token": "t", "data": {"a": "x", "n": 1}}}, "message.data[1].value", "(TYPE_STRING), 1"),
    ({"message": {"token": "t", "data": {"a": None}}}, "message.data[0].value", "(TYPE_STRING), null"),
    ({"message": {"token": "t", "data": ["a"]}}, "message.data", '["a"]'),
    (_with_android({"priority": "URGENT"}), "message.android.priority", '(TYPE_ENUM), "URGENT"'),
    (_with_android({"ttl": "10"}), "message.android.ttl", '(type.googleapis.com/google.protobuf.Duration), "10"'),
    (_with_android({"ttl": 10}), "message.android.ttl", "google.protobuf.Duration), 10"),
    (_with_android({"ttl": "1.0000000001s"}), "message.android.ttl", "Duration"),
    (_with_android({"ttl": "-1s"}), "message.android.ttl", "between 0 and 4 weeks"),
    (_with_android({"ttl": "2419201s"}), "message.android.ttl", "between 0 and 4 weeks"),
    (
        _with_android({"notification": {"notification_count": "x"}}),
        "message.android.notification.notification_count",
        "TYPE_INT32",
    ),
    (
        _with_android({"notification": {"notification_count": 2**31}}),
        "message.android.notification.notification_count",
        "TYPE_INT32",
    ),
    (
        _with_android({"notification": {"event_time": "yesterday"}}),
        "message.android.notification.event_time",
        "Timestamp",
    ),
    (
        _with_android({"notification": {"vibrate_timings": ["1s", 2]}}),
        "message.android.notification.vibrate_timings[1]",
        "Duration",
    ),
    (
        _with_android({"notification": {"light_settings": {"color": {"red": "bright"}}}}),
        "message.android.notification.light_settings.color.red",
        "TYPE_FLOAT",
    ),
    (_with_android({"direct_boot_ok": "true"}), "message.android.direct_boot_ok", "TYPE_BOOL"),
    (_with_android("HIGH"), "message.android", "(type.googleapis.com/google.firebase.fcm.v1.AndroidConfig)"),
    (_with_android({"collapse_key": "a", "collapseKey": "b"}), "message.android.collapse_key", "Duplicate field"),
    ({"message": {"token": "t"}, "validate_only": "yes"}, "validate_only", '(TYPE_BOOL), "yes"'),
    ({"message": {"token": "t", "topic": "news"}}, "message", "Exactly one of token, topic or condition"),
    ({"message": {"data": {"a": "b"}}}, "message", "Exactly one of token, topic or condition"),
    ({"validate_only": True}, "message", "message is required"),
    (
        {"message": {"token": "t", "data": {"google.sent": "x"}}},
        "message.data",
        "Invalid data payload key: google.sent",
    ),
    ({"message": {"token": "t", "data": {"from": "x"}}}, "message.data", "Invalid data payload key: from"),
    ({"message": {"token": "t", "android": {}, "android_v2": {}}}, "message", "mutually exclusive"),
    ({"message": {"token": "t", "data": {"big": "x" * 4100}}}, "message", "Message too big"),
]


@pytest.fixture(scope="module")
def fcm_refusals() -> list[dict[str, Any]]:
    """The verdicts on every case of ``FCM_REFUSED``, from one Node process."""
    return run_cases([fcm(body) for body, _, _ in FCM_REFUSED])[1]


@pytest.mark.parametrize("index", range(len(FCM_REFUSED)))
def test_fcm_requests_google_refuses_are_refused_naming_the_field(
    index: int, fcm_refusals: list[dict[str, Any]]
) -> None:
    body, field, description = FCM_REFUSED[index]
    problem = fcm_refusals[index]["problem"]
    assert problem is not None, body
    assert problem["field"] == field
    assert description in problem["description"]


# --------------------------------------------------------------------------------------------- APNs


def _apns_headers(request: PushRequest) -> dict[str, str]:
    # The headers providers/apns.py sends for this request (see ApnsClient._build).
    silent = request.silent or request.dry_run
    headers = {
        "apns-push-type": "background" if silent else "alert",
        "apns-topic": "com.contoso.app",
        "apns-priority": "5" if silent or not request.high_priority else "10",
        "apns-id": "8f1e0c4e-6a1b-5c2d-9e3f-0a1b2c3d4e5f",
    }
    if request.expires_at is not None:
        headers["apns-expiration"] = str(request.expires_at)
    if request.collapse_id:
        headers["apns-collapse-id"] = request.collapse_id
    return headers


def test_every_apns_payload_the_product_builds_conforms() -> None:
    cases = []
    for request in product_requests():
        payload = build_apns_payload(request.message, silent=request.silent or request.dry_run)
        cases.append(apns(_apns_headers(request), encode_apns_payload(payload).decode()))
    _, results = run_cases(cases)
    assert [result["problem"] for result in results] == [None] * len(cases)


def test_documented_aps_and_alert_keys_validate() -> None:
    every_key = {
        "aps": {
            "alert": {
                "title": "t",
                "subtitle": "s",
                "body": "b",
                "launch-image": "l.png",
                "title-loc-key": "T",
                "title-loc-args": ["a"],
                "subtitle-loc-key": "S",
                "subtitle-loc-args": [],
                "loc-key": "B",
                "loc-args": ["x", "y"],
            },
            "badge": 0,
            "sound": {"critical": 1, "name": "alarm.caf", "volume": 0.5},
            "thread-id": "th",
            "category": "REPLY",
            "mutable-content": 1,
            "target-content-id": "w1",
            "interruption-level": "passive",
            "relevance-score": 0.4,
            "filter-criteria": "work",
        },
        "custom": {"nested": [1, True, None]},
    }
    cases = [
        apns(ALERT_HEADERS, every_key),
        apns(ALERT_HEADERS, {"aps": {"alert": "a plain string"}}),
        apns(ALERT_HEADERS, {"aps": {"badge": 1}}),
        apns(BACKGROUND_HEADERS, {"aps": {"content-available": 1}}),
        apns({"apns-topic": "com.contoso.app"}, {"aps": {"sound": "default"}}),
        apns(
            {**ALERT_HEADERS, "apns-push-type": "voip", "apns-topic": "com.contoso.app.voip"},
            {"aps": {}, "x": "y" * 4500},
        ),
        apns({**ALERT_HEADERS, "apns-expiration": "0", "apns-collapse-id": "c" * 64}, ALERT),
    ]
    _, results = run_cases(cases)
    assert [result["problem"] for result in results] == [None] * len(cases)


#: (headers, body, Apple's status and reason, part of the description).
APNS_REFUSED: list[tuple[dict[str, str], str | dict[str, Any], int, str, str]] = [
    ({**ALERT_HEADERS, "apns-push-type": "notification"}, ALERT, 400, "InvalidPushType", "apns-push-type"),
    ({k: v for k, v in ALERT_HEADERS.items() if k != "apns-topic"}, ALERT, 400, "MissingTopic", "apns-topic"),
    ({**ALERT_HEADERS, "apns-topic": "contoso app"}, ALERT, 400, "BadTopic", "bundle id"),
    ({**ALERT_HEADERS, "apns-topic": "com.contoso.app.voip"}, ALERT, 400, "TopicDisallowed", "alert"),
    ({**ALERT_HEADERS, "apns-priority": "7"}, ALERT, 400, "BadPriority", "1, 5 or 10"),
    ({**BACKGROUND_HEADERS, "apns-priority": "10"}, {"aps": {"content-available": 1}}, 400, "BadPriority", "5"),
    (
        {k: v for k, v in BACKGROUND_HEADERS.items() if k != "apns-priority"},
        {"aps": {"content-available": 1}},
        400,
        "BadPriority",
        "apns-priority: 5",
    ),
    ({**ALERT_HEADERS, "apns-expiration": "soon"}, ALERT, 400, "BadExpirationDate", "epoch"),
    ({**ALERT_HEADERS, "apns-expiration": "-1"}, ALERT, 400, "BadExpirationDate", "epoch"),
    ({**ALERT_HEADERS, "apns-id": "8F1E0C4E-6A1B-5C2D-9E3F-0A1B2C3D4E5F"}, ALERT, 400, "BadMessageId", "UUID"),
    ({**ALERT_HEADERS, "apns-id": "42"}, ALERT, 400, "BadMessageId", "UUID"),
    ({**ALERT_HEADERS, "apns-collapse-id": "é" * 33}, ALERT, 400, "BadCollapseId", "64 bytes"),
    (ALERT_HEADERS, "", 400, "PayloadEmpty", "empty"),
    (ALERT_HEADERS, {"aps": {"alert": "x" * 4100}}, 413, "PayloadTooLarge", "over 4096"),
    (ALERT_HEADERS, "{not json", 400, "InvalidPayload", "not JSON"),
    (ALERT_HEADERS, {"data": {"title": "x"}}, 400, "InvalidPayload", "aps dictionary"),
    (ALERT_HEADERS, {"aps": {"alert": "x", "trackingId": "t"}}, 400, "InvalidPayload", "aps.trackingId"),
    (
        ALERT_HEADERS,
        {"aps": {"alert": {"body": "x", "action-loc-key": "OPEN"}}},
        400,
        "InvalidPayload",
        "aps.alert.action-loc-key",
    ),
    (ALERT_HEADERS, {"aps": {"alert": {"body": 5}}}, 400, "InvalidPayload", "aps.alert.body"),
    (ALERT_HEADERS, {"aps": {"alert": {"loc-args": [1]}}}, 400, "InvalidPayload", "aps.alert.loc-args"),
    (ALERT_HEADERS, {"aps": {"alert": "x", "badge": "3"}}, 400, "InvalidPayload", "aps.badge"),
    (ALERT_HEADERS, {"aps": {"alert": "x", "badge": -1}}, 400, "InvalidPayload", "aps.badge"),
    (
        ALERT_HEADERS,
        {"aps": {"alert": "x", "interruption-level": "urgent"}},
        400,
        "InvalidPayload",
        "interruption-level",
    ),
    (ALERT_HEADERS, {"aps": {"alert": "x", "mutable-content": True}}, 400, "InvalidPayload", "mutable-content"),
    (ALERT_HEADERS, {"aps": {"alert": "x", "sound": {"volume": 2}}}, 400, "InvalidPayload", "aps.sound"),
    (BACKGROUND_HEADERS, {"aps": {"content-available": 1, "alert": "x"}}, 400, "InvalidPushType", "alert"),
    (BACKGROUND_HEADERS, {"aps": {"content-available": 1, "badge": 0}}, 400, "InvalidPushType", "badge"),
    (BACKGROUND_HEADERS, {"aps": {}}, 400, "InvalidPushType", "content-available"),
    (ALERT_HEADERS, {"aps": {"content-available": 1}}, 400, "InvalidPushType", "alert, badge or sound"),
]


@pytest.fixture(scope="module")
def apns_refusals() -> list[dict[str, Any]]:
    """The verdicts on every case of ``APNS_REFUSED``, from one Node process."""
    return run_cases([apns(headers, body) for headers, body, *_ in APNS_REFUSED])[1]


@pytest.mark.parametrize("index", range(len(APNS_REFUSED)))
def test_apns_requests_breaking_apples_rules_get_apples_error(index: int, apns_refusals: list[dict[str, Any]]) -> None:
    headers, body, status, reason, description = APNS_REFUSED[index]
    problem = apns_refusals[index]["problem"]
    assert problem is not None, (headers, body)
    assert (problem["status"], problem["reason"]) == (status, reason)
    assert description in problem["description"]


def test_a_repeated_apns_header_is_duplicate_headers() -> None:
    names = [*ALERT_HEADERS, "apns-priority"]
    _, [result] = run_cases([apns(ALERT_HEADERS, ALERT, raw_names=names)])
    assert result["problem"]["reason"] == "DuplicateHeaders"
