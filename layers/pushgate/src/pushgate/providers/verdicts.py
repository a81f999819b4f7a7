"""The one verdict table for APNs and FCM answers.

Every APNs ``reason`` and FCM ``errorCode`` maps to one :class:`~pushgate.models.push.Verdict`
with the reason for the choice and the provider page that documents the code. Codes the table does
not know fall back to their HTTP status (``HTTP 400``, ``HTTP 5xx``...), and answers that never came
(timeouts, dead connections) and checks made before sending have entries too, so every outcome
names the rule that decided it.

Apple: https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns
Google: https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode
"""

from __future__ import annotations

import datetime
import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pushgate.models.push import DeliveryOutcome, Platform, Verdict

APNS_RESPONSES_DOC: Final = (
    "https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns"
)
APNS_JWT_DOC: Final = (
    "https://developer.apple.com/documentation/usernotifications/establishing-a-token-based-connection-to-apns"
)
APNS_SENDING_DOC: Final = (
    "https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns"
)
FCM_ERRORS_DOC: Final = "https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode"
FCM_TOKENS_DOC: Final = "https://firebase.google.com/docs/cloud-messaging/manage-tokens"
FCM_SCALE_DOC: Final = "https://firebase.google.com/docs/cloud-messaging/scale-fcm"
GOOGLE_OAUTH_DOC: Final = "https://developers.google.com/identity/protocols/oauth2/service-account"
RFC9113_DOC: Final = "https://www.rfc-editor.org/rfc/rfc9113#section-8.7"

#: Apple: 5xx answers may be retried after 15 minutes.
APNS_SERVER_ERROR_DELAY_S: Final = 900.0
#: Google: wait at least 10 s before retrying; 429 without Retry-After waits 60 s.
FCM_MIN_RETRY_DELAY_S: Final = 10.0
FCM_QUOTA_DELAY_S: Final = 60.0
#: A throttled token or an unknown failure is retried after a minute.
DEFAULT_RETRY_DELAY_S: Final = 60.0
#: A transport failure (no answer) is retried soon; the connection is replaced first.
TRANSPORT_RETRY_DELAY_S: Final = 10.0

#: Local codes (not sent by a provider).
TIMEOUT: Final = "Timeout"
CONNECTION_ERROR: Final = "ConnectionError"
LOCAL_PAYLOAD_TOO_LARGE: Final = "PayloadTooLarge (local check)"
LOCAL_BAD_COLLAPSE_ID: Final = "BadCollapseId (local check)"
EXPIRED_PROVIDER_TOKEN_AGAIN: Final = "ExpiredProviderToken (after refresh)"  # noqa: S105 - a code
UNAUTHENTICATED_AGAIN: Final = "HTTP 401 (after refresh)"
FCM_INVALID_TOKEN: Final = "INVALID_ARGUMENT (registration token)"  # noqa: S105 - a code
OAUTH_REJECTED: Final = "OAuthRejected"
OAUTH_UNAVAILABLE: Final = "OAuthUnavailable"


@dataclass(frozen=True, slots=True)
class VerdictRule:
    """One row of the verdict table.

    Attributes:
        verdict: What the delivery worker does.
        status: The HTTP status the provider answers with for this code (``None``: local).
        why: One line: what the code means and why this verdict.
        doc: The page that documents the code.
        retry_after: Delay in seconds when the provider sends no ``Retry-After`` (RETRY only).
        refresh_credentials: Sign a new JWT / fetch a new OAuth token and resend once, at once.
        new_connection: The connection is unusable; replace it before the next request.
    """

    verdict: Verdict
    status: int | None
    why: str
    doc: str
    retry_after: float | None = None
    refresh_credentials: bool = False
    new_connection: bool = False


_D, _T, _R, _C, _P = (
    Verdict.DELIVERED,
    Verdict.TOKEN_INVALID,
    Verdict.RETRY,
    Verdict.CONFIGURATION_ERROR,
    Verdict.PAYLOAD_ERROR,
)
_APNS, _FCM = Platform.APNS, Platform.FCM

