"""The resolver factory and the one mapping from errors to HTTP responses.

Every HTTP function builds its resolver here, so every route answers errors the same way:
``{"Error": {"Code", "Message", "Details": [{"Field", "Problem"}]}}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from pushgate.api.bodies import FunctionT, route_body
from pushgate.api.schemas.errors import ErrorBody, ErrorDetail, ErrorInfo
from pushgate.errors import (
    ConflictError,
    DependencyError,
    FieldProblem,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PushgateError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from pushgate.observability import logger, tracer
from pushgate.text import text_problem
from pushgate.validation import field_problems, location_of

ADMIN_PATH_PREFIX = "/admin/"
#: The public device API (CI-J's routes and the user-mapping lookup). CI-J serves it from ASP.NET
#: Core, whose routes take a trailing slash, so these routes take one too; operator routes do not.
PUBLIC_PATH_PREFIX = "/api/"
#: No path parameter is longer (ids, user ids, names of collections); DynamoDB keys stay far below their limits.
MAX_PATH_PARAMETER_CHARS = 256
#: No query parameter value is longer (an OData ``$filter`` is the longest).
MAX_QUERY_PARAMETER_CHARS = 4096
#: Set on a route handler once it is traced.
_TRACED_ATTRIBUTE = "__pushgate_traced__"

STATUS_BY_ERROR: dict[type[PushgateError], HTTPStatus] = {
    InvalidRequestError: HTTPStatus.BAD_REQUEST,
    UnauthorizedError: HTTPStatus.UNAUTHORIZED,
    ForbiddenError: HTTPStatus.FORBIDDEN,
    NotFoundError: HTTPStatus.NOT_FOUND,
    ConflictError: HTTPStatus.CONFLICT,
    PayloadTooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    UnsupportedMediaTypeError: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    DependencyError: HTTPStatus.SERVICE_UNAVAILABLE,
}


def error_response(status: HTTPStatus, code: str, message: str, problems: Sequence[FieldProblem] = ()) -> Response[str]:
    """Builds the JSON error response.

    Args:
        status: The HTTP status.
        code: Stable machine-readable code.
        message: Sentence for the client.
        problems: Field-level details.

    Returns:
        The response.
    """
    body = ErrorBody(
        Error=ErrorInfo(
            Code=code,
            Message=message,
            Details=[ErrorDetail(field_path=p.field, problem=p.problem) for p in problems],
        )
    )
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body.model_dump_json())


def _status_for(error: PushgateError) -> HTTPStatus:
    for error_class in type(error).__mro__:
        if error_class in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[error_class]
    return HTTPStatus.INTERNAL_SERVER_ERROR


def problems_from_validation(errors: Sequence[Any]) -> list[FieldProblem]:
    """Turns pydantic/Powertools validation errors into field problems.

    Args:
        errors: The ``errors()`` list of a ``RequestValidationError``.

    Returns:
        One problem per error, naming the field as the client sent it.
    """
    return field_problems(errors, describe=_describe_request_error)


def _describe_request_error(detail: Mapping[str, Any]) -> tuple[list[str], str]:
    if detail.get("type") == "json_invalid":
        return [], "is not valid JSON"
    # Powertools reports locations as ("body", "Ios", "KeyId") or ("path", "orgId"); the client
    # thinks in field names, so the source prefix is dropped for the body and kept for the rest.
    location = location_of(detail)
    if location[:1] == ["body"]:
        location = location[1:]
    return location, str(detail.get("msg", "is invalid"))


def _require_operator(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    # API Gateway's IAM authorizer guards operator routes in AWS, for the CLI and the console alike
    # (the local runtime checks the admin key or a local SigV4 signature and fills in the same
    # context). Checking again here means a route that lost its authorizer in the template fails
    # closed instead of open.
    if app.current_event.raw_path.startswith(ADMIN_PATH_PREFIX):
        caller = app.current_event.request_context.authorizer.iam
        if not caller.get("userArn") and not caller.get("callerId"):
            raise UnauthorizedError(message="operator routes need IAM (SigV4) authentication")
    return next_middleware(app)


class PushgateResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, with path parameters percent-decoded once, before anything reads them,
    one trailing slash taken on public routes, and each route's JSON body read by
    :mod:`pushgate.api.bodies` into the handler parameter that names its model.

    API Gateway passes the path as sent (``jos%C3%A9%20x``); the route's parameters reach the handler
    decoded (``josé x``), so a value is the same whichever route (path or body) carried it. Bytes
    that are not UTF-8 stay visible as lone surrogates for :func:`_check_request_text` to refuse.
    """

    #: The matched route's path parameters (``_route_args`` also holds the query values validation adds).
    path_parameters: dict[str, str] = {}  # noqa: RUF012 - replaced per request, never mutated

    def route(self, *args: Any, **kwargs: Any) -> Callable[[FunctionT], FunctionT]:
        """Powertools' route registration (``app.get``, ``app.post``... call it), with the handler traced
        as its own subsegment and its body parameter filled by :func:`pushgate.api.bodies.route_body`."""
        register = super().route(*args, **kwargs)

        def register_with_body(handler: FunctionT) -> FunctionT:
            # A handler registered for a second method (``@app.get`` over ``@app.post``) is traced already.
            if not getattr(handler, _TRACED_ATTRIBUTE, False):
                handler = tracer.capture_method(handler)
                setattr(handler, _TRACED_ATTRIBUTE, True)
            return register(route_body(handler, lambda: self.current_event))

        return register_with_body

    def _remove_prefix(self, path: str) -> str:
        # One trailing slash on a public route is the route itself (``.../devices/``), as in ASP.NET
        # Core; API Gateway hands such paths over through each public function's greedy route.
        path = super()._remove_prefix(path)
        if path.startswith(PUBLIC_PATH_PREFIX) and path.endswith("/") and not path.endswith("//"):
            return path[:-1]
        return path

    def _convert_matches_into_route_keys(self, match: re.Match[str]) -> dict[str, str]:
        self.path_parameters = {
            name: unquote(value, errors="surrogateescape") for name, value in match.groupdict().items()
        }
        return dict(self.path_parameters)


