"""The release of held deliveries: every minute (EventBridge Scheduler), jobs due within the next
minute go to the delivery queue, each delayed by the seconds that remain until it is due.

Scheduled sends (``SendAt``, ``SendAtLocalTime``) and notifications deferred by quiet hours wait in
DynamoDB, not in SQS: SQS ``DelaySeconds`` stops at 15 minutes, and a send may be due 30 days ahead.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pushgate import deps
from pushgate.observability import logger, metrics, tracer
from pushgate.services.sends.scheduled import release_due_jobs


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stores = deps.send_stores()
    assert stores.held is not None  # noqa: S101 - the composition root always provides it
    report = release_due_jobs(held=stores.held, queue=stores.queue, sends=stores.sends, now=deps.clock())
    metrics.add_metric(name="HeldJobsReleased", unit="Count", value=report.jobs)
    metrics.add_metric(name="HeldNotificationsReleased", unit="Count", value=report.devices)
    return {"ReleasedJobs": report.jobs, "ReleasedDevices": report.devices}
