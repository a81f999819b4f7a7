"""The one SQS consumer of the queue workers (delivery jobs, audience pages, registrations).

Each record's body is read as the worker's message; a body that does not read will never become
readable, so it is logged, counted (``<Kind>MessagesDropped``) and dropped rather than retried.
Anything the work raises fails that record alone: Powertools' batch processor reports it as a
batch item failure and SQS delivers it again (``ReportBatchItemFailures`` in ``template.yaml``),
up to the queue's ``maxReceiveCount`` and then its dead-letter queue.

A worker imports this module first, before anything imports pydantic: Powertools' batch utility
also loads its parser models (some 70 ms of a cold start) when it finds pydantic already imported
(``aws_lambda_powertools/utilities/batch/types.py``); ``tests/unit/test_sqs_worker.py`` checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from pushgate.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

MessageT = TypeVar("MessageT")
LambdaHandler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]


def sqs_worker(
    read: Callable[[str], MessageT], work: Callable[[MessageT, SQSRecord], None], *, kind: str
) -> LambdaHandler:
    """The Lambda handler of a queue worker.

    Args:
        read: Reads one record's body (``read_job_message``); raises ``ValueError`` (pydantic's
            ``ValidationError`` is one) when the body is not a message of this queue.
        work: Does one message's work (traced as itself); its record carries SQS's attributes
            (``ApproximateReceiveCount``). Raising fails the record, which SQS then redelivers.
        kind: What the queue carries, for logs and metrics (``delivery`` → ``DeliveryMessagesDropped``).

    Returns:
        The function's ``lambda_handler``: logging context, tracing and metrics around one batch.
    """
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    traced_work = tracer.capture_method(work)
    dropped_metric = f"{kind[:1].upper()}{kind[1:]}MessagesDropped"

    def handle_record(record: SQSRecord) -> None:
        try:
            message = read(record.body)
        except ValueError:
            # A message this worker cannot read will never become readable: drop it, do not retry it.
            logger.error(f"unreadable {kind} message dropped", extra={"message_id": record.message_id})
            metrics.add_metric(name=dropped_metric, unit="Count", value=1)
            return
        traced_work(message, record)

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return dict(
            process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
        )

    return lambda_handler
