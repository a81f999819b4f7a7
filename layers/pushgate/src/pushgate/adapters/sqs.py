"""Sending many messages to one SQS queue: batched within SQS's limits, refused entries resent.

``SendMessageBatch`` takes at most ten entries and 1 MiB in total; entries SQS refuses (or a
failed call) are resent twice before the caller hears of it. Bodies never reach a log line: they
hold device tokens and personal data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from pushgate.errors import DependencyError
from pushgate.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

#: SQS: at most ten entries per ``SendMessageBatch``.
SEND_BATCH_ENTRIES: Final = 10
#: SQS: at most a queue's ``MaximumMessageSize`` per message, 256 KiB unless the template raises it
#: (to 1 MiB at most), and as much per batch (all entries together); a margin for attributes.
SEND_BATCH_BYTES: Final = 256 * 1024 - 4096
#: A queue whose ``MaximumMessageSize`` is SQS's largest (the delivery queue's jobs).
LARGE_SEND_BATCH_BYTES: Final = 1024 * 1024 - 4096
#: SQS: ``DelaySeconds`` is at most 15 minutes.
MAX_DELAY_SECONDS: Final = 900
_ATTEMPTS = 3


def _batches(bodies: Sequence[str], max_bytes: int) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    size = 0
    for index, body in enumerate(bodies):
        length = len(body.encode())
        if batch and (len(batch) == SEND_BATCH_ENTRIES or size + length > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append((index, body))
        size += length
    if batch:
        yield batch


class SqsBatchSender:
    """Sends message bodies to one queue."""

    def __init__(
        self, client: SQSClient, queue_url: str, *, queue_name: str, batch_bytes: int = SEND_BATCH_BYTES
    ) -> None:
        """Wraps a client for one queue.

        Args:
            client: A boto3 SQS client.
            queue_url: The queue.
            queue_name: What the queue is, for log lines and errors (``delivery``, ``registration``).
            batch_bytes: Bytes of bodies per ``SendMessageBatch`` at most (the queue's message limit).
        """
        self._client = client
        self._queue_url = queue_url
        self._queue_name = queue_name
        self._batch_bytes = batch_bytes

    def send(self, bodies: Sequence[str], *, delay_seconds: int = 0) -> None:
        """Enqueues every body.

        Args:
            bodies: Message bodies.
            delay_seconds: How long SQS hides them, capped at 900.

        Raises:
            DependencyError: Some bodies could not be enqueued.
        """
        delay = max(0, min(MAX_DELAY_SECONDS, delay_seconds))
        for batch in _batches(bodies, self._batch_bytes):
            pending: list[Any] = [
                {"Id": str(index), "MessageBody": body, "DelaySeconds": delay} for index, body in batch
            ]
            for _ in range(_ATTEMPTS):
                if not pending:
                    break
                try:
                    response = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=pending)
                except (ClientError, BotoCoreError) as error:
                    logger.warning(f"{self._queue_name} enqueue failed", extra={"error_type": type(error).__name__})
                    continue
                failed = {entry["Id"] for entry in response.get("Failed", [])}
                pending = [entry for entry in pending if entry["Id"] in failed]
            if pending:
                raise DependencyError(message=f"the {self._queue_name} queue is unavailable; retry later")
