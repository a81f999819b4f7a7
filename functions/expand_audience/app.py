"""The audience worker: reads the pages of broadcast and segment audiences from the audience queue.

A broadcast's record is one page of one shard of an app's device index; the worker packs the
page's devices into delivery jobs, enqueues them and the shard's next page, and counts the page
into the send. A segment send's record is one page of the org's people of a kind; the worker
enqueues the next page, fans the people matching the filter out per recipient and counts the page.
A page that cannot be done now (DynamoDB or SQS failing) is reported as a batch item failure so
SQS delivers it again (see ``pushgate.services.sends.audience`` and
``pushgate.services.sends.segment_sends`` for why that is safe).
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter, ValidationError

from pushgate import deps
from pushgate.models.send import AudiencePage, SegmentPage
from pushgate.observability import logger, metrics, tracer
from pushgate.services.sends import audience, segment_sends

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
#: A broadcast page names a shard, a segment page a filter: each body validates as one of them.
PAGES: TypeAdapter[AudiencePage | SegmentPage] = TypeAdapter(AudiencePage | SegmentPage)


@tracer.capture_method
def expand_record(record: SQSRecord) -> None:
    try:
        page = PAGES.validate_json(record.body)
    except ValidationError:
        # A message this worker cannot read will never become readable: drop it, do not retry it.
        logger.error("unreadable audience message dropped", extra={"message_id": record.message_id})
        metrics.add_metric(name="AudienceMessagesDropped", unit="Count", value=1)
        return
    # Quiet hours and schedules are judged on the delivery clock (the local runtime moves it).
    if isinstance(page, SegmentPage):
        devices = segment_sends.expand_segment_page(page, deps.segment_ports(), now=deps.clock())
    else:
        devices = audience.expand_page(page, deps.audience_ports(), now=deps.clock())
    metrics.add_metric(name="AudienceDevicesQueued", unit="Count", value=devices)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=expand_record, processor=processor, context=context)
    )
