"""A route names its body once, as a handler parameter: the resolver reads it (every problem named, in
the one error shape) and the OpenAPI document shows it. Driven through a resolver as API Gateway calls it."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, RootModel

from pushgate.api.bodies import JsonArray, JsonBody, body_of
from pushgate.api.openapi import openapi_document
from pushgate.api.resolver import make_resolver
from pushgate.errors import InvalidRequestError


class _Label(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Name: str
    Color: str = "grey"


class _AnyObject(RootModel[dict[str, Any]]):
    pass


def _upper(label: _Label, prefix: str) -> str:
    if label.Name != label.Name.strip():
        raise InvalidRequestError.for_field(f"{prefix}Name", "has spaces around it")
    return label.Name.upper()


app = make_resolver()


@app.post("/labels")
def create_label(label: _Label, dry_run: Annotated[bool, Query(alias="DryRun")] = False) -> dict[str, Any]:
    return {"Name": label.Name, "Color": label.Color, "DryRun": dry_run}


@app.post("/labels/<labelId>/copies")
def copy_label(labelId: str, options: Annotated[_Label, JsonBody(required=False, max_bytes=64)]) -> dict[str, Any]:
    return {"From": labelId, "Name": options.Name}


@app.post("/labels/batch")
def create_labels(names: Annotated[list[str], JsonArray(_Label, _upper, max_items=3, accept_object=True)]) -> list[str]:
    return names


@app.patch("/labels/<labelId>")
def patch_label(labelId: str, patch: Annotated[_AnyObject, JsonBody(description="Fields to change")]) -> dict[str, Any]:
    return {"Id": labelId, **patch.root}


def _call(method: str, path: str, body: str | None, query: str = "") -> tuple[int, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default"},
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(pair.split("=", 1) for pair in query.split("&"))
    if body is not None:
        event["body"] = body
    result = app.resolve(event, None)  # type: ignore[arg-type]
    return result["statusCode"], json.loads(result["body"])


def _problems(answer: Any) -> list[tuple[str, str]]:
    return [(d["Field"], d["Problem"]) for d in answer["Error"]["Details"]]


def test_the_handler_receives_its_body_validated_beside_its_query_parameters() -> None:
    status, answer = _call("POST", "/labels", '{"Name": "urgent"}', query="DryRun=true")

    assert (status, answer) == (200, {"Name": "urgent", "Color": "grey", "DryRun": True})


def test_a_body_that_breaks_the_model_is_400_naming_each_field() -> None:
    status, answer = _call("POST", "/labels", '{"Color": 3, "Shade": "dark"}')

    assert status == 400
    assert _problems(answer) == [
        ("Name", "is required."),
        ("Color", "must be a string."),
        ("Shade", "is not a recognised field; check the spelling (field names are PascalCase, e.g. KeyId)."),
    ]


def test_a_bad_query_parameter_is_reported_as_before_the_body_is_read() -> None:
    status, answer = _call("POST", "/labels", "{", query="DryRun=maybe")

    assert status == 400
    assert [field for field, _ in _problems(answer)] == ["query.DryRun"]


def test_a_required_body_may_not_be_empty() -> None:
    assert _problems(_call("POST", "/labels", None)[1]) == [("body", "is required: send a JSON object")]


def test_an_optional_body_left_out_is_the_models_defaults_and_keeps_its_limit() -> None:
    assert _call("POST", "/labels/l1/copies", '{"Name": "x"}') == (200, {"From": "l1", "Name": "x"})
    status, answer = _call("POST", "/labels/l1/copies", json.dumps({"Name": "x" * 100}))
    assert status == 413
    assert answer["Error"]["Code"] == "PayloadTooLarge"


def test_an_optional_body_without_defaults_still_names_what_is_missing() -> None:
    status, answer = _call("POST", "/labels/l1/copies", "")

    assert status == 400
    assert _problems(answer) == [("Name", "is required.")]


def test_an_array_body_is_converted_item_by_item_and_every_problem_is_named_with_its_index() -> None:
    assert _call("POST", "/labels/batch", '[{"Name": "a"}, {"Name": "b"}]') == (200, ["A", "B"])
    assert _call("POST", "/labels/batch", '{"Name": "one"}') == (200, ["ONE"])

    status, answer = _call("POST", "/labels/batch", '[{"Name": " a "}, {}, 7]')
    assert status == 400
    assert _problems(answer) == [
        ("[0].Name", "has spaces around it"),
        ("[1].Name", "is required."),
        ("[2]", "must be a JSON object"),
    ]
    assert _problems(_call("POST", "/labels/batch", "[]")[1]) == [("body", "must hold 1 to 3 items; it holds 0")]
    assert _problems(_call("POST", "/labels/batch", '"a"')[1]) == [("body", "must be a JSON array of objects")]


def test_a_handler_takes_at_most_one_body() -> None:
    def two_bodies(first: _Label, second: _Label) -> None:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match="two_bodies takes more than one body: first, second"):
        make_resolver().post("/twice")(two_bodies)


def test_the_openapi_document_shows_each_body_as_the_handler_names_it() -> None:
    paths = openapi_document(app)["paths"]

    single = paths["/labels"]["post"]
    assert single["requestBody"]["required"] is True
    assert single["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/_Label"}
    assert [p["name"] for p in single["parameters"]] == ["DryRun"]
    assert paths["/labels/{labelId}/copies"]["post"]["requestBody"]["required"] is False
    batch = paths["/labels/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch == {"type": "array", "items": {"$ref": "#/components/schemas/_Label"}, "minItems": 1, "maxItems": 3}
    patch = paths["/labels/{labelId}"]["patch"]["requestBody"]
    assert patch["description"] == "Fields to change"
    assert patch["content"]["application/json"]["schema"] == {"type": "object"}


def test_a_registered_handler_keeps_its_name_and_what_it_reads() -> None:
    body = body_of(create_labels)

    assert create_labels.__name__ == "create_labels"
    assert body is not None and (body.parameter, body.model, body.array) == ("names", _Label, True)
    assert body_of(create_label) is not None and body_of(_upper) is None
