"""The verdict table: every APNs reason and FCM error code in the reference has a rule."""

from __future__ import annotations

import datetime

import pytest

from pushgate.models.push import Platform, Verdict
from pushgate.providers import verdicts
from pushgate.providers.fcm import delivered
from pushgate.providers.transport import HttpResponse
from pushgate.providers.verdicts import VERDICT_TABLE

T, R, C, P = Verdict.TOKEN_INVALID, Verdict.RETRY, Verdict.CONFIGURATION_ERROR, Verdict.PAYLOAD_ERROR

# (status, reason, verdict) for every reason Apple documents.
APNS_CASES = [
    (400, "BadCollapseId", P),
    (400, "BadDeviceToken", T),
    (400, "BadExpirationDate", P),
    (400, "BadMessageId", P),
    (400, "BadPriority", P),
    (400, "BadTopic", C),
    (400, "DeviceTokenNotForTopic", T),
    (400, "DuplicateHeaders", P),
    (400, "IdleTimeout", R),
    (400, "InvalidPushType", P),
    (400, "MissingDeviceToken", P),
    (400, "MissingTopic", C),
    (400, "PayloadEmpty", P),
    (400, "TopicDisallowed", C),
    (403, "BadCertificate", C),
    (403, "BadCertificateEnvironment", C),
    (403, "ExpiredProviderToken", R),
    (403, "Forbidden", C),
    (403, "InvalidProviderToken", C),
    (403, "MissingProviderToken", C),
    (403, "UnrelatedKeyIdInToken", R),
    (403, "BadEnvironmentKeyIdInToken", C),
    (404, "BadPath", P),
    (405, "MethodNotAllowed", P),
    (410, "ExpiredToken", T),
    (410, "Unregistered", T),
    (413, "PayloadTooLarge", P),
    (429, "TooManyProviderTokenUpdates", R),
    (429, "TooManyRequests", R),
    (500, "InternalServerError", R),
    (503, "ServiceUnavailable", R),
    (503, "Shutdown", R),
]

# (status, errorCode, verdict) for every FCM error code.
FCM_CASES = [
    (500, "UNSPECIFIED_ERROR", R),
    (400, "INVALID_ARGUMENT", P),
    (400, verdicts.FCM_INVALID_TOKEN, T),
    (404, "UNREGISTERED", T),
    (403, "SENDER_ID_MISMATCH", C),
    (429, "QUOTA_EXCEEDED", R),
    (503, "UNAVAILABLE", R),
    (500, "INTERNAL", R),
    (401, "THIRD_PARTY_AUTH_ERROR", C),
    (401, "APNS_AUTH_ERROR", C),
]


@pytest.mark.parametrize(("status", "reason", "expected"), APNS_CASES)
def test_every_apns_reason_has_its_verdict(status: int, reason: str, expected: Verdict) -> None:
    key, rule = verdicts.lookup(Platform.APNS, status, reason)
    assert key == reason
    assert rule.verdict is expected
    assert rule.status == status


@pytest.mark.parametrize(("status", "code", "expected"), FCM_CASES)
def test_every_fcm_error_code_has_its_verdict(status: int, code: str, expected: Verdict) -> None:
    key, rule = verdicts.lookup(Platform.FCM, status, code)
    assert key == code
    assert rule.verdict is expected


@pytest.mark.parametrize(("platform", "code"), sorted(VERDICT_TABLE, key=str))
def test_every_rule_explains_itself_with_a_link(platform: Platform, code: str) -> None:
    rule = VERDICT_TABLE[(platform, code)]
    assert rule.why and "\n" not in rule.why
    assert rule.doc.startswith("https://")
    assert (rule.retry_after is not None) == (rule.verdict is Verdict.RETRY)


