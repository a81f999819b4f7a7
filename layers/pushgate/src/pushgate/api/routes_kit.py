"""Pieces the HTTP functions share: the paging query parameters, the 201 and the empty 204 answers and
the ``lambda_handler`` around the routes.

A list route pages with a size (``Limit`` on the CI-J-shaped routes, ``MaxResults`` on the
Pinpoint-shaped ones) and the opaque ``NextToken`` of the page before; declaring them once keeps
their names and bounds (and so the OpenAPI document and the 400s) the same on every list route.
The default page size stays at the route, where it differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from pushgate.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

BodyT = TypeVar("BodyT")

#: The opaque cursor a list route answered with, to read the next page.
NextToken = Annotated[str | None, Query(alias="NextToken", max_length=2048)]
#: A page size of at most 100 items, named ``Limit``.
PageLimit = Annotated[int, Query(alias="Limit", ge=1, le=100)]
#: A page size of at most 100 items, named ``MaxResults``.
MaxResults = Annotated[int, Query(alias="MaxResults", ge=1, le=100)]


def created(body: BodyT, metric: str) -> tuple[BodyT, int]:
    """The 201 answer of a route that created something, counted once in ``metric`` (``OrgsCreated``)."""
    metrics.add_metric(name=metric, unit="Count", value=1)
    return body, 201


def no_content() -> Response[str]:
    """The answer of a route that did what it was asked and has nothing to say (a delete)."""
    return Response(status_code=204, body="")


def http_handler(app: APIGatewayHttpResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The ``lambda_handler`` of an HTTP function: ``app`` answers the request, with the request's id as
    the logs' correlation id, the invocation traced and its metrics flushed."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler
