"""Operator routes for orgs: ``POST /admin/v1/orgs``, ``GET /admin/v1/orgs`` (paged), ``GET /admin/v1/orgs/{orgId}``."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushgate import deps
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import MaxResults, NextToken
from pushgate.api.schemas.orgs import CreateOrgRequest, OrgListResponse, OrgResponse
from pushgate.observability import logger, metrics, tracer
from pushgate.services.apps import orgs

app = make_resolver()


@app.post("/admin/v1/orgs")
@responds(201)
@tracer.capture_method
def create_org(request: CreateOrgRequest) -> tuple[OrgResponse, int]:
    org = orgs.create_org(request.Name, orgs=deps.org_repository())
    metrics.add_metric(name="OrgsCreated", unit="Count", value=1)
    return OrgResponse.from_org(org), 201


@app.get("/admin/v1/orgs")
@tracer.capture_method
def list_orgs(
    max_results: MaxResults = 50,
    next_token: NextToken = None,
) -> OrgListResponse:
    page, token = orgs.list_orgs(limit=max_results, next_token=next_token, orgs=deps.org_repository())
    return OrgListResponse(Orgs=[OrgResponse.from_org(org) for org in page], NextToken=token)


@app.get("/admin/v1/orgs/<orgId>")
@tracer.capture_method
def get_org(orgId: str) -> OrgResponse:
    return OrgResponse.from_org(orgs.get_org(orgId, orgs=deps.org_repository()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