_APNS_RULES: dict[str, VerdictRule] = {
    "Success": VerdictRule(_D, 200, "APNs accepted the notification.", APNS_RESPONSES_DOC),
    "BadCollapseId": VerdictRule(_P, 400, "apns-collapse-id is longer than 64 bytes.", APNS_RESPONSES_DOC),
    "BadDeviceToken": VerdictRule(
        _T, 400, "The token is invalid for this environment; Apple says never retry it.", APNS_RESPONSES_DOC
    ),
    "BadExpirationDate": VerdictRule(_P, 400, "apns-expiration is not a valid epoch time.", APNS_RESPONSES_DOC),
    "BadMessageId": VerdictRule(_P, 400, "apns-id is not a canonical UUID.", APNS_RESPONSES_DOC),
    "BadPriority": VerdictRule(_P, 400, "apns-priority is invalid for this push type.", APNS_RESPONSES_DOC),
    "BadTopic": VerdictRule(_C, 400, "apns-topic (the app's bundle id) is invalid.", APNS_RESPONSES_DOC),
    "DeviceTokenNotForTopic": VerdictRule(
        _T, 400, "The token belongs to another app; it can never work for this topic.", APNS_RESPONSES_DOC
    ),
    "DuplicateHeaders": VerdictRule(_P, 400, "A header was sent twice.", APNS_RESPONSES_DOC),
    "IdleTimeout": VerdictRule(
        _R, 400, "The connection idled out; resend on a new connection.", APNS_RESPONSES_DOC, 0.0, new_connection=True
    ),
    "InvalidPushType": VerdictRule(_P, 400, "apns-push-type does not match the payload.", APNS_RESPONSES_DOC),
    "MissingDeviceToken": VerdictRule(_P, 400, "The request path carried no device token.", APNS_RESPONSES_DOC),
    "MissingTopic": VerdictRule(
        _C, 400, "apns-topic is required with token auth; set the bundle id.", APNS_RESPONSES_DOC
    ),
    "PayloadEmpty": VerdictRule(_P, 400, "The request body was empty.", APNS_RESPONSES_DOC),
    "TopicDisallowed": VerdictRule(_C, 400, "This app may not push to the topic.", APNS_RESPONSES_DOC),
    "BadCertificate": VerdictRule(_C, 403, "The client certificate is invalid.", APNS_RESPONSES_DOC),
    "BadCertificateEnvironment": VerdictRule(
        _C, 403, "The certificate is for the other environment.", APNS_RESPONSES_DOC
    ),
    "ExpiredProviderToken": VerdictRule(
        _R,
        403,
        "The JWT is older than an hour; sign a new one and resend once on a new connection.",
        APNS_JWT_DOC,
        0.0,
        refresh_credentials=True,
        new_connection=True,
    ),
    "Forbidden": VerdictRule(_C, 403, "APNs refuses this action for these credentials.", APNS_RESPONSES_DOC),
    "InvalidProviderToken": VerdictRule(
        _C, 403, "The JWT does not verify: wrong key, Key ID or Team ID.", APNS_RESPONSES_DOC
    ),
    "MissingProviderToken": VerdictRule(
        _C, 403, "Neither a certificate nor a provider token was presented.", APNS_RESPONSES_DOC
    ),
    "UnrelatedKeyIdInToken": VerdictRule(
        _R,
        403,
        "The key differs from the one first used on this connection; resend on a new one.",
        APNS_RESPONSES_DOC,
        0.0,
        new_connection=True,
    ),
    "BadEnvironmentKeyIdInToken": VerdictRule(
        _C, 403, "The signing key is for the other environment.", APNS_RESPONSES_DOC
    ),
    "BadPath": VerdictRule(_P, 404, "The request path is wrong.", APNS_RESPONSES_DOC),
    "MethodNotAllowed": VerdictRule(_P, 405, "Only POST is allowed.", APNS_RESPONSES_DOC),
    "ExpiredToken": VerdictRule(_T, 410, "The device token has expired.", APNS_RESPONSES_DOC),
    "Unregistered": VerdictRule(
        _T,
        410,
        "The token is no longer active for the topic since `timestamp`; a later registration wins.",
        APNS_RESPONSES_DOC,
    ),
    "PayloadTooLarge": VerdictRule(_P, 413, "The payload exceeds 4096 bytes (5120 for VoIP).", APNS_RESPONSES_DOC),
    "TooManyProviderTokenUpdates": VerdictRule(
        _R,
        429,
        "The JWT changed within 20 minutes on one connection; keep the token, use a new connection.",
        APNS_JWT_DOC,
        DEFAULT_RETRY_DELAY_S,
        new_connection=True,
    ),
    "TooManyRequests": VerdictRule(
        _R,
        429,
        "Too many pushes to this one device; retry it later, others are unaffected.",
        APNS_RESPONSES_DOC,
        DEFAULT_RETRY_DELAY_S,
    ),
    "InternalServerError": VerdictRule(
        _R,
        500,
        "APNs failed internally; Apple allows a retry after 15 minutes.",
        APNS_RESPONSES_DOC,
        APNS_SERVER_ERROR_DELAY_S,
        new_connection=True,
    ),
    "ServiceUnavailable": VerdictRule(
        _R,
        503,
        "APNs is unavailable; Apple allows a retry after 15 minutes.",
        APNS_RESPONSES_DOC,
        APNS_SERVER_ERROR_DELAY_S,
    ),
    "Shutdown": VerdictRule(
        _R,
        503,
        "The APNs server is shutting down; resend on a new connection.",
        APNS_RESPONSES_DOC,
        1.0,
        new_connection=True,
    ),
    # Answers whose reason the table does not know are decided by their status.
    "HTTP 400": VerdictRule(_P, 400, "Unknown 400 reason: the request is malformed.", APNS_RESPONSES_DOC),
    "HTTP 403": VerdictRule(_C, 403, "Unknown 403 reason: a certificate or token problem.", APNS_RESPONSES_DOC),
    "HTTP 404": VerdictRule(_P, 404, "Unknown 404 reason: the path is wrong.", APNS_RESPONSES_DOC),
    "HTTP 405": VerdictRule(_P, 405, "Unknown 405 reason: the method is wrong.", APNS_RESPONSES_DOC),
    "HTTP 410": VerdictRule(_T, 410, "410 always means the token is no longer active.", APNS_RESPONSES_DOC),
    "HTTP 413": VerdictRule(_P, 413, "Unknown 413 reason: the payload is too large.", APNS_RESPONSES_DOC),
    "HTTP 429": VerdictRule(
        _R, 429, "Unknown 429 reason: slow down and retry.", APNS_RESPONSES_DOC, DEFAULT_RETRY_DELAY_S
    ),
    "HTTP 4xx": VerdictRule(_P, None, "Other 4xx answers: fix the request before retrying.", APNS_RESPONSES_DOC),
    "HTTP 5xx": VerdictRule(
        _R,
        None,
        "Other 5xx answers: a server problem, retry after 15 minutes.",
        APNS_RESPONSES_DOC,
        APNS_SERVER_ERROR_DELAY_S,
        new_connection=True,
    ),
    # Local: decided before sending or without an answer.
    LOCAL_PAYLOAD_TOO_LARGE: VerdictRule(
        _P, None, "The payload exceeds 4096 bytes; it was not sent.", APNS_SENDING_DOC
    ),
    LOCAL_BAD_COLLAPSE_ID: VerdictRule(
        _P, None, "The collapse id exceeds 64 bytes; it was not sent.", APNS_SENDING_DOC
    ),
    EXPIRED_PROVIDER_TOKEN_AGAIN: VerdictRule(
        _C, 403, "A freshly signed JWT was still called expired: this server's clock is wrong.", APNS_JWT_DOC
    ),
}

