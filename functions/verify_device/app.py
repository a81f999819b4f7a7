"""The registration worker: verifies accepted device registrations from the registration queue.

Each SQS record is one registration; records that cannot be decided now (provider unanswered,
DynamoDB failing) are reported as batch item failures so SQS redelivers only them.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from pushgate import deps
from pushgate.models.device import RegistrationJob
from pushgate.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def verify_record(record: SQSRecord) -> None:
    try:
        job = RegistrationJob.model_validate_json(record.body)
    except ValidationError:
        # A message this worker cannot read will never become readable: drop it, do not retry it.
        logger.error("unreadable registration message dropped", extra={"message_id": record.message_id})
        metrics.add_metric(name="RegistrationMessagesDropped", unit="Count", value=1)
        return
    outcome = deps.device_verifier().run(job, receive_count=int(record.attributes.approximate_receive_count or 1))
    metrics.add_metric(name=f"Registrations{outcome.state.value}", unit="Count", value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=verify_record, processor=processor, context=context)
    )
