"""``GET /health``: the deployment answers and its table is reachable."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pushgate import deps
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.schemas.health import HealthResponse
from pushgate.observability import logger, metrics, tracer
from pushgate.services.health import check_health

app = make_resolver()


@app.get("/health")
@responds(200, 503)
@tracer.capture_method
def health() -> tuple[HealthResponse, int]:
    report = check_health(table=deps.main_table())
    return HealthResponse.from_report(report), 200 if report.healthy else 503


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
