"""The token cleanup: the daily schedule (and its hourly continuation), its preview, apps' token policies.

Scheduled input (EventBridge Scheduler): ``{}`` or the scheduler's own event starts a run, or
resumes an unfinished one; ``{"ResumeOnly": true}`` only resumes; ``{"DryRun": true}`` reports what
a run would change and changes nothing. Operator routes:
``POST /admin/v1/orgs/{orgId}/cleanup/preview`` and
``GET``/``PUT /admin/v1/orgs/{orgId}/mobileapps/{appId}/token-policy``.
"""

import time
from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushgate import deps
from pushgate.api.bodies import JsonBody
from pushgate.api.resolver import make_resolver
from pushgate.api.schemas.token_cleanup import (
    CleanupPreviewRequest,
    CleanupReportResponse,
    TokenPolicyRequest,
    TokenPolicyResponse,
)
from pushgate.models.token_lifecycle import TokenPolicy
from pushgate.observability import logger, metrics, tracer
from pushgate.services.apps.app_policies import read_app_policy
from pushgate.services.token_cleanup.token_cleanup import CleanupReport, preview_scope, set_token_policy

app = make_resolver()
#: A preview answers within API Gateway's 30-second integration timeout, complete or not.
PREVIEW_BUDGET_MS = 25_000


@app.post("/admin/v1/orgs/<orgId>/cleanup/preview")
def preview_cleanup(
    orgId: str, request: Annotated[CleanupPreviewRequest, JsonBody(required=False)]
) -> CleanupReportResponse:
    org_id, app_id = preview_scope(orgId, request.AppId, stores=deps.mobile_app_stores())
    context = app.lambda_context
    answer_by = time.monotonic() + PREVIEW_BUDGET_MS / 1000
    report = deps.token_cleanup().preview(
        remaining_ms=lambda: min(context.get_remaining_time_in_millis(), int((answer_by - time.monotonic()) * 1000)),
        org_id=org_id,
        app_id=app_id,
    )
    return CleanupReportResponse.from_report(report)


@app.get("/admin/v1/orgs/<orgId>/mobileapps/<appId>/token-policy")
def get_token_policy(orgId: str, appId: str) -> TokenPolicyResponse:
    app_id, policy = read_app_policy(
        orgId, appId, stores=deps.mobile_app_stores(), policies=deps.token_policy_repository()
    )
    return TokenPolicyResponse.from_policy(app_id, policy)


@app.put("/admin/v1/orgs/<orgId>/mobileapps/<appId>/token-policy")
def put_token_policy(orgId: str, appId: str, request: TokenPolicyRequest) -> TokenPolicyResponse:
    app_id, policy = set_token_policy(
        orgId,
        appId,
        TokenPolicy(
            stale_after_days=request.StaleAfterDays,
            invalid_grace_days=request.InvalidGraceDays,
            stale_grace_days=request.StaleGraceDays,
        ),
        stores=deps.mobile_app_stores(),
        policies=deps.token_policy_repository(),
    )
    return TokenPolicyResponse.from_policy(app_id, policy)


def _flag(event: dict[str, Any], name: str) -> bool:
    value = event.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _emit(report: CleanupReport) -> None:
    metrics.add_metric(name="TokensPurged", unit="Count", value=report.purged)
    metrics.add_metric(name="TokensMarkedStale", unit="Count", value=report.marked_stale)
    metrics.add_metric(name="TokensReindexed", unit="Count", value=report.reindexed)
    metrics.add_metric(name="TokenCleanupSkipped", unit="Count", value=report.skipped)
    if report.complete and report.skipped_reason is None:
        metrics.add_metric(name="TokenCleanupRunsCompleted", unit="Count", value=1)


@tracer.capture_method
def scheduled_run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        dry_run = _flag(event, "DryRun")
        resume_only = _flag(event, "ResumeOnly")
    except ValueError as error:
        # A schedule's input is the operator's; retrying it would fail the same way.
        logger.error("token cleanup input rejected", extra={"problem": str(error)})
        return {"Error": {"Code": "InvalidRequest", "Message": str(error)}}
    cleanup = deps.token_cleanup()
    if dry_run:
        report = cleanup.preview(remaining_ms=context.get_remaining_time_in_millis)
    else:
        report = cleanup.run(
            remaining_ms=context.get_remaining_time_in_millis, owner=context.aws_request_id, resume_only=resume_only
        )
        _emit(report)
    return CleanupReportResponse.from_report(report).model_dump(mode="json")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event.get("requestContext"), dict) and "http" in event["requestContext"]:
        return app.resolve(event, context)
    return scheduled_run(event, context)