_FCM_RULES: dict[str, VerdictRule] = {
    "Success": VerdictRule(_D, 200, "FCM accepted the message.", FCM_ERRORS_DOC),
    "UNSPECIFIED_ERROR": VerdictRule(
        _R, None, "FCM gave no information; retry a bounded number of times.", FCM_ERRORS_DOC, DEFAULT_RETRY_DELAY_S
    ),
    "INVALID_ARGUMENT": VerdictRule(
        _P, 400, "A message field is invalid (data, TTL, size...); fix the message.", FCM_ERRORS_DOC
    ),
    FCM_INVALID_TOKEN: VerdictRule(
        _T, 400, "INVALID_ARGUMENT about message.token: the registration token is not valid.", FCM_TOKENS_DOC
    ),
    "UNREGISTERED": VerdictRule(
        _T, 404, "The app instance is gone (uninstalled, token expired or refreshed).", FCM_TOKENS_DOC
    ),
    "SENDER_ID_MISMATCH": VerdictRule(
        _C, 403, "The token belongs to another Firebase project than these credentials.", FCM_ERRORS_DOC
    ),
    "QUOTA_EXCEEDED": VerdictRule(
        _R,
        429,
        "Project, device or topic rate exceeded; back off at least a minute.",
        FCM_ERRORS_DOC,
        FCM_QUOTA_DELAY_S,
    ),
    "UNAVAILABLE": VerdictRule(
        _R, 503, "FCM is overloaded; honour Retry-After, at least 10 seconds.", FCM_SCALE_DOC, FCM_MIN_RETRY_DELAY_S
    ),
    "INTERNAL": VerdictRule(
        _R, 500, "FCM failed internally; retry with backoff.", FCM_SCALE_DOC, FCM_MIN_RETRY_DELAY_S
    ),
    "THIRD_PARTY_AUTH_ERROR": VerdictRule(
        _C, 401, "The APNs certificate or web-push key in the Firebase console is invalid.", FCM_ERRORS_DOC
    ),
    "APNS_AUTH_ERROR": VerdictRule(
        _C, 401, "Legacy name of THIRD_PARTY_AUTH_ERROR: the Firebase APNs credentials are invalid.", FCM_ERRORS_DOC
    ),
    # Answers without an FcmError detail are decided by their status.
    "HTTP 400": VerdictRule(_P, 400, "400 without an FcmError: the request is malformed.", FCM_SCALE_DOC),
    "HTTP 401": VerdictRule(
        _R,
        401,
        "Bare 401: the OAuth access token expired; fetch a new one and resend once.",
        FCM_ERRORS_DOC,
        0.0,
        refresh_credentials=True,
    ),
    "HTTP 403": VerdictRule(
        _C, 403, "403 without an FcmError: the service account may not send for this project.", FCM_SCALE_DOC
    ),
    "HTTP 404": VerdictRule(
        _C, 404, "404 without an FcmError: the project id in the URL does not exist.", FCM_SCALE_DOC
    ),
    "HTTP 429": VerdictRule(
        _R, 429, "429 without an FcmError: wait for Retry-After, else 60 seconds.", FCM_SCALE_DOC, FCM_QUOTA_DELAY_S
    ),
    "HTTP 4xx": VerdictRule(_P, None, "Other 4xx answers: Google says abort, do not retry.", FCM_SCALE_DOC),
    "HTTP 5xx": VerdictRule(
        _R, None, "Other 5xx answers: retry with exponential backoff.", FCM_SCALE_DOC, FCM_MIN_RETRY_DELAY_S
    ),
    LOCAL_PAYLOAD_TOO_LARGE: VerdictRule(_P, None, "The message exceeds 4096 bytes; it was not sent.", FCM_ERRORS_DOC),
    UNAUTHENTICATED_AGAIN: VerdictRule(
        _C, 401, "A fresh OAuth access token was rejected too: the service account cannot send.", FCM_ERRORS_DOC
    ),
    OAUTH_REJECTED: VerdictRule(
        _C, 400, "The token endpoint rejected the service account's assertion (invalid_grant).", GOOGLE_OAUTH_DOC
    ),
    OAUTH_UNAVAILABLE: VerdictRule(
        _R,
        None,
        "The token endpoint could not be reached or failed; retry soon.",
        GOOGLE_OAUTH_DOC,
        TRANSPORT_RETRY_DELAY_S,
    ),
}

