"""The audience worker: reads the pages of broadcast audiences from the audience queue.

Each SQS record is one page of one shard of an app's device index; the worker packs the page's
devices into delivery jobs, enqueues them and the shard's next page, and counts the page into the
send. A page that cannot be done now (DynamoDB or SQS failing) is reported as a batch item failure
so SQS delivers it again (see ``pushgate.services.sends.audience`` for why that is safe).
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from pushgate import deps
from pushgate.models.send import AudiencePage
from pushgate.observability import logger, metrics, tracer
from pushgate.services.sends import audience

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def expand_record(record: SQSRecord) -> None:
    try:
        page = AudiencePage.model_validate_json(record.body)
    except ValidationError:
        # A message this worker cannot read will never become readable: drop it, do not retry it.
        logger.error("unreadable audience message dropped", extra={"message_id": record.message_id})
        metrics.add_metric(name="AudienceMessagesDropped", unit="Count", value=1)
        return
    # Quiet hours are judged on the delivery clock (the local runtime moves it).
    devices = audience.expand_page(page, deps.audience_ports(), now=deps.clock())
    metrics.add_metric(name="AudienceDevicesQueued", unit="Count", value=devices)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=expand_record, processor=processor, context=context)
    )
