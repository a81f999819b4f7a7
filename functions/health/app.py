"""``GET /health``: the deployment answers and its table is reachable."""

from pushgate import deps
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import http_handler
from pushgate.api.schemas.health import HealthResponse
from pushgate.services.health import check_health

app = make_resolver()


@app.get("/health")
@responds(200, 503)
def health() -> tuple[HealthResponse, int]:
    report = check_health(table=deps.main_table())
    return HealthResponse.from_report(report), 200 if report.healthy else 503


lambda_handler = http_handler(app)