_TRANSPORT_RULES: dict[str, VerdictRule] = {
    TIMEOUT: VerdictRule(
        _R,
        None,
        "No answer in time; the provider may or may not have delivered it.",
        RFC9113_DOC,
        TRANSPORT_RETRY_DELAY_S,
        new_connection=True,
    ),
    CONNECTION_ERROR: VerdictRule(
        _R,
        None,
        "The connection failed before any answer, even after one resend on a new connection.",
        RFC9113_DOC,
        TRANSPORT_RETRY_DELAY_S,
        new_connection=True,
    ),
}

#: The verdict table: (platform, code) → rule. Codes are APNs reasons, FCM error codes, ``HTTP <status>``
#: fallbacks and the local codes defined in this module.
VERDICT_TABLE: Final[Mapping[tuple[Platform, str], VerdictRule]] = MappingProxyType(
    {
        **{(_APNS, code): rule for code, rule in _APNS_RULES.items()},
        **{(_FCM, code): rule for code, rule in _FCM_RULES.items()},
        **{(platform, code): rule for platform in Platform for code, rule in _TRANSPORT_RULES.items()},
    }
)


def lookup(platform: Platform, status: int | None, code: str | None) -> tuple[str, VerdictRule]:
    """Finds the rule for a provider answer.

    Args:
        platform: Which provider answered.
        status: HTTP status (``None`` for local codes).
        code: APNs ``reason``, FCM ``errorCode`` or a local code; ``None`` when the body had none.

    Returns:
        The table key that matched and its rule. Unknown codes fall back to ``HTTP <status>``, then
        to ``HTTP 4xx`` / ``HTTP 5xx``.
    """
    if status is not None and 200 <= status < 300:
        return "Success", VERDICT_TABLE[(platform, "Success")]
    if code is not None and (platform, code) in VERDICT_TABLE:
        return code, VERDICT_TABLE[(platform, code)]
    by_status = f"HTTP {status}"
    if (platform, by_status) in VERDICT_TABLE:
        return by_status, VERDICT_TABLE[(platform, by_status)]
    family = "HTTP 5xx" if status is None or status >= 500 else "HTTP 4xx"
    return family, VERDICT_TABLE[(platform, family)]


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Reads a ``Retry-After`` header: delay seconds or an HTTP date.

    Args:
        value: The header value, if any.
        now: Current epoch seconds (for the HTTP-date form).

    Returns:
        Seconds to wait (never negative), or ``None`` when absent or unreadable.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return max(0.0, moment.timestamp() - now)


