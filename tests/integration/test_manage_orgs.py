"""The org routes through the real handler, against DynamoDB Local."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest

from functions.manage_orgs import app as manage_orgs
from pushgate import deps
from pushgate_local.provision import ProvisionedResources
from tests.conftest import FakeLambdaContext, load_event


def _create(body: str | None, lambda_context: FakeLambdaContext, *, iam: bool = True) -> dict[str, Any]:
    event = load_event("manage_orgs/create_org.json")
    if body is None:
        event.pop("body")
    else:
        event["body"] = body
    if not iam:
        event["requestContext"].pop("authorizer")
    return manage_orgs.lambda_handler(event, lambda_context)


def _get(org_id: str, lambda_context: FakeLambdaContext) -> dict[str, Any]:
    event = copy.deepcopy(load_event("manage_orgs/get_org.json"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/admin/v1/orgs/{org_id}"
    event["pathParameters"] = {"orgId": org_id}
    return manage_orgs.lambda_handler(event, lambda_context)


def _items(resources: ProvisionedResources) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    return client.scan(TableName=resources.table_names["MainTable"])["Items"]


def test_create_org_returns_201_and_stores_the_org(
    aws_env: ProvisionedResources, lambda_context: FakeLambdaContext
) -> None:
    # Given an operator authenticated by IAM
    # When they create an org
    response = _create(json.dumps({"Name": "  Contoso Mobile  "}), lambda_context)

    # Then it is created with a fresh UUID and the trimmed name, stored once with its entry in the list of orgs
    assert response["statusCode"] == 201
    body = json.loads(response["body"])
    assert body["Name"] == "Contoso Mobile"
    assert len(body["OrgId"]) == 36
    items = _items(aws_env)
    created = body["CreatedAt"].replace("+00:00", "Z")
    assert sorted((i["pk"]["S"], i["sk"]["S"], i["name"]["S"]) for i in items) == [
        (f"ORG#{body['OrgId']}", "ORG", "Contoso Mobile"),
        ("ORGS", f"ORG#{created}#{body['OrgId']}", "Contoso Mobile"),
    ]


def test_get_org_returns_what_was_created(aws_env: ProvisionedResources, lambda_context: FakeLambdaContext) -> None:
    created = json.loads(_create(json.dumps({"Name": "Fabrikam"}), lambda_context)["body"])

    response = _get(created["OrgId"].upper(), lambda_context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == created


@pytest.mark.parametrize(
    ("body", "field", "problem_fragment"),
    [
        (json.dumps({}), "Name", "is required"),
        (json.dumps({"Name": 42}), "Name", "must be a string"),
        (json.dumps({"Name": ["a"]}), "Name", "must be a string"),
        (json.dumps({"Name": "   "}), "Name", "at least 1 character"),
        (json.dumps({"Name": "x" * 257}), "Name", "at most 256 characters"),
        (json.dumps({"Name": "ok", "Plan": "gold"}), "Plan", "is not a recognised field"),
        ('{"Name": ', "body", "not valid JSON"),
        (json.dumps(["Name"]), "body", "must be a JSON object"),
        (None, "body", "is required"),
    ],
)
def test_create_org_rejects_bad_input_naming_the_field(
    aws_env: ProvisionedResources,
    lambda_context: FakeLambdaContext,
    body: str | None,
    field: str,
    problem_fragment: str,
) -> None:
    response = _create(body, lambda_context)

    assert response["statusCode"] == 400
    error = json.loads(response["body"])["Error"]
    assert error["Code"] == "InvalidRequest"
    assert any(d["Field"] == field and problem_fragment in d["Problem"] for d in error["Details"]), error
    assert _items(aws_env) == []  # nothing half-written


def test_unknown_org_is_404(aws_env: ProvisionedResources, lambda_context: FakeLambdaContext) -> None:
    response = _get("6f1c1c53-4a51-4a8e-9d53-0a5b7a0c2f11", lambda_context)

    assert response["statusCode"] == 404
    assert json.loads(response["body"])["Error"]["Code"] == "NotFound"


def test_malformed_org_id_is_400_naming_it(aws_env: ProvisionedResources, lambda_context: FakeLambdaContext) -> None:
    response = _get("not-a-uuid", lambda_context)

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["Error"]["Details"] == [{"Field": "OrgId", "Problem": "must be a UUID"}]


def test_admin_route_without_iam_caller_is_401(
    aws_env: ProvisionedResources, lambda_context: FakeLambdaContext
) -> None:
    # Given an event that reached the function without API Gateway's IAM authorizer (a template mistake)
    response = _create(json.dumps({"Name": "Contoso"}), lambda_context, iam=False)

    # Then the handler fails closed
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["Error"]["Code"] == "Unauthorized"
    assert _items(aws_env) == []


def test_missing_table_is_503_not_500(
    aws_env: ProvisionedResources, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    deps.reset()

    response = _create(json.dumps({"Name": "Contoso"}), lambda_context)

    assert response["statusCode"] == 503
    assert json.loads(response["body"])["Error"]["Code"] == "DependencyUnavailable"


def test_unknown_route_is_404_with_the_error_body(
    aws_env: ProvisionedResources, lambda_context: FakeLambdaContext
) -> None:
    event = load_event("manage_orgs/create_org.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/admin/v1/orgz"

    response = manage_orgs.lambda_handler(event, lambda_context)

    assert response["statusCode"] == 404
    assert json.loads(response["body"])["Error"]["Message"] == "no route for POST /admin/v1/orgz"
