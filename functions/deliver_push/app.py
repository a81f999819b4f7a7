"""The delivery worker: sends delivery jobs from the delivery queue through APNs and FCM.

Each SQS record is one job of many devices, and the event source hands over one record per
invocation, so a worker that dies holds back only its own job. A job that cannot be run now
(DynamoDB, SQS or Secrets Manager failing) is reported as a batch item failure so SQS redelivers
it; its claim and checkpoints decide on redelivery what may still be sent (see
``pushgate.services.sends.delivery``).
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from pushgate import deps
from pushgate.models.send import DeliveryJob
from pushgate.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def deliver_record(record: SQSRecord) -> None:
    try:
        job = DeliveryJob.model_validate_json(record.body)
    except ValidationError:
        # A message this worker cannot read will never become readable: drop it, do not retry it.
        logger.error("unreadable delivery message dropped", extra={"message_id": record.message_id})
        metrics.add_metric(name="DeliveryMessagesDropped", unit="Count", value=1)
        return
    report = deps.delivery_service().run(job)
    metrics.add_metric(name="NotificationsSent", unit="Count", value=report.sent)
    metrics.add_metric(name="NotificationsNotSent", unit="Count", value=report.not_sent)
    if report.retried:
        metrics.add_metric(name="NotificationsRetried", unit="Count", value=report.retried)
    if report.parked:
        metrics.add_metric(name="NotificationsParked", unit="Count", value=report.parked)
    if report.uncertain:
        metrics.add_metric(name="NotificationsUncertain", unit="Count", value=report.uncertain)
    if report.resent:
        metrics.add_metric(name="NotificationsResentCollapsed", unit="Count", value=report.resent)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=deliver_record, processor=processor, context=context)
    )