def _parameter_problems(values: dict[str, Any], prefix: str, max_chars: int) -> list[FieldProblem]:
    problems = []
    for name, value in values.items():
        name_problem = text_problem(name, single_line=True)
        if name_problem is not None:
            problems.append(FieldProblem(prefix, f"has a parameter name that {name_problem}"))
            continue
        if not isinstance(value, str):
            continue
        problem = text_problem(value, single_line=True)
        if problem is None and len(value) > max_chars:
            problem = f"must be at most {max_chars} characters"
        if problem is not None:
            problems.append(FieldProblem(f"{prefix}.{name}", problem))
    return problems


def _check_request_text(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    # Path and query parameters are lines of text, checked once here for every route; bodies are
    # checked by ``pushgate.api.bodies``.
    path = app.path_parameters if isinstance(app, PushgateResolver) else {}
    problems = _parameter_problems(dict(path), "path", MAX_PATH_PARAMETER_CHARS)
    query = app.current_event.query_string_parameters or {}
    problems += _parameter_problems(dict(query), "query", MAX_QUERY_PARAMETER_CHARS)
    if problems:
        raise InvalidRequestError(message="; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    return next_middleware(app)


def make_resolver() -> PushgateResolver:
    """Builds the resolver every HTTP function uses.

    Returns:
        A resolver with request validation, the operator guard on ``/admin`` routes, the checks
        of path and query parameters and the error mapping.
    """
    app = PushgateResolver(enable_validation=True)
    app.use(middlewares=[_require_operator, _check_request_text])

    def _handle_pushgate_error(error: PushgateError) -> Response[str]:
        status = _status_for(error)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            logger.warning("request failed on a dependency", extra={"error_code": error.code})
        return error_response(status, error.code, error.message, error.problems)

    def _handle_validation_error(error: RequestValidationError) -> Response[str]:
        problems = problems_from_validation(error.errors())
        summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
        return error_response(HTTPStatus.BAD_REQUEST, InvalidRequestError.code, summary, problems)

    @app.not_found
    def _handle_not_found(_: Exception) -> Response[str]:
        return error_response(
            HTTPStatus.NOT_FOUND,
            NotFoundError.code,
            f"no route for {app.current_event.request_context.http.method} {app.current_event.raw_path}",
        )

    def _handle_unexpected(error: Exception) -> Response[str]:
        # Anything unexpected is our bug, not the client's: log it whole, tell the client nothing.
        logger.exception("unhandled error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "InternalError", "internal error; see the logs")

    # Registered by call rather than as decorators: Powertools' decorators are untyped.
    app.exception_handler(PushgateError)(_handle_pushgate_error)
    app.exception_handler(RequestValidationError)(_handle_validation_error)
    app.exception_handler(Exception)(_handle_unexpected)
    return app
