"""The delivery queue (SQS): delivery jobs wait here for the delivery worker (one job, one message, in
the form of ``pushgate.models.job_wire``);
and the audience queue, where pages of broadcast audiences wait for the audience worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pushgate.adapters.sqs import LARGE_SEND_BATCH_BYTES, SqsBatchSender
from pushgate.models.job_wire import job_message
from pushgate.models.send import AudiencePage, DeliveryJob, SegmentPage

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


class SqsDeliveryQueue:
    """The SQS adapter of ``DeliveryQueue``."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        """Wraps a client for one queue."""
        self._sender = SqsBatchSender(client, queue_url, queue_name="delivery", batch_bytes=LARGE_SEND_BATCH_BYTES)

    def send(self, jobs: Sequence[DeliveryJob], *, delay_seconds: int = 0) -> None:
        """Enqueues every job.

        Args:
            jobs: The jobs.
            delay_seconds: How long SQS hides them (retries honour ``Retry-After`` this way), capped at 900.

        Raises:
            DependencyError: Some jobs could not be enqueued.
        """
        self._sender.send([job_message(job) for job in jobs], delay_seconds=delay_seconds)


class SqsAudienceQueue:
    """The SQS adapter of ``AudienceQueue``."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        """Wraps a client for one queue."""
        self._sender = SqsBatchSender(client, queue_url, queue_name="audience")

    def send(self, pages: Sequence[AudiencePage | SegmentPage]) -> None:
        """Enqueues every page.

        Raises:
            DependencyError: Some pages could not be enqueued.
        """
        self._sender.send([page.model_dump_json(exclude_defaults=True) for page in pages])
