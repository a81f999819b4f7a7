"""Operator routes for orgs: ``POST /admin/v1/orgs``, ``GET /admin/v1/orgs`` (paged), ``GET /admin/v1/orgs/{orgId}``."""

from pushgate import deps
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import MaxResults, NextToken, created, http_handler
from pushgate.api.schemas.orgs import CreateOrgRequest, OrgListResponse, OrgResponse
from pushgate.services.apps import orgs

app = make_resolver()


@app.post("/admin/v1/orgs")
@responds(201)
def create_org(request: CreateOrgRequest) -> tuple[OrgResponse, int]:
    org = orgs.create_org(request.Name, orgs=deps.org_repository())
    return created(OrgResponse.from_org(org), "OrgsCreated")


@app.get("/admin/v1/orgs")
def list_orgs(
    max_results: MaxResults = 50,
    next_token: NextToken = None,
) -> OrgListResponse:
    page, token = orgs.list_orgs(limit=max_results, next_token=next_token, orgs=deps.org_repository())
    return OrgListResponse(Orgs=[OrgResponse.from_org(org) for org in page], NextToken=token)


@app.get("/admin/v1/orgs/<orgId>")
def get_org(orgId: str) -> OrgResponse:
    return OrgResponse.from_org(orgs.get_org(orgId, orgs=deps.org_repository()))


lambda_handler = http_handler(app)
