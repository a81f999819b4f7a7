"""Operator routes for insights and interaction exports.

``GET /admin/v1/orgs/{orgId}/insights/{messages|journeys|apps}/{id}`` (``?From=&To=``, UTC days):
counts and rates overall and per day. ``GET .../insights/{messages|journeys}/{id}/interactions``
(``?Format=ndjson|csv&Limit=&NextToken=``): the interaction records, one page per request; the
next page's token is in the ``X-Next-Token`` header (absent on the last page).
"""

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from pushgate import deps
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import http_handler
from pushgate.api.schemas.interactions import ExportFormat, InsightResponse, export_row, render_export
from pushgate.errors import NotFoundError
from pushgate.observability import metrics
from pushgate.services.interactions import insights
from pushgate.services.interactions.insights import InsightDimension

app = make_resolver()
BASE = "/admin/v1/orgs/<orgId>/insights/<dimension>/<dimensionId>"
NEXT_TOKEN_HEADER = "X-Next-Token"  # noqa: S105 - a header name, not a secret


def _dimension(value: str) -> InsightDimension:
    try:
        return InsightDimension(value)
    except ValueError:
        raise NotFoundError(message="insights exist for messages, journeys and apps") from None


@app.get(BASE)
def read_insights(
    orgId: str,
    dimension: str,
    dimensionId: str,
    first_day: Annotated[date | None, Query(alias="From")] = None,
    last_day: Annotated[date | None, Query(alias="To")] = None,
) -> InsightResponse:
    report = insights.insight_report(
        orgId,
        _dimension(dimension),
        dimensionId,
        first_day=first_day,
        last_day=last_day,
        orgs=deps.org_repository(),
        counters=deps.insight_counter_reader(),
    )
    return InsightResponse.from_report(report)


@app.get(f"{BASE}/interactions")
def export_interactions(
    orgId: str,
    dimension: str,
    dimensionId: str,
    *,
    output: Annotated[ExportFormat, Query(alias="Format")] = "ndjson",
    limit: Annotated[int, Query(alias="Limit", ge=1, le=1000)] = 500,
    next_token: Annotated[str | None, Query(alias="NextToken", max_length=4096)] = None,
) -> Response[str]:
    page = insights.export_interactions(
        orgId,
        _dimension(dimension),
        dimensionId,
        limit=limit,
        next_token=next_token,
        orgs=deps.org_repository(),
        export=deps.interaction_export(),
    )
    rows = [export_row(interaction) for interaction in page.interactions]
    body, content_type = render_export(rows, output)
    headers = {NEXT_TOKEN_HEADER: page.next_token} if page.next_token else {}
    metrics.add_metric(name="InteractionsExported", unit="Count", value=len(rows))
    return Response(status_code=200, content_type=content_type, headers=headers, body=body)


lambda_handler = http_handler(app)
