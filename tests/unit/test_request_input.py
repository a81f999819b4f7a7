"""The one body reader and the resolver's path/query checks, driven through a resolver as API Gateway would."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import BaseModel

from pushgate.adapters.dynamodb.table import translated_errors
from pushgate.api.bodies import MAX_DEPTH
from pushgate.api.openapi import merge_documents, openapi_document
from pushgate.api.resolver import make_resolver
from pushgate.errors import DependencyError, InvalidRequestError
from pushgate.text import text_problem


class _Thing(BaseModel):
    Name: str
    Count: int | None = None


app = make_resolver()


@app.post("/things/<thingId>")
def _post_thing(thingId: str, body: _Thing) -> dict[str, Any]:
    return {"thingId": thingId, "Name": body.Name, "Count": body.Count}


def _call(
    path: str, body: bytes | None = None, *, content_type: str | None = "application/json", query: str = ""
) -> tuple[int, Any]:
    headers = {"content-type": content_type} if content_type else {}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "POST /things/{thingId}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default"},
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(pair.split("=", 1) for pair in query.split("&"))
    if body is not None:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    result = app.resolve(event, None)  # type: ignore[arg-type]
    return result["statusCode"], json.loads(result["body"])


def _fields(answer: Any) -> list[str]:
    return [detail["Field"] for detail in answer["Error"]["Details"]]


def test_path_parameters_reach_the_handler_percent_decoded_once() -> None:
    status, answer = _call("/things/jos%C3%A9%20x%2541", b'{"Name": "n"}')

    assert status == 200
    assert answer["thingId"] == "josé x%41"


@pytest.mark.parametrize("segment", ["a%00b", "a%0Ab", "a%09b", "a%7Fb", "caf%E9", "x" * 257])
def test_bad_path_parameters_are_400_naming_them(segment: str) -> None:
    status, answer = _call(f"/things/{segment}", b'{"Name": "n"}')

    assert status == 400
    assert _fields(answer) == ["path.thingId"]


def test_control_characters_in_query_values_are_400_naming_them() -> None:
    status, answer = _call("/things/a", b'{"Name": "n"}', query="q=a\x00b")

    assert status == 400
    assert _fields(answer) == ["query.q"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "deeper than"),
        (json.dumps({"Name": "n", "x": json.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))}).encode(), "deeper"),
        (b'{"Name": "n", "Count": ' + b"9" * 39 + b"}", "more than 38 digits"),
        (b'{"Name": "n", "Count": 1e400}', "too large"),
        (b'{"Name": "n", "Count": NaN}', "not JSON"),
        (b'{"Name": "caf\xe9"}', "not valid UTF-8"),
        (b'{"Name": ', "not valid JSON"),
        (b"[]", "must be a JSON object"),
    ],
    ids=["deep", "past-the-limit", "digits", "overflow", "nan", "latin-1", "truncated", "array"],
)
def test_bodies_that_cannot_be_read_are_400_naming_body(body: bytes, problem: str) -> None:
    status, answer = _call("/things/a", body)

    assert status == 400
    assert _fields(answer) == ["body"]
    assert problem in answer["Error"]["Details"][0]["Problem"]


def test_text_problems_name_the_field_where_they_are() -> None:
    status, answer = _call("/things/a", b'{"Name": "a\\u0000b", "Extra": [{"k": "ok"}, {"k": "\\ud83d"}]}')

    assert status == 400
    assert _fields(answer) == ["Extra[1].k", "Name"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]
)
def test_media_types_other_than_json_are_415(content_type: str) -> None:
    status, answer = _call("/things/a", b'{"Name": "n"}', content_type=content_type)

    assert status == 415
    assert answer["Error"]["Code"] == "UnsupportedMediaType"
    assert _fields(answer) == ["header.content-type"]


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "application/merge-patch+json", "Application/JSON; charset=UTF-8"]
)
def test_json_media_types_and_none_are_read(content_type: str | None) -> None:
    status, answer = _call("/things/a", b'{"Name": "n", "Count": 3}', content_type=content_type)

    assert (status, answer["Count"]) == (200, 3)


def test_free_text_keeps_tab_and_line_breaks_and_lines_do_not() -> None:
    assert text_problem("one\ntwo\tthree\r\n", single_line=False) is None
    assert (
        text_problem("one\ntwo", single_line=True) == "must be a single line without control characters (found U+000A)"
    )
    assert text_problem("a\x0cb", single_line=False) is not None
    assert text_problem("josé ✓", single_line=True) is None


def test_dynamodb_validation_exceptions_are_never_retryable() -> None:
    def refuse(code: str) -> None:
        with translated_errors("put"):
            raise ClientError({"Error": {"Code": code, "Message": "key too large"}}, "PutItem")

    with pytest.raises(InvalidRequestError) as invalid:
        refuse("ValidationException")
    with pytest.raises(DependencyError):
        refuse("ProvisionedThroughputExceededException")
    assert not isinstance(invalid.value, DependencyError)


def test_the_openapi_document_shows_the_body_read_and_the_one_error_shape() -> None:
    document = merge_documents([openapi_document(app)], title="t", version="1", description="d")

    operation = document["paths"]["/things/{thingId}"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/_Thing"}
    assert "422" not in operation["responses"]
    assert operation["responses"]["415"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert operation["parameters"][0]["schema"]["maxLength"] == 256
    assert set(document["components"]["schemas"]) >= {"_Thing", "ErrorBody", "ErrorInfo", "ErrorDetail"}
