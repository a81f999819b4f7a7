"""A send's cross-field rules (``Recipients``, ``Audience``, ``SendAt``/``SendAtLocalTime``), through
the ``send_fanout`` handler as API Gateway calls it and on the request model alone: each answer is
400 with the one error shape, naming the field. The rules fire before anything is read or stored,
so no AWS is needed here (the e2e tests drive the same rules through the dev server).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from functions.send_fanout import app as send_fanout
from pushgate.api.schemas.sends import CreateSendRequest
from pushgate.validation import problems_from_validation_error
from tests.conftest import FakeLambdaContext, load_event

APP_ID = "5d0a3f57-8f0e-4c5e-b1f4-6b1f1c2e9a77"
MESSAGE_ID = "7a4c2e91-3b5d-4f60-8e1a-2c9d0b6f4e35"
BROADCAST = {"MobileAppId": APP_ID, "MessageId": MESSAGE_ID, "Audience": "AllActiveDevices"}
RULES = [
    (
        {**BROADCAST, "Recipients": [{"UserId": "someone"}]},
        "Audience",
        "cannot be combined with Recipients; give one of them",
    ),
    (
        {**BROADCAST, "Audience": {"Filter": "pushconsent eq true"}, "Recipients": [{"UserId": "someone"}]},
        "Audience",
        "cannot be combined with Recipients; give one of them",
    ),
    (
        {**BROADCAST, "SendAt": "2030-01-01T09:00:00Z"},
        "SendAt",
        "cannot be combined with Audience: a broadcast goes out at once",
    ),
    (
        {**BROADCAST, "SendAtLocalTime": "09:00"},
        "SendAtLocalTime",
        "cannot be combined with Audience: a broadcast goes out at once",
    ),
    (
        {"MobileAppId": APP_ID, "MessageId": MESSAGE_ID},
        "Recipients",
        "is required unless Audience names a broadcast audience",
    ),
]


def _create_send(body: dict[str, Any]) -> dict[str, Any]:
    event = load_event("send_fanout/create_send.json")
    event["body"] = json.dumps(body)
    return send_fanout.lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]


@pytest.mark.parametrize(("body", "field", "problem"), RULES)
def test_a_send_that_breaks_a_cross_field_rule_is_400_naming_the_field(
    body: dict[str, Any], field: str, problem: str
) -> None:
    # Given a send body whose fields exclude each other (or that names no one)
    # When it is posted
    response = _create_send(body)

    # Then it is refused with the one error shape, naming the field
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {
        "Error": {
            "Code": "InvalidRequest",
            "Message": f"{field}: {problem}",
            "Details": [{"Field": field, "Problem": problem}],
        }
    }


@pytest.mark.parametrize(("body", "field", "problem"), RULES)
def test_the_request_model_holds_the_cross_field_rules(body: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        CreateSendRequest.model_validate(body)

    assert [(p.field, p.problem) for p in problems_from_validation_error(refused.value)] == [(field, problem)]


def test_a_field_problem_is_reported_alone_before_the_cross_field_rules() -> None:
    # Both Audience and Recipients, but a MessageId that is no id: the field's own problem is the answer.
    response = _create_send({**BROADCAST, "MessageId": " ", "Recipients": [{"UserId": "someone"}]})

    assert response["statusCode"] == 400
    assert [d["Field"] for d in json.loads(response["body"])["Error"]["Details"]] == ["MessageId"]


@pytest.mark.parametrize(
    "body",
    [
        BROADCAST,
        {"MobileAppId": APP_ID, "MessageId": MESSAGE_ID, "Recipients": [{"UserId": "someone"}]},
        {**BROADCAST, "Audience": {"Filter": "pushconsent eq true"}, "SendAtLocalTime": "09:00"},
        {
            "MobileAppId": APP_ID,
            "MessageId": MESSAGE_ID,
            "Recipients": [{"UserId": "a"}],
            "SendAt": "2030-01-01T09:00:00Z",
        },
    ],
)
def test_sends_that_keep_the_rules_are_valid(body: dict[str, Any]) -> None:
    assert CreateSendRequest.model_validate(body).MobileAppId == APP_ID