def decide(
    platform: Platform,
    status: int | None,
    code: str | None,
    *,
    retry_after: float | None = None,
    invalid_since: datetime.datetime | None = None,
    provider_message_id: str | None = None,
    detail: str | None = None,
) -> DeliveryOutcome:
    """Turns one provider answer (or local finding) into an outcome through the verdict table.

    Args:
        platform: Which provider.
        status: HTTP status, ``None`` for local codes and missing answers.
        code: APNs reason / FCM error code / local code.
        retry_after: The provider's ``Retry-After`` in seconds; the rule's delay applies otherwise.
        invalid_since: When the token became invalid (APNs 410).
        provider_message_id: ``apns-id`` or FCM message name.
        detail: Explanation for logs (no secrets).

    Returns:
        The outcome, naming the rule that decided it.
    """
    key, rule = lookup(platform, status, code)
    delay = None
    if rule.verdict is Verdict.RETRY:
        delay = retry_after if retry_after is not None else rule.retry_after
    return DeliveryOutcome(
        verdict=rule.verdict,
        platform=platform,
        status=status,
        reason=code,
        retry_after=delay,
        invalid_since=invalid_since if rule.verdict is Verdict.TOKEN_INVALID else None,
        provider_message_id=provider_message_id,
        detail=detail or (None if rule.verdict is Verdict.DELIVERED else rule.why),
        rule=key,
    )


def needs_new_connection(outcome: DeliveryOutcome) -> bool:
    """Tells whether the rule behind ``outcome`` says the connection must be replaced.

    Args:
        outcome: An outcome built by :func:`decide`.

    Returns:
        ``True`` when the next request should go on a new connection.
    """
    rule = VERDICT_TABLE.get((outcome.platform, outcome.rule or ""))
    return rule is not None and rule.new_connection
