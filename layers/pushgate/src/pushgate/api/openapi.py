"""The OpenAPI document of a function's routes, as Powertools generates it, completed with what it cannot see.

Bodies are read by :mod:`pushgate.api.bodies` (not by Powertools), and OData-style query options are
read from the event, so handlers declare both with :func:`request_body` and :func:`query_parameters`;
:func:`openapi_document` adds them, the error responses every route can give (the one error shape),
and the operator security scheme. The local runtime merges every function's document into one
(``/openapi.json``, with Swagger UI at ``/docs``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel

from pushgate.api.resolver import ADMIN_PATH_PREFIX
from pushgate.api.schemas.errors import ErrorBody

FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])

_BODY_ATTRIBUTE = "__pushgate_request_body__"
_QUERY_ATTRIBUTE = "__pushgate_query_parameters__"
ERROR_SCHEMA_NAME = "ErrorBody"
ADMIN_SECURITY_SCHEME = "AdminAuth"
#: Every route may answer these, always with ``ErrorBody``.
ERROR_RESPONSES: Mapping[int, str] = {
    400: "Bad input: the body, a path or a query parameter (each problem names its field)",
    401: "Missing or invalid credentials",
    403: "Authenticated, but not allowed",
    404: "No such resource (or it belongs to another org), or no such route",
    409: "Conflicts with the current state",
    413: "The body is larger than the route accepts",
    415: "The body is not JSON (Content-Type application/json)",
    503: "A backing service failed; retry later",
}
_POWERTOOLS_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


@dataclass(frozen=True)
class RequestBody:
    """How a route's JSON body is documented."""

    model: type[BaseModel] | None
    required: bool = True
    array: bool = False
    max_items: int | None = None
    description: str = ""


@dataclass
class _Components:
    schemas: dict[str, Any] = field(default_factory=dict)

    def ref(self, model: type[BaseModel]) -> dict[str, Any]:
        schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        self.schemas.setdefault(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}


def request_body(
    model: type[BaseModel] | None,
    *,
    required: bool = True,
    array: bool = False,
    max_items: int | None = None,
    description: str = "",
) -> Callable[[FunctionT], FunctionT]:
    """Declares the JSON body a route reads, for its OpenAPI document (put it right under ``@app.<method>``).

    Args:
        model: The request model; ``None`` for a JSON object whose fields the service checks.
        required: Whether an empty body is refused.
        array: The body is an array of ``model`` objects.
        max_items: The most items an array body takes.
        description: Shown in the document.
    """

    def mark(function: FunctionT) -> FunctionT:
        setattr(function, _BODY_ATTRIBUTE, RequestBody(model, required, array, max_items, description))
        return function

    return mark


def query_parameters(**schemas: Mapping[str, Any]) -> Callable[[FunctionT], FunctionT]:
    """Declares query parameters a route reads from the event itself (names that are not Python names).

    Args:
        **schemas: JSON schema of each parameter by name (``**{"$top": {"type": "integer"}}``).
    """

    def mark(function: FunctionT) -> FunctionT:
        setattr(function, _QUERY_ATTRIBUTE, {name: dict(schema) for name, schema in schemas.items()})
        return function

    return mark


def _body_schema(body: RequestBody, components: _Components) -> dict[str, Any]:
    item: dict[str, Any] = components.ref(body.model) if body.model is not None else {"type": "object"}
    if not body.array:
        return item
    schema: dict[str, Any] = {"type": "array", "items": item, "minItems": 1}
    if body.max_items is not None:
        schema["maxItems"] = body.max_items
    return schema


def _complete_operation(operation: dict[str, Any], function: Any, path: str, components: _Components) -> None:
    body: RequestBody | None = getattr(function, _BODY_ATTRIBUTE, None)
    if body is not None:
        operation["requestBody"] = {
            "required": body.required,
            "description": body.description or "A JSON body (UTF-8, no control characters in names and ids)",
            "content": {"application/json": {"schema": _body_schema(body, components)}},
        }
    parameters = operation.setdefault("parameters", [])
    for parameter in parameters:
        if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "string":
            # Path parameters are never empty (the route would not match) and are at most 256 characters.
            parameter["schema"] = {**parameter.get("schema", {}), "minLength": 1, "maxLength": 256}
    for name, schema in (getattr(function, _QUERY_ATTRIBUTE, None) or {}).items():
        parameters.append({"name": name, "in": "query", "required": False, "schema": schema})
    if not parameters:
        operation.pop("parameters")
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status, description in ERROR_RESPONSES.items():
        responses.setdefault(
            str(status),
            {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}},
            },
        )
    if path.startswith(ADMIN_PATH_PREFIX):
        operation["security"] = [{ADMIN_SECURITY_SCHEME: []}]


def openapi_document(app: APIGatewayHttpResolver, *, title: str = "Pushgate", version: str = "0.1.0") -> dict[str, Any]:
    """The OpenAPI 3.1 document of one resolver's routes.

    Args:
        app: A resolver built by ``make_resolver``, with its routes registered.
        title: The document's title.
        version: The API version shown.

    Returns:
        The document as JSON-ready data.
    """
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema(title=title, version=version))
    document.pop("servers", None)
    components = _Components(schemas=dict(document.get("components", {}).get("schemas", {})))
    for name in _POWERTOOLS_VALIDATION_SCHEMAS:
        components.schemas.pop(name, None)
    components.ref(ErrorBody)
    for route in [*app._static_routes, *app._dynamic_routes]:
        if not route.include_in_schema:
            continue
        operation = document["paths"][route.openapi_path][route.method.lower()]
        _complete_operation(operation, route.func, route.openapi_path, components)
    document["components"] = {
        "schemas": dict(sorted(components.schemas.items())),
        "securitySchemes": {
            ADMIN_SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "Operator routes: IAM (SigV4) in AWS; locally 'Authorization: Bearer <admin_key>'",
            }
        },
    }
    return document


def merge_documents(documents: list[dict[str, Any]], *, title: str, version: str, description: str) -> dict[str, Any]:
    """One document for every function's routes (each function has its own resolver).

    Raises:
        ValueError: Two functions document the same operation, or one schema name differently.
    """
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    for document in documents:
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if method in paths.setdefault(path, {}):
                    raise ValueError(f"{method.upper()} {path} is documented by two functions")
                paths[path][method] = operation
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"schema {name} differs between functions; rename one of the models")
        security_schemes.update(document.get("components", {}).get("securitySchemes", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": security_schemes},
    }
