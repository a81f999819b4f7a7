"""Events as AWS shapes them, route matching as API Gateway does it, results as it returns them."""

from __future__ import annotations

import base64
import json

from pushgate_local.events import RouteTable, http_api_event, iam_authorizer_context, sqs_event
from pushgate_local.invoker import Invocation
from pushgate_local.runtime import lambda_result_to_http
from pushgate_local.template import HttpRoute


def _table() -> RouteTable:
    return RouteTable(
        [
            (HttpRoute("ANY", "/files/{proxy+}", "NONE"), "Greedy"),
            (HttpRoute("GET", "/admin/v1/orgs/{orgId}", "AWS_IAM"), "GetOrg"),
            (HttpRoute("GET", "/admin/v1/orgs/mine", "AWS_IAM"), "Mine"),
            (HttpRoute("POST", "/admin/v1/orgs", "AWS_IAM"), "CreateOrg"),
        ]
    )


def test_literal_routes_win_over_variables() -> None:
    table = _table()

    assert table.match("GET", "/admin/v1/orgs/mine")[1] == "Mine"
    route, target, params = table.match("GET", "/admin/v1/orgs/abc")
    assert (target, params, route.route_key) == ("GetOrg", {"orgId": "abc"}, "GET /admin/v1/orgs/{orgId}")


def test_greedy_any_and_misses() -> None:
    table = _table()

    assert table.match("DELETE", "/files/a/b/c")[2] == {"proxy": "a/b/c"}
    assert table.match("DELETE", "/admin/v1/orgs") is None
    assert table.match("GET", "/admin/v1/orgs/a/b") is None
    assert {target for _, target in table} == {"Greedy", "GetOrg", "Mine", "CreateOrg"}


def test_http_api_event_is_payload_v2() -> None:
    event = http_api_event(
        route=HttpRoute("GET", "/admin/v1/orgs/{orgId}", "AWS_IAM"),
        method="GET",
        raw_path="/admin/v1/orgs/abc",
        raw_query="a=1&a=2&b=",
        headers={"Content-Type": "application/json", "Cookie": "x=1; y=2"},
        body=b'{"k": 1}',
        path_parameters={"orgId": "abc"},
        source_ip="127.0.0.1",
        domain_name="127.0.0.1:9000",
        authorizer=iam_authorizer_context("local-admin"),
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /admin/v1/orgs/{orgId}"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["content-type"] == "application/json"
    assert event["cookies"] == ["x=1", "y=2"]
    assert event["body"] == '{"k": 1}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["authorizer"]["iam"]["userArn"].endswith(":user/local-admin")
    assert event["requestContext"]["http"]["method"] == "GET"


def test_binary_bodies_are_base64() -> None:
    event = http_api_event(
        route=HttpRoute("POST", "/u", "NONE"),
        method="POST",
        raw_path="/u",
        raw_query="",
        headers={"content-type": "application/octet-stream"},
        body=b"\x00\x01",
        path_parameters={},
        source_ip="127.0.0.1",
        domain_name="h",
        authorizer=None,
    )

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01"
    assert "authorizer" not in event["requestContext"]


def test_sqs_event_records() -> None:
    event = sqs_event(
        [
            {
                "MessageId": "m1",
                "ReceiptHandle": "r1",
                "Body": "{}",
                "Attributes": {"ApproximateReceiveCount": "1"},
                "MessageAttributes": {"Kind": {"DataType": "String", "StringValue": "job"}},
            }
        ],
        "arn:aws:sqs:us-east-1:1:q",
        "us-east-1",
    )

    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["messageAttributes"]["Kind"]["stringValue"] == "job"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_lambda_results_become_http_responses() -> None:
    full = Invocation(
        True,
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json"},
            "cookies": ["a=b"],
            "body": "{}",
            "isBase64Encoded": False,
        },
        1.0,
        None,
    )
    assert lambda_result_to_http(full) == (201, [("Content-Type", "application/json"), ("set-cookie", "a=b")], b"{}")

    binary = Invocation(
        True, {"statusCode": 200, "body": base64.b64encode(b"\xff").decode(), "isBase64Encoded": True}, 1.0, None
    )
    assert lambda_result_to_http(binary)[2] == b"\xff"

    bare = Invocation(True, {"ok": True}, 1.0, None)
    assert lambda_result_to_http(bare) == (
        200,
        [("content-type", "application/json")],
        json.dumps({"ok": True}).encode(),
    )

    failed = Invocation(False, {"errorType": "ValueError", "errorMessage": "boom"}, 1.0, None)
    assert lambda_result_to_http(failed)[0] == 500
    timed_out = Invocation(False, {"errorType": "Timeout", "errorMessage": "late"}, 1.0, None)
    assert lambda_result_to_http(timed_out)[0] == 503