@pytest.mark.parametrize(
    ("platform", "status", "expected_key", "expected"),
    [
        (Platform.APNS, 400, "HTTP 400", P),
        (Platform.APNS, 403, "HTTP 403", C),
        (Platform.APNS, 410, "HTTP 410", T),
        (Platform.APNS, 418, "HTTP 4xx", P),
        (Platform.APNS, 502, "HTTP 5xx", R),
        (Platform.FCM, 401, "HTTP 401", R),
        (Platform.FCM, 404, "HTTP 404", C),
        (Platform.FCM, 429, "HTTP 429", R),
        (Platform.FCM, 504, "HTTP 5xx", R),
    ],
)
def test_unknown_codes_fall_back_to_their_status(
    platform: Platform, status: int, expected_key: str, expected: Verdict
) -> None:
    key, rule = verdicts.lookup(platform, status, "SomethingNew")
    assert key == expected_key
    assert rule.verdict is expected


def test_fcm_bare_401_asks_for_a_credential_refresh() -> None:
    _, rule = verdicts.lookup(Platform.FCM, 401, None)
    assert rule.refresh_credentials


def test_expired_provider_token_asks_for_a_new_token_on_a_new_connection() -> None:
    _, rule = verdicts.lookup(Platform.APNS, 403, "ExpiredProviderToken")
    assert rule.refresh_credentials and rule.new_connection


def test_too_many_token_updates_keeps_the_token_and_replaces_the_connection() -> None:
    _, rule = verdicts.lookup(Platform.APNS, 429, "TooManyProviderTokenUpdates")
    assert rule.new_connection and not rule.refresh_credentials


@pytest.mark.parametrize("code", [verdicts.TIMEOUT, verdicts.CONNECTION_ERROR])
@pytest.mark.parametrize("platform", list(Platform))
def test_missing_answers_are_retried(platform: Platform, code: str) -> None:
    outcome = verdicts.decide(platform, None, code)
    assert outcome.verdict is Verdict.RETRY
    assert outcome.retry_after == verdicts.TRANSPORT_RETRY_DELAY_S


def test_retry_after_header_overrides_the_default_delay() -> None:
    outcome = verdicts.decide(Platform.FCM, 429, "QUOTA_EXCEEDED", retry_after=17.0)
    assert outcome.retry_after == 17.0
    assert verdicts.decide(Platform.FCM, 429, "QUOTA_EXCEEDED").retry_after == verdicts.FCM_QUOTA_DELAY_S


def test_invalid_since_travels_only_with_token_invalid() -> None:
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    gone = verdicts.decide(Platform.APNS, 410, "Unregistered", invalid_since=moment)
    assert gone.verdict is Verdict.TOKEN_INVALID and gone.invalid_since == moment
    assert verdicts.decide(Platform.APNS, 500, "InternalServerError", invalid_since=moment).invalid_since is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Thu, 01 Jan 2026 00:01:00 GMT", 60.0),
        ("Thu, 01 Jan 2025 00:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str | None, expected: float | None) -> None:
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).timestamp()
    assert verdicts.parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "projects/p/messages/0:1700000000%31bd1c9631bd1c96"}',
        b'{\n  "name": "projects/p/messages/0:123"\n}\n',
        b'{"name":"projects/p/messages/fake_message_id"}',
        b'{"name": "projects/p/messages/a\\"b"}',
        '{"name": "projects/p/messages/é"}'.encode(),
        b'{"name": "projects/p/messages/1", "extra": true}',
        b'{"name": 7}',
        b"[]",
        b"not json",
        b"\xff\xfe",
        b"",
    ],
)
def test_an_fcm_success_reads_as_the_verdict_table_decides_it(body: bytes) -> None:
    # The client reads a 200 without the table (it runs once per notification); it must agree with it.
    answer = HttpResponse(status=200, body=body).json_object()
    name = answer.get("name") if isinstance(answer.get("name"), str) else None
    expected = verdicts.decide(Platform.FCM, 200, None, provider_message_id=name)

    assert delivered(HttpResponse(status=200, body=body)) == expected
