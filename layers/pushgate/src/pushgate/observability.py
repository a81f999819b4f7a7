"""The only Logger, Tracer and Metrics instances; every module imports them from here.

Service name and namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE`` set in ``template.yaml`` Globals.

With tracing off (see :func:`pushgate.config.tracing_enabled`), the Tracer gets a provider of
no-op segments (:mod:`pushgate.runtime.tracing`, which says what that saves).

Token lifecycle metrics that carry the app are written at once, as their own EMF log line:
``TokensMarkedInvalid`` with an ``AppId`` dimension is what the template's alarm watches: many
tokens of one app turning invalid at once points to a credential or environment mix-up (a
sandbox build's tokens sent to production, say) rather than to users leaving.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from pushgate.config import tracing_enabled
from pushgate.runtime.tracing import build_tracer

logger = Logger()
tracer = build_tracer(enabled=tracing_enabled())
metrics = Metrics()

TOKENS_MARKED_INVALID = "TokensMarkedInvalid"


def count_tokens_marked_invalid(app_id: str, count: int = 1) -> None:
    """Emits ``TokensMarkedInvalid`` for one app (dimensions ``AppId`` and ``service``)."""
    if count <= 0:
        return
    with single_metric(name=TOKENS_MARKED_INVALID, unit=MetricUnit.Count, value=count) as metric:
        metric.add_dimension(name="AppId", value=app_id)
