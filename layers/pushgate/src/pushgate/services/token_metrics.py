"""Token lifecycle metrics that carry the app (EMF, written at once as their own log line).

``TokensMarkedInvalid`` with an ``AppId`` dimension is what the template's alarm watches: many
tokens of one app turning invalid at once points to a credential or environment mix-up (a
sandbox build's tokens sent to production, say) rather than to users leaving.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

TOKENS_MARKED_INVALID = "TokensMarkedInvalid"


def count_tokens_marked_invalid(app_id: str, count: int = 1) -> None:
    """Emits ``TokensMarkedInvalid`` for one app (dimensions ``AppId`` and ``service``)."""
    if count <= 0:
        return
    with single_metric(name=TOKENS_MARKED_INVALID, unit=MetricUnit.Count, value=count) as metric:
        metric.add_dimension(name="AppId", value=app_id)
