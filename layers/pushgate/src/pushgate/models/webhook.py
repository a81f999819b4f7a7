"""The registration-status webhook as CI-J defines it: its body, its signature, what a call became.

CI-J calls ``x-ms-callback-url`` once when a registration ends, with ``{Status, Signature,
FailureReason}``; ``Signature`` is the HMAC-SHA256 of the callback URL keyed with the ApiToken.
Pushgate signs the URL exactly as the client sent it (UTF-8), keyed with the ApiToken's UTF-8
bytes, and sends the digest in standard base64 (with padding). The call itself, and the rules on
where it may go, are the adapter's (:mod:`pushgate.adapters.webhooks`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from pushgate.models.device import RegistrationOutcome

#: Headers a client may not set through ``x-ms-callback-url-headers``: they belong to the transport.
RESERVED_HEADERS = frozenset(
    {"host", "content-length", "content-type", "transfer-encoding", "connection", "upgrade", "te", "trailer", "expect"}
)


def signature(callback_url: str, api_token: str) -> str:
    """The ``Signature`` of a webhook: base64(HMAC-SHA256(key=ApiToken, message=callback URL)).

    Args:
        callback_url: The URL exactly as sent in ``x-ms-callback-url``.
        api_token: The ApiToken of the registration.

    Returns:
        The signature in standard base64.
    """
    digest = hmac.new(api_token.encode("utf-8"), callback_url.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def webhook_body(outcome: RegistrationOutcome, callback_url: str, api_token: str) -> dict[str, str]:
    """The webhook body; ``FailureReason`` only on failure (strict enum deserialisers reject ``null``)."""
    body = {"Status": outcome.state.value, "Signature": signature(callback_url, api_token)}
    if outcome.reason is not None:
        body["FailureReason"] = outcome.reason.value
    return body


@dataclass(frozen=True)
class WebhookResult:
    """What became of one webhook call.

    Attributes:
        delivered: The receiver answered 2xx.
        summary: Short words for operators (``delivered 202``, ``refused: ...``, ``failed: HTTP 500``).
    """

    delivered: bool
    summary: str
