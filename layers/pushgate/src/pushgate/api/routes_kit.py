"""Pieces the HTTP functions' routes share: the paging query parameters and the empty 204 answer.

A list route pages with a size (``Limit`` on the CI-J-shaped routes, ``MaxResults`` on the
Pinpoint-shaped ones) and the opaque ``NextToken`` of the page before; declaring them once keeps
their names and bounds (and so the OpenAPI document and the 400s) the same on every list route.
The default page size stays at the route, where it differs.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

#: The opaque cursor a list route answered with, to read the next page.
NextToken = Annotated[str | None, Query(alias="NextToken", max_length=2048)]
#: A page size of at most 100 items, named ``Limit``.
PageLimit = Annotated[int, Query(alias="Limit", ge=1, le=100)]
#: A page size of at most 100 items, named ``MaxResults``.
MaxResults = Annotated[int, Query(alias="MaxResults", ge=1, le=100)]


def no_content() -> Response[str]:
    """The answer of a route that did what it was asked and has nothing to say (a delete)."""
    return Response(status_code=204, body="")
