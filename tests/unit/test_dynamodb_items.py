"""``pushgate.runtime.dynamodb_items`` gives the result botocore's own parse gives, for every answer."""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.parsers
import botocore.session
import pytest

from pushgate.runtime import dynamodb_items

_MODEL = botocore.session.get_session().get_service_model("dynamodb")


def _binary(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


#: An item with every attribute type, nested in maps and lists, as DynamoDB writes it on the wire.
EVERY_TYPE = {
    "pk": {"S": "DEVICES#org#app#user"},
    "sk": {"S": "ios#" + "a" * 64},
    "count": {"N": "-1.50E+3"},
    "consent": {"BOOL": False},
    "nothing": {"NULL": True},
    "progress": {"B": _binary(b"\x01\x00\xff zlib")},
    "names": {"SS": ["B", "BS", "josé"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [_binary(b"x"), _binary(b"\x00")]},
    "attributes": {
        "M": {
            "firstname": {"S": "Zoë"},
            "history": {"L": [{"M": {"at": {"S": "2026-12-07"}, "mark": {"B": _binary(b"\x02")}}}, {"NULL": True}]},
            "empty": {"M": {}},
        }
    },
    "list": {"L": [{"S": "B"}, {"N": "3"}, {"L": []}, {"BS": [_binary(b"y")]}]},
}
#: An item of strings, numbers and booleans only: the answer's bytes name no binary type.
PLAIN = {
    "pk": {"S": "DEVICES#org#app#user2"},
    "sk": {"S": "android#" + "b" * 64},
    "token": {"S": "fcm:token"},
    "person_revision": {"N": "3"},
    "pushconsent": {"BOOL": True},
    "attributes": {"M": {"locale": {"S": "fr-FR"}, "tags": {"L": [{"S": "gold"}]}}},
}
_CAPACITY = {"TableName": "main", "CapacityUnits": 1.5}

ANSWERS: list[tuple[str, dict[str, Any]]] = [
    ("Query", {"Items": [EVERY_TYPE, PLAIN], "Count": 2, "ScannedCount": 3, "ConsumedCapacity": _CAPACITY}),
    ("Query", {"Items": [PLAIN], "Count": 1, "ScannedCount": 1, "LastEvaluatedKey": {"pk": PLAIN["pk"]}}),
    ("Query", {"Items": [], "Count": 0, "ScannedCount": 0}),
    ("Scan", {"Items": [PLAIN, EVERY_TYPE], "Count": 2, "ScannedCount": 2}),
    ("ExecuteStatement", {"Items": [PLAIN] * 10, "NextToken": "opaque+/=", "ConsumedCapacity": _CAPACITY}),
    ("ExecuteStatement", {"Items": [EVERY_TYPE], "LastEvaluatedKey": {"pk": {"B": _binary(b"k")}}}),
    (
        "BatchGetItem",
        {
            "Responses": {"main": [EVERY_TYPE, PLAIN], "other": []},
            "UnprocessedKeys": {"main": {"Keys": [{"pk": {"S": "p"}, "sk": {"B": _binary(b"s")}}]}},
            "ConsumedCapacity": [_CAPACITY],
        },
    ),
    ("BatchGetItem", {"Responses": {"main": [PLAIN]}, "UnprocessedKeys": {}}),
    # Operations it leaves alone: botocore parses them whole.
    ("GetItem", {"Item": EVERY_TYPE, "ConsumedCapacity": _CAPACITY}),
    ("UpdateItem", {"Attributes": PLAIN}),
]


def _parse(operation: str, body: bytes, *, status: int = 200, with_handler: bool) -> dict[str, Any]:
    # What botocore's endpoint does with an answer: the before-parse event, the parse, the merge.
    model = _MODEL.operation_model(operation)
    response: dict[str, Any] = {"body": body, "headers": {"x-amzn-requestid": "r1"}, "status_code": status}
    customized: dict[str, Any] = {}
    if with_handler:
        dynamodb_items.take_items(operation_model=model, response_dict=response, customized_response_dict=customized)
    parsed = botocore.parsers.create_parser("json").parse(response, model.output_shape)
    parsed.update(customized)
    return parsed


@pytest.mark.parametrize(("operation", "answer"), ANSWERS, ids=[f"{op}-{i}" for i, (op, _) in enumerate(ANSWERS)])
def test_an_answer_parses_as_botocore_parses_it(operation: str, answer: dict[str, Any]) -> None:
    body = json.dumps(answer).encode()
    ours = _parse(operation, body, with_handler=True)
    assert ours == _parse(operation, body, with_handler=False)


def test_binary_values_come_back_as_bytes_and_the_rest_as_the_json_gave_them() -> None:
    items = _parse("Query", json.dumps({"Items": [EVERY_TYPE]}).encode(), with_handler=True)["Items"]
    assert items[0]["progress"] == {"B": b"\x01\x00\xff zlib"}
    assert items[0]["attributes"]["M"]["history"]["L"][0]["M"]["mark"] == {"B": b"\x02"}
    assert items[0]["blobs"] == {"BS": [b"x", b"\x00"]}
    assert items[0]["count"] == {"N": "-1.50E+3"}
    assert items[0]["names"] == {"SS": ["B", "BS", "josé"]}


def test_the_items_leave_the_body_botocore_parses() -> None:
    model = _MODEL.operation_model("ExecuteStatement")
    response = {"body": json.dumps({"Items": [PLAIN], "NextToken": "t"}).encode(), "headers": {}, "status_code": 200}
    customized: dict[str, Any] = {}
    dynamodb_items.take_items(operation_model=model, response_dict=response, customized_response_dict=customized)
    assert json.loads(response["body"]) == {"NextToken": "t"}
    assert customized == {"Items": [PLAIN]}


@pytest.mark.parametrize("status", [400, 500])
def test_an_error_answer_is_left_to_botocore(status: int) -> None:
    body = json.dumps({
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "Items: slow down",
        "Items": [PLAIN],
    }).encode()  # fmt: skip
    assert _parse("Query", body, status=status, with_handler=True) == _parse(
        "Query", body, status=status, with_handler=False
    )


def test_an_installed_client_hands_its_bulk_reads_to_the_handler() -> None:
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    dynamodb_items.install(client)
    response = {"body": json.dumps({"Items": [EVERY_TYPE], "Count": 1}).encode(), "headers": {}, "status_code": 200}
    customized: dict[str, Any] = {}
    client.meta.events.emit(
        "before-parse.dynamodb.Query",
        operation_model=_MODEL.operation_model("Query"),
        response_dict=response,
        customized_response_dict=customized,
    )
    assert customized["Items"][0]["progress"] == {"B": b"\x01\x00\xff zlib"}
    assert json.loads(response["body"]) == {"Count": 1}
