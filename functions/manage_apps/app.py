"""Operator routes for mobile app configurations and their access tokens.

``/admin/v1/orgs/{orgId}/mobileapps`` (+ ``/{appId}``, ``/validate``, ``/tokens``, ``/developer-info``,
``/delivery-policy``).
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response

from pushgate import deps
from pushgate.api.bodies import JsonBody
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import NextToken, PageLimit, created, http_handler, no_content
from pushgate.api.schemas.delivery_policy import DeliveryPolicyRequest, DeliveryPolicyResponse
from pushgate.api.schemas.mobile_apps import (
    CreateMobileAppRequest,
    DeveloperInfoResponse,
    IssuedTokenResponse,
    IssueTokenRequest,
    MobileAppListResponse,
    MobileAppResponse,
    TokenListResponse,
    TokenSummary,
    UpdateMobileAppRequest,
)
from pushgate.config import MobileAppSettings, settings
from pushgate.services.apps import api_tokens, app_policies, delivery_policy, mobile_apps

app = make_resolver()
BASE = "/admin/v1/orgs/<orgId>/mobileapps"


@app.post(BASE)
@responds(201)
def create_mobile_app(orgId: str, request: CreateMobileAppRequest) -> tuple[MobileAppResponse, int]:
    mobile_app = mobile_apps.create_mobile_app(
        orgId,
        name=request.name,
        description=request.description,
        ios=request.ios,
        android=request.android,
        user_resolve_enabled=request.user_resolve_enabled,
        stores=deps.mobile_app_stores(),
    )
    return created(MobileAppResponse.from_app(mobile_app), "MobileAppsCreated")


@app.get(BASE)
def list_mobile_apps(
    orgId: str,
    limit: PageLimit = 50,
    next_token: NextToken = None,
) -> MobileAppListResponse:
    found, token = mobile_apps.list_mobile_apps(
        orgId, limit=limit, next_token=next_token, stores=deps.mobile_app_stores()
    )
    return MobileAppListResponse(MobileApps=[MobileAppResponse.from_app(a) for a in found], NextToken=token)


@app.get(f"{BASE}/<appId>")
def get_mobile_app(orgId: str, appId: str) -> MobileAppResponse:
    return MobileAppResponse.from_app(mobile_apps.find_mobile_app(orgId, appId, stores=deps.mobile_app_stores()))


@app.patch(f"{BASE}/<appId>")
def update_mobile_app(orgId: str, appId: str, request: UpdateMobileAppRequest) -> MobileAppResponse:
    updated = mobile_apps.update_mobile_app(
        orgId,
        appId,
        changes=set(request.model_fields_set),
        name=request.name,
        description=request.description,
        ios=request.ios,
        android=request.android,
        user_resolve_enabled=request.user_resolve_enabled,
        stores=deps.mobile_app_stores(),
        resumer=deps.parked_job_resumer(),
    )
    return MobileAppResponse.from_app(updated)


@app.delete(f"{BASE}/<appId>")
@responds(204)
def delete_mobile_app(orgId: str, appId: str) -> Response[str]:
    mobile_apps.delete_mobile_app(orgId, appId, stores=deps.mobile_app_stores())
    return no_content()


@app.post(f"{BASE}/<appId>/validate")
def validate_mobile_app(orgId: str, appId: str) -> MobileAppResponse:
    checked = mobile_apps.check_credentials(
        orgId,
        appId,
        checker=deps.credential_checker(),
        stores=deps.mobile_app_stores(),
        resumer=deps.parked_job_resumer(),
    )
    return MobileAppResponse.from_app(checked)


@app.post(f"{BASE}/<appId>/tokens")
@responds(201)
def issue_token(
    orgId: str, appId: str, request: Annotated[IssueTokenRequest, JsonBody(required=False)]
) -> tuple[IssuedTokenResponse, int]:
    record, api_token = api_tokens.issue_api_token(orgId, appId, label=request.Label, stores=deps.mobile_app_stores())
    issued = IssuedTokenResponse(
        TokenId=record.token_id, Label=record.label, ApiToken=api_token, CreatedAt=record.created_at
    )
    return created(issued, "ApiTokensIssued")


@app.get(f"{BASE}/<appId>/tokens")
def list_tokens(orgId: str, appId: str) -> TokenListResponse:
    tokens = api_tokens.list_api_tokens(orgId, appId, stores=deps.mobile_app_stores())
    return TokenListResponse(Tokens=[TokenSummary.from_token(t) for t in tokens])


@app.delete(f"{BASE}/<appId>/tokens/<tokenId>")
@responds(204)
def revoke_token(orgId: str, appId: str, tokenId: str) -> Response[str]:
    api_tokens.revoke_api_token(orgId, appId, tokenId, stores=deps.mobile_app_stores())
    return no_content()


@app.get(f"{BASE}/<appId>/delivery-policy")
def get_delivery_policy(orgId: str, appId: str) -> DeliveryPolicyResponse:
    app_id, policy = app_policies.read_app_policy(
        orgId, appId, stores=deps.mobile_app_stores(), policies=deps.delivery_policies()
    )
    return DeliveryPolicyResponse.from_policy(app_id, policy, delivery_policy.resolved_default_zone(policy))


@app.put(f"{BASE}/<appId>/delivery-policy")
def put_delivery_policy(orgId: str, appId: str, request: DeliveryPolicyRequest) -> DeliveryPolicyResponse:
    app_id, policy = delivery_policy.set_delivery_policy(
        orgId, appId, request.to_policy(), stores=deps.mobile_app_stores(), policies=deps.delivery_policies()
    )
    return DeliveryPolicyResponse.from_policy(app_id, policy, delivery_policy.resolved_default_zone(policy))


@app.get(f"{BASE}/<appId>/developer-info")
def developer_info(orgId: str, appId: str) -> DeveloperInfoResponse:
    stores = deps.mobile_app_stores()
    found = mobile_apps.find_mobile_app(orgId, appId, stores=stores)
    endpoint = settings(MobileAppSettings).public_endpoint or f"https://{app.current_event.request_context.domain_name}"
    tokens = api_tokens.list_api_tokens(found.org_id, found.app_id, stores=stores)
    return DeveloperInfoResponse(
        PublicEndpoint=endpoint,
        OrganizationId=found.org_id,
        ApplicationId=found.app_id,
        AccessTokens=[TokenSummary.from_token(t) for t in tokens],
    )


lambda_handler = http_handler(app)
