"""The simulator over HTTP/2 answers a request that breaks a provider's contract with the provider's
error, delivers nothing, and lists it under ``/sim/violations``; a conforming request is not listed."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pushgate_local.simulator import RunningSimulator
from tests.provider_keys import BUNDLE_ID, CLIENT_EMAIL, KEY_ID, TEAM_ID, private_pem

DEVICE = "ab" * 32
FCM_SEND = "/v1/projects/pushgate-demo/messages:send"


@pytest.fixture
def http(simulator: RunningSimulator) -> Iterator[httpx.Client]:
    context = ssl.create_default_context(cafile=str(simulator.ca_path))
    with httpx.Client(http2=True, verify=context, base_url=simulator.url, timeout=10) as client:
        yield client


@pytest.fixture
def apns_headers(apns_key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    token = jwt.encode(
        {"iss": TEAM_ID, "iat": int(time.time())}, private_pem(apns_key), algorithm="ES256", headers={"kid": KEY_ID}
    )
    return {"authorization": f"bearer {token}", "apns-topic": BUNDLE_ID, "apns-push-type": "alert"}


@pytest.fixture
def fcm_authorization(http: httpx.Client, rsa_key: rsa.RSAPrivateKey) -> str:
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": CLIENT_EMAIL,
            "scope": "https://www.googleapis.com/auth/firebase.messaging",
            "aud": "https://oauth2.googleapis.com/token",
            "iat": now,
            "exp": now + 3600,
        },
        private_pem(rsa_key),
        algorithm="RS256",
    )
    answer = http.post(
        "/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    )
    assert answer.status_code == 200, answer.text
    return f"Bearer {answer.json()['access_token']}"


def test_an_unknown_fcm_field_is_googles_400_and_a_recorded_violation(
    http: httpx.Client, fcm_authorization: str, simulator: RunningSimulator
) -> None:
    body = {"message": {"token": "fcm-1", "data": {"n": "1"}, "android": {"colapse_key": "c"}}}
    answer = http.post(FCM_SEND, json=body, headers={"authorization": fcm_authorization})

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    description = "Invalid JSON payload received. Unknown name \"colapse_key\" at 'message.android': Cannot find field."
    assert error["message"] == description
    assert error["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "message.android", "description": description}],
        }
    ]
    assert simulator.notifications(token="fcm-1") == []
    [recorded] = simulator.violations(token="fcm-1")
    assert (recorded["platform"], recorded["status"], recorded["field"]) == ("android", 400, "message.android")
    assert recorded["payload"] == body
    assert "authorization" not in recorded["headers"]
    assert simulator.stats()["contract_violations"] == 1


def test_a_semantic_fcm_refusal_carries_the_fcm_error_code(
    http: httpx.Client, fcm_authorization: str, simulator: RunningSimulator
) -> None:
    body = {"message": {"token": "fcm-2", "android": {"ttl": "2419201s"}}}
    error = http.post(FCM_SEND, json=body, headers={"authorization": fcm_authorization}).json()["error"]

    assert error["status"] == "INVALID_ARGUMENT"
    assert {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "INVALID_ARGUMENT"} in error[
        "details"
    ]
    assert simulator.violations()[0]["field"] == "message.android.ttl"


def test_a_conforming_fcm_request_in_json_names_is_delivered_and_validate_only_is_not(
    http: httpx.Client, fcm_authorization: str, simulator: RunningSimulator
) -> None:
    message = {"token": "fcm-3", "android": {"collapseKey": "c", "ttl": "0s", "priority": "HIGH"}}
    sent = http.post(FCM_SEND, json={"message": message}, headers={"authorization": fcm_authorization})
    checked = http.post(
        FCM_SEND,
        json={"message": {**message, "token": "fcm-4"}, "validateOnly": True},
        headers={"authorization": fcm_authorization},
    )

    assert (sent.status_code, checked.status_code) == (200, 200), (sent.text, checked.text)
    assert checked.json()["name"].endswith("/messages/fake_message_id")
    assert [n["token"] for n in simulator.notifications()] == ["fcm-3"]
    assert simulator.violations() == []


def test_a_background_push_at_priority_10_is_bad_priority_and_recorded(
    http: httpx.Client, apns_headers: dict[str, str], simulator: RunningSimulator
) -> None:
    headers = {**apns_headers, "apns-push-type": "background", "apns-priority": "10"}
    answer = http.post(f"/sandbox/3/device/{DEVICE}", headers=headers, content=b'{"aps":{"content-available":1}}')

    assert (answer.status_code, answer.json()) == (400, {"reason": "BadPriority"})
    [recorded] = simulator.violations(platform="ios")
    assert (recorded["token"], recorded["reason"]) == (DEVICE, "BadPriority")
    assert recorded["payload"] == {"aps": {"content-available": 1}}
    assert recorded["headers"]["apns-priority"] == "10"
    assert simulator.notifications() == []


def test_a_custom_key_inside_aps_is_refused_and_a_documented_payload_is_delivered(
    http: httpx.Client, apns_headers: dict[str, str], simulator: RunningSimulator
) -> None:
    refused = http.post(f"/3/device/{DEVICE}", headers=apns_headers, content=b'{"aps":{"alert":"Hi","trackingId":"t"}}')
    delivered = http.post(
        f"/3/device/{DEVICE}", headers=apns_headers, content=b'{"aps":{"alert":"Hi"},"data":{"trackingId":"t"}}'
    )

    assert (refused.status_code, refused.json()["reason"]) == (400, "InvalidPayload")
    assert delivered.status_code == 200
    assert [v["description"] for v in simulator.violations()] == [
        "aps.trackingId is not an Apple-defined aps key (custom keys go next to aps)"
    ]
    assert len(simulator.notifications(token=DEVICE)) == 1
