"""The OpenAPI document of a function's routes, as Powertools generates it, completed with what it cannot see.

Bodies are read by :mod:`pushgate.api.bodies` (not by Powertools): the document shows the body the
handler's parameter names (:func:`pushgate.api.bodies.body_of`). OData-style query options are
read from the event, so handlers declare them with :func:`query_parameters`; a route that answers
anything but 200 declares its success codes with :func:`responds` (one line).
:func:`openapi_document` adds them, the error responses the route can give (the one error shape;
which ones follow from what the route reads, see :func:`error_statuses`), its tag (its area, from
its path: :data:`TAGS`), a summary (its handler's name), and the operator security scheme. The
local runtime merges every function's document into one (``/openapi.json``, Swagger UI at ``/docs``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel

from pushgate.api.bodies import RouteBody, body_of
from pushgate.api.resolver import ADMIN_PATH_PREFIX
from pushgate.api.schemas.errors import ErrorBody

FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])

_QUERY_ATTRIBUTE = "__pushgate_query_parameters__"
_SUCCESS_ATTRIBUTE = "__pushgate_success_statuses__"
ERROR_SCHEMA_NAME = "ErrorBody"
ADMIN_SECURITY_SCHEME = "AdminAuth"
#: The errors a route can answer, always with ``ErrorBody`` (:func:`error_statuses` picks a route's).
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
SUCCESS_DESCRIPTIONS: Mapping[int, str] = {
    200: "OK",
    201: "Created",
    202: "Accepted: the work continues asynchronously",
    204: "Done; no content",
    302: "Redirect",
}
#: The tag (API area) of each path, first match wins; a new route under an area's path is tagged by it.
TAGS: tuple[tuple[str, str], ...] = (
    (r"^/health$", "Health"),
    (r"^/admin/v1/orgs(/\{orgId\})?$", "Orgs"),
    (r"/mobileapps/\{appId\}/tokens", "Tokens"),
    (r"/mobileapps/\{appId\}/token-policy$|^/admin/v1/orgs/\{orgId\}/cleanup/", "Cleanup"),
    (r"/mobileapps/\{appId\}/delivery-policy$", "Delivery policy"),
    (r"/mobileapps/\{appId\}/users/|/pushusermapping/|/(contacts|leads|profiles|\{entitySet\})(/|$)", "Directory"),
    (r"/mobileapps/\{appId\}/devices/|/pushdeviceregistration/|/pushchannel/apps/", "Devices"),
    (r"/admin/v1/orgs/\{orgId\}/mobileapps", "Apps"),
    (r"/pushmessages", "Messages"),
    (r"/sends", "Sends"),
    (r"/segments|/audiences/", "Segments"),
    (r"/insights/", "Insights"),
    (r"/pushdatareceiver/|/pushchannel/event/|^/l/", "Interactions"),
)


@dataclass
class _Components:
    schemas: dict[str, Any] = field(default_factory=dict)

    def ref(self, model: type[BaseModel]) -> dict[str, Any]:
        schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        self.schemas.setdefault(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}


def query_parameters(**schemas: Mapping[str, Any]) -> Callable[[FunctionT], FunctionT]:
    """Declares query parameters a route reads from the event itself (names that are not Python names).

    Args:
        **schemas: JSON schema of each parameter by name (``**{"$top": {"type": "integer"}}``).
    """

    def mark(function: FunctionT) -> FunctionT:
        setattr(function, _QUERY_ATTRIBUTE, {name: dict(schema) for name, schema in schemas.items()})
        return function

    return mark


def responds(*statuses: int) -> Callable[[FunctionT], FunctionT]:
    """Declares the success statuses a route answers when it is not just 200 (``@responds(201)``,
    ``@responds(200, 201)`` for an upsert, ``@responds(204)``); put it right under ``@app.<method>``.

    A 201/202/200 answer is documented with the handler's return model; 204 and 302 have no body.
    """

    def mark(function: FunctionT) -> FunctionT:
        setattr(function, _SUCCESS_ATTRIBUTE, tuple(statuses))
        return function

    return mark


def success_statuses(function: Any) -> tuple[int, ...]:
    """The success statuses a handler declared (200 when it declared none)."""
    return tuple(getattr(function, _SUCCESS_ATTRIBUTE, None) or (200,))


def error_statuses(method: str, path: str, *, has_body: bool, has_parameters: bool) -> list[int]:
    """The error statuses a route can answer, from what it reads and who may call it.

    Every route may fail on a dependency (503). Parameters or a body can be bad (400); a body can
    be too large or not JSON (413, 415). Operator routes and the public device API check
    credentials (401, 403). A path naming an org (or anything else) can name one that does not
    exist (404). A write can conflict with the current state (409).
    """
    statuses = [503]
    if has_body or has_parameters:
        statuses.append(400)
    if path.startswith(ADMIN_PATH_PREFIX) or path.startswith("/api/"):
        statuses += [401, 403]
    if "{" in path:
        statuses.append(404)
    if method.upper() in {"POST", "PUT", "PATCH", "DELETE"} and path != "/health":
        statuses.append(409)
    if has_body:
        statuses += [413, 415]
    return sorted(statuses)


def tag_of(path: str) -> str:
    """The area a path belongs to (``Sends``); ``Other`` when no area claims it."""
    for pattern, tag in TAGS:
        if re.search(pattern, path):
            return tag
    return "Other"


def summary_of(function: Any) -> str:
    """An operation's summary: its handler's name as a sentence (``list_send_recipients`` → "List send recipients")."""
    words = function.__name__.strip("_").replace("_", " ")
    words = re.sub(r"\bv(\d)\b", r"(v\1)", words)
    return words[:1].upper() + words[1:]


def _is_free_form(model: type[BaseModel]) -> bool:
    # A model that declares no fields (a ``RootModel[dict[str, Any]]``, or one that keeps every
    # field as sent for its service to check) documents as what it takes: any JSON object.
    schema = model.model_json_schema()
    return schema.get("type") == "object" and not schema.get("properties")


def _body_schema(body: RouteBody, components: _Components) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "object"} if _is_free_form(body.model) else components.ref(body.model)
    if not body.array:
        return item
    schema: dict[str, Any] = {"type": "array", "items": item, "minItems": 1}
    if body.max_items is not None:
        schema["maxItems"] = body.max_items
    return schema


def _success_responses(responses: dict[str, Any], function: Any) -> None:
    generated = responses.pop("200", None) or {"description": SUCCESS_DESCRIPTIONS[200]}
    for status in success_statuses(function):
        if str(status) in responses:
            continue  # documented by the route itself (``responses=``: a redirect, a page)
        if status in {204, 302}:
            responses[str(status)] = {"description": SUCCESS_DESCRIPTIONS[status]}
            continue
        entry = copy.deepcopy(generated)
        entry["description"] = SUCCESS_DESCRIPTIONS.get(status, entry.get("description", "OK"))
        responses[str(status)] = entry


def _complete_operation(
    operation: dict[str, Any], function: Any, path: str, method: str, components: _Components
) -> None:
    body = body_of(function)
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
    operation["tags"] = [tag_of(path)]
    operation["summary"] = summary_of(function)
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    _success_responses(responses, function)
    documented_errors = error_statuses(method, path, has_body=body is not None, has_parameters=bool(parameters))
    for status in documented_errors:
        description = ERROR_RESPONSES[status]
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
        _complete_operation(operation, route.func, route.openapi_path, route.method, components)
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
    used = {tag for operations in paths.values() for operation in operations.values() for tag in operation["tags"]}
    areas = [tag for tag in dict.fromkeys(tag for _, tag in TAGS) if tag in used] + sorted(used - {t for _, t in TAGS})
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "tags": [{"name": tag} for tag in areas],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": security_schemes},
    }
