"""SigV4 on the dev server: operator calls signed with the local credentials are let through.

In AWS, API Gateway's IAM authorizer checks each operator call's signature and the caller's
``execute-api:Invoke`` permission; the console signs with the temporary credentials its Cognito
identity pool hands out. Locally there is no IAM and no identity pool: one access key id,
``LOCAL_ACCESS_KEY_ID``, with the running stack's admin key as its secret key, stands for every
caller allowed to operate the stack (any session token is accepted, as none is issued). The
signature is recomputed with botocore, which also signs the CLI's calls in AWS, so a client that
passes here signs the way API Gateway checks.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

#: The access key id of the local credentials (their secret key is the admin key).
LOCAL_ACCESS_KEY_ID = "PUSHGATELOCALADMIN"
SERVICE = "execute-api"
SCHEME = "AWS4-HMAC-SHA256"
#: AWS refuses a signature whose X-Amz-Date is further than this from its clock.
MAX_CLOCK_SKEW = timedelta(minutes=5)
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<day>\d{8})/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


def signature_problem(
    *,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_key: str,
    region: str,
    now: datetime | None = None,
) -> str | None:
    """Checks a SigV4-signed request against the local credentials.

    Args:
        method: The HTTP method.
        target: The request target as received (path and query, still percent-encoded).
        headers: The request's headers (any case).
        body: The request body as received.
        secret_key: The local credentials' secret key (the admin key).
        region: The region the signature's scope must name.
        now: The current time (tests); the wall clock otherwise.

    Returns:
        None when the signature is valid; otherwise what is wrong with it, for the 401's message.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    match = _AUTHORIZATION.match(lowered.get("authorization", "").strip())
    if match is None:
        return "the Authorization header is not a SigV4 signature (Credential=..., SignedHeaders=..., Signature=...)"
    problem = _scope_problem(match, lowered, region, now or datetime.now(UTC))
    if problem is not None:
        return problem
    signed = match["signed"].split(";")
    request = AWSRequest(
        method=method, url=f"http://{lowered['host']}{target}", data=body, headers={n: lowered[n] for n in signed}
    )
    request.context["timestamp"] = lowered["x-amz-date"]
    signer = SigV4Auth(Credentials(LOCAL_ACCESS_KEY_ID, secret_key), SERVICE, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, match["signature"]):
        return "the signature does not match the request (or was not made with the admin key)"
    return None


def _scope_problem(match: re.Match[str], lowered: Mapping[str, str], region: str, now: datetime) -> str | None:
    """What is wrong with the signature's key, scope, signed headers or time (None when nothing is)."""
    signed = match["signed"].split(";")
    amz_date = lowered.get("x-amz-date", "")
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        when = None
    problems = [
        (match["key"] != LOCAL_ACCESS_KEY_ID, f"the access key id is not the local one ({LOCAL_ACCESS_KEY_ID})"),
        (
            (match["region"], match["service"]) != (region, SERVICE),
            f"the credential scope must name region {region} and service {SERVICE}",
        ),
        (
            not {"host", "x-amz-date"} <= set(signed) or any(name not in lowered for name in signed),
            "the signed headers must include host and x-amz-date, and each must be sent",
        ),
        (when is None, "X-Amz-Date is not a basic ISO 8601 time (YYYYMMDDTHHMMSSZ)"),
        (
            when is not None and (amz_date[:8] != match["day"] or abs(now - when) > MAX_CLOCK_SKEW),
            "the signature's time is more than 5 minutes from now, or its scope names another day",
        ),
    ]
    return next((problem for failed, problem in problems if failed), None)
