"""Builds events shaped exactly as AWS sends them: API Gateway HTTP API (v2), SQS, EventBridge."""

from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from pushgate_local.template import HttpRoute

LOCAL_ACCOUNT_ID = "000000000000"

_TEXT_CONTENT_TYPES = re.compile(r"^(text/|application/(json|.*\+json|xml|x-www-form-urlencoded|javascript))", re.I)


def _route_pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            # A greedy variable takes the rest of the path, slashes included (".../devices/" reaches
            # ".../{proxy+}"), and an empty rest too.
            parts.append(f"(?P<{segment[1:-2]}>.*)")
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


def _specificity(route: HttpRoute) -> tuple[int, int, int]:
    # API Gateway prefers literal segments over variables and variables over greedy ones.
    segments = route.path.strip("/").split("/")
    greedy = sum(segment.endswith("+}") for segment in segments)
    variables = sum(segment.startswith("{") for segment in segments) - greedy
    return (greedy, variables, -len(segments))


class RouteTable:
    """Matches method and path to a route, as API Gateway does."""

    def __init__(self, routes: list[tuple[HttpRoute, str]]) -> None:
        """Indexes routes.

        Args:
            routes: Each route with the logical id of the function that serves it.
        """
        ordered = sorted(routes, key=lambda pair: _specificity(pair[0]))
        self._routes = [(route, target, _route_pattern(route.path)) for route, target in ordered]

    def match(self, method: str, path: str) -> tuple[HttpRoute, str, dict[str, str]] | None:
        """The route, target function and path parameters for a request, or ``None``."""
        for route, target, pattern in self._routes:
            found = pattern.match(path)
            if found and route.method in {method, "ANY"}:
                return route, target, found.groupdict()
        return None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((route, target) for route, target, _ in self._routes)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def http_api_event(
    *,
    route: HttpRoute,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    path_parameters: dict[str, str],
    source_ip: str,
    domain_name: str,
    authorizer: dict[str, Any] | None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload (format version 2.0).

    Args:
        route: The matched route.
        method: Request method.
        raw_path: Path as requested.
        raw_query: Query string without ``?``.
        headers: Request headers (folded to lower case, repeated ones joined by commas).
        body: Raw body bytes.
        path_parameters: Values of the route's ``{variables}``.
        source_ip: Client address.
        domain_name: Host the request was sent to.
        authorizer: The authorizer context, when the route has one.

    Returns:
        The event.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    is_text = _TEXT_CONTENT_TYPES.match(lowered.get("content-type", "application/json")) is not None
    if is_text and not _is_utf8(body):
        is_text = False  # a text body that is not UTF-8 reaches the function base64-encoded, bytes intact
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", maxsplit=1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": bool(body) and not is_text,
    }
    if "cookie" in lowered:
        event["cookies"] = [cookie.strip() for cookie in lowered["cookie"].split(";")]
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode("ascii")
    return event


def iam_authorizer_context(caller: str) -> dict[str, Any]:
    """The ``authorizer.iam`` block API Gateway adds for a SigV4-authenticated caller."""
    return {
        "iam": {
            "accessKey": "LOCALADMINKEY",
            "accountId": LOCAL_ACCOUNT_ID,
            "callerId": caller,
            "principalOrgId": None,
            "userArn": f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/{caller}",
            "userId": caller,
        }
    }


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """An SQS event source batch built from ``ReceiveMessage`` results."""
    records = []
    for message in messages:
        attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": base64.b64encode(value["BinaryValue"]).decode("ascii")
                if "BinaryValue" in value
                else None,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        }
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes") or {},
                "messageAttributes": attributes,
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def scheduled_event(function_arn: str, schedule_name: str, region: str) -> dict[str, Any]:
    """The event EventBridge delivers for a schedule without an explicit input."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": LOCAL_ACCOUNT_ID,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [f"{function_arn}/{schedule_name}"],
        "detail": {},
    }
